"""Solutions as plain data, and the one result type every method returns.

As in Pyomo's ``contrib.solver`` results and linopy's ``constants``: what we know about the returned
solution (:class:`Status`) is kept apart from why the method stopped (:class:`Termination`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar


class Status(StrEnum):
    """What is proven about the returned solution."""

    OPTIMAL = "optimal"        # objective == best bound
    FEASIBLE = "feasible"      # a valid solution, optimality not proven
    INFEASIBLE = "infeasible"  # proven: no solution exists
    UNKNOWN = "unknown"        # no solution and no proof


class Termination(StrEnum):
    """Why the method stopped."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    HEURISTIC = "heuristic"                  # a heuristic ran to completion
    FALLBACK = "fallback_to_heuristic"       # the exact solver found nothing; a heuristic answer is returned
    ERROR = "error"


@dataclass(frozen=True)
class Schedule:
    """A mapping and a schedule: ``pe[i]`` (PE index) and ``start[i]`` (ticks) of every task."""

    pe: tuple[int, ...]
    start: tuple[int, ...]


@dataclass(frozen=True)
class ScheduleMetrics:
    """Metrics recomputed by the evaluator from a :class:`Schedule` alone."""

    makespan: int
    energy_j: float
    memory_bytes: tuple[int, ...]   # per PE
    busy: tuple[int, ...]           # ticks of execution per PE


S = TypeVar("S")


@dataclass(frozen=True)
class SolveResult(Generic[S]):
    """The result of any method. ``objective`` is recomputed by the evaluator, never copied."""

    status: Status
    termination: Termination
    method: str
    objective: float | None
    bound: float | None
    wall_time_s: float
    solution: S | None = None
    metrics: Any = None
    details: dict = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """:func:`relative_gap` of the objective and the bound."""
        return relative_gap(self.objective, self.bound)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap ``(objective − bound) / |objective|`` of a minimization (0 when equal; None if either is
    missing) — the one definition every result and front point reports."""
    if objective is None or bound is None:
        return None
    if abs(objective - bound) <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return (objective - bound) / abs(objective) if objective else float("inf")
