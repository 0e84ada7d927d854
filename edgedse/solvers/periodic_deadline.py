"""Pipelined mapping under a latency deadline: the least period ``P`` of a schedule whose latency
(one iteration's span) is at most ``λ``, then the least latency at that period — the other direction of the
period × latency trade-off (:func:`~edgedse.analysis.pareto.period_latency_front` walks it by the period).

``cpsat`` and ``milp`` (they differ in stage 1 only), with the time budget shared in this order:

1. **stage 1** (``STAGE1_SHARE``): the least period with no deadline, ``P_min``
   (:mod:`edgedse.formulations.period_cpsat` or :mod:`~edgedse.formulations.period_milp`); every schedule
   has ``P ≥`` its proven bound;
2. **least latency** (``LEAST_LATENCY_SHARE``): the layer-span relaxation
   (:mod:`edgedse.formulations.latency_bound_milp`) with no period cap proves ``L ≥ L_lo`` for every schedule;
   ``λ < L_lo`` raises :class:`~edgedse.errors.InfeasibleError` naming the deadline and the bound;
3. **start** (``START_SHARE``): one iteration on the line, least latency (``wrap=False`` in
   :mod:`edgedse.formulations.period_latency_cpsat`) — a periodic schedule at ``max(L, its loads)``;
4. **period bound** (``BOUND_SHARE``): the same relaxation, ``min P s.t. L ≤ λ``;
5. **GA** (``GA_SHARE``): :func:`~edgedse.solvers.periodic_heuristics.genetic` under the deadline, seeded with
   the mappings met so far — mappings packed with slack, a search step the others lack (VGG16 at 3× the least
   latency, one run each: 177.32 ms against 185.17 without it);
6. **bisection** (``BISECTION_SHARE``, :func:`bisect_period`) on the period, between the bounds and the best
   schedule meeting ``λ`` so far — the line schedule, the GA's, or :func:`packed_under_deadline` of the mappings
   met (:func:`list_mappings`, stage 1's, the relaxation's, the line's, the GA's) — with the latency stage at
   each trial period;
7. **the exact model** (what is left, less ``LATENCY_SHARE``): CP-SAT, ``min P s.t. L ≤ λ`` (modes, mapping and
   wrap-around free) from the best schedule meeting ``λ``, its period floored by the larger of the bounds;
8. **latency** (the rest): :func:`~edgedse.solvers.periodic_latency.latency_stage` at the period found.

The period is proven least when it meets the larger of stage 1's bound, the relaxation's and CP-SAT's.
``list`` is :func:`packed_under_deadline` of :func:`list_mappings` (slack on every PE lets an iteration run
with fewer waits); ``ga`` runs the GA with the deadline as a penalty, seeded with the same mappings. Every
answer is checked by the evaluator, and one over ``λ`` is never returned. Schedules given as ``starts`` (e.g. a tighter
deadline's answer) enter every method, so a sweep from tight to loose deadlines never raises the period.
"""
from __future__ import annotations

import math
import time

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.errors import InfeasibleError
from edgedse.models.periodic import Mapping, PeriodicProblem, PeriodicSchedule, mapping_min_period, schedule_mapping
from edgedse.solvers.backends import TimeBudget

STAGE1_SHARE = 0.15          # of the time limit (VGG16's P_min is proven by CP-SAT's shaving in 2-4 s)
LEAST_LATENCY_SHARE = 0.10   # of the time limit, at most RELAXATION_MAX_S
START_SHARE = 0.20           # of the time limit (ResNet-18's line model needs ~5 s to come within 10 % of its bound)
BOUND_SHARE = 0.10           # of the time limit, at most RELAXATION_MAX_S
GA_SHARE = 0.10              # of the time limit
BISECTION_SHARE = 0.20       # of the time limit
BISECTION_STEPS = 5
STAGES_SHARE = 0.1           # of a bisection step, for the contiguous pipeline-stage mappings at its period,
STAGES_MIN_S = 1.0           # but at least this many seconds (they are found in about 0.5 s on ResNet-18)
LATENCY_SHARE = 0.25         # of the time left for the exact model, kept for the latency stage
RELAXATION_MAX_S = 30.0      # seconds
DEADLINE_KEYS = "--latency-cap, or latency_budget_s in the instance"  # where a deadline comes from
GRID = tuple(1.02 ** i for i in range(176))  # 1 to 32 times a mapping's least period, in 2 % steps


