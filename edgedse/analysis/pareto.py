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


@dataclass(frozen=True)
class PeriodPoint:
    period: int          # ticks
    energy_j: float      # per iteration
    latency: int         # ticks, of the packed schedule
    certified: bool
    schedule: object


def period_energy_front(problem, method: str = "milp", *, time_limit: float = 30.0, seed: int = 0, threads: int = 2,
                        max_points: int = 12) -> list[PeriodPoint]:
    """The period × energy front of a pipelined mapping problem by ε-constraint, as
    :func:`makespan_energy_front`: (1) min energy s.t. P ≤ ε, (2) min P s.t. E ≤ E*, then lower ε.
    The front of a large instance is dense (a point every few ticks), so ε steps by
    ``(P(E_min) − P_min) / (max_points − 1)``; both ends are always included. Each point is certified
    (non-dominated, both solves optimal) when ``certified``; with steps > 1 tick points between two
    returned ones may exist."""
    import math

    from edgedse.solvers.periodic import solve_periodic

    kw = dict(time_limit=time_limit, seed=seed, threads=threads, latency=False)
    p_min = solve_periodic(problem, method, "period", **kw)
    if p_min.solution is None:
        return []
    points: list[PeriodPoint] = []
    eps, step = None, 1
    while len(points) < max_points:
        e = solve_periodic(problem, method, "energy", period_cap=eps, **kw)
        if e.solution is None:
            break
        c = solve_periodic(problem, method, "period", energy_cap=e.objective, **kw)
        best = c if c.solution is not None and c.metrics.energy_j <= e.objective * (1 + 1e-6) else e
        certified = e.status == Status.OPTIMAL and c.status == Status.OPTIMAL
        points.append(PeriodPoint(best.metrics.period, best.metrics.energy_j, best.metrics.latency, certified,
                                  best.solution))
        if eps is None:
            step = max(1, math.ceil((best.metrics.period - p_min.objective) / max(max_points - 1, 1)))
        if best.metrics.period <= p_min.objective:
            break
        eps = max(int(p_min.objective), best.metrics.period - step)
    return sorted(points, key=lambda p: p.period)
