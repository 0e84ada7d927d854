"""``solve_precision(problem, method=…)``: per-layer bit-widths by MILP, CP-SAT, the thesis' greedy
(Algorithm 4) or NSGA-II* — every answer checked by :func:`evaluate_precision`.

Budgets are ``{"loss" | "energy" | "latency" | "memory": cap}`` (nats, J, s, bytes). With a ``measure``
callable (choice → ``{"kl", "accuracy"}``) and a loss budget, the exact methods close the loop on the
surrogate: the additive proxy may accept a configuration whose *measured* KL breaks the budget; it is then
excluded by a no-good cut and the model solved again (``details["rounds"]``). The greedy baseline checks the
loss budget on the measured KL alone when it has a measurement (thesis Algorithm 4).
"""
from __future__ import annotations

import time
from typing import Callable

from edgedse.errors import InfeasibleError, InputError
from edgedse.models.precision import METRICS, PrecisionProblem
from edgedse.models.solutions import SolveResult, Status, Termination

PRECISION_METHODS = ("milp", "cpsat", "greedy", "nsga2")


class InvalidPrecision(Exception):
    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(f"invalid precision assignment [{kind}]: {message}")


def evaluate_precision(p: PrecisionProblem, choice, budgets: dict[str, float] | None = None) -> dict[str, float]:
    """The independent check: one option per layer, ties equal, budgets met (1e-9 relative); returns the
    metrics recomputed from the choice alone."""
    if len(choice) != p.n:
        raise InvalidPrecision("shape", f"{len(choice)} bit-widths for {p.n} layers")
    for i, c in enumerate(choice):
        if not 0 <= int(c) < len(p.bits):
            raise InvalidPrecision("option", f"{p.layers[i].module}: option {c} of {len(p.bits)}")
    for g in p.ties:
        if len({choice[i] for i in g}) > 1:
            raise InvalidPrecision("ties", f"{', '.join(p.layers[i].module for i in g)} must share a bit-width")
    met = p.metrics(choice)
    for metric, cap in (budgets or {}).items():
        if met[metric] > cap * (1 + 1e-9) + 1e-12:
            raise InvalidPrecision(f"{metric}_budget", f"{metric} {met[metric]:.6g} exceeds {cap:.6g}")
    return met


def _check_args(method: str, minimize: str, budgets: dict) -> None:
    if method not in PRECISION_METHODS:
        raise InputError("--method", method, "is not a precision method", f"use one of {', '.join(PRECISION_METHODS)}")
    for key in [minimize, *budgets]:
        if key not in METRICS:
            raise InputError("--minimize" if key == minimize else "budget", key, "is not a metric",
                             f"use one of {', '.join(METRICS)}")


def _solve_exact(p, method, minimize, budgets, excluded, *, hint, time_limit, threads, seed, max_repairs: int = 20):
    """(choice or None, proven optimal, proven infeasible, bound in metric units, raw). A choice that breaks
    an exact budget (scaling tolerance) is cut off and the model solved again."""
    excluded = list(excluded)
    for _ in range(max_repairs):
        out = _solve_once(p, method, minimize, budgets, excluded, hint=hint, time_limit=time_limit,
                          threads=threads, seed=seed)
        choice = out[0]
        if choice is None or _meets(p, choice, budgets):
            return out
        excluded.append(choice)
    return None, False, False, out[3], out[4]


