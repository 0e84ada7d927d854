"""STG-50 × m ∈ {2,4,8,16}: exact methods against the published optima, heuristics' gaps.

Usage: python benchmarks/stg.py [--time-limit 10] [--every 1] [--methods cpsat,milp]
``--every k`` takes every k-th row (720 rows in all). Prints, per method: rows proven optimal, median
and max solve time, open [LB, UB] rows closed or improved; and HEFT / list / GA mean and max gap to the
optimum (single-valued rows).
"""
from __future__ import annotations

import argparse
import csv
import statistics
from pathlib import Path

from _common import describe, line_buffered_stdout, run
from edgedse.formats import load_schedule_problem

ROOT = Path(__file__).resolve().parents[1] / "instances" / "stg"


def rows(every: int):
    out = []
    for m in (2, 4, 8, 16):
        for r in csv.reader((ROOT / "optimal" / f"Case50_{m}_OPT.csv").read_text().splitlines()):
            lo = int(r[2])
            hi = int(r[3]) if len(r) > 3 else lo
            out.append((r[0], m, lo, hi))
    return out[::every]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--methods", default="cpsat,milp")
    ap.add_argument("--heuristics", default="heft,list,ga")
    ap.add_argument("--log", default=None, help="append one CSV line per (row, method) to this file")
    args = ap.parse_args()
    log = open(args.log, "a") if args.log else None
    exact = args.methods.split(",")
    heur = [h for h in args.heuristics.split(",") if h]
    data = rows(args.every)
    stats = {m: {"proven": 0, "single": 0, "single_proven": 0, "times": [], "closed": 0, "improved": 0,
                 "wrong": 0} for m in exact}
    gaps = {h: [] for h in heur}
    for graph, m, lo, hi in data:
        p = load_schedule_problem(ROOT / graph, pes=m)
        for meth in exact:
            r = run(p, meth, args.time_limit)
            if log:
                print(graph, m, lo, hi, meth, r["status"].value, r["objective"], r["bound"], f"{r['time']:.3f}",
                      sep=",", file=log, flush=True)
            s = stats[meth]
            s["times"].append(r["time"])
            s["proven"] += r["proven"]
            if lo == hi:
                s["single"] += 1
                s["single_proven"] += r["proven"] and r["objective"] == lo
                s["wrong"] += r["proven"] and r["objective"] != lo
            else:
                s["closed"] += r["proven"]
                s["improved"] += r["objective"] < hi
        if lo == hi:
            for h in heur:
                r = run(p, h, args.time_limit)
                if log:
                    print(graph, m, lo, hi, h, r["status"].value, r["objective"], r["bound"], f"{r['time']:.3f}",
                          sep=",", file=log, flush=True)
                gaps[h].append((r["objective"] - lo) / lo)
    print(f"STG-50: {len(data)} rows (every {args.every}), time limit {args.time_limit} s, 2 threads")
    print(f"{'method':<7} {'proven':>8} {'single-valued proven':>22} {'wrong':>6} {'open closed':>12} "
          f"{'open improved':>14}  time (s)")
    n_open = sum(1 for *_, lo, hi in data if lo != hi)
    for meth, s in stats.items():
        print(f"{meth:<7} {s['proven']:>4}/{len(data):<3} {s['single_proven']:>13}/{s['single']:<8} {s['wrong']:>6} "
              f"{s['closed']:>6}/{n_open:<5} {s['improved']:>8}/{n_open:<5}  {describe(s['times'])}")
    for h, g in gaps.items():
        if g:
            print(f"{h:<7} gap to optimum: mean {statistics.mean(g):.2%}  max {max(g):.2%}  (n={len(g)})")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