def least_latency_bound(problem: PeriodicProblem, *, time_limit: float, seed: int = 0, threads: int = 2) -> int:
    """A proven lower bound (ticks) on the latency of every periodic schedule, whatever its period: the
    layer-span relaxation's dual bound with no period cap (0 when HiGHS reached none)."""
    from edgedse.solvers.periodic import relaxed_latency_bound

    bound, _ = relaxed_latency_bound(problem, "latency", time_limit=time_limit, threads=threads, seed=seed)
    return bound or 0


def check_deadline(problem: PeriodicProblem, latency_cap: int, latency_lo: int | None,
                   proof: str = "the layer-span relaxation's bound") -> None:
    """Raise :class:`InfeasibleError` (family ``latency_cap``) when the deadline is below ``latency_lo``, a proven
    bound on every schedule's latency (ticks), or, with ``latency_lo=None``, when ``proof`` showed that no
    schedule meets it."""
    tick = problem.tick_s
    cap = f"{latency_cap * tick:.6g} s ({latency_cap} ticks)"
    if latency_lo is None:
        raise InfeasibleError("latency_cap", f"{problem.name}: no schedule has a latency of at most {cap}: "
                              f"{proof}; raise the deadline ({DEADLINE_KEYS})")
    if latency_cap < latency_lo:
        least = f"{latency_lo * tick:.6g} s"
        raise InfeasibleError("latency_cap", f"{problem.name}: no schedule has a latency of at most {cap}: every "
                              f"one needs at least {least} ({latency_lo} ticks, {proof}); raise the deadline "
                              f"({DEADLINE_KEYS}) to {least} or more")


def exact_under_deadline(problem: PeriodicProblem, method: str, latency_cap: int, *, time_limit: float, seed: int,
                         threads: int, details: dict, starts=()):
    """Steps 1–8 of the module docstring for ``cpsat`` / ``milp``: ``(schedule or None, period bound in ticks,
    stopped by time)``. ``starts``: further schedules (and their mappings) to start from. ``details`` gains the
    steps' bounds and seconds."""
    from edgedse.solvers.periodic import _stage1, relaxed_latency_bound
    from edgedse.solvers.periodic_heuristics import genetic, greedy_mapping, pack
    from edgedse.solvers.periodic_latency import latency_stage, solve_latency_model

    p, lam = problem, latency_cap
    budget = TimeBudget(time_limit)
    kw = dict(seed=seed, threads=threads)
    mapping, b1, raw1 = _stage1(p, method, "period", period_cap=None, energy_cap=None, hint=greedy_mapping(p),
                                time_limit=budget.grant(STAGE1_SHARE * time_limit), **kw)
    details["stage1_s"], details["solver"] = raw1.wall_time_s, raw1.solver
    p_lo = max(p.lower_bound(), b1 or 0)
    l_lo = least_latency_bound(p, time_limit=budget.grant(min(LEAST_LATENCY_SHARE * time_limit, RELAXATION_MAX_S)),
                               **kw)
    details["least_latency_bound"] = l_lo
    check_deadline(p, lam, l_lo)
    starts = list(starts) + ([pack(p, mapping)] if mapping is not None else [])
    line, _, _, raw = solve_latency_model(p, "latency", hint=None, latency_cap=lam, wrap=False,
                                                 time_limit=budget.grant(START_SHARE * time_limit), **kw)
    details["line_s"] = raw.wall_time_s
    if line is not None:
        starts.append(line)
    p_relaxed, relaxed = relaxed_latency_bound(p, "period", latency_cap=lam,
                                               time_limit=budget.grant(min(BOUND_SHARE * time_limit,
                                                                           RELAXATION_MAX_S)), **kw)
    if p_relaxed is None and relaxed is None:  # HiGHS proved the relaxation infeasible
        check_deadline(p, lam, None, "the layer-span relaxation (min P s.t. L ≤ λ) is infeasible")
    p_lo = max(p_lo, p_relaxed or 0)
    mappings = list_mappings(p) + [m for m in (mapping, relaxed) if m is not None] \
        + [schedule_mapping(s.modes, s.firings) for s in starts]
    packed = packed_under_deadline(p, mappings, lam)
    t_ga = time.perf_counter()
    evolved = genetic(p, seed=seed, time_limit=budget.grant(GA_SHARE * time_limit), latency_cap=lam, seeds=mappings)
    details["ga_s"] = time.perf_counter() - t_ga
    mappings.append(schedule_mapping(evolved.modes, evolved.firings))
    start = best_meeting(p, [*starts, packed, evolved], lam)
    details["period_relaxation_bound"] = p_relaxed
    start = bisect_period(p, start, mappings, lam, p_lo, budget=budget, time_limit=BISECTION_SHARE * time_limit,
                          **kw)
    left = budget.left()
    stopped = False
    if start is None or evaluate_periodic(p, start).period > p_lo:
        sch, met, p_cp, raw = solve_latency_model(p, "period", hint=start, latency_cap=lam, period_min=p_lo,
                                                  time_limit=budget.grant(left * (1 - LATENCY_SHARE)), **kw)
        details["stage2_s"] = raw.wall_time_s
        stopped = not raw.proven_optimal
        if raw.proven_infeasible:
            check_deadline(p, lam, None, "CP-SAT proved the exact model (min P s.t. L ≤ λ) infeasible")
        p_lo = max(p_lo, p_cp or 0)
        start = best_meeting(p, [start, sch], lam)
    if start is None:
        return None, p_lo, stopped
    period = evaluate_periodic(p, start).period
    stage = latency_stage(p, start, period_max=period, period_min=period if period <= p_lo else None,
                          time_limit=budget.grant(budget.left()), cp_bound_counts=period <= p_lo, **kw)
    details["latency_stage_s"] = stage.cp_s + stage.search_s + stage.circle_s + stage.mapping_s + stage.line_s
    if stage.cp_bound is not None and period <= p_lo:
        details["latency_bound"] = stage.cp_bound
    return stage.schedule, p_lo, stopped


