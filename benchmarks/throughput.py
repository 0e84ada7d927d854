"""Pipelined mapping (issue 4): baseline period, best period, ratio, proven bound, gap, latency and its proven
bound (at the period found: the layer-span relaxation or CP-SAT, see ``solve_periodic``), time.

Instances: VGG16 on NEURAghe (the ALOHA D3 §6 case; AOW's anchor ratio 136/181 = 0.75) and ResNet-18
on mpsoc4. Usage: python benchmarks/throughput.py [--time-limit 60] [--methods cpsat,milp,list,ga]
[--fronts --front-time-limit 30]  (adds the period × energy and period × latency fronts of both instances)
[--deterministic]  (time limits become work limits: the same table on every run, see edgedse.solvers.backends)
"""
from __future__ import annotations

import argparse

from _common import line_buffered_stdout, percent, periodic_instances
from edgedse.solvers.periodic import solve_periodic


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--methods", default="cpsat,milp,list,ga")
    ap.add_argument("--fronts", action="store_true")
    ap.add_argument("--front-time-limit", type=float, default=30.0)  # ResNet-18 energy solves need ~20 s
    ap.add_argument("--deterministic", action="store_true")
    args = ap.parse_args()
    if args.deterministic:
        from edgedse.solvers.backends import use_deterministic_solvers

        use_deterministic_solvers(True)
    print(f"time limit {args.time_limit} s (stage 1 gets half when latency is optimized), 2 threads; times in ms")
    print(f"{'instance':<16} {'method':<6} {'status':<9} {'baseline':>9} {'period':>9} {'ratio':>6} {'bound':>9} "
          f"{'gap':>7} {'latency':>9} {'L bound':>9} {'period s':>9} {'total s':>8}")
    for name, p, ms in periodic_instances():
        for meth in args.methods.split(","):
            r = solve_periodic(p, meth, time_limit=args.time_limit)
            d = r.details
            base = d.get("baseline_period")
            ratio = f"{r.objective / base:6.3f}" if base else "-"
            print(f"{name:<16.16} {meth:<6} {str(r.status):<9} {ms(base)} {ms(r.objective)} {ratio:>6} {ms(r.bound)} "
                  f"{percent(r.gap):>7} {ms(d['latency'])} {ms(d.get('latency_bound'))} "
                  f"{d.get('stage1_s', r.wall_time_s):9.2f} {r.wall_time_s:8.2f}")

    if args.fronts:
        fronts(args.front_time_limit)


def fronts(time_limit: float) -> None:
    from edgedse.analysis.pareto import period_energy_front, period_latency_front

    for name, p, ms in periodic_instances():
        print(f"\n{name}: period x energy (MILP, {time_limit} s per solve)")
        print(f"{'period':>9} {'energy J':>9} certified")
        for q in period_energy_front(p, "milp", time_limit=time_limit, max_points=8):
            print(f"{ms(q.period)} {q.energy_j:9.4f} {q.certified}")
        print(f"{name}: period x latency (CP-SAT + layer-span relaxation, {time_limit} s per solve)")
        print(f"{'period':>9} {'P bound':>9} {'P gap':>7} {'latency':>9} {'L bound':>9} {'L gap':>7} certified")
        for q in period_latency_front(p, time_limit=time_limit):
            print(f"{ms(q.period)} {ms(q.period_bound)} {percent(q.period_gap):>7} {ms(q.latency)} "
                  f"{ms(q.latency_bound)} {percent(q.latency_gap):>7} {q.certified}")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
