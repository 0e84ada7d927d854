"""Precision assignment as a multiple-choice knapsack MILP (HiGHS, built as numpy blocks).

Sets: layers ``i``, options ``b``. Variables: ``x[i,b] ∈ {0,1}``; ``A ≥ 0`` (activation buffer, bytes) and
``C ≥ 0`` (im2col buffer, bytes), the linearized max terms of the PaQ memory model.

* ``define_one_hot``         Σ_b x[i,b] = 1                                   ∀ i
* ``define_ties``            x[i,b] = x[j,b]                                  ∀ tied (i, j), b
* ``define_activation_max``  A ≥ Σ_b act[i,b]·x[i,b]                          ∀ i
* ``define_im2col_max``      C ≥ Σ_b im2col[i,b]·x[i,b]                       ∀ i
* ``define_budgets``         Σ metric[i,b]·x[i,b] (+ A + C + fixed for memory) ≤ budget, per budgeted metric
* ``define_no_good``         Σ_i x[i,c_i] ≤ n − 1                              ∀ excluded configuration c
* objective                  min the chosen metric (memory: Σ weight·x + A + C).

Metrics are scaled to about 1e6 in the model (HiGHS tolerances); decoded choices are re-evaluated exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgedse.formulations.matrix import INF, MatrixModel
from edgedse.models.precision import PrecisionProblem


@dataclass
class Built:
    model: MatrixModel
    x: np.ndarray          # (n, B) column indices
    scale: dict


def metric_scale(p: PrecisionProblem, metric: str) -> float:
    """A factor making the metric's largest possible total about 1e6 in the model."""
    if metric == "memory":
        top = p.weight.max(1).sum() + p.act.max() + p.im2col.max() + p.fixed_memory
    else:
        top = getattr(p, metric).max(1).sum()
    return 1e6 / top if top > 0 else 1.0


def build(p: PrecisionProblem, minimize: str, budgets: dict[str, float], excluded=()) -> Built:
    mm = MatrixModel(name=f"{p.name}_precision")
    n, B = p.n, len(p.bits)
    x = mm.add_vars("x", n * B, 0, 1, True).reshape(n, B)
    A = mm.add_vars("A", 1, 0, INF, False)[0]
    C = mm.add_vars("C", 1, 0, INF, False)[0]
    scale = {m: metric_scale(p, m) for m in ("loss", "energy", "latency", "memory")}
    rows = np.repeat(np.arange(n), B)
    # define_one_hot
    mm.add_rows("one_hot", np.ones(n), np.ones(n), (rows, x.ravel(), 1.0))
    # define_ties
    pairs = [(g[0], j) for g in p.ties for j in g[1:]]
    if pairs:
        r = np.arange(len(pairs) * B)
        i_cols = np.concatenate([x[i] for i, _ in pairs])
        j_cols = np.concatenate([x[j] for _, j in pairs])
        mm.add_rows("ties", np.zeros(r.size), np.zeros(r.size), (r, i_cols, 1.0), (r, j_cols, -1.0))
    s = scale["memory"]
    # define_activation_max, define_im2col_max:  Σ_b v[i,b]·x[i,b] − M ≤ 0
    for name, table, col in (("activation_max", p.act, A), ("im2col_max", p.im2col, C)):
        mm.add_rows(name, np.full(n, -INF), np.zeros(n), (rows, x.ravel(), (table * s).ravel()),
                    (np.arange(n), np.full(n, col), -1.0))

    def metric_terms(metric):
        if metric == "memory":
            return [(np.zeros(n * B, dtype=int), x.ravel(), (p.weight * s).ravel()),
                    (np.zeros(2, dtype=int), np.array([A, C]), 1.0)], p.fixed_memory * s
        return [(np.zeros(n * B, dtype=int), x.ravel(), (getattr(p, metric) * scale[metric]).ravel())], 0.0

    # define_budgets
    for metric, cap in budgets.items():
        terms, const = metric_terms(metric)
        mm.add_rows(f"budget_{metric}", [-INF], [cap * scale[metric] - const + 1e-9 * max(1.0, cap * scale[metric])],
                    *terms)
    # define_no_good
    for k, c in enumerate(excluded):
        mm.add_rows(f"no_good_{k}", [-INF], [n - 1], (np.zeros(n, dtype=int), x[np.arange(n), list(c)], 1.0))
    terms, _ = metric_terms(minimize)
    mm.set_objective(np.concatenate([t[1] for t in terms]),
                     np.concatenate([np.broadcast_to(t[2], t[1].shape) for t in terms]))
    return Built(mm, x, scale)


def warm_start(built: Built, p: PrecisionProblem, choice) -> np.ndarray:
    vals = np.zeros(built.model.n_col)
    vals[built.x[np.arange(p.n), list(choice)]] = 1.0
    s = built.scale["memory"]
    vals[built.model.var_blocks["A"][0]] = p.act[np.arange(p.n), list(choice)].max() * s
    vals[built.model.var_blocks["C"][0]] = p.im2col[np.arange(p.n), list(choice)].max() * s
    return vals


def decode(built: Built, values) -> tuple[int, ...]:
    v = np.asarray(values)[built.x]
    return tuple(int(j) for j in v.argmax(1))
