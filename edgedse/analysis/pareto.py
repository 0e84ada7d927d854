"""Exact bi-objective fronts by the ε-constraint method; every point is certified for its ε.

Makespan × energy: start at the minimum-energy end, then repeatedly
(1) minimize energy subject to ``C ≤ ε``  and (2) minimize makespan subject to ``E ≤ E*`` (lexicographic
clean-up, so the point is non-dominated), then set ``ε = C* − 1`` (makespans are integer ticks), until
(1) is infeasible. A point is ``certified`` when both solves proved optimality.
"""
from __future__ import annotations

from dataclasses import dataclass

from edgedse.models.problems import ScheduleProblem
from edgedse.models.solutions import Schedule, Status


@dataclass(frozen=True)
class ParetoPoint:
    makespan: int
    energy_j: float
    certified: bool
    schedule: Schedule


def makespan_energy_front(problem: ScheduleProblem, method: str = "cpsat", *, time_limit: float = 10.0,
                          seed: int = 0, threads: int = 2, max_points: int = 50) -> list[ParetoPoint]:
    """The exact makespan × energy front (see module docstring), sorted by makespan."""
    from edgedse.solvers.portfolio import solve

    kw = dict(time_limit=time_limit, seed=seed, threads=threads)
    points: list[ParetoPoint] = []
    eps = None
    while len(points) < max_points:
        e = solve(problem, method, "energy", makespan_cap=eps, **kw)
        if e.solution is None:
            break
        c = solve(problem, method, "makespan", energy_cap=e.objective, hint=e.solution, **kw)
        best = c if c.solution is not None else e
        certified = e.status == Status.OPTIMAL and c.status == Status.OPTIMAL
        points.append(ParetoPoint(int(best.metrics.makespan), float(best.metrics.energy_j), certified,
                                  best.solution))
        eps = int(best.metrics.makespan) - 1
        if eps < problem.makespan_lower_bound():
            break
    return sorted(points, key=lambda p: p.makespan)
