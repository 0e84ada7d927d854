"""Fused-group selection as set partitioning over enumerated candidate groups (MILP via HiGHS, and CP-SAT).

Sets: nodes ``v``, candidate columns ``j`` = (group, best tile under the buffer) from
:func:`edgedse.models.fusion.candidate_groups`. Parameters: cost ``c_j`` (bytes, J or s), cover ``a_vj``.
Variables ``y_j ∈ {0, 1}``.

* ``define_partition``   Σ_j a_vj·y_j = 1                     ∀ v   (every node in exactly one group)
* ``define_no_good``     Σ_{j ∈ S} y_j ≤ |S| − 1              for each rejected selection S (groups whose
                         order is cyclic: a group-level cycle cannot execute; added lazily)
* objective              min Σ_j c_j·y_j.

The best tile of a group does not depend on the other groups (groups run one after another and reuse the
buffer), so choosing it per column is exact.
"""
from __future__ import annotations

import numpy as np

from edgedse.formulations.matrix import INF, MatrixModel


def build_milp(n_nodes: int, columns, cost, excluded=()):
    """``columns``: list of node tuples; ``cost``: list of floats → (MatrixModel, y indices)."""
    mm = MatrixModel(name="fusion")
    y = mm.add_vars("y", len(columns), 0, 1, True)
    rows = np.concatenate([np.asarray(c) for c in columns])
    cols = np.concatenate([np.full(len(c), j) for j, c in enumerate(columns)])
    mm.add_rows("partition", np.ones(n_nodes), np.ones(n_nodes), (rows, y[cols], 1.0))
    for k, sel in enumerate(excluded):
        mm.add_rows(f"no_good_{k}", [-INF], [len(sel) - 1], (np.zeros(len(sel), dtype=int), y[list(sel)], 1.0))
    scale = 1e6 / max(max(cost), 1e-300)
    mm.set_objective(y, np.asarray(cost) * scale)
    return mm, y, scale


def build_cpsat(n_nodes: int, columns, cost, excluded=(), hint=None):
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    y = [m.NewBoolVar(f"y[{j}]") for j in range(len(columns))]
    cover = [[] for _ in range(n_nodes)]
    for j, c in enumerate(columns):
        for v in c:
            cover[v].append(y[j])
    for v in range(n_nodes):
        m.AddExactlyOne(cover[v])
    for sel in excluded:
        m.Add(sum(y[j] for j in sel) <= len(sel) - 1)
    scale = 1e9 / max(max(cost), 1e-300)
    m.Minimize(sum(int(round(c * scale)) * y[j] for j, c in enumerate(cost)))
    if hint is not None:
        for j in range(len(columns)):
            m.AddHint(y[j], int(j in hint))
    return m, y, scale
