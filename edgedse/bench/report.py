"""Summaries of a result store: per method solved counts, shifted geometric mean time, mean gap, wrong and
invalid counts (MIPLIB-style); Dolan–Moré performance profiles; export to CSV or Parquet.

* solved: status ``optimal`` with outcome ``ok`` or ``improved-reference``;
* shifted geometric mean of the solve time (the subprocess start-up excluded), shift 10 s:
  ``exp(mean(log(t + 10))) − 10``, unsolved runs counted at their time limit;
* performance profile (Dolan & Moré 2002): per instance (instance, pes, architecture, problem, seed,
  repetition) the ratio of a method's time to the best method's time, unsolved = ∞; ``ρ_m(τ)`` = share of
  instances with ratio ≤ τ.
"""
from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from edgedse.bench.store import Store
from edgedse.errors import InputError

SHIFT_S = 10.0


def _solved(r: dict) -> bool:
    return r["status"] == "optimal" and r["outcome"] in ("ok", "improved-reference")


def _time(r: dict) -> float:
    """Solve time (the subprocess start-up excluded) of a solved run, else its time limit."""
    if not _solved(r):
        return r["time_limit_s"]
    return r["solve_time_s"] if r["solve_time_s"] is not None else r["wall_time_s"]


def shifted_geometric_mean(values, shift: float = SHIFT_S) -> float:
    values = list(values)
    if not values:
        return float("nan")
    return math.exp(sum(math.log(v + shift) for v in values) / len(values)) - shift


def summarize(rows: list[dict]) -> dict:
    """``{"runs", "invalid", "wrong", "by_method": {name: {...}}}``."""
    by = defaultdict(list)
    for r in rows:
        by[r["method_name"]].append(r)
    out = {}
    for m, rs in sorted(by.items()):
        gaps = [r["gap"] for r in rs if r["gap"] is not None]
        outcomes = defaultdict(int)
        for r in rs:
            outcomes[r["outcome"]] += 1
        out[m] = {"runs": len(rs), "solved": sum(_solved(r) for r in rs),
                  "sgm_time_s": shifted_geometric_mean(_time(r) for r in rs),
                  "mean_gap": sum(gaps) / len(gaps) if gaps else None,
                  "wrong": outcomes["wrong"], "invalid": outcomes["invalid"], "timeout": outcomes["timeout"],
                  "crash": outcomes["crash"], "improved_reference": outcomes["improved-reference"]}
    return {"runs": len(rows), "invalid": sum(r["outcome"] == "invalid" for r in rows),
            "wrong": sum(r["outcome"] == "wrong" for r in rows), "by_method": out}


def performance_profile(rows: list[dict]) -> dict[str, list[tuple[float, float]]]:
    """``{method: [(τ, ρ(τ)), …]}`` — steps of the Dolan–Moré profile on wall time."""
    inst = defaultdict(dict)
    for r in rows:
        ident = (r["problem"], r["instance"], r["pes"], r["architecture"], r["seed"], r["repetition"])
        inst[ident][r["method_name"]] = _time(r) if _solved(r) else math.inf
    methods = sorted({r["method_name"] for r in rows})
    ratios = defaultdict(list)
    for times in inst.values():
        best = max(min(times.values()), 1e-9)
        for m in methods:
            t = times.get(m, math.inf)
            ratios[m].append(max(t, 1e-9) / best if math.isfinite(t) else math.inf)
    out = {}
    for m in methods:
        rs = sorted(ratios[m])
        n = len(rs)
        out[m] = [(tau, sum(x <= tau for x in rs) / n) for tau in sorted({x for x in rs if math.isfinite(x)})]
    return out


def plot_profile(rows: list[dict], path: str | Path | None = None, ax=None):
    """Draw the performance profile of ``rows`` (saved to ``path`` if given); returns the axes."""
    from edgedse.analysis.plots import _finish, _plt

    if ax is None:
        _, ax = _plt().subplots(figsize=(6, 4))
    for m, steps in performance_profile(rows).items():
        if steps:
            ax.step([1.0] + [t for t, _ in steps], [0.0] + [r for _, r in steps], where="post", label=m)
    ax.set_xscale("log")
    ax.set_xlabel("τ (solve time / best solve time)")
    ax.set_ylabel("share of instances solved within τ")
    ax.set_ylim(0, 1.02)
    ax.legend()
    return _finish(ax, path)


def export(rows: list[dict], path: str | Path) -> None:
    path = Path(path)
    if path.suffix == ".csv":
        import csv

        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else [])
            w.writeheader()
            w.writerows(rows)
    elif path.suffix == ".parquet":
        try:
            import pandas as pd
        except ImportError:
            raise InputError(path, "export", "Parquet needs pandas and pyarrow",
                             'pip install "edgedse[bench]"') from None
        pd.DataFrame(rows).to_parquet(path, index=False)
    else:
        raise InputError(path, "export", f"unknown format {path.suffix!r}", "use .csv or .parquet")


def report(store: str | Path, *, profile: str | Path | None = None, export_to: str | Path | None = None) -> dict:
    path = Path(store)
    if not path.is_file():
        raise InputError(path, "store", "does not exist", "run `edgedse bench SUITE.yaml --store PATH` first")
    db = Store(path)
    rows = db.rows()
    db.close()
    if profile is not None:
        plot_profile(rows, profile)
    if export_to is not None:
        export(rows, export_to)
    return summarize(rows)
