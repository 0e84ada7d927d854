"""The least latency of one mapping at P_min, proven (issue 4): the circle-order search against the exact
modulo-disjunctive MILP (:mod:`edgedse.formulations.latency_modulo_milp`) on the same period, modes and
mapping, for growing prefixes of VGG16 on NEURAghe and ResNet-18 on mpsoc4.

Per prefix: its firings, P_min (stage 1, CP-SAT), the latency of stage 1's mapping packed, after the circle
search (``--time-limit`` seconds), and after the MILP warm-started there (``--time-limit`` seconds), with
HiGHS's bound for that mapping, whether it is proven, and the MILP's wall time. A proven row certifies the
latency of that mapping only; the problem's latency (modes and mapping free) may be lower.

Usage: python benchmarks/latency_at_mapping.py [--time-limit 30] [--vgg 4,6,9,13,22] [--resnet 4,8,16,32]
"""
from __future__ import annotations

import argparse

from _common import add_prefix_arguments, line_buffered_stdout, periodic_prefixes
from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_circle import anneal_latency
from edgedse.solvers.periodic_latency import latency_at_mapping


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds for each of stage 1, circle, MILP")
    add_prefix_arguments(ap, vgg="4,6,9,13,22", resnet="4,8,16,32")
    args = ap.parse_args()
    print(f"{args.time_limit} s per step, 2 threads; periods and latencies in ms")
    print(f"{'instance':<28} {'firings':>7} {'P_min':>9} {'packed':>9} {'circle':>9} {'MILP':>9} {'bound':>9} "
          f"{'proven':>6} {'MILP s':>7}")
    for p, ms in periodic_prefixes(args):
        stage1 = solve_periodic(p, "cpsat", "period", latency=False, time_limit=args.time_limit)
        packed = stage1.solution
        circled = anneal_latency(p, packed, time_limit=args.time_limit, seed=0, relocate=False)
        exact = latency_at_mapping(p, circled, time_limit=args.time_limit)
        print(f"{p.name:<28} {len(packed.firings):>7} {ms(packed.period)} {ms(stage1.metrics.latency)} "
              f"{ms(evaluate_periodic(p, circled).latency)} {ms(exact.metrics.latency)} {ms(exact.bound)} "
              f"{'yes' if exact.proven else 'no':>6} {exact.wall_s:7.1f}")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
