"""The latency stage of pipelined mapping: the least latency of one iteration at (or under) a period.

:func:`solve_latency_model` is one CP-SAT solve of the exact model
(:mod:`edgedse.formulations.period_latency_cpsat`: modes, mapping and wrap-around free) with its answer
evaluated. :func:`latency_stage` is what :func:`~edgedse.solvers.periodic.solve_periodic` and the
period × latency front (:func:`~edgedse.analysis.pareto.period_latency_front`) run at a period:

0. while the proven bound leaves room for an iteration within one period (``latency_min ≤ period_max``),
   ``LINE_SHARE`` of the time to one iteration on the line with ``L ≤ period_max`` (``wrap=False`` in
   :mod:`edgedse.formulations.period_latency_cpsat`): each of its schedules is a periodic one, and its bound
   ``b`` gives ``L ≥ min(b, period_max + 1)`` for every periodic schedule. Once one fits, the least latency is
   a line schedule's, so the line model (far smaller than the periodic one) gets the rest of the time and the
   stage ends there (:func:`_line_step`);
1. while the start's iteration wraps (latency > its period), the circle-order search of
   :mod:`edgedse.solvers.periodic_circle` with ``CIRCLE_SHARE`` of the time, at the start's period and modes;
2. while it still wraps, the least latency at the best schedule's period, modes and mapping
   (:func:`latency_at_mapping`, exact for that mapping) with ``MAPPING_SHARE`` of the time left;
3. CP-SAT on the whole model from the best schedule so far, with ``1 − LNS_SHARE`` of the time left when the
   neighbourhood search is on, all of it otherwise;
4. the head/tail neighbourhoods of :mod:`edgedse.solvers.periodic_lns` with the rest, while the latency is above
   the best proven bound.

The neighbourhoods pay at a fixed, full period (the minimum period: every PE's circle is full and CP-SAT
improves slowly); above it the PEs have slack and CP-SAT is better given the time.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from edgedse.analysis.periodic_evaluator import PeriodicMetrics, evaluate_periodic
from edgedse.models.periodic import PeriodicProblem, PeriodicSchedule
from edgedse.solvers.backends import TimeBudget
from edgedse.solvers.periodic_circle import anneal_latency
from edgedse.solvers.periodic_lns import improve_latency, uses_no_more_energy

LINE_SHARE = 1 / 2     # of the latency stage's time, given to one iteration on the line when it may fit a period
CIRCLE_SHARE = 1 / 3   # of the latency stage's time left, given to the circle-order search while the iteration wraps
MAPPING_SHARE = 0.5    # of the time then left, given to the exact latency at the best mapping while it wraps
LNS_SHARE = 0.5        # of the time then left, given to the neighbourhood search when it is on


def solve_latency_model(problem: PeriodicProblem, objective: str, *, hint, time_limit: float, seed: int,
                        threads: int, **caps):
    """One solve of the exact latency model (``objective`` ``latency`` or ``period``; ``caps`` are
    :func:`~edgedse.formulations.period_latency_cpsat.build_latency_model`'s keywords): ``(schedule, its
    evaluated metrics, CP-SAT's proven bound in ticks or None, CP-SAT's raw outcome)``; the schedule and metrics
    are None when nothing was found. The evaluator rejects an invalid schedule."""
    from edgedse.formulations.period_latency_cpsat import build_latency_model, read_latency_model
    from edgedse.solvers.backends import run_cpsat

    built = build_latency_model(problem, objective=objective, hint=hint, **caps)
    raw = run_cpsat(built.model, time_limit=time_limit, threads=threads, seed=seed)
    bound = None if raw.bound is None else math.ceil(raw.bound - 1e-6)
    if not raw.found:
        return None, None, bound, raw
    sch = read_latency_model(problem, built, raw.values)
    return sch, evaluate_periodic(problem, sch), bound, raw


@dataclass(frozen=True)
class MappingLatency:
    schedule: PeriodicSchedule     # never worse than the start, same period, modes and PE counts
    metrics: PeriodicMetrics
    proven: bool                   # the latency is the least any schedule of this mapping and period has
    bound: int | None              # ticks: HiGHS's bound for this mapping and period (None: none reached)
    wall_s: float


def latency_at_mapping(problem: PeriodicProblem, schedule: PeriodicSchedule, *, time_limit: float, seed: int = 0,
                       threads: int = 2) -> MappingLatency:
    """The least latency at ``schedule``'s period, modes and mapping (how many firings of each layer run on each
    PE): the modulo-disjunctive MILP of :mod:`edgedse.formulations.latency_modulo_milp`, warm-started at
    ``schedule``, its answer evaluated. ``time_limit`` in seconds."""
    from edgedse.formulations.latency_modulo_milp import build_modulo_latency, read_schedule, warm_start
    from edgedse.solvers.backends import run_highs

    t0 = time.perf_counter()
    start_met = evaluate_periodic(problem, schedule)
    model, fir = build_modulo_latency(problem, schedule, start_met.latency)
    raw = run_highs(model, time_limit=max(0.1, time_limit - (time.perf_counter() - t0)), threads=threads,
                    seed=seed, warm_start=warm_start(model, problem, schedule))
    best, best_met = schedule, start_met
    if raw.found:
        sch = read_schedule(problem, schedule, fir, model, raw.values)
        if sch is not None:
            met = evaluate_periodic(problem, sch)
            if met.latency < best_met.latency:
                best, best_met = sch, met
    bound = None if raw.bound is None else min(best_met.latency, math.ceil(raw.bound - 1e-6))
    proven = bound is not None and bound >= best_met.latency
    return MappingLatency(best, best_met, proven, bound, time.perf_counter() - t0)


@dataclass(frozen=True)
class LatencyStage:
    schedule: PeriodicSchedule     # never worse than the start: latency, then period, at most the start's
    metrics: PeriodicMetrics
    cp_bound: int | None           # ticks: CP-SAT's bound on the latency, the larger of the periodic model's and
                                   # the line's (valid as the caller's model says)
    cp_s: float                    # seconds CP-SAT ran
    search_s: float                # seconds the neighbourhood search ran (0 when off or not needed)
    circle_s: float = 0.0          # seconds the circle-order search ran (0 when the start fits in one period)
    mapping_s: float = 0.0         # seconds the exact latency at the best mapping ran (0 when not run)
    mapping_proven: bool = False   # it proved its schedule the least latency of its mapping and period
    line_s: float = 0.0            # seconds one iteration on the line ran (0 when ruled out)


def latency_stage(problem: PeriodicProblem, start: PeriodicSchedule, *, period_max: int, time_limit: float,
                  seed: int = 0, threads: int = 2, period_min: int | None = None, latency_min: int = 0,
                  energy_cap: float | None = None, search: bool = True,
                  cp_bound_counts: bool = True) -> LatencyStage:
    """Minimize the latency at ``period_min ≤ P ≤ period_max`` (ticks; equal bounds fix P) from ``start``, a
    valid schedule with period ≤ ``period_max`` (see module docstring). ``latency_min``: a latency bound
    (ticks) proven elsewhere; ``cp_bound_counts``: whether CP-SAT's bound is proven for the caller's question
    too (it holds for ``P ≤ period_max`` only if no period below ``period_min`` exists), so that the search
    may stop at it. ``energy_cap`` (J per iteration): a candidate must also use no more energy than ``start``.
    ``time_limit`` (seconds) is split as :class:`~edgedse.solvers.backends.TimeBudget` grants it, so the
    split is the same on every run in deterministic mode. A line schedule (step 0) keeps its own period,
    ``max(L, its mapping's least period)`` (:func:`~edgedse.formulations.period_latency_cpsat.line_period`),
    which lies below ``period_min`` only if ``period_min`` is not the least period: ``period_min`` is read as
    a bound the caller has proven, not as a requirement."""
    start_met = evaluate_periodic(problem, start)
    if start_met.latency <= latency_min:  # the start meets a proven bound: nothing to gain
        return LatencyStage(start, start_met, None, 0.0, 0.0)
    budget = TimeBudget(time_limit)
    best, best_met = start, start_met
    line_s, line_bound = 0.0, None
    if latency_min <= period_max:  # an iteration within one period is not ruled out: step 0
        line = _line_step(problem, start, start_met, budget, period_max=period_max, period_min=period_min,
                          latency_min=latency_min, energy_cap=energy_cap, seed=seed, threads=threads)
        line_s, line_bound = line.wall_s, line.bound
        if line.bound is not None:  # a bound of the same question as the periodic model's: both steps use it
            latency_min = max(latency_min, line.bound)
        if line.fits:  # the optimum is a schedule on the line, and the line model had the whole budget
            return LatencyStage(line.schedule, line.metrics, line.bound, 0.0, 0.0, line_s=line_s)
    circle_s = 0.0
    if best_met.latency > best.period:  # the iteration wraps: where each firing sits on its circle matters
        t0 = time.perf_counter()
        circled = anneal_latency(problem, best, time_limit=budget.grant(budget.left() * CIRCLE_SHARE), seed=seed,
                                 max_energy_j=start_met.energy_j if energy_cap is not None else None,
                                 latency_min=latency_min)
        circle_s = time.perf_counter() - t0
        met = evaluate_periodic(problem, circled)
        if no_worse(met, best_met, start_met, energy_cap):
            best, best_met = circled, met
    mapping_s, mapping_proven = 0.0, False
    if best_met.latency > best.period and best_met.latency > latency_min:
        at_mapping = latency_at_mapping(problem, best, time_limit=budget.grant(budget.left() * MAPPING_SHARE),
                                        seed=seed, threads=threads)
        mapping_s, mapping_proven = at_mapping.wall_s, at_mapping.proven
        if at_mapping.schedule is not best:  # same mapping, so the same energy
            best, best_met = at_mapping.schedule, at_mapping.metrics
    left = budget.left()
    cp_limit = budget.grant(left * (1 - LNS_SHARE) if search else left)
    sch, met, cp_bound, raw = solve_latency_model(
        problem, "latency", hint=best, period_max=period_max, period_min=period_min, energy_cap=energy_cap,
        latency_min=latency_min, time_limit=cp_limit, seed=seed, threads=threads)
    if sch is not None and no_worse(met, best_met, start_met, energy_cap):
        best, best_met = sch, met
    proven = max(latency_min, cp_bound if cp_bound_counts and cp_bound is not None else 0)
    search_s = 0.0
    left = budget.left(floor=0.0)
    if search and best_met.latency > proven and left >= 1.0:
        t0 = time.perf_counter()
        searched = improve_latency(problem, best, time_limit=budget.grant(left), seed=seed, threads=threads,
                                   latency_min=proven, energy_cap=energy_cap)
        search_s = time.perf_counter() - t0
        if searched is not best:
            best, best_met = searched, evaluate_periodic(problem, searched)
    cp_bound = max((b for b in (cp_bound, line_bound) if b is not None), default=None)
    return LatencyStage(best, best_met, cp_bound, raw.wall_time_s, search_s, circle_s, mapping_s, mapping_proven,
                        line_s)


@dataclass(frozen=True)
class LineStep:
    schedule: PeriodicSchedule     # the start, or a line schedule no worse with L ≤ period_max
    metrics: PeriodicMetrics
    bound: int | None              # ticks: every periodic schedule of the question has L ≥ bound
    fits: bool                     # a line schedule with L ≤ period_max was accepted (the answer is one)
    wall_s: float


def _line_step(problem: PeriodicProblem, start: PeriodicSchedule, start_met: PeriodicMetrics, budget: TimeBudget, *,
               period_max: int, period_min: int | None, latency_min: int, energy_cap: float | None, seed: int,
               threads: int) -> LineStep:
    """Step 0 of :func:`latency_stage`: one iteration on the line with ``L ≤ period_max``, first with
    ``LINE_SHARE`` of the budget. Its bound ``b`` gives ``L ≥ min(b, period_max + 1)`` for every periodic
    schedule (a line schedule with ``L ≤ period_max`` has ``L ≥ b``; any other has ``L > period_max``); when it
    proves no line schedule fits, ``period_max + 1``. Once one fits, the least latency is a line schedule's
    (the line model relaxes the periodic one, and is exact below ``period_max``), so the rest of the budget goes
    to the line model too, from its best schedule."""
    best, best_met, bound, wall = start, start_met, None, 0.0
    for share in (LINE_SHARE, 1.0):
        sch, met, b, raw = solve_latency_model(
            problem, "latency", hint=best, period_max=period_max, period_min=period_min, energy_cap=energy_cap,
            latency_min=max(latency_min, bound or 0), latency_cap=period_max, wrap=False, seed=seed,
            threads=threads, time_limit=budget.grant(budget.left() * share))
        wall += raw.wall_time_s
        b = period_max + 1 if raw.proven_infeasible else None if b is None else min(b, period_max + 1)
        bound = max((x for x in (bound, b) if x is not None), default=None)
        if sch is None or not no_worse(met, best_met, start_met, energy_cap):
            # none fits (or none was found in time, or it uses more energy than the start under a cap)
            break
        best, best_met = sch, met
        if raw.proven_optimal or budget.left(floor=0.0) < 1.0:
            break
    return LineStep(best, best_met, bound, best is not start, wall)


def no_worse(met: PeriodicMetrics, incumbent: PeriodicMetrics, start: PeriodicMetrics,
             energy_cap: float | None) -> bool:
    """The latency stage's acceptance rule: a candidate (its evaluated metrics ``met``) replaces the incumbent
    when its (latency, period) is no larger and, under an energy cap, it uses no more energy than the start
    (:func:`~edgedse.solvers.periodic_lns.uses_no_more_energy`)."""
    return (met.latency, met.period) <= (incumbent.latency, incumbent.period) and \
        uses_no_more_energy(met, start, energy_cap)
