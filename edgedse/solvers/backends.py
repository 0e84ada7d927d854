"""Solver runners: CP-SAT and HiGHS with a time limit, threads, seed and a warm start.

They return a :class:`RawOutcome` in solver terms; the portfolio turns it into a SolveResult after
the evaluator has checked the solution. Solver libraries are imported here, lazily.

**Deterministic mode** (:func:`use_deterministic_solvers`, ``edgedse --deterministic``). A solve that
stops on a wall-clock limit depends on the machine's speed and load, and CP-SAT's parallel workers race,
so by default only solves that *finish* are reproducible. In deterministic mode every ``time_limit``
becomes a work limit, the same on every run: CP-SAT runs one worker with ``max_deterministic_time =
time_limit`` (CP-SAT's deterministic seconds); HiGHS runs one thread with a node limit of
``HIGHS_NODES_PER_SECOND · time_limit``; the genetic algorithms stop on their generation count only.
A wall-clock limit of ``WALL_SAFETY_FACTOR · time_limit`` still guards each solve; a solve it stops
reports ``reproducible=False``. Expect weaker answers for the same limit (one CP-SAT worker instead of
several) and a wall time that differs from the limit. The switch is stored in the environment
variable ``EDGEDSE_DETERMINISTIC`` so that worker processes inherit it.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace

DETERMINISTIC_ENV = "EDGEDSE_DETERMINISTIC"
HIGHS_NODES_PER_SECOND = 1000    # HiGHS nodes granted per second of time limit (measured: 30–2,000 nodes/s)
WALL_SAFETY_FACTOR = 5.0         # deterministic mode: wall-clock guard = factor · time limit + 10 s
SHAVE_SHARE = 0.5                # of run_cpsat_shaving's time, kept for the shaving questions


def use_deterministic_solvers(enabled: bool = True) -> None:
    """Switch deterministic mode on or off for this process and its children (module docstring)."""
    if enabled:
        os.environ[DETERMINISTIC_ENV] = "1"
    else:
        os.environ.pop(DETERMINISTIC_ENV, None)


def deterministic_solvers_enabled() -> bool:
    return os.environ.get(DETERMINISTIC_ENV, "") not in ("", "0")


@contextmanager
def deterministic_solvers(enabled: bool = True):
    """``with deterministic_solvers(): ...`` — deterministic mode inside the block only."""
    before = deterministic_solvers_enabled()
    use_deterministic_solvers(enabled)
    try:
        yield
    finally:
        use_deterministic_solvers(before)


def wall_guard(time_limit: float) -> float:
    """The wall-clock limit (seconds) of a solve given ``time_limit``: the limit itself, or in
    deterministic mode the safety guard (the work limit decides instead)."""
    if deterministic_solvers_enabled():
        return WALL_SAFETY_FACTOR * float(time_limit) + 10.0
    return float(time_limit)


class TimeBudget:
    """A time limit (seconds) shared by consecutive solves. :meth:`left` is what remains: by the wall
    clock, or in deterministic mode by the limits granted so far, so that the split is the same on every
    run."""

    def __init__(self, total: float):
        self.total, self.granted, self._t0 = float(total), 0.0, time.perf_counter()

    def grant(self, seconds: float) -> float:
        """Hand ``seconds`` of the budget to one solve; returns them."""
        self.granted += seconds
        return seconds

    def left(self, floor: float = 1.0) -> float:
        used = self.granted if deterministic_solvers_enabled() else time.perf_counter() - self._t0
        return max(self.total - used, floor)


_CLOCK_STOPS = [0]


def note_clock_stop() -> None:
    """Record that a wall-clock limit ended a solve or a search (its answer depends on timing)."""
    _CLOCK_STOPS[0] += 1


def clock_stops() -> int:
    """How many solves and searches of this process a wall-clock limit has ended so far; a result is
    reproducible given its seed when this count did not grow while it was computed."""
    return _CLOCK_STOPS[0]


@contextmanager
def reproducibility_record():
    """``with reproducibility_record() as rec: ...`` — on exit ``rec`` holds ``deterministic`` (the mode
    was on) and ``reproducible`` (no wall-clock limit ended a solve or search inside the block, so the
    same call with the same seed gives the same answer)."""
    rec: dict = {}
    before = clock_stops()
    try:
        yield rec
    finally:
        rec.update(deterministic=deterministic_solvers_enabled(), reproducible=clock_stops() == before)


def run_generations(algo, generations: int | None, time_limit: float) -> int:
    """Step an initialised pymoo ``algo`` until its termination, ``generations`` steps (None: no cap) or
    ``time_limit`` seconds of wall clock — the last not in deterministic mode, where the generation
    count alone stops it. Returns the number of generations run."""
    import numpy as np

    wall = float("inf") if deterministic_solvers_enabled() else float(time_limit)
    t0 = time.perf_counter()
    gen = 0
    with np.errstate(invalid="ignore"):  # SBX on genes at the bounds yields NaNs that pymoo repairs
        while algo.has_next() and (generations is None or gen < generations):
            if time.perf_counter() - t0 >= wall:
                note_clock_stop()
                break
            algo.next()
            gen += 1
    return gen


@dataclass
class RawOutcome:
    found: bool            # a solution is available
    proven_optimal: bool
    proven_infeasible: bool
    objective: float | None
    bound: float | None
    wall_time_s: float
    solver: str
    values: object = None  # solver-specific handle to read the solution
    prepare_s: float = 0.0  # time spent turning the model into solver input (e.g. Pyomo's compiler)
    reproducible: bool = True  # False: a wall-clock limit stopped the solve (its answer depends on timing)


def _set_cpsat_limits(prm, time_limit: float, threads: int) -> None:
    """Time limit and workers of CP-SAT parameters ``prm``: wall clock and ``threads`` workers, or in
    deterministic mode one worker with a deterministic-time limit under the wall-clock guard."""
    prm.max_time_in_seconds = wall_guard(time_limit)
    prm.num_workers = 1 if deterministic_solvers_enabled() else max(1, int(threads))
    if deterministic_solvers_enabled():
        prm.max_deterministic_time = float(time_limit)


def run_cpsat(model, *, time_limit: float, threads: int, seed: int, params: dict | None = None) -> RawOutcome:
    """``params`` sets further CP-SAT parameters by name (e.g. ``linearization_level``)."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    prm = solver.parameters
    for name, value in (params or {}).items():
        setattr(prm, name, value)
    deterministic = deterministic_solvers_enabled()
    _set_cpsat_limits(prm, time_limit, threads)
    prm.random_seed = int(seed)
    t0 = time.perf_counter()
    status = solver.Solve(model)
    dt = time.perf_counter() - t0
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    finished = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
    stopped_by_work = deterministic and solver.WallTime() < prm.max_time_in_seconds * 0.99
    if not (finished or stopped_by_work):
        note_clock_stop()
    return RawOutcome(found=found, proven_optimal=status == cp_model.OPTIMAL,
                      proven_infeasible=status == cp_model.INFEASIBLE,
                      objective=solver.ObjectiveValue() if found else None,
                      bound=solver.BestObjectiveBound() if status != cp_model.INFEASIBLE else None,
                      wall_time_s=dt, solver=f"cp-sat {_version('ortools')}", values=solver,
                      reproducible=finished or stopped_by_work)