def bisect_period(problem: PeriodicProblem, start: PeriodicSchedule | None, mappings, latency_cap: int,
                  period_lo: int, *, budget: TimeBudget, time_limit: float, seed: int, threads: int):
    """Step 6 of the module docstring: bisection on the period between ``period_lo`` and the best schedule
    meeting the deadline (``start``; None: the serial latency), trying ``period_lo`` itself first (where a
    loose deadline is met, the period is then proven least). At a trial period ``ε`` the latency stage
    (:func:`~edgedse.solvers.periodic_latency.latency_stage`, ``time_limit / (BISECTION_STEPS + 1)`` seconds,
    twice that at ``period_lo``, where the period is fixed)
    starts from the lowest-latency schedule at ``ε`` among the packings of ``mappings`` (those whose least
    period fits) and the contiguous pipeline-stage mappings
    (:func:`~edgedse.solvers.periodic_heuristics.stage_pipeline_schedules`), unless that one already meets the
    deadline; a latency ``≤ latency_cap`` lowers the upper end to the schedule's period, otherwise the lower
    end rises to ``ε`` — a search, not a proof (a longer stage might have met the deadline there). Returns the best
    schedule meeting the deadline, or ``start``."""
    from edgedse.formulations.period_latency_cpsat import _serial_latency
    from edgedse.solvers.periodic_heuristics import pack, stage_pipeline_schedules
    from edgedse.solvers.periodic_latency import latency_stage

    p = problem
    hi = evaluate_periodic(p, start).period if start is not None else _serial_latency(p)
    lo = period_lo
    for step in range(BISECTION_STEPS):
        eps = lo if step == 0 else (lo + hi) // 2  # first the proven bound itself: a loose deadline is met there
        if eps >= hi or (step > 0 and eps <= lo):
            break
        chunk = time_limit / (BISECTION_STEPS + 1) * (2 if step == 0 else 1)  # the proven bound gets two shares
        trials = [pack(p, m, eps) for m in mappings if mapping_min_period(p, m) <= eps]
        stages_s = min(chunk, max(STAGES_MIN_S, STAGES_SHARE * chunk))
        trials += stage_pipeline_schedules(p, eps, time_limit=budget.grant(stages_s), seed=seed, threads=threads)
        if not trials:
            lo = eps
            continue
        trial, met = min(((s, evaluate_periodic(p, s)) for s in trials), key=lambda sm: sm[1].latency)
        if met.latency > latency_cap:
            stage = latency_stage(p, trial, period_max=eps, period_min=eps if step == 0 else None,
                                  time_limit=budget.grant(max(chunk - stages_s, 0.5)), seed=seed, threads=threads)
            trial, met = stage.schedule, stage.metrics
        if met.latency <= latency_cap:
            start, hi = trial, met.period
            mappings = [*mappings, schedule_mapping(trial.modes, trial.firings)]
        else:
            lo = eps
    return start


