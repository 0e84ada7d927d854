"""Exact bi-objective fronts by the ε-constraint method; each point says whether it is certified for its ε.

Makespan × energy: start at the minimum-energy end, then repeatedly
(1) minimize energy subject to ``C ≤ ε``  and (2) minimize makespan subject to ``E ≤ E*`` (lexicographic
clean-up, so the point is non-dominated), then set ``ε = C* − 1`` (makespans are integer ticks; a larger step
when the front has more than ``max_points`` points), until ε passes the least makespan. A point is ``certified``
when both solves proved optimality.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from edgedse.models.problems import ScheduleProblem
from edgedse.models.solutions import Schedule, Status, relative_gap


@dataclass(frozen=True)
class ParetoPoint:
    makespan: int
    energy_j: float
    certified: bool
    schedule: Schedule
    wall_time_s: float = 0.0   # seconds spent on this point's solves


def makespan_energy_front(problem: ScheduleProblem, method: str = "cpsat", *, time_limit: float = 10.0,
                          seed: int = 0, threads: int = 2, max_points: int = 50) -> list[ParetoPoint]:
    """The exact makespan × energy front (see module docstring), sorted by makespan.

    A first solve finds the least makespan ``C_min``. When it is proven, ε steps by
    ``⌈(C(E_min) − C_min) / (max_points − 1)⌉`` ticks (1 tick, the whole front, when it has at most
    ``max_points`` points) and the last ε is ``C_min``: both ends of the front are always included, and a
    front cut short by ``max_points`` spans it, as :func:`period_energy_front` does. Otherwise ε steps by
    one tick from the least-energy end until (1) is infeasible or ``max_points`` is reached."""
    from edgedse.solvers.portfolio import solve

    kw = dict(time_limit=time_limit, seed=seed, threads=threads)
    t0 = time.perf_counter()
    fastest = solve(problem, method, "makespan", **kw)
    c_min = int(fastest.objective) if fastest.status == Status.OPTIMAL else None
    points: list[ParetoPoint] = []
    eps, step = None, 1
    while len(points) < max_points:
        e = solve(problem, method, "energy", makespan_cap=eps, **kw)
        if e.solution is None:
            break
        c = solve(problem, method, "makespan", energy_cap=e.objective, hint=e.solution, **kw)
        best = c if c.solution is not None else e
        certified = e.status == Status.OPTIMAL and c.status == Status.OPTIMAL
        makespan = int(best.metrics.makespan)
        points.append(ParetoPoint(makespan, float(best.metrics.energy_j), certified, best.solution,
                                  time.perf_counter() - t0))
        t0 = time.perf_counter()  # the next point's clock
        if c_min is not None:
            if makespan <= c_min:
                break
            if eps is None:
                step = max(1, math.ceil((makespan - c_min) / max(max_points - 1, 1)))
            eps = max(c_min, makespan - step)
        else:
            eps = makespan - 1
        if eps < problem.makespan_lower_bound():
            break
    return sorted(points, key=lambda p: p.makespan)


@dataclass(frozen=True)
class PeriodPoint:
    period: int          # ticks
    energy_j: float      # per iteration
    latency: int         # ticks
    certified: bool
    schedule: object
    latency_bound: int | None = None   # ticks: proven lower bound on the latency at this period cap
    period_bound: int | None = None    # ticks: proven lower bound on the period at this latency cap
    wall_time_s: float = 0.0           # seconds spent on this point's solves (the first: with P_min's)

    @property
    def latency_gap(self) -> float | None:
        """:func:`~edgedse.models.solutions.relative_gap` of the latency and its proven bound (None without one)."""
        return relative_gap(self.latency, self.latency_bound)

    @property
    def period_gap(self) -> float | None:
        """:func:`~edgedse.models.solutions.relative_gap` of the period and its proven bound (None without one)."""
        return relative_gap(self.period, self.period_bound)


def period_energy_front(problem, method: str = "milp", *, time_limit: float = 30.0, seed: int = 0, threads: int = 2,
                        max_points: int = 12) -> list[PeriodPoint]:
    """The period × energy front of a pipelined mapping problem by ε-constraint, as
    :func:`makespan_energy_front`: (1) min energy s.t. P ≤ ε, (2) min P s.t. E ≤ E*, then lower ε.
    The front of a large instance is dense (a point every few ticks), so ε steps by
    ``(P(E_min) − P_min) / (max_points − 1)``; both ends are always included. Each point is certified
    (non-dominated, both solves optimal) when ``certified``; with steps > 1 tick points between two
    returned ones may exist."""
    from edgedse.solvers.periodic import solve_periodic

    kw = dict(time_limit=time_limit, seed=seed, threads=threads, latency=False)
    t0 = time.perf_counter()
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
                                  best.solution, wall_time_s=time.perf_counter() - t0))
        t0 = time.perf_counter()  # the next point's clock
        if eps is None:
            step = max(1, math.ceil((best.metrics.period - p_min.objective) / max(max_points - 1, 1)))
        if best.metrics.period <= p_min.objective:
            break
        eps = max(int(p_min.objective), best.metrics.period - step)
    return sorted(points, key=lambda p: p.period)


def _packed_if_better(problem, mappings, period, sch, met, key):
    """``(schedule, metrics)``: the best under ``key`` of ``(sch, met)`` and each of the relaxations'
    ``mappings`` (None entries skipped) packed at ``period`` (None: the least period it allows)."""
    from edgedse.solvers.periodic_heuristics import pack

    packed = (pack(problem, mapping, period) for mapping in mappings if mapping is not None)
    return _best_of(problem, packed, sch, met, key)


def _best_of(problem, candidates, sch, met, key):
    """``(schedule, metrics)``: the best under ``key`` of ``(sch, met)`` and each schedule of ``candidates``
    (evaluated; the first of equals kept)."""
    from edgedse.analysis.periodic_evaluator import evaluate_periodic

    for cand in candidates:
        cand_met = evaluate_periodic(problem, cand)
        if key(cand_met) < key(met):
            sch, met = cand, cand_met
    return sch, met


STAGES_SHARE = 0.05  # of a solve's time limit, for the contiguous pipeline-stage mappings at each ε
PERIOD_FACTORS = (1.0, 1.02, 1.05, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


def period_latency_front(problem, *, time_limit: float = 30.0, seed: int = 0, threads: int = 2,
                         factors=PERIOD_FACTORS, period_method: str = "milp",
                         cleanup_time_limit: float | None = None) -> list[PeriodPoint]:
    """The period × latency front by ε-constraint on the period.

    ``P_min`` comes from stage 1 (``period_method``). For each ``ε = factor · P_min`` (increasing):
    (1) ``L* = min L s.t. P ≤ ε``, then (2) ``P* = min P s.t. L ≤ L*`` (the clean-up that makes the point
    non-dominated). Each solve pairs the exact CP-SAT model
    (:mod:`edgedse.formulations.period_latency_cpsat`: modes, mapping and wrap-around free; (1) is
    :func:`~edgedse.solvers.periodic_latency.latency_stage`, which first runs the circle-order search of
    :mod:`edgedse.solvers.periodic_circle` while the start's iteration wraps, and at a proven ``ε = P_min``
    shares CP-SAT's time with the neighbourhoods of :mod:`edgedse.solvers.periodic_lns`) with the
    layer-span relaxation (:mod:`edgedse.formulations.latency_bound_milp`, HiGHS), which gives the proven
    bound — CP-SAT's own is weak — and a mapping whose packed schedule, with the previous point's and the
    previous ε's relaxed mapping packed at this ε, starts CP-SAT. A point is ``certified`` when both solves
    reach their proven bounds (and P_min is proven); ``period_bound`` is the proven lower bound of (2) and
    ``latency_bound`` the largest bound of (1) over the ε's at or above the point's period (each bounds
    every schedule with P ≤ ε, hence with P ≤ the point's period) and of the relaxation at the point's own
    period when (2) lowered it below ε. The contiguous pipeline-stage mappings that
    fit ε (:func:`~edgedse.solvers.periodic_heuristics.stage_pipeline_schedules`: one iteration crosses each
    PE once, as one block) and the earliest-finish mapping once it fits
    (:func:`~edgedse.solvers.periodic_heuristics.earliest_finish_mapping`) are further starts. The walk stops once
    ``L* ≤ ε``: an iteration then fits in one period, and no larger period can lower the latency further.
    ``cleanup_time_limit`` (seconds, default ``time_limit``): for the relaxation of (2), which proves the
    periods — VGG16's point (19,008, 21,377) at 1.1·P_min needs about 70 s on 2 threads."""
    from edgedse.solvers.periodic import relaxed_latency_bound, solve_periodic
    from edgedse.models.periodic import mapping_min_period
    from edgedse.solvers.periodic_heuristics import earliest_finish_mapping, stage_pipeline_schedules
    from edgedse.solvers.periodic_latency import latency_stage, solve_latency_model

    kw = dict(time_limit=time_limit, seed=seed, threads=threads)
    t0 = time.perf_counter()
    earliest = earliest_finish_mapping(problem)
    earliest_period = mapping_min_period(problem, earliest)
    first = solve_periodic(problem, period_method, "period", latency=False, **kw)
    if first.solution is None:
        return []
    p_min = int(first.objective)
    # a proven P_min is a valid lower bound on P; at ε = P_min it fixes the period (a much stronger model)
    p_floor = p_min if first.status == Status.OPTIMAL else None
    previous, previous_met, points, previous_relaxed = first.solution, first.metrics, [], None
    bounds_at: list[tuple[int, int]] = []  # (ε, proven lower bound on the latency of every schedule with P ≤ ε)
    for factor in factors:
        eps = max(p_min, int(factor * p_min))
        l_lo, relaxed = relaxed_latency_bound(problem, "latency", period_max=eps, **kw)
        # the previous ε's relaxed mapping leaves slack at this ε, and packs far better than this ε's own,
        # which loads some PE up to ε (VGG16 at 1.05 · P_min: 49,894 ticks against 149,383); contiguous
        # pipeline stages cross each PE once (ResNet-18 at 1.02 · P_min: 17,155 ticks packed, against 28,668)
        # the earliest-finish mapping runs one iteration nearly as short as any, once ε leaves it room
        short = earliest if earliest_period <= eps else None
        start, start_met = _packed_if_better(problem, (relaxed, previous_relaxed, short), eps, previous,
                                             previous_met, key=lambda q: (q.latency, q.period))
        staged = stage_pipeline_schedules(problem, eps, time_limit=time_limit * STAGES_SHARE, seed=seed,
                                          threads=threads)
        start, start_met = _best_of(problem, staged, start, start_met, key=lambda q: (q.latency, q.period))
        previous_relaxed = relaxed
        # at a proven P_min the period is fixed and every PE full: half the time goes to periodic_lns there
        stage = latency_stage(problem, start, period_max=eps, period_min=p_floor, latency_min=l_lo or 0,
                              search=factor == factors[0] and p_floor is not None, **kw)
        sch, met = stage.schedule, stage.metrics
        bounds_at.append((eps, max(b for b in (l_lo, stage.cp_bound, 0) if b is not None)))
        p_lo = p_min
        if factor != factors[0]:
            # capped at the period found (the least period is no larger), which enables the wrap-cover cuts
            p_relaxed, relaxed = relaxed_latency_bound(problem, "period", latency_cap=met.latency,
                                                       period_max=met.period,
                                                       **{**kw, "time_limit": cleanup_time_limit or time_limit})
            p_lo = max(p_min, p_relaxed or 0)
            cap = met.latency  # the relaxation's mapping, packed, may already be the answer
            sch, met = _packed_if_better(problem, (relaxed,), None, sch, met,
                                         key=lambda q: (q.latency > cap, q.period))
        p_cp = None
        if met.period > p_lo:
            tight, tight_met, p_cp, _ = solve_latency_model(problem, "period", hint=sch, latency_cap=met.latency,
                                                            period_min=p_lo, **kw)
            if tight is not None and tight_met.period <= met.period:
                sch, met = tight, tight_met
        p_bound = max(p_lo, p_cp or 0)
        p_proven = met.period <= p_bound and (factor != factors[0] or first.status == Status.OPTIMAL)
        # every ε ≥ the period found bounds its latency; an earlier, smaller ε gives the stronger bound
        l_bound = max(b for e, b in bounds_at if e >= met.period)
        if met.period < eps and met.latency > l_bound:
            # ε's bound holds for every P ≤ ε; the point's own, smaller period bounds its latency more tightly
            l_own, _ = relaxed_latency_bound(problem, "latency", period_max=met.period, **kw)
            bounds_at.append((met.period, l_own or 0))
            l_bound = max(l_bound, l_own or 0)
        points.append(PeriodPoint(met.period, met.energy_j, met.latency, met.latency <= l_bound and p_proven,
                                  sch, l_bound, p_bound, time.perf_counter() - t0))
        t0 = time.perf_counter()  # the next point's clock
        previous, previous_met = sch, met
        if met.latency <= eps:
            break
    return _non_dominated(points, lambda q: (q.period, q.latency))


def _non_dominated(points, key):
    """The points no other point weakly dominates in both coordinates, sorted by the first (ties: first kept)."""
    out = []
    for q in sorted(points, key=key):
        if not out or key(q)[1] < key(out[-1])[1]:
            out.append(q)
    return out