def _solve_once(p, method, minimize, budgets, excluded, *, hint, time_limit, threads, seed):
    if method == "milp":
        from edgedse.formulations import precision_milp as f
        from edgedse.solvers.backends import run_highs_lp

        built = f.build(p, minimize, budgets, excluded)
        ws = f.warm_start(built, p, hint) if hint is not None else None
        raw = run_highs_lp(built.model.to_highs(), time_limit=time_limit, threads=threads, seed=seed, warm_start=ws)
        choice = f.decode(built, raw.values) if raw.found else None
        bound = None if raw.bound is None else raw.bound / built.scale[minimize]
        if bound is not None and minimize == "memory":
            bound += p.fixed_memory  # a constant the MILP objective leaves out
    else:
        from edgedse.formulations import precision_cpsat as f
        from edgedse.formulations.precision_milp import metric_scale
        from edgedse.solvers.backends import run_cpsat

        built = f.build(p, minimize, budgets, excluded, hint=hint)
        raw = run_cpsat(built.model, time_limit=time_limit, threads=threads, seed=seed)
        choice = f.decode(built, raw.values) if raw.found else None
        sc = metric_scale(p, minimize) * 10
        bound = None if raw.bound is None else max(0.0, (raw.bound - 0.5 * (p.n + 3)) / sc)
    return choice, raw.proven_optimal, raw.proven_infeasible, bound, raw


def best_achievable(p: PrecisionProblem, metric: str, threads: int = 2) -> float:
    """The least value of ``metric`` over every tie-respecting choice (no budgets). ``threads`` should match
    the caller's: HiGHS restarts its scheduler whenever the thread count changes."""
    choice, *_ = _solve_exact(p, "milp", metric, {}, (), hint=None, time_limit=30, threads=threads, seed=0)
    return p.metrics(choice)[metric]


def explain_infeasible(p: PrecisionProblem, budgets: dict[str, float], threads: int = 2) -> InfeasibleError:
    """Which budget no configuration meets, with the best achievable value of each."""
    for metric, cap in budgets.items():
        best = best_achievable(p, metric, threads)
        if best > cap * (1 + 1e-9):
            return InfeasibleError(f"{metric}_budget", f"no bit-width configuration meets {metric} ≤ {cap:.6g}: "
                                   f"the best achievable {metric} is {best:.6g}")
    return InfeasibleError("budgets", "the budgets " + ", ".join(f"{k} ≤ {v:.6g}" for k, v in budgets.items())
                           + " are each achievable alone but not together")


def solve_precision(p: PrecisionProblem, method: str = "milp", minimize: str = "energy",
                    budgets: dict[str, float] | None = None, *, measure: Callable | None = None,
                    time_limit: float = 30.0, threads: int = 2, seed: int = 0, max_rounds: int = 50,
                    excluded=()) -> SolveResult:
    """Minimize one metric under budgets on the others; see the module docstring."""
    budgets = {k: float(v) for k, v in (budgets or {}).items() if v is not None}
    _check_args(method, minimize, budgets)
    t0 = time.perf_counter()
    details: dict = {"minimize": minimize, "budgets": budgets, "rounds": 0, "seed": seed}
    excluded = list(excluded)
    bound = None
    termination = Termination.HEURISTIC
    proven = False
    if method in ("milp", "cpsat"):
        hint = None
        while True:
            details["rounds"] += 1
            choice, proven, infeasible, bound, raw = _solve_exact(
                p, method, minimize, budgets, excluded, hint=hint, time_limit=time_limit, threads=threads, seed=seed)
            details["solver"] = raw.solver
            if choice is None:
                if infeasible and details["rounds"] == 1:
                    raise explain_infeasible(p, budgets, threads)
                status = Status.INFEASIBLE if infeasible else Status.UNKNOWN
                return SolveResult(status, Termination.INFEASIBLE if infeasible else Termination.TIME_LIMIT, method,
                                   None, bound, time.perf_counter() - t0, None, None, details)
            termination = Termination.OPTIMAL if proven else Termination.TIME_LIMIT
            if measure is None or "loss" not in budgets:
                break
            measured = measure(choice)
            if measured["kl"] <= budgets["loss"] or details["rounds"] >= max_rounds:
                break
            excluded.append(choice)  # the proxy accepted what the measurement rejects: cut it off
    elif method == "greedy":
        from edgedse.solvers.precision_heuristics import greedy

        choice = greedy(p, minimize, budgets, measure=measure)
    else:
        from edgedse.solvers.precision_heuristics import nsga2_star

        front = nsga2_star(p, minimize, budgets, seed=seed, time_limit=time_limit, measure=None)
        feasible = [c for c in front if _meets(p, c, budgets)]
        if not feasible:
            raise explain_infeasible(p, budgets, threads)
        choice = min(feasible, key=lambda c: (p.metrics(c)[minimize], p.metrics(c)["loss"]))
    # greedy with a measurement checks the loss budget on the measured KL (as the thesis' Algorithm 4 checks
    # calibration accuracy), not on the additive proxy; the exact methods meet both
    checked = budgets if method != "greedy" or measure is None else {k: v for k, v in budgets.items() if k != "loss"}
    met = evaluate_precision(p, choice, checked)
    obj = met[minimize]
    if bound is not None:
        bound = min(bound, obj)
    if proven:
        bound = obj
    status = Status.OPTIMAL if proven and termination == Termination.OPTIMAL else Status.FEASIBLE
    if measure is not None:
        details["measured"] = measure(choice)
    details["metrics"] = met
    return SolveResult(status, termination, method, obj, bound, time.perf_counter() - t0, tuple(choice), met, details)


