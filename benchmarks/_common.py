"""Helpers shared by the benchmark scripts: run one method on one problem, summarise a column."""
from __future__ import annotations

import statistics
import sys

from edgedse.models.solutions import Status
from edgedse.solvers.portfolio import solve


def run(problem, method: str, time_limit: float, threads: int = 2):
    r = solve(problem, method, "makespan", time_limit=time_limit, threads=threads)
    return {"status": r.status, "objective": r.objective, "bound": r.bound, "time": r.wall_time_s,
            "proven": r.status == Status.OPTIMAL}


def describe(values: list[float]) -> str:
    if not values:
        return "-"
    return f"median {statistics.median(values):.2f}  max {max(values):.2f}"


def percent(gap: float | None) -> str:
    """A relative gap as a percentage with two decimals, or ``-`` when there is none."""
    return "-" if gap is None else f"{gap:.2%}"


def ms_formatter(tick_s: float):
    """Ticks (of ``tick_s`` seconds each) → a 9-wide string in milliseconds ('-' for None)."""
    return lambda t: f"{t * tick_s * 1e3:9.2f}" if t is not None else f"{'-':>9}"


def line_buffered_stdout() -> None:
    """Print each table row as soon as it is measured, also when stdout is a file or a pipe (Python buffers
    those in blocks, so a long benchmark redirected to a file would show nothing for minutes)."""
    sys.stdout.reconfigure(line_buffering=True)
