"""Precision assignment (issue 5): exact MCKP (MILP, CP-SAT) vs the thesis' greedy and NSGA-II*.

Per model: solve time, objective and measured KL / accuracy per method (minimize memory under a KL budget);
hypervolume of the memory × loss front: exact vs NSGA-II* at the exact front's time and at 10× it, and
the greedy point (the exact front is walked whole, so no configuration can add to its hypervolume).
Models: digits-cnn (trained, measured accuracy), ResNet-18 and MobileNetV2 (cost-only studies: fixed random
weights, random calibration batch) on the bit-serial PE (7 options, 2..8 bits).

Usage: python benchmarks/precision.py [--models digits-cnn,resnet18,mobilenetv2] [--kl 0.05]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from _common import line_buffered_stdout
from edgedse import api
from edgedse.solvers.precision import hypervolume, precision_front, solve_precision
from edgedse.solvers.precision_heuristics import greedy, nsga2_star

ARCH = Path(__file__).resolve().parents[1] / "instances" / "architectures" / "scalable_pe.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="digits-cnn,resnet18,mobilenetv2")
    ap.add_argument("--kl", type=float, default=0.05, help="KL budget of the single-objective runs (nats)")
    ap.add_argument("--pe", default="bitserial")
    args = ap.parse_args()
    for model in args.models.split(","):
        t0 = time.perf_counter()
        st = api.load_precision_study(model, ARCH, pe=args.pe)
        p = st.problem
        print(f"\n{model}: {p.n} layers x {len(p.bits)} options {p.bits} on {p.pe}; {len(p.ties)} tie groups; "
              f"study {time.perf_counter() - t0:.1f} s")
        int8 = p.metrics([p.bits.index(8)] * p.n)["memory"]
        kl_cap = args.kl if model == "digits-cnn" else p.loss.max(1).sum() * 0.1
        measure = st.measure if model == "digits-cnn" else None
        print(f"minimize memory s.t. KL <= {kl_cap:.4g}; INT8 memory {int8:,.0f} B")
        print(f"{'method':<7} {'status':<9} {'memory B':>10} {'/INT8':>6} {'proxy KL':>9} {'meas. KL':>9} "
              f"{'test acc':>8} {'rounds':>6} {'time s':>8}")
        for method in ("milp", "cpsat", "greedy", "nsga2"):
            r = solve_precision(p, method, "memory", {"loss": kl_cap}, measure=measure, time_limit=30)
            ms = r.details.get("measured") or {}
            acc = ms.get("test_accuracy")
            print(f"{method:<7} {str(r.status):<9} {r.objective:>10,.0f} {r.objective / int8:>6.3f} "
                  f"{r.metrics['loss']:>9.4g} {ms.get('kl', float('nan')):>9.4g} "
                  f"{'-' if acc is None else f'{acc:.4f}':>8} {r.details['rounds']:>6} {r.wall_time_s:>8.3f}")
        t0 = time.perf_counter()
        exact = precision_front(p, "milp", "memory", "loss", time_limit=30)  # the whole front
        t_exact = time.perf_counter() - t0
        pts = [(r.metrics["memory"], r.metrics["loss"]) for r in exact]
        ref = (max(m for m, _ in pts) * 1.01, max(l for _, l in pts) * 1.01 + 1e-12)
        rows = [("exact (MILP)", hypervolume(pts, ref), t_exact, len(pts))]
        for factor in (1, 10):
            t0 = time.perf_counter()
            ga = nsga2_star(p, "memory", {}, seed=0, time_limit=max(t_exact * factor, 1.0), generations=10**6)
            rows.append((f"NSGA-II* ({factor}x)", hypervolume([(p.metrics(c)["memory"], p.metrics(c)["loss"])
                                                                for c in ga], ref), time.perf_counter() - t0, len(ga)))
        g = greedy(p, "memory", {"loss": kl_cap})
        rows.append(("greedy", hypervolume([(p.metrics(g)["memory"], p.metrics(g)["loss"])], ref), float("nan"), 1))
        print(f"{'front':<16} {'hypervolume':>12} {'rel.':>6} {'time s':>8} {'points':>6}")
        for name, hv, t, n in rows:
            print(f"{name:<16} {hv:>12.5g} {hv / rows[0][1]:>6.3f} {t:>8.2f} {n:>6}")
        t0 = time.perf_counter()
        for _ in range(10):
            solve_precision(p, "milp", "memory", {"loss": kl_cap})
        print(f"exact solve (MILP, {p.n} x {len(p.bits)}): {(time.perf_counter() - t0) / 10 * 1e3:.1f} ms per solve")
    synthetic_timing()


def synthetic_timing(n: int = 50, options: int = 7, repeats: int = 5) -> None:
    """Median exact solve time on a random n × options instance (the target: < 0.1 s for 50 × 7)."""
    import numpy as np

    from edgedse.models.dnn import OpClass
    from edgedse.models.precision import PrecisionLayer, PrecisionProblem

    rng = np.random.default_rng(0)
    grow = lambda lo, hi: np.sort(rng.integers(lo, hi, size=(n, options)), 1)[:, ::-1].astype(float)  # noqa: E731
    layers = tuple(PrecisionLayer(f"/l{i}/Conv", f"l{i}", OpClass.CONV, 0, 0, 0, 0, 0, 0) for i in range(n))
    p = PrecisionProblem(f"random{n}x{options}", layers, tuple(range(8, 8 - options, -1)),
                         np.sort(rng.random((n, options)), 1) * 1e-3, grow(1, 50), grow(1, 30), grow(100, 40000),
                         grow(50, 20000), grow(0, 600), grow(1, 9), 7, ties=((3, 7), (10, 12, 14)))
    full = p.metrics([0] * n)
    print(f"\nrandom {n} layers x {options} options (2 tie groups): median exact solve time over {repeats} solves")
    for method in ("milp", "cpsat"):
        for minimize, budgets in (("memory", {"loss": 0.01}), ("loss", {"memory": 0.5 * full["memory"]}),
                                  ("energy", {"loss": 0.02})):
            times = sorted(solve_precision(p, method, minimize, budgets).wall_time_s for _ in range(repeats))
            print(f"{method:<6} min {minimize:<7} s.t. {list(budgets)[0]:<7} {times[repeats // 2] * 1e3:7.1f} ms")


if __name__ == "__main__":
    line_buffered_stdout()
    main()
