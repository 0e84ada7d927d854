"""Execute one run in a freshly spawned subprocess with a wall-time limit, a memory limit and a thread
count, and classify the outcome against the instance's reference values.

Outcomes: ``ok``, ``improved-reference`` (better than the best known value, within the known bounds),
``wrong`` (objective below the known lower bound, a claimed optimum above the known upper bound, or a proven
bound above a known feasible value), ``timeout`` (killed at the limit, or no solution found in time), ``crash``
(non-zero exit, no result), ``invalid`` (the evaluator rejected the answer).
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

from edgedse.bench.suite import Run

TOL = 1e-6


def _limits(memory_mb: int):
    def apply() -> None:  # runs in the child before exec
        import resource

        cap = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.setsid()
    return apply


def execute_run(run: Run) -> dict:
    """Run ``run`` in a subprocess; return the row to store (without classification)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(run.threads), MKL_NUM_THREADS=str(run.threads),
               OPENBLAS_NUM_THREADS=str(run.threads), PYTHONHASHSEED=str(run.seed))
    t0 = time.perf_counter()
    row = {"key": run.key, "run": run.to_json(), "host": platform.node()}
    try:
        proc = subprocess.run([sys.executable, "-m", "edgedse.bench.worker"], input=run.to_json(), text=True,
                              capture_output=True, timeout=run.time_limit_s + run.grace_s, env=env,
                              preexec_fn=_limits(run.memory_limit_mb) if os.name == "posix" else None)
    except subprocess.TimeoutExpired:
        return {**row, "outcome": "timeout", "status": "unknown", "wall_time_s": time.perf_counter() - t0,
                "error": f"killed after {run.time_limit_s + run.grace_s:.1f} s"}
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        return {**row, "outcome": "crash", "status": "error", "wall_time_s": wall,
                "error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    res = json.loads(lines[-1])
    return {**row, **res, "wall_time_s": wall, "solve_time_s": res.get("solve_time_s"),
            "versions": json.dumps(res.get("versions")), "reference": json.dumps(res.get("reference"))}


def classify(row: dict) -> str:
    """The outcome of a finished row (see the module docstring)."""
    if row.get("outcome") in ("timeout", "crash"):
        return row["outcome"]
    verdict = row.get("verdict") or "none"
    if verdict.startswith("invalid"):
        return "invalid"
    obj, bound, status = row.get("objective"), row.get("bound"), row.get("status")
    if obj is None:
        return "timeout"
    ref = row.get("reference")
    ref = json.loads(ref) if isinstance(ref, str) else ref
    if not ref:
        return "ok"
    lo, hi = ref
    tol = TOL * max(1.0, abs(hi))
    if obj < lo - tol or (status == "optimal" and obj > hi + tol) or (bound is not None and bound > hi + tol):
        return "wrong"
    if obj < hi - tol:
        return "improved-reference"
    return "ok"
