"""The Topcuoglu et al. (TPDS 2002) pair: ``task_exe_time.csv`` + ``task_connectivity.csv``.

``task_exe_time.csv``: header ``TP,P_0,…``, one row per task with its time on each processor.
``task_connectivity.csv``: square matrix with header; entry (row, column) > 0 is an edge whose value
is the transfer time, paid only across processors. Energy of a task is its time (unit power).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from edgedse.errors import InputError
from edgedse.models.problems import ScheduleProblem


def _rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise InputError(path, "file", "does not exist", "a Topcuoglu directory holds task_exe_time.csv and "
                                                         "task_connectivity.csv")
    return [r for r in csv.reader(path.read_text().splitlines()) if r]


def read_topcuoglu(directory: str | Path) -> ScheduleProblem:
    d = Path(directory)
    exe, con = d / "task_exe_time.csv", d / "task_connectivity.csv"
    exe_rows, con_rows = _rows(exe), _rows(con)
    pes = exe_rows[0][1:]
    ids, times = [], []
    for ln, row in enumerate(exe_rows[1:], 2):
        if len(row) != len(pes) + 1:
            raise InputError(exe, f"line {ln}", f"has {len(row) - 1} times for {len(pes)} processors",
                             "give one time per processor")
        try:
            t = [int(float(x)) for x in row[1:]]
        except ValueError:
            raise InputError(exe, f"line {ln}", "has a non-numeric time", "use numbers") from None
        if any(x <= 0 for x in t):
            raise InputError(exe, f"line {ln} (task {row[0]})", "has a non-positive time", "times must be > 0")
        ids.append(row[0].replace("T_", "T"))
        times.append(t)
    n = len(ids)
    if len(con_rows) != n + 1:
        raise InputError(con, "matrix", f"has {len(con_rows) - 1} rows for {n} tasks", "one row per task")
    edges, comm = [], []
    m = len(pes)
    off = 1 - np.eye(m, dtype=np.int64)
    for i, row in enumerate(con_rows[1:]):
        for j, v in enumerate(row[1:]):
            w = int(float(v))
            if w > 0:
                edges.append((i, j, float(w)))
                comm.append(off * w)
    exec_time = np.asarray(times, dtype=np.int64)
    name = d.name
    known = d / "known_optimum.txt"  # optional: the published optimum of this instance
    return ScheduleProblem(name=name, task_ids=tuple(ids), pe_names=tuple(pes), pe_kinds=tuple(pes),
                           exec_time=exec_time, energy=exec_time.astype(float), edges=tuple(edges),
                           comm_time=tuple(comm), source=str(d),
                           known_optimum=int(known.read_text().split()[0]) if known.is_file() else None)
