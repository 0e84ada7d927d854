"""Precision assignment in CP-SAT: the same families as :mod:`precision_milp` on integers.

``x[i,b]`` Booleans with ExactlyOne per layer (``define_one_hot``), ties as equalities, ``A``/``C`` as
AddMaxEquality of the chosen buffers (``define_activation_max``, ``define_im2col_max``), budgets and no-good
cuts as linear rows. Metrics are scaled to integers (about 1e7 units in total) and rounded to nearest; a
budget's cap is widened by the worst rounding (½ unit per term), so no choice meeting the exact budget is
cut off. The solver loop re-checks each answer against the exact budgets and cuts off the rare choice the
widening admitted (:func:`edgedse.solvers.precision._solve_exact`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edgedse.formulations.precision_milp import metric_scale
from edgedse.models.precision import PrecisionProblem


@dataclass
class Built:
    model: object
    x: list               # x[i][b] literals


def build(p: PrecisionProblem, minimize: str, budgets: dict[str, float], excluded=(), hint=None) -> Built:
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    n, B = p.n, len(p.bits)
    x = [[m.NewBoolVar(f"x[{i},{b}]") for b in range(B)] for i in range(n)]
    for i in range(n):
        m.AddExactlyOne(x[i])
    for g in p.ties:
        for j in g[1:]:
            for b in range(B):
                m.Add(x[g[0]][b] == x[j][b])

    def expr(metric, rounding):
        sc = metric_scale(p, metric) * 10  # about 1e7 units in total
        if metric != "memory":
            tab = getattr(p, metric)
            return sum(int(rounding(tab[i, b] * sc)) * x[i][b] for i in range(n) for b in range(B)), sc
        top_a, top_c = int(rounding(p.act.max() * sc)), int(rounding(p.im2col.max() * sc))
        A, C = m.NewIntVar(0, top_a, "A"), m.NewIntVar(0, top_c, "C")
        m.AddMaxEquality(A, [sum(int(rounding(p.act[i, b] * sc)) * x[i][b] for b in range(B)) for i in range(n)])
        m.AddMaxEquality(C, [sum(int(rounding(p.im2col[i, b] * sc)) * x[i][b] for b in range(B)) for i in range(n)])
        w = sum(int(rounding(p.weight[i, b] * sc)) * x[i][b] for i in range(n) for b in range(B))
        return w + A + C + int(rounding(p.fixed_memory * sc)), sc

    for metric, cap in budgets.items():
        e, sc = expr(metric, round)
        m.Add(e <= int(math.floor(cap * sc + 0.5 * (n + 3) + 1e-9)))
    for c in excluded:
        m.Add(sum(x[i][c[i]] for i in range(n)) <= n - 1)
    obj, _ = expr(minimize, round)
    m.Minimize(obj)
    if hint is not None:
        for i in range(n):
            for b in range(B):
                m.AddHint(x[i][b], int(hint[i] == b))
    return Built(m, x)


def decode(built: Built, solver) -> tuple[int, ...]:
    return tuple(int(np.argmax([solver.Value(v) for v in row])) for row in built.x)
