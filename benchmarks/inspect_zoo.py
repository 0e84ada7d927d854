"""Import every zoo model and compare its totals with published counts.

Usage: python benchmarks/inspect_zoo.py
Prints: model, layers, params, MACs, published params/MACs, relative errors, import time.
"""
from __future__ import annotations

import time
from pathlib import Path

from _common import line_buffered_stdout
from edgedse import load_onnx

MODELS = Path(__file__).resolve().parents[1] / "instances" / "models"
# published parameter counts (torchvision model cards) and MACs of conv + fully connected layers
PUBLISHED = {"vgg16": (138_357_544, 15.47e9), "resnet18": (11_689_512, 1.814e9),
             "mobilenetv2": (3_504_872, 0.30e9), "alexnet": (61_100_840, 0.714e9)}


def main() -> None:
    header = f"{'model':<12} {'layers':>6} {'params':>13} {'MACs':>15} {'pub. params':>13} {'pub. MACs':>11} " \
             f"{'err params':>10} {'err MACs':>9} {'import s':>9}"
    print(header)
    print("-" * len(header))
    for path in sorted(MODELS.glob("*.onnx")):
        t0 = time.perf_counter()
        lg = load_onnx(path)
        dt = time.perf_counter() - t0
        p, m = lg.total_params, lg.total_macs
        pub = PUBLISHED.get(path.stem)
        if pub:
            ep, em = (p - pub[0]) / pub[0], (m - pub[1]) / pub[1]
            extra = f"{pub[0]:>13,} {pub[1] / 1e9:>10.3f}G {ep:>10.2%} {em:>9.2%}"
        else:
            extra = f"{'-':>13} {'-':>11} {'-':>10} {'-':>9}"
        print(f"{path.stem:<12} {len(lg):>6} {p:>13,} {m:>15,} {extra} {dt:>9.3f}")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
