"""Where the period × latency front stops being certified (issue 4): the front of growing prefixes of VGG16 on
NEURAghe and ResNet-18 on mpsoc4 (``PeriodicProblem.prefix``: the first n layers in topological order).

Per prefix: its layers and the firings of the P_min point's schedule, P_min, the front's points and how many
are certified, the P_min point's latency against its proven bound (the layer-span relaxation or CP-SAT,
whichever is larger) and that gap, the largest latency and period gaps over the front, and the wall time.
At P_min every PE's circle is (nearly) full; the relaxation does not see how an iteration must wrap around a
full circle (see :mod:`edgedse.formulations.latency_bound_milp`), which is where the certificate is lost.

``--points`` also prints every point of every front: its period and latency with their proven bounds and
gaps, whether it is certified, and the seconds it took.

Usage: python benchmarks/latency_certification.py [--time-limit 10] [--cleanup-time-limit 90]
[--vgg 2,3,4,6,9,13,22] [--resnet 2,4,8,12,16,32] [--points]
"""
from __future__ import annotations

import argparse
import time

from _common import add_prefix_arguments, line_buffered_stdout, percent, periodic_prefixes
from edgedse.analysis.pareto import period_latency_front


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per solve of the front")
    ap.add_argument("--cleanup-time-limit", type=float, default=None,
                    help="seconds for the relaxation that proves each point's period (default: --time-limit)")
    add_prefix_arguments(ap, vgg="2,3,4,6,9,13,22", resnet="2,4,8,12,16,32")
    ap.add_argument("--points", action="store_true", help="also print every point of every front")
    args = ap.parse_args()
    print(f"{args.time_limit} s per solve ({args.cleanup_time_limit or args.time_limit} s for the period "
          f"relaxation), 2 threads; periods and latencies in ms")
    print(f"{'instance':<28} {'layers':>6} {'firings':>7} {'P_min':>9} {'points':>6} {'cert.':>5} "
          f"{'L(P_min)':>9} {'L bound':>9} {'L gap':>7} {'max L gap':>9} {'max P gap':>9} {'time s':>7}")
    for p, ms in periodic_prefixes(args):
        n = p.n_layers
        t0 = time.perf_counter()
        front = period_latency_front(p, time_limit=args.time_limit, cleanup_time_limit=args.cleanup_time_limit)
        wall = time.perf_counter() - t0
        if not front:
            print(f"{p.name:<28} {n:>6} no schedule")
            continue
        first = front[0]
        worst_l = max((q.latency_gap or 0.0 for q in front), default=0.0)
        worst_p = max((q.period_gap or 0.0 for q in front), default=0.0)
        print(f"{p.name:<28} {n:>6} {len(first.schedule.firings):>7} {ms(first.period)} {len(front):>6} "
              f"{sum(q.certified for q in front):>5} {ms(first.latency)} {ms(first.latency_bound)} "
              f"{percent(first.latency_gap):>7} {percent(worst_l):>9} {percent(worst_p):>9} {wall:7.1f}")
        if args.points:
            for q in front:
                print(f"{'  point':<28} P {ms(q.period)} (bound {ms(q.period_bound)}, {percent(q.period_gap):>6})  "
                      f"L {ms(q.latency)} (bound {ms(q.latency_bound)}, {percent(q.latency_gap):>6})  "
                      f"{'certified' if q.certified else 'open':<9} {q.wall_time_s:6.1f} s")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
