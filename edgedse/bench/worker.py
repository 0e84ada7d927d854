"""Solve one benchmark run and print its result as one JSON line — executed as
``python -m edgedse.bench.worker`` in a fresh subprocess (the run's JSON on stdin), so a crash or a hang
never takes the sweep down. Every answer goes through the problem's independent evaluator; the verdict is
``valid``, ``invalid: <reason>`` or ``none`` (no solution).
"""
from __future__ import annotations

import json
import sys
import time

from edgedse.bench.suite import Run


def _schedule(run: Run) -> dict:
    from edgedse import api
    from edgedse.analysis.evaluator import evaluate_schedule

    problem = api.load_problem(run.path(run.instance), run.pes)
    opts = dict(run.options)
    objective = opts.pop("objective", "makespan")
    r = api.solve(problem, run.method, objective, time_limit=run.time_limit_s, threads=run.threads, seed=run.seed,
                  **opts)
    verdict = _verdict(lambda: evaluate_schedule(problem, r.solution), r.solution)
    ref = problem.known_bounds or ((problem.known_optimum,) * 2 if problem.known_optimum is not None else None)
    return _result(r, verdict, ref if objective == "makespan" else None)


def _period(run: Run) -> dict:
    from edgedse import api
    from edgedse.analysis.periodic_evaluator import evaluate_periodic

    problem = api.load_periodic_problem(run.path(run.instance))
    opts = dict(run.options)
    objective = opts.pop("objective", "period")
    r = api.solve_periodic_within_budget(problem, run.method, objective, time_limit=run.time_limit_s,
                                         threads=run.threads, seed=run.seed, **opts)
    return _result(r, _verdict(lambda: evaluate_periodic(problem, r.solution), r.solution), None)


def _precision(run: Run) -> dict:
    from edgedse import api
    from edgedse.solvers.precision import evaluate_precision, solve_precision

    opts = dict(run.options)
    minimize = opts.pop("minimize", "energy")
    budgets = opts.pop("budgets", {})
    study = api.load_precision_study(run.path(run.instance) if run.instance != "digits-cnn" else "digits-cnn",
                                     run.path(run.architecture), seed=run.seed, **opts)
    measure = study.measure if study.quantizer is not None else None
    r = solve_precision(study.problem, run.method, minimize, budgets, measure=measure, time_limit=run.time_limit_s,
                        threads=run.threads, seed=run.seed)
    return _result(r, _verdict(lambda: evaluate_precision(study.problem, r.solution, budgets if run.method != "greedy"
                                                          else {}), r.solution), None)


def _fuse(run: Run) -> dict:
    from edgedse import api
    from edgedse.solvers.fusion import evaluate_fusion, solve_fusion

    opts = dict(run.options)
    objective = opts.pop("objective", "traffic")
    problem = api.load_fusion_problem(run.path(run.instance), run.path(run.architecture), **opts)
    r = solve_fusion(problem, run.method, objective, time_limit=run.time_limit_s, threads=run.threads, seed=run.seed)
    return _result(r, _verdict(lambda: evaluate_fusion(problem, r.solution), r.solution), None)


def _verdict(check, solution) -> str:
    if solution is None:
        return "none"
    try:
        check()
        return "valid"
    except Exception as e:  # noqa: BLE001 — any evaluator rejection is recorded, not raised
        return f"invalid: {e}"


def _result(r, verdict: str, reference) -> dict:
    return {"status": str(r.status), "termination": str(r.termination), "objective": r.objective, "bound": r.bound,
            "gap": r.gap, "solve_time_s": r.wall_time_s, "verdict": verdict,
            "reference": list(reference) if reference else None}


SOLVERS = {"schedule": _schedule, "period": _period, "precision": _precision, "fuse": _fuse}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("edgedse", "highspy", "ortools", "pymoo", "torch"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def main() -> None:
    run = Run.from_json(sys.stdin.read())
    if run.problem == "precision":  # the only problem that runs PyTorch (importing it costs seconds)
        import torch

        torch.set_num_threads(run.threads)
    t0 = time.perf_counter()
    out = SOLVERS[run.problem](run)
    out["wall_time_s"] = time.perf_counter() - t0
    out["versions"] = versions()
    sys.stdout.write("\n" + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
