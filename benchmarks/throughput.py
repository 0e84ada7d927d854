"""Pipelined mapping (issue 4): baseline period, best period, ratio, proven bound, gap, latency, time.

Instances: VGG16 on NEURAghe (the ALOHA D3 §6 case; AOW's anchor ratio 136/181 = 0.75) and ResNet-18
on mpsoc4. Usage: python benchmarks/throughput.py [--time-limit 60] [--methods cpsat,milp,list,ga]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from edgedse.formats.periodic_yaml import read_periodic_instance
from edgedse.solvers.periodic import solve_periodic

ROOT = Path(__file__).resolve().parents[1] / "instances"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--methods", default="cpsat,milp,list,ga")
    args = ap.parse_args()
    print(f"time limit {args.time_limit} s (stage 1 gets half when latency is optimized), 2 threads; times in ms")
    print(f"{'instance':<16} {'method':<6} {'status':<9} {'baseline':>9} {'period':>9} {'ratio':>6} {'bound':>9} "
          f"{'gap':>7} {'latency':>9} {'period s':>9} {'total s':>8}")
    for name in ("vgg16_neuraghe", "resnet18_mpsoc4_periodic"):
        p = read_periodic_instance(ROOT / f"{name}.yaml")
        ms = lambda t: f"{t * p.tick_s * 1e3:9.2f}" if t is not None else f"{'-':>9}"  # noqa: E731
        for meth in args.methods.split(","):
            r = solve_periodic(p, meth, time_limit=args.time_limit)
            d = r.details
            base = d.get("baseline_period")
            ratio = f"{r.objective / base:6.3f}" if base else "-"
            gap = "-" if r.gap is None else f"{r.gap:.2%}"
            print(f"{name:<16.16} {meth:<6} {str(r.status):<9} {ms(base)} {ms(r.objective)} {ratio:>6} {ms(r.bound)} "
                  f"{gap:>7} {ms(d['latency'])} {d.get('stage1_s', r.wall_time_s):9.2f} {r.wall_time_s:8.2f}")


if __name__ == "__main__":
    main()
