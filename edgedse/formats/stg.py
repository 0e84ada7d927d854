"""Standard Task Graph Set (Tobita & Kasahara 2002): P|prec|Cmax, identical PEs, no communication.

Format: first line ``n``; then ``id time #preds pred…`` for tasks 0..n+1 (0 and n+1 are zero-time
dummies); ``#`` comment lines at the end. Energy of a task is its processing time (unit power).
"""
from __future__ import annotations

from pathlib import Path

from edgedse.errors import InputError
from edgedse.formats.common import homogeneous_problem
from edgedse.models.problems import ScheduleProblem


def read_stg(path: str | Path, pes: int, known: tuple[int, int] | None = None) -> ScheduleProblem:
    path = Path(path)
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    try:
        n = int(lines[0][0])
        rows = lines[1:]
        ids, times, edges = [], [], []
        index: dict[str, int] = {}
        for ln, row in enumerate(rows, 2):
            tid, time, npred = row[0], int(row[1]), int(row[2])
            preds = row[3:3 + npred]
            if len(preds) != npred:
                raise InputError(path, f"line {ln}", f"task {tid} lists {len(preds)} predecessors, expected {npred}",
                                 "fix the predecessor count")
            if time < 0:
                raise InputError(path, f"line {ln}", f"task {tid} has negative time {time}", "times must be ≥ 0")
            index[tid] = len(ids)
            ids.append(tid)
            times.append(time)
            for p in preds:
                if p not in index:
                    raise InputError(path, f"line {ln}", f"task {tid}: predecessor {p} is not defined before it "
                                     "(a cycle or an unknown task)", "list tasks in topological order")
                edges.append((index[p], index[tid], 0))
    except (ValueError, IndexError):
        raise InputError(path, "contents", "is not in STG format",
                         "first line n, then 'id time #preds preds…'") from None
    if len(ids) != n + 2:
        raise InputError(path, "task count", f"header says {n} tasks (+2 dummies) but {len(ids)} are listed",
                         "fix the first line")
    opt, bounds = None, None
    if known is None:
        from edgedse.formats.references import stg_reference
        known = stg_reference(path, n, pes)
    if known is not None:
        bounds = known
        opt = known[0] if known[0] == known[1] else None
    return homogeneous_problem(f"{path.stem}_m{pes}", ids, times, edges, pes, str(path),
                               known_optimum=opt, known_bounds=bounds)
