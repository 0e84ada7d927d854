"""Helpers shared by the readers of homogeneous benchmark formats."""
from __future__ import annotations

import numpy as np

from edgedse.models.problems import ScheduleProblem


def homogeneous_problem(name: str, ids: list[str], times: list[int], edges: list[tuple[int, int, int]],
                        pes: int, source: str, **extra) -> ScheduleProblem:
    """``pes`` identical processors; an edge's weight is its transfer time, paid only across processors."""
    exec_time = np.repeat(np.asarray(times, dtype=np.int64)[:, None], pes, axis=1)
    off = 1 - np.eye(pes, dtype=np.int64)
    comm = tuple(off * int(w) for _, _, w in edges)
    return ScheduleProblem(
        name=name, task_ids=tuple(ids), pe_names=tuple(f"P{k}" for k in range(pes)),
        pe_kinds=("P",) * pes, exec_time=exec_time, energy=exec_time.astype(float),
        edges=tuple((i, j, float(w)) for i, j, w in edges), comm_time=comm, source=source, **extra)
