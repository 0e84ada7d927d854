"""Known optima and bounds that travel with the bundled benchmark instances.

STG: ``<set>/../optimal/Case<n>_<m>_OPT.csv`` with rows ``<set>/<file>,m,optimum`` or
``…,m,lower_bound,upper_bound``. Sinnen: ``optimal.csv`` beside the GXL files with rows
``graph,processors,optimal_makespan,source_listed``.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=64)
def _stg_table(csv_path: str) -> dict[str, tuple[int, int]]:
    table = {}
    for row in csv.reader(Path(csv_path).read_text().splitlines()):
        if len(row) >= 3 and row[1].strip().isdigit():
            lo = int(row[2])
            hi = int(row[3]) if len(row) > 3 and row[3].strip() else lo
            table[f"{row[0]}|{int(row[1])}"] = (lo, hi)
    return table


def stg_reference(path: Path, n_tasks: int, pes: int) -> tuple[int, int] | None:
    """(lower, upper) bound of the makespan of STG file ``path`` on ``pes`` processors, if listed."""
    csv_path = path.parent.parent / "optimal" / f"Case{n_tasks}_{pes}_OPT.csv"
    if not csv_path.is_file():
        return None
    return _stg_table(str(csv_path)).get(f"{path.parent.name}/{path.name}|{pes}")


@lru_cache(maxsize=8)
def _sinnen_table(csv_path: str) -> dict[tuple[str, int], int]:
    rows = csv.DictReader(Path(csv_path).read_text().splitlines())
    return {(r["graph"], int(r["processors"])): int(r["optimal_makespan"]) for r in rows}


def sinnen_reference(path: Path, pes: int) -> int | None:
    csv_path = path.parent / "optimal.csv"
    if not csv_path.is_file():
        return None
    return _sinnen_table(str(csv_path)).get((path.name, pes))