def best_meeting(problem: PeriodicProblem, schedules, latency_cap: int) -> PeriodicSchedule | None:
    """The schedule of least (period, latency) among those (None entries skipped) whose evaluated latency is at
    most ``latency_cap`` (ticks); None if none does."""
    best, key = None, None
    for sch in (s for s in schedules if s is not None):
        met = evaluate_periodic(problem, sch)
        if met.latency <= latency_cap and (key is None or (met.period, met.latency) < key):
            best, key = sch, (met.period, met.latency)
    return best


def packed_under_deadline(problem: PeriodicProblem, mappings, latency_cap: int) -> PeriodicSchedule | None:
    """Each mapping packed (:func:`~edgedse.solvers.periodic_heuristics.pack`) at ``GRID`` multiples of its least
    period, from the smallest, until a packing meets ``latency_cap`` (ticks): the one of least period among
    the mappings; None if none does. A packing costs about a millisecond."""
    from edgedse.solvers.periodic_heuristics import pack

    best, key = None, None
    for mapping in mappings:
        least = mapping_min_period(problem, mapping)
        for factor in GRID:
            sch = pack(problem, mapping, math.ceil(factor * least))
            met = evaluate_periodic(problem, sch)
            if met.latency <= latency_cap:
                if key is None or (met.period, met.latency) < key:
                    best, key = sch, (met.period, met.latency)
                break
    return best


def list_mappings(problem: PeriodicProblem) -> list[Mapping]:
    """The heuristic mappings every method tries under a deadline (:mod:`edgedse.solvers.periodic_heuristics`):
    the greedy min-max-load one (short period), the earliest-finish one (short latency), the fastest one (least
    work) and the instance's baseline."""
    from edgedse.solvers.periodic_heuristics import earliest_finish_mapping, fastest_mapping, greedy_mapping

    return [greedy_mapping(problem), earliest_finish_mapping(problem), fastest_mapping(problem)] \
        + [problem.baseline] * bool(problem.baseline)


def solve_under_deadline(problem: PeriodicProblem, method: str, latency_cap: int, *, time_limit: float,
                         seed: int, threads: int, details: dict, starts=()):
    """``(schedule or None, period bound in ticks, termination)`` of ``method`` under ``L ≤ latency_cap``
    (ticks); see the module docstring. ``starts``: schedules to start from — every method returns one of them
    when it finds nothing better that meets the deadline. ``details`` gains ``latency_cap`` and the steps'
    figures."""
    from edgedse.models.solutions import Termination
    from edgedse.solvers.periodic_heuristics import genetic

    t0 = time.perf_counter()
    details["latency_cap"] = latency_cap
    bound = problem.lower_bound()
    if method == "list":
        packed = packed_under_deadline(problem, list_mappings(problem), latency_cap)
        sch, termination = best_meeting(problem, [packed, *starts], latency_cap), Termination.HEURISTIC
    elif method == "ga":
        seeds = list_mappings(problem) + [schedule_mapping(s.modes, s.firings) for s in starts]
        sch = best_meeting(problem, [genetic(problem, seed=seed, time_limit=time_limit, latency_cap=latency_cap,
                                             seeds=seeds), *starts], latency_cap)
        termination = Termination.HEURISTIC
    else:
        sch, bound, stopped = exact_under_deadline(problem, method, latency_cap, time_limit=time_limit, seed=seed,
                                                   threads=threads, details=details, starts=starts)
        termination = Termination.TIME_LIMIT if stopped else Termination.OPTIMAL
    details["deadline_s"] = time.perf_counter() - t0
    return sch, bound, termination
