"""``solve(problem, method=…)`` — every method behind one call, every answer through the evaluator.

Methods: ``cpsat`` and ``milp`` (exact, started from the best heuristic schedule, falling back to it if
they end without a solution), ``heft``, ``list`` (CP/MISF) and ``ga`` (NSGA-II). A method is also
available as a callable ``Problem -> SolveResult`` via :func:`method`.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

from edgedse.analysis.evaluator import InvalidSolution, evaluate_schedule
from edgedse.errors import InfeasibleError, InputError
from edgedse.models.problems import ScheduleProblem
from edgedse.models.solutions import Schedule, SolveResult, Status, Termination
from edgedse.solvers.heuristics import cp_misf, heft, min_energy_mapping

METHODS = ("cpsat", "milp", "heft", "list", "ga")
OBJECTIVES = ("makespan", "energy")


def objective_of(metrics, objective: str) -> float:
    return float(metrics.makespan) if objective == "makespan" else float(metrics.energy_j)


def analytic_bound(problem: ScheduleProblem, objective: str) -> float:
    """Makespan: critical path / load bound. Energy: each task at its cheapest PE, transfers free."""
    if objective == "makespan":
        return float(problem.makespan_lower_bound())
    return float(sum(min(problem.energy[i, k] for k in problem.allowed(i)) for i in range(problem.n)))


HEURISTICS = {"heft": heft, "list": cp_misf, "min-energy": min_energy_mapping}


def _within_caps(makespan: float, energy_j: float, makespan_cap, energy_cap) -> bool:
    """The ε-constraints; energy caps hold to 1e-6 relative (energies are scaled to integers)."""
    return (makespan_cap is None or makespan <= makespan_cap) and \
        (energy_cap is None or energy_j <= energy_cap * (1 + 1e-6))


def _run_heuristic(problem: ScheduleProblem, name: str, makespan_cap=None, energy_cap=None):
    """(schedule, metrics, None) if heuristic ``name`` gives a valid schedule within the caps, else
    (None, None, reason)."""
    schedule = HEURISTICS[name](problem)
    try:
        met = evaluate_schedule(problem, schedule)
    except InvalidSolution as exc:  # e.g. violates a memory capacity or the energy budget
        return None, None, str(exc)
    if not _within_caps(met.makespan, met.energy_j, makespan_cap, energy_cap):
        return None, None, "outside the ε-constraint caps"
    return schedule, met, None


def heuristic_incumbents(problem: ScheduleProblem, objective: str, makespan_cap=None, energy_cap=None):
    """Valid heuristic schedules (HEFT, CP/MISF, min-energy mapping), best first: [(name, schedule, metrics)]."""
    out = []
    for name in HEURISTICS:
        s, met, _ = _run_heuristic(problem, name, makespan_cap, energy_cap)
        if s is not None:
            out.append((name, s, met))
    out.sort(key=lambda t: (objective_of(t[2], objective), objective_of(t[2], "energy" if objective == "makespan"
                                                                                  else "makespan")))
    return out


def _result(problem, schedule: Schedule | None, *, method: str, objective: str, bound: float | None,
            t0: float, termination: Termination, details: dict) -> SolveResult:
    """Evaluate ``schedule`` (raises InvalidSolution if broken) and package the result."""
    wall = time.perf_counter() - t0
    if schedule is None:
        status = Status.INFEASIBLE if termination == Termination.INFEASIBLE else Status.UNKNOWN
        return SolveResult(status, termination, method, None, bound, wall, None, None, details)
    metrics = evaluate_schedule(problem, schedule)
    obj = objective_of(metrics, objective)
    # makespans are integers (exact); energies were scaled to integers, so equality is to 1e-6 relative
    tol = 1e-6 * abs(obj) if objective == "energy" else 1e-6
    if bound is not None and bound > obj + tol:
        raise RuntimeError(f"{method}: bound {bound} exceeds the evaluated objective {obj}: a modelling error")
    status = Status.OPTIMAL if bound is not None and obj - bound <= tol else Status.FEASIBLE
    if bound is not None and status == Status.OPTIMAL:
        bound = obj if objective == "makespan" else bound
    return SolveResult(status, termination, method, obj, bound, wall, schedule, metrics, details)


def solve(problem: ScheduleProblem, method: str = "cpsat", objective: str = "makespan", *,
          time_limit: float = 10.0, seed: int = 0, threads: int = 2, makespan_cap: int | None = None,
          energy_cap: float | None = None, hint: Schedule | None = None, level: str | None = None,
          builder: str = "highspy") -> SolveResult:
    """Solve ``problem`` with ``method`` for ``objective``; the result's objective comes from the evaluator.

    ``makespan_cap`` / ``energy_cap`` add ε-constraints (used by Pareto fronts); the problem's
    ``latency_budget`` (ticks) caps the makespan of every method too. ``level`` forces the
    CP-SAT resource level (``pe``/``type``); ``builder`` the MILP builder (``highspy`` or
    ``pyomo``, see :func:`milp_builder`). Raises
    :class:`InputError` / :class:`InfeasibleError` for bad or obviously infeasible input.
    """
    if method not in METHODS:
        raise InputError("--method", method, "is not a method", f"use one of {', '.join(METHODS)}")
    if objective not in OBJECTIVES:
        raise InputError("--objective", objective, "is not a schedule objective", f"use one of {', '.join(OBJECTIVES)}")
    if method == "milp":
        milp_builder(problem, builder)
    problem.validate()
    t0 = time.perf_counter()
    base_bound = analytic_bound(problem, objective)
    details = {"objective": objective, "seed": seed, "threads": threads, "time_limit_s": time_limit}
    epsilon = makespan_cap is not None or energy_cap is not None  # a front's ε-constraints (not the budgets)
    if problem.latency_budget is not None:
        details["latency_budget"] = problem.latency_budget
        makespan_cap = problem.latency_budget if makespan_cap is None else min(makespan_cap, problem.latency_budget)
    if method in ("heft", "list"):
        schedule, _, reason = _run_heuristic(problem, method, makespan_cap, energy_cap)
        if reason is not None:
            details["error"] = reason
        return _result(problem, schedule, method=method, objective=objective, bound=base_bound, t0=t0,
                       termination=Termination.HEURISTIC, details=details)
    if method == "ga":
        from edgedse.solvers.ga import nsga2

        front = nsga2(problem, seed=seed, time_limit=time_limit)
        valid = [(s, ms, e) for s, ms, e in front if _within_caps(ms, e, makespan_cap, energy_cap)]
        best = min(valid, key=lambda t: (t[1], t[2]) if objective == "makespan" else (t[2], t[1]), default=None)
        details["front_size"] = len(front)
        return _result(problem, best[0] if best else None, method=method, objective=objective, bound=base_bound,
                       t0=t0, termination=Termination.HEURISTIC, details=details)
    incumbents = heuristic_incumbents(problem, objective, makespan_cap, energy_cap)
    if (objective == "makespan" and incumbents and not epsilon and incumbents[0][2].makespan <= base_bound):
        details["proof"] = f"{incumbents[0][0]} schedule meets the critical-path/load lower bound"
        return _result(problem, incumbents[0][1], method=method, objective=objective, bound=base_bound, t0=t0,
                       termination=Termination.OPTIMAL, details=details)
    start_from = hint or (incumbents[0][1] if incumbents else None)
    if start_from is not None:
        details["warm_start"] = incumbents[0][0] if hint is None else "given"
    return _exact(problem, method, objective, time_limit=time_limit, seed=seed, threads=threads,
                  makespan_cap=makespan_cap, energy_cap=energy_cap, start_from=start_from,
                  base_bound=None if epsilon else base_bound, t0=t0, details=details, level=level, builder=builder)


MILP_BUILDERS = ("highspy", "pyomo")


def milp_builder(problem: ScheduleProblem, builder: str = "highspy") -> str:
    """Which MILP builder to use: ``highspy`` builds the matrices directly with numpy (the default:
    50-100× faster to build at every size ``benchmarks/scaling.py`` measures); ``pyomo`` builds the same
    model in Pyomo — the readable reference, and the one to extend with your own constraints."""
    if builder not in MILP_BUILDERS:
        raise InputError("--builder", builder, "is not a MILP builder", f"use one of {', '.join(MILP_BUILDERS)}")
    return builder


def _exact(problem, method, objective, *, time_limit, seed, threads, makespan_cap, energy_cap, start_from,
           base_bound, t0, details, level, builder="highspy") -> SolveResult:
    horizon = None
    if objective == "makespan" and start_from is not None:
        horizon = evaluate_schedule(problem, start_from).makespan
    if method == "cpsat":
        from edgedse.formulations import schedule_cpsat as f
        from edgedse.solvers.backends import run_cpsat

        built = f.build(problem, objective, horizon=horizon, makespan_cap=makespan_cap, energy_cap=energy_cap,
                        hint=start_from, level=level)
        details["build_s"] = time.perf_counter() - t0
        details["level"] = built.level
        raw = run_cpsat(built.model, time_limit=time_limit, threads=threads, seed=seed)
        schedule = f.decode(problem, built, raw.values) if raw.found else None
        scale = built.energy_scale
    elif method == "milp" and milp_builder(problem, builder) == "highspy":
        from edgedse.formulations import schedule_milp_highs as f
        from edgedse.solvers.backends import run_highs_lp

        built = f.build(problem, objective, horizon=horizon, makespan_cap=makespan_cap, energy_cap=energy_cap)
        lp = built.model.to_highs()
        details["build_s"] = time.perf_counter() - t0
        details["builder"] = "highspy"
        warm = f.warm_start_values(built, problem, start_from) if start_from is not None else None
        raw = run_highs_lp(lp, time_limit=time_limit, threads=threads, seed=seed, warm_start=warm)
        schedule = f.decode(problem, built, raw.values) if raw.found else None
        scale = built.energy_scale
    else:
        from edgedse.formulations import schedule_milp as f
        from edgedse.solvers.backends import run_highs

        model, scale = f.build(problem, objective, horizon=horizon, makespan_cap=makespan_cap, energy_cap=energy_cap)
        details["build_s"] = time.perf_counter() - t0
        details["builder"] = "pyomo"
        warm = f.warm_start_values(model, problem, start_from) if start_from is not None else None
        raw = run_highs(model, time_limit=time_limit, threads=threads, seed=seed, warm_start=warm)
        schedule = f.decode(problem, model, raw.values) if raw.found else None
    details["solver"] = raw.solver
    details["build_s"] += raw.prepare_s
    details["solve_s"] = raw.wall_time_s
    bound = base_bound  # None under a front's ε-constraints
    if raw.bound is not None:
        solver_bound = raw.bound if objective == "makespan" else raw.bound / scale
        if objective == "energy" and scale != 1.0:
            # energies were rounded to integers of 1/scale J: allow that rounding in the bound
            from edgedse.formulations.common import energy_rounding_units
            solver_bound -= energy_rounding_units(problem) / scale
        if objective == "makespan":
            import math
            solver_bound = math.ceil(solver_bound - 1e-6)
        bound = max(bound or float("-inf"), solver_bound)
    if raw.proven_infeasible:
        if start_from is not None and horizon is None:
            raise RuntimeError("solver proved infeasible a problem with a valid heuristic schedule")
        return _result(problem, None, method=method, objective=objective, bound=None, t0=t0,
                       termination=Termination.INFEASIBLE, details=details)
    if schedule is None:
        if start_from is None:
            return _result(problem, None, method=method, objective=objective, bound=bound, t0=t0,
                           termination=Termination.TIME_LIMIT, details=details)
        details["fallback"] = details.get("warm_start", "heuristic")
        return _result(problem, start_from, method=method, objective=objective, bound=bound, t0=t0,
                       termination=Termination.FALLBACK, details=details)
    term = Termination.OPTIMAL if raw.proven_optimal else Termination.TIME_LIMIT
    return _result(problem, schedule, method=method, objective=objective, bound=bound, t0=t0,
                   termination=term, details=details)


def diagnose_infeasibility(problem: ScheduleProblem, *, time_limit: float = 10.0) -> str:
    """Name the constraint family whose removal makes ``problem`` feasible (memory, energy_budget or
    latency_budget)."""
    for family, present, relaxed in (
            ("memory", problem.capacity is not None, dataclasses.replace(problem, capacity=None)),
            ("energy_budget", problem.energy_budget is not None, dataclasses.replace(problem, energy_budget=None)),
            ("latency_budget", problem.latency_budget is not None,
             dataclasses.replace(problem, latency_budget=None))):
        if not present:
            continue
        res = solve(relaxed, "cpsat", "makespan", time_limit=time_limit)
        if res.status in (Status.OPTIMAL, Status.FEASIBLE):
            return family
    present = [name for name, value in (("memory", problem.capacity), ("energy_budget", problem.energy_budget),
                                        ("latency_budget", problem.latency_budget)) if value is not None]
    return "+".join(present) or "memory+energy_budget"


def solve_or_explain(problem: ScheduleProblem, **kwargs) -> SolveResult:
    """:func:`solve`, and if the answer is INFEASIBLE raise :class:`InfeasibleError` naming the family."""
    res = solve(problem, **kwargs)
    if res.status == Status.INFEASIBLE and kwargs.get("makespan_cap") is None and kwargs.get("energy_cap") is None:
        family = diagnose_infeasibility(problem)
        raise InfeasibleError(family, f"{problem.name}: no schedule satisfies the {family} constraints")
    return res


def method(name: str, **options) -> Callable[[ScheduleProblem], SolveResult]:
    """A solver as a callable ``Problem -> SolveResult`` (JobShopLib style)."""
    return lambda problem: solve(problem, name, **options)