def run_cpsat_shaving(model, objective, *, time_limit: float, threads: int, seed: int) -> RawOutcome:
    """Minimize the integer ``objective`` (the expression ``model`` minimizes), then shave: if the minimization
    stops with a gap after ``1 − SHAVE_SHARE`` of the time, ask with the rest whether any solution has
    ``objective ≤ incumbent − 1``. "No" (infeasible) proves the incumbent optimal; a solution becomes the
    incumbent and the question is asked again. CP-SAT often refutes such a question far sooner than it closes
    the gap by optimizing: VGG16's stage-1 period (NEURAghe) has no proof in 30 s of minimization, while
    ``P ≤ P_min − 1`` is refuted in 2.5–8.4 s asked on its own, about 1 s after 15 s of minimization (seeds
    0–2). ``model`` is modified (objective and hints cleared, the questions' constraints added). The
    outcome's ``values`` hold the incumbent; its bound is the incumbent when proven, else the minimization's
    bound."""
    budget = TimeBudget(time_limit)
    first = run_cpsat(model, time_limit=budget.grant(time_limit * (1 - SHAVE_SHARE)), threads=threads, seed=seed)
    if not first.found or first.proven_optimal:
        return first
    best, spent, reproducible = first, first.wall_time_s, first.reproducible
    model.ClearObjective()
    model.ClearHints()
    while budget.left(floor=0.0) >= 0.5:
        model.Add(objective <= round(best.objective) - 1)
        ask = run_cpsat(model, time_limit=budget.grant(budget.left(floor=0.0)), threads=threads, seed=seed)
        spent += ask.wall_time_s
        reproducible = reproducible and ask.reproducible
        if ask.proven_infeasible:
            return replace(best, proven_optimal=True, bound=best.objective, wall_time_s=spent,
                           reproducible=reproducible)
        if not ask.found:
            break
        best = replace(ask, objective=float(ask.values.Value(objective)), bound=first.bound)
    return replace(best, wall_time_s=spent, reproducible=reproducible)


def complete_cpsat_hint(model, *, time_limit: float = 10.0, threads: int = 1) -> bool:
    """Turn a partial solution hint into a complete one: solve a copy with the hinted variables fixed
    (propagation fills auxiliary variables: ends, maxima, interval copies) and hint every variable.
    CP-SAT often cannot repair a partial hint of a large model in time; a complete one it uses at once.
    Returns False (hint left unchanged) if the hinted values admit no completion."""
    from ortools.sat.python import cp_model

    hint = model.Proto().solution_hint
    if not len(hint.vars):
        return False
    probe = model.Clone()
    for v, val in zip(list(hint.vars), list(hint.values)):
        probe.Add(probe.GetIntVarFromProtoIndex(v) == val)
    solver = cp_model.CpSolver()
    _set_cpsat_limits(solver.parameters, time_limit, threads)
    solver.parameters.stop_after_first_solution = True
    status = solver.Solve(probe)
    if status == cp_model.UNKNOWN and solver.WallTime() >= solver.parameters.max_time_in_seconds * 0.99:
        note_clock_stop()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    values = list(solver.ResponseProto().solution)
    model.ClearHints()
    for i, val in enumerate(values):
        model.AddHint(model.GetIntVarFromProtoIndex(i), val)
    return True


