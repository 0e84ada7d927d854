"""Layer fusion (issue 6): off-chip bytes for layer-by-layer, greedy and exact, reduction, time per method.

VGG16, ResNet-18, MobileNetV2 (16-bit, weights counted) × buffer {64 … 2048} KiB on the scalable-PE
accelerator. Exact: DP (chains), MILP and CP-SAT set partitioning (all three must agree).
Usage: python benchmarks/fusion.py [--models vgg16,resnet18,mobilenetv2] [--buffers 64,128,256,512,1024,2048]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from _common import line_buffered_stdout
from edgedse import api
from edgedse.solvers.fusion import solve_fusion

ROOT = Path(__file__).resolve().parents[1] / "instances"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="vgg16,resnet18,mobilenetv2")
    ap.add_argument("--buffers", default="64,128,256,512,1024,2048")
    ap.add_argument("--objective", default="traffic")
    args = ap.parse_args()
    print(f"objective {args.objective}; off-chip MB (1e6 B); times in s")
    print(f"{'model':<12} {'KiB':>5} {'layerwise':>10} {'greedy':>9} {'exact':>9} {'red.':>6} {'gr>ex':>6} "
          f"{'groups':>6} {'cands':>6} {'dp s':>6} {'milp s':>7} {'cpsat s':>7} agree")
    for model in args.models.split(","):
        for kib in (float(b) for b in args.buffers.split(",")):
            p = api.load_fusion_problem(ROOT / "models" / f"{model}.onnx", ROOT / "architectures" / "scalable_pe.yaml",
                                        buffer_kib=kib)
            runs = {m: solve_fusion(p, m, args.objective) for m in ("layerwise", "greedy", "milp", "cpsat")}
            if p.is_chain:
                runs["dp"] = solve_fusion(p, "dp", args.objective)
            exact = [runs[m].objective for m in ("dp", "milp", "cpsat") if m in runs]
            agree = max(exact) - min(exact) <= 1e-6 * max(exact)
            lw, gr, ex = runs["layerwise"].objective, runs["greedy"].objective, runs["milp"].objective
            t = lambda m: f"{runs[m].wall_time_s:.2f}" if m in runs else "-"  # noqa: E731
            print(f"{model:<12} {kib:>5.0f} {lw / 1e6:>10.2f} {gr / 1e6:>9.2f} {ex / 1e6:>9.2f} {1 - ex / lw:>6.1%} "
                  f"{gr / ex - 1:>6.1%} {len(runs['milp'].solution):>6} {runs['milp'].details['candidates']:>6} "
                  f"{t('dp'):>6} {t('milp'):>7} {t('cpsat'):>7} {'yes' if agree else 'NO'}")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