def _meets(p: PrecisionProblem, choice, budgets) -> bool:
    try:
        evaluate_precision(p, choice, budgets)
        return True
    except InvalidPrecision:
        return False


def precision_front(p: PrecisionProblem, method: str = "milp", x: str = "memory", y: str = "loss",
                    budgets: dict[str, float] | None = None, *, time_limit: float = 30.0, threads: int = 2,
                    seed: int = 0, max_points: int | None = None) -> list[SolveResult]:
    """The exact ``x`` × ``y`` front by ε-constraint: (1) min y s.t. x ≤ ε, (2) min x s.t. y ≤ y* (clean-up),
    then ε just below the point's x, until infeasible. Each point is non-dominated and ``certified`` when
    both solves are proven. ``max_points=None`` walks the whole front; with ``max_points`` the front is
    sampled: ε steps by ``(x_max − x_min) / (max_points − 1)`` (both ends always included), so points between
    returned ones may exist."""
    budgets = dict(budgets or {})
    kw = dict(time_limit=time_limit, threads=threads, seed=seed)
    points: list[SolveResult] = []
    x_min = best_achievable(p, x, threads)
    eps, step = None, 0.0
    while max_points is None or len(points) < max_points:
        caps = dict(budgets, **({x: eps} if eps is not None else {}))
        try:
            r1 = solve_precision(p, method, y, caps, **kw)
        except InfeasibleError:
            break
        if r1.solution is None:
            break
        r2 = solve_precision(p, method, x, dict(budgets, **{y: r1.objective}), **kw)
        best = r2 if r2.solution is not None and r2.metrics[y] <= r1.objective * (1 + 1e-9) + 1e-15 else r1
        best.details["certified"] = r1.status == Status.OPTIMAL and r2.status == Status.OPTIMAL
        points.append(best)
        here = best.metrics[x]
        if eps is None and max_points is not None:
            step = (here - x_min) / max(max_points - 1, 1)
        tiny = 1.0 if x == "memory" else abs(here) * 1e-9 + 1e-15  # memory is integral bytes
        nxt = here - max(step, tiny)
        if here <= x_min + 1e-12:
            break
        eps = max(nxt, x_min)  # the last step lands exactly on the x-minimal end
    return sorted(points, key=lambda r: r.metrics[x])


def hypervolume(points: list[tuple[float, float]], ref: tuple[float, float]) -> float:
    """2-D hypervolume (both minimized) dominated by ``points`` and bounded by ``ref``."""
    pts = sorted((a, b) for a, b in points if a <= ref[0] and b <= ref[1])
    hv, best_y = 0.0, ref[1]
    for i, (a, b) in enumerate(pts):
        if b < best_y:
            nxt = ref[0]
            hv += (nxt - a) * (best_y - b)
            best_y = b
    return hv


__all__ = ["solve_precision", "evaluate_precision", "precision_front", "hypervolume", "best_achievable",
           "PRECISION_METHODS", "InvalidPrecision"]
