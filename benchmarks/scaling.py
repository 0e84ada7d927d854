"""Build + solve time and gap to the best bound versus task count, exact methods and the GA.

Sizes: STG 50 and 300 (bundled rand0000…), a 100-task prefix-free STG stand-in (first 100 tasks'
induced subgraph of rand0000 of STG-300), and 1,000-task synthetic heterogeneous layered DAGs with
communication on 4 PEs of 2 kinds.
The MILP runs twice: matrices built directly with numpy for highspy (the default) and the same model
built through Pyomo; "build s" includes Pyomo's standard-form compiler.
Usage: python benchmarks/scaling.py [--time-limit 30] [--sizes 50,100,300,1000]
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from _common import line_buffered_stdout, percent
from edgedse.formats import load_schedule_problem
from edgedse.models.problems import ScheduleProblem
from edgedse.solvers.portfolio import solve

ROOT = Path(__file__).resolve().parents[1] / "instances" / "stg"


def induced(p: ScheduleProblem, keep: int) -> ScheduleProblem:
    """The first ``keep`` tasks (topologically ordered ids) and the edges among them."""
    idx = [e for e, (i, j, _) in enumerate(p.edges) if i < keep and j < keep]
    return dataclasses.replace(p, name=f"{p.name}_first{keep}", task_ids=p.task_ids[:keep],
                               exec_time=p.exec_time[:keep], energy=p.energy[:keep],
                               edges=tuple(p.edges[e] for e in idx), comm_time=tuple(p.comm_time[e] for e in idx),
                               known_optimum=None, known_bounds=None)


def synthetic(n: int, seed: int = 0, m_big: int = 2, m_little: int = 2) -> ScheduleProblem:
    """Layered random DAG: ~√n layers, edges to the next two layers, heterogeneous PEs, transfer costs."""
    rng = np.random.default_rng(seed)
    layers = np.array_split(np.arange(n), max(2, int(np.sqrt(n))))
    edges = []
    for a, la in enumerate(layers[:-1]):
        for j in layers[a + 1]:
            for i in rng.choice(la, size=min(2, len(la)), replace=False):
                edges.append((int(i), int(j), float(rng.integers(1, 20))))
    m = m_big + m_little
    base = rng.integers(5, 50, size=n)
    exec_time = np.stack([base] * m_big + [base * 2] * m_little, axis=1)
    energy = np.stack([base * 3.0] * m_big + [base * 1.0] * m_little, axis=1)
    off = 1 - np.eye(m, dtype=np.int64)
    comm = tuple(off * int(v) for _, _, v in edges)
    return ScheduleProblem(name=f"synthetic{n}", task_ids=tuple(map(str, range(n))),
                           pe_names=tuple(f"big{k}" for k in range(m_big))
                           + tuple(f"little{k}" for k in range(m_little)),
                           pe_kinds=("big",) * m_big + ("little",) * m_little, exec_time=exec_time, energy=energy,
                           edges=tuple(edges), comm_time=comm)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--sizes", default="50,100,300,1000")
    args = ap.parse_args()
    problems = []
    for size in map(int, args.sizes.split(",")):
        if size == 50:
            problems.append(load_schedule_problem(ROOT / "50" / "rand0000.stg", pes=4))
        elif size == 100:
            problems.append(induced(load_schedule_problem(ROOT / "300" / "rand0000.stg", pes=4), 100))
        elif size == 300:
            problems.append(load_schedule_problem(ROOT / "300" / "rand0000.stg", pes=4))
        else:
            problems.append(synthetic(size))
    print(f"time limit {args.time_limit} s, 2 threads")
    print(f"{'instance':<22} {'n':>5} {'method':<13} {'status':<9} {'objective':>10} {'bound':>10} {'gap':>8} "
          f"{'build s':>8} {'total s':>8}")
    runs = [("cpsat", {}), ("milp", {"builder": "highspy"}), ("milp", {"builder": "pyomo"}), ("ga", {})]
    for p in problems:
        for meth, options in runs:
            r = solve(p, meth, "makespan", time_limit=args.time_limit, **options)
            label = meth if not options else f"milp/{options['builder']}"
            print(f"{p.name:<22} {p.n:>5} {label:<13} {str(r.status):<9} {r.objective or float('nan'):>10.0f} "
                  f"{r.bound or float('nan'):>10.0f} {percent(r.gap):>8} {r.details.get('build_s', 0):>8.2f} "
                  f"{r.wall_time_s:>8.2f}")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
