"""Sinnen 10-node graphs with communication: all 263 (graph, m) optima; HEFT's gap by CCR.

Usage: python benchmarks/sinnen.py [--time-limit 10] [--methods cpsat,milp] [--every 1]
"""
from __future__ import annotations

import argparse
import csv
import re
import statistics
from collections import defaultdict
from pathlib import Path

from _common import describe, line_buffered_stdout, run
from edgedse.formats import load_schedule_problem

ROOT = Path(__file__).resolve().parents[1] / "instances" / "sinnen"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--methods", default="cpsat,milp")
    ap.add_argument("--every", type=int, default=1)
    args = ap.parse_args()
    rows = list(csv.DictReader((ROOT / "optimal.csv").read_text().splitlines()))[::args.every]
    methods = args.methods.split(",")
    proven = {m: 0 for m in methods}
    times = {m: [] for m in methods}
    wrong = {m: 0 for m in methods}
    heft_gap = defaultdict(list)
    for r in rows:
        m, opt = int(r["processors"]), int(r["optimal_makespan"])
        p = load_schedule_problem(ROOT / r["graph"], pes=m)
        for meth in methods:
            res = run(p, meth, args.time_limit)
            times[meth].append(res["time"])
            proven[meth] += res["proven"] and res["objective"] == opt
            wrong[meth] += res["proven"] and res["objective"] != opt
        found = re.search(r"CCR_([0-9.]+)", r["graph"])
        ccr = float(found.group(1)) if found else None
        bucket = "n/a" if ccr is None else "≤0.1" if ccr <= 0.11 else "~1" if ccr < 1.5 else "~2" if ccr < 5 else "~10"
        heft_gap[bucket].append((run(p, "heft", 1)["objective"] - opt) / opt)
    print(f"Sinnen 10-node: {len(rows)} (graph, m) pairs, time limit {args.time_limit} s")
    for meth in methods:
        print(f"{meth:<6} optimal and proven: {proven[meth]}/{len(rows)}  wrong: {wrong[meth]}  "
              f"time {describe(times[meth])}")
    print("HEFT gap to optimum by CCR:")
    for b in ("≤0.1", "~1", "~2", "~10", "n/a"):
        g = heft_gap.get(b, [])
        if g:
            print(f"  CCR {b:<5} mean {statistics.mean(g):6.2%}  max {max(g):6.2%}  (n={len(g)})")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