def run_highs(model, *, time_limit: float, threads: int, seed: int, warm_start: dict | None = None) -> RawOutcome:
    """Compile a Pyomo model to matrices (Pyomo's LinearStandardFormCompiler) and solve it with highspy.

    Going through the matrices gives what Pyomo's HiGHS interface lacks: a MIP warm start
    (``setSolution``), the dual bound, and a seed. ``warm_start`` maps Pyomo variables to values;
    ``values`` of the outcome maps Pyomo variables to solution values.
    """
    import highspy
    import numpy as np
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    t0 = time.perf_counter()
    repn = LinearStandardFormCompiler().write(model, mixed_form=False)  # all objectives here minimize
    cols = repn.columns
    A = repn.A.tocsc()
    n_col, n_row = len(cols), A.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, n_row
    inf = highspy.kHighsInf
    c = np.asarray(repn.c.todense()).ravel() if repn.c.shape[0] else np.zeros(n_col)
    lp.col_cost_ = c[:n_col]
    lp.offset_ = float(repn.c_offset[0]) if len(repn.c_offset) else 0.0
    lp.col_lower_ = np.array([v.lb if v.lb is not None else -inf for v in cols], dtype=float)
    lp.col_upper_ = np.array([v.ub if v.ub is not None else inf for v in cols], dtype=float)
    lp.row_lower_ = np.full(n_row, -inf)
    lp.row_upper_ = np.asarray(repn.rhs, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.integrality_ = [highspy.HighsVarType.kInteger if v.is_integer() or v.is_binary()
                       else highspy.HighsVarType.kContinuous for v in cols]
    prepare_s = time.perf_counter() - t0
    warm = None
    if warm_start:
        warm = [float(warm_start.get(v, v.value if v.value is not None else 0.0)) for v in cols]
    left = time_limit if deterministic_solvers_enabled() else time_limit - (time.perf_counter() - t0)
    out = run_highs_lp(lp, time_limit=left, threads=threads, seed=seed,
                       warm_start=warm)
    out.wall_time_s = time.perf_counter() - t0
    out.prepare_s = prepare_s
    out.solver += f" via pyomo {_version('pyomo')}"
    if out.values is not None:
        from pyomo.common.collections import ComponentMap

        out.values = ComponentMap((v, out.values[idx]) for idx, v in enumerate(cols))
    return out


_HIGHS_THREADS: list[int] = []


def _set_highs_threads(h, threads: int) -> None:
    """HiGHS keeps one global task scheduler per process, sized by the first run; a later run asking for
    another thread count fails with status "not set". Reset the scheduler whenever the count changes."""
    n = max(1, int(threads))
    if _HIGHS_THREADS and _HIGHS_THREADS[0] != n:
        h.resetGlobalScheduler(True)
    _HIGHS_THREADS[:] = [n]
    h.setOptionValue("threads", n)


def run_highs_lp(lp, *, time_limit: float, threads: int, seed: int, warm_start=None) -> RawOutcome:
    """Solve a ``highspy.HighsLp`` (minimization); ``warm_start`` is a column-value vector.
    ``values`` of the outcome is the column-value list."""
    import highspy
    import numpy as np

    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    deterministic = deterministic_solvers_enabled()
    limit = max(time_limit, 0.1)
    h.setOptionValue("time_limit", wall_guard(limit))
    _set_highs_threads(h, 1 if deterministic else threads)
    if deterministic:
        h.setOptionValue("mip_max_nodes", max(1, int(HIGHS_NODES_PER_SECOND * limit)))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.passModel(lp)
    if warm_start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = [float(v) for v in warm_start]
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    dt = time.perf_counter() - t0
    status = h.getModelStatus()
    info = h.getInfo()
    found = info.primal_solution_status == 2
    values = list(h.getSolution().col_value) if found else None
    optimal = status == highspy.HighsModelStatus.kOptimal
    infeasible = status == highspy.HighsModelStatus.kInfeasible
    bound = None
    if not infeasible:
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
        if optimal and bound is None:
            bound = float(info.objective_function_value)
    stopped_by_clock = status == highspy.HighsModelStatus.kTimeLimit
    if stopped_by_clock:
        note_clock_stop()
    return RawOutcome(found=found, proven_optimal=optimal, proven_infeasible=infeasible,
                      objective=float(info.objective_function_value) if found else None, bound=bound,
                      wall_time_s=dt, solver=f"highs {_version('highspy')}", values=values,
                      reproducible=not stopped_by_clock)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"
