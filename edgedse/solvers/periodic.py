"""``solve_periodic(problem, method=…)`` — pipelined mapping behind one call, every answer evaluated.

Methods: ``cpsat`` / ``milp`` solve stage 1 (minimum period, or minimum energy under a period cap) to
proven optimality, then stage 2 (minimum latency at that period: by default
:func:`~edgedse.solvers.periodic_latency.latency_stage` — the circle-order search of
:mod:`edgedse.solvers.periodic_circle` while the iteration wraps, then CP-SAT with modes, mapping and
wrap-around free, with P fixed at the period found for the period objective, P ≤ the period found under the
energy cap for the energy objective, then the head and tail neighbourhoods of
:mod:`edgedse.solvers.periodic_lns`; or the MILP at fixed modes); both start from the greedy mapping.
``list`` is the greedy min-max-load mapping packed by :func:`pack`; ``ga`` the GA.
The result's ``objective`` is the evaluated period (ticks) or energy (J); ``details`` carry the latency,
the baseline period and the resource and cycle bounds, and ``latency_bound`` (ticks): a proven lower bound
on the latency of *every* schedule whose period (and, for the energy objective, energy) is at most the
one found — the larger of the layer-span relaxation's bound (:func:`relaxed_latency_bound`, run first
with a quarter of the stage's time, at most 30 s) and CP-SAT's; ``latency_proven`` when the latency meets it.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.errors import InputError
from edgedse.models.periodic import Mapping, PeriodicProblem, PeriodicSchedule
from edgedse.models.solutions import SolveResult, Status, Termination
from edgedse.solvers.backends import TimeBudget
from edgedse.solvers.periodic_heuristics import genetic, greedy_mapping, mapping_min_period, pack
from edgedse.solvers.periodic_latency import latency_stage, no_worse

PERIOD_METHODS = ("cpsat", "milp", "list", "ga")
PERIOD_OBJECTIVES = ("period", "energy")
RELAXATION_SHARE = 0.25   # of the latency stage's time, given to the layer-span relaxation (the latency bound)
RELAXATION_MAX_S = 30.0   # seconds, at most


def counts_to_mapping(modes, counts) -> Mapping:
    return Mapping(tuple(modes), tuple(tuple(k for k, c in sorted(cnt.items()) for _ in range(c)) for cnt in counts))


def _stage1(problem, method, objective, *, period_cap, energy_cap, hint: Mapping, time_limit, threads, seed):
    """(mapping or None, bound, proven, solver) of the period/energy stage."""
    if method == "cpsat":
        from edgedse.formulations import period_cpsat as f
        from edgedse.solvers.backends import run_cpsat_shaving

        built = f.build_stage1(problem, objective, period_cap=period_cap, energy_cap=energy_cap, hint=hint)
        raw = run_cpsat_shaving(built.model, built.objective, time_limit=time_limit, threads=threads, seed=seed)
        mapping = counts_to_mapping(*f.read_stage1(problem, built, raw.values)) if raw.found else None
        bound = raw.bound
        if objective == "energy" and bound is not None:
            bound = (bound - 0.5 * f._max_firings(problem)) / f._energy_scale(problem)
    else:
        from edgedse.formulations import period_milp as f
        from edgedse.solvers.backends import run_highs

        model = f.build_stage1(problem, objective, period_cap=period_cap, energy_cap=energy_cap)
        warm = f.stage1_warm_start(model, problem, hint) if hint is not None else None
        raw = run_highs(model, time_limit=time_limit, threads=threads, seed=seed, warm_start=warm)
        mapping = counts_to_mapping(*f.read_stage1(problem, model, raw.values)) if raw.found else None
        bound = raw.bound
        if objective == "energy" and bound is not None:
            bound /= f.ENERGY_OBJECTIVE_SCALE
    if objective == "period" and bound is not None:
        bound = math.ceil(bound - 1e-6)
    return mapping, bound, raw


def _stage2_milp(problem, modes, period, *, hint: PeriodicSchedule, time_limit, threads, seed):
    """(schedule or None, raw) of the MILP latency stage: big-M model at the fixed period and ``modes``. It
    reports no latency bound (HiGHS's holds for those modes only, not for the problem)."""
    from edgedse.formulations import period_milp as f
    from edgedse.solvers.backends import run_highs

    model = f.build_stage2(problem, modes, period)
    raw = run_highs(model, time_limit=time_limit, threads=threads, seed=seed,
                    warm_start=f.stage2_warm_start(model, problem, hint))
    return (f.read_stage2(problem, model, modes, period, raw.values) if raw.found else None), raw


def solve_periodic(problem: PeriodicProblem, method: str = "cpsat", objective: str = "period", *,
                   time_limit: float = 60.0, seed: int = 0, threads: int = 2, period_cap: int | None = None,
                   energy_cap: float | None = None, latency: bool = True,
                   latency_method: str = "cpsat", latency_cap: int | None = None,
                   starts: Sequence[PeriodicSchedule] = ()) -> SolveResult:
    """Solve the pipelined mapping problem. ``period_cap`` (ticks) and ``energy_cap`` (J) are the
    ε-constraints of Pareto fronts (exact methods);
    ``latency=False`` skips stage 2 (the period/energy stage alone, e.g. inside a front).
    ``latency_method``: ``cpsat`` (default: modes, mapping and wrap-around free at the period found) or
    ``milp`` (big-M model at the fixed modes); ``same`` uses ``method``.
    ``latency_cap`` (ticks, period objective only): a deadline on the latency — the least period of a schedule
    meeting it, then its least latency (:mod:`edgedse.solvers.periodic_deadline`, every method); a deadline
    below the proven least latency raises :class:`~edgedse.errors.InfeasibleError`. ``starts``: schedules the
    deadline search starts from (those meeting ``latency_cap``; e.g. the answer at a tighter deadline, so that
    a sweep from tight to loose deadlines never returns a longer period for a looser one)."""
    if method not in PERIOD_METHODS:
        raise InputError("--method", method, "is not a period method", f"use one of {', '.join(PERIOD_METHODS)}")
    if objective not in PERIOD_OBJECTIVES:
        raise InputError("--objective", objective, "is not a periodic objective", "use period or energy")
    if latency_cap is not None and (objective != "period" or period_cap is not None or energy_cap is not None):
        raise InputError("--latency-cap", f"{latency_cap} ticks", "goes with the period objective alone",
                         "drop --period-energy / --period-cap, or use `edgedse pareto --axes period-latency`")
    if starts and latency_cap is None:
        raise InputError("starts", f"{len(starts)} schedules", "are starts of the deadline search",
                         "give latency_cap too, or drop starts")
    if latency_cap is not None and latency_cap < 1:
        raise InputError("--latency-cap", f"{latency_cap} ticks", "must be at least one tick",
                         f"give a positive deadline (one tick is {problem.tick_s:g} s)")
    problem.validate()
    t0 = time.perf_counter()
    p = problem
    details: dict = {"objective": objective, "seed": seed, "threads": threads, "time_limit_s": time_limit,
                     "resource_bound": p.resource_bound(), "cycle_bound": p.cycle_bound()}
    if p.baseline is not None:
        base = evaluate_periodic(p, pack(p, p.baseline))
        details["baseline_period"] = base.period
        details["baseline_latency"] = base.latency
        details["baseline_energy_j"] = base.energy_j
    greedy = greedy_mapping(p, energy_weight=1.0 if objective == "energy" else 0.0)
    bound = float(p.lower_bound()) if objective == "period" else None
    termination = Termination.HEURISTIC
    if latency_cap is not None:
        from edgedse.solvers.periodic_deadline import solve_under_deadline

        sch, b, termination = solve_under_deadline(p, method, latency_cap, time_limit=time_limit, seed=seed,
                                                   threads=threads, details=details, starts=starts)
        bound = float(b)
        if sch is None:  # termination: time limit (exact methods) or heuristic
            return SolveResult(Status.UNKNOWN, termination, method, None, bound, time.perf_counter() - t0, None,
                               None, details)
    elif method == "list":
        sch = pack(p, greedy)
    elif method == "ga":
        sch = genetic(p, seed=seed, time_limit=time_limit, objective=objective)
    else:
        hint = greedy if (period_cap is None or mapping_min_period(p, greedy) <= period_cap) and energy_cap is None \
            else None
        budget = TimeBudget(time_limit)
        mapping, b1, raw1 = _stage1(p, method, objective, period_cap=period_cap, energy_cap=energy_cap, hint=hint,
                                    time_limit=budget.grant(time_limit * (0.5 if latency else 1.0)), threads=threads,
                                    seed=seed)
        details["stage1_s"] = raw1.wall_time_s
        details["solver"] = raw1.solver
        if b1 is not None:
            bound = max(bound or float("-inf"), b1)
        if mapping is None:
            if raw1.proven_infeasible:
                return SolveResult(Status.INFEASIBLE, Termination.INFEASIBLE, method, None, None,
                                   time.perf_counter() - t0, None, None, details)
            mapping, termination = hint, Termination.FALLBACK
            if mapping is None:
                return SolveResult(Status.UNKNOWN, Termination.TIME_LIMIT, method, None, bound,
                                   time.perf_counter() - t0, None, None, details)
        else:
            termination = Termination.OPTIMAL if raw1.proven_optimal else Termination.TIME_LIMIT
        sch = pack(p, mapping)
        if latency:
            start_met = evaluate_periodic(p, sch)  # stage 1's mapping, packed: what the latency stage starts from
            e_cap = start_met.energy_j if objective == "energy" else None
            relaxed, _ = relaxed_latency_bound(
                p, "latency", period_max=sch.period, energy_cap=e_cap,
                time_limit=budget.grant(min(RELAXATION_SHARE * budget.left(), RELAXATION_MAX_S)), threads=threads,
                seed=seed)
            left = budget.left()
            how = method if latency_method == "same" else latency_method
            # the period objective keeps the period found: fixing P there makes the latency model far stronger;
            # CP-SAT's bound then holds for P ≤ the period found only if that period is proven minimal
            floor = sch.period if objective == "period" else None
            period_proven = objective == "period" and bound is not None and bound >= sch.period
            cp_bound, cp_bound_counts = None, floor is None or period_proven
            if how == "cpsat":  # CP-SAT on the whole model, then the neighbourhoods of periodic_lns
                stage = latency_stage(p, sch, period_max=sch.period, period_min=floor, latency_min=relaxed or 0,
                                      energy_cap=e_cap, time_limit=budget.grant(left), seed=seed, threads=threads,
                                      cp_bound_counts=cp_bound_counts)
                details["stage2_s"], details["lns_s"] = stage.cp_s, stage.search_s
                details["circle_s"] = stage.circle_s
                details["mapping_s"], details["mapping_latency_proven"] = stage.mapping_s, stage.mapping_proven
                sch, cp_bound = stage.schedule, stage.cp_bound
            else:
                s2, raw2 = _stage2_milp(p, mapping.modes, sch.period, hint=sch, time_limit=budget.grant(left),
                                        threads=threads, seed=seed)
                details["stage2_s"] = raw2.wall_time_s
                if s2 is not None and no_worse(evaluate_periodic(p, s2), start_met, start_met, e_cap):
                    sch = s2
            proven_bounds = [b for b in (relaxed, cp_bound if cp_bound_counts else None) if b is not None]
            details["latency_bound"] = max(proven_bounds) if proven_bounds else None
    met = evaluate_periodic(p, sch)
    if latency_cap is not None and met.latency > latency_cap:
        raise RuntimeError(f"{method}: a schedule over the latency cap was returned: a modelling error")
    if details.get("latency_bound") is not None:
        if details["latency_bound"] > met.latency:
            raise RuntimeError(f"{method}: latency bound {details['latency_bound']} exceeds the evaluated latency "
                               f"{met.latency}: a modelling error")
        details["latency_proven"] = met.latency <= details["latency_bound"]
    obj = float(met.period) if objective == "period" else met.energy_j
    if objective == "period" and bound is not None and bound > obj + 1e-6:
        raise RuntimeError(f"{method}: period bound {bound} exceeds the evaluated period {obj}: a modelling error")
    tol = 1e-6 if objective == "period" else 1e-6 * abs(obj)
    proven = bound is not None and obj - bound <= tol and termination != Termination.HEURISTIC
    if objective == "period" and bound is not None and obj - bound <= tol:
        proven = True  # a heuristic that meets the lower bound is optimal too
    details["latency"] = met.latency
    details["energy_j"] = met.energy_j
    details["period"] = met.period
    return SolveResult(Status.OPTIMAL if proven else Status.FEASIBLE, termination, method, obj, bound,
                       time.perf_counter() - t0, sch, met, details)


def relaxed_latency_bound(problem: PeriodicProblem, objective: str = "latency", *, period_max: int | None = None,
                          latency_cap: int | None = None, energy_cap: float | None = None, time_limit: float = 30.0,
                          threads: int = 2, seed: int = 0) -> tuple[int | None, Mapping | None]:
    """Solve the layer-span relaxation (:mod:`edgedse.formulations.latency_bound_milp`) with HiGHS.

    Returns ``(bound, mapping)``: ``bound`` (ticks) is a proven lower bound on the latency of every
    schedule with ``P ≤ period_max`` (``objective="latency"``), or on the period of every schedule with
    ``L ≤ latency_cap`` (``objective="period"``), and energy ≤ ``energy_cap`` (J) if given — the
    relaxation's dual bound, so valid even when the time limit stops HiGHS; ``mapping`` is the
    relaxation's best modes and counts (a starting point), or None.
    A proven-infeasible relaxation returns ``(None, None)``: no schedule meets the caps."""
    from edgedse.formulations.latency_bound_milp import build_latency_bound
    from edgedse.formulations.period_milp import read_stage1
    from edgedse.solvers.backends import run_highs

    model = build_latency_bound(problem, objective, period_max=period_max, latency_cap=latency_cap,
                                energy_cap=energy_cap)
    raw = run_highs(model, time_limit=time_limit, threads=threads, seed=seed)
    if raw.proven_infeasible:
        return None, None
    bound = None if raw.bound is None else math.ceil(raw.bound - 1e-6)
    mapping = counts_to_mapping(*read_stage1(problem, model, raw.values)) if raw.found else None
    return bound, mapping
