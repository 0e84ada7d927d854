"""Pipelined mapping under a latency deadline (``solve_periodic(..., latency_cap=λ)``): for each instance, deadline
and method, the period found, its proven bound and gap, the latency, the least latency any schedule can have,
and the time.

Deadlines are multiples of each instance's least-latency bound (the layer-span relaxation with no period cap),
so the table spans tight deadlines (the period must rise far above P_min) to loose ones (P_min is reachable).
Deadlines are swept from tight to loose, and each method starts from its answer at the previous, tighter deadline
(``solve_periodic(..., starts=)``), so its periods never rise as the deadline loosens; ``--cold`` solves each
deadline on its own.
Usage: python benchmarks/deadline.py [--time-limit 30] [--methods cpsat,list,ga] [--factors 1.1,1.5,3,8] [--cold]
"""
from __future__ import annotations

import argparse

from _common import line_buffered_stdout, percent, periodic_instances
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_deadline import least_latency_bound


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--methods", default="cpsat,list,ga")
    ap.add_argument("--factors", default="1.1,1.5,3,8")
    ap.add_argument("--cold", action="store_true", help="no start from the previous deadline's answer")
    args = ap.parse_args()
    print(f"time limit {args.time_limit} s, 2 threads; times in ms; deadline = factor x least-latency bound")
    print(f"{'instance':<16} {'factor':>6} {'deadline':>9} {'method':<6} {'status':<9} {'period':>9} {'bound':>9} "
          f"{'gap':>7} {'latency':>9} {'total s':>8}")
    for name, p, ms in periodic_instances():
        least = least_latency_bound(p, time_limit=30.0)
        print(f"{name}: every schedule's latency >= {ms(least).strip()} ms")
        previous = {}  # method -> its answer at the previous, tighter deadline
        for factor in sorted(float(f) for f in args.factors.split(",")):
            cap = int(factor * least)
            for meth in args.methods.split(","):
                starts = () if args.cold or previous.get(meth) is None else (previous[meth],)
                r = solve_periodic(p, meth, latency_cap=cap, time_limit=args.time_limit, starts=starts)
                previous[meth] = r.solution
                lat = r.metrics.latency if r.metrics else None
                print(f"{name:<16.16} {factor:6.2f} {ms(cap)} {meth:<6} {str(r.status):<9} {ms(r.objective)} "
                      f"{ms(r.bound)} {percent(r.gap):>7} {ms(lat)} {r.wall_time_s:8.2f}")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
