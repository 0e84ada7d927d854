"""Contiguous pipeline stages: a mapping in which one iteration crosses each PE once (CP-SAT).

The classic partition of pipeline-parallel DNN inference: the PEs are put in an order ``π_0, …, π_{m−1}``
(the stages) and every layer's firings lie on a run of consecutive stages, never earlier than any stage of a
layer it reads. One iteration then enters each PE once, so on each PE its firings form one contiguous
block — on a full circle, every return to a PE after leaving it costs a further lap (``s ≡ r (mod P)`` with
the arc just left occupied), which is what makes stage 1's balanced mappings wrap many times.

Sets: layers ``l`` with modes ``a ∈ A_l`` (``q[l,a]`` firings); stages ``s = 0..m−1`` with PE ``π_s``.
Parameters (ticks): period ``P``; ``d[l,a,k]``; bus occupancy ``β[l,a]`` (milliticks); edges ``E``.
Variables: mode ``z[l,a] ∈ {0,1}``; firings ``n[l,a,s] ∈ 0..q[l,a]`` of layer l in mode a on stage s (only
where ``d[l,a,π_s] ≤ P``); used flags ``u[l,a,s]``; first and last stage ``σ⁻_l ≤ σ⁺_l`` of layer l.

* ``define_modes``       ``Σ_a z[l,a] = 1``;  ``Σ_s n[l,a,s] = q[l,a]·z[l,a]``
* ``define_stage_span``  ``u[l,a,s] ⇔ n[l,a,s] ≥ 1``;  ``u[l,a,s] ⇒ σ⁻_l ≤ s ≤ σ⁺_l``
* ``define_stage_order`` ``σ⁻_v ≥ σ⁺_u`` for every edge (u, v) (a layer may share only its last stage with a
                         producer: that stage runs the producer's firings there first)
* ``define_capacity``    ``Σ_{l,a} d[l,a,π_s]·n[l,a,s] ≤ P`` per stage;  ``Σ_{l,a} β[l,a]·q[l,a]·z[l,a] ≤ 1000·P``
* objective: ``min Σ_{l,a,s} d[l,a,π_s]·n[l,a,s]`` — the total work, which every block of the pipeline
  carries on the line — plus ``Σ_l (σ⁺_l − σ⁻_l)`` (fewer layers split across stages) as a tie-break.

A feasible answer is a mapping at period ≤ P (loads and bus as stage 1 counts them); it says nothing of the
latency's bound. Measured on ResNet-18 / mpsoc4 at 1.02 · P_min (4,301 ticks): only the order (big,
little, little, big) fits; packed, it gives latency 17,122 ticks, and the exact MILP at that mapping 16,305,
proven; the period × latency front's starts from its previous points gave nothing below 28,668 there. At
P_min itself no stage order fits ResNet-18 or VGG16 (VGG16's pools run only on the ARM cores, between
convolutions on the CE), so :func:`~edgedse.solvers.periodic_heuristics.stage_pipeline_schedules` returns
nothing and the front is unchanged there.
"""
from __future__ import annotations

from dataclasses import dataclass

from edgedse.models.periodic import BUS_UNITS_PER_TICK, Mapping, PeriodicProblem

SPLIT_WEIGHT = 1  # objective weight of one stage a layer spans beyond its first (ticks of work)


@dataclass
class StageModel:
    model: object                       # ortools CpModel
    order: tuple[int, ...]              # PE of each stage
    z: dict                             # (l, a) -> BoolVar
    n: dict                             # (l, a, s) -> IntVar


def build_stage_model(problem: PeriodicProblem, period: int, order: tuple[int, ...]) -> StageModel:
    """The model of the module docstring for the stage order ``order`` (PE indices) at period ``period``."""
    from ortools.sat.python import cp_model

    p, P = problem, int(period)
    m = cp_model.CpModel()
    z, n, used = {}, {}, {}
    for l, ly in enumerate(p.layers):
        for a, md in enumerate(ly.modes):
            z[l, a] = m.NewBoolVar(f"z_{l}_{a}")
            for s, k in enumerate(order):
                if 0 <= md.time[k] <= P:
                    n[l, a, s] = m.NewIntVar(0, md.firings, f"n_{l}_{a}_{s}")
                    used[l, a, s] = m.NewBoolVar(f"u_{l}_{a}_{s}")
    first = [m.NewIntVar(0, len(order) - 1, f"first_{l}") for l in range(p.n_layers)]
    last = [m.NewIntVar(0, len(order) - 1, f"last_{l}") for l in range(p.n_layers)]
    define_modes(m, p, z, n)
    define_stage_span(m, n, used, first, last)
    define_stage_order(m, p, first, last)
    work = define_capacity(m, p, order, P, z, n)
    m.Minimize(work + SPLIT_WEIGHT * sum(last[l] - first[l] for l in range(p.n_layers)))
    return StageModel(m, tuple(order), z, n)


def define_modes(m, p: PeriodicProblem, z, n) -> None:
    """``Σ_a z[l,a] = 1``;  ``Σ_s n[l,a,s] = q[l,a]·z[l,a]``."""
    for l, ly in enumerate(p.layers):
        m.AddExactlyOne(z[l, a] for a in range(len(ly.modes)))
        for a, md in enumerate(ly.modes):
            m.Add(sum(x for (l2, a2, _), x in n.items() if (l2, a2) == (l, a)) == md.firings * z[l, a])


def define_stage_span(m, n, used, first, last) -> None:
    """``u[l,a,s] ⇔ n[l,a,s] ≥ 1``;  ``u[l,a,s] ⇒ σ⁻_l ≤ s ≤ σ⁺_l``;  ``σ⁻_l ≤ σ⁺_l``."""
    for (l, a, s), x in n.items():
        u = used[l, a, s]
        m.Add(x >= 1).OnlyEnforceIf(u)
        m.Add(x == 0).OnlyEnforceIf(u.Not())
        m.Add(first[l] <= s).OnlyEnforceIf(u)
        m.Add(last[l] >= s).OnlyEnforceIf(u)
    for lo, hi in zip(first, last):
        m.Add(lo <= hi)


def define_stage_order(m, p: PeriodicProblem, first, last) -> None:
    """``σ⁻_v ≥ σ⁺_u`` for every edge (u, v)."""
    for u, v in p.edges:
        m.Add(first[v] >= last[u])


def define_capacity(m, p: PeriodicProblem, order, P: int, z, n):
    """``Σ d[l,a,π_s]·n[l,a,s] ≤ P`` per stage; the bus ``Σ β[l,a]·q[l,a]·z[l,a] ≤ 1000·P``. Returns the total
    work (the objective's first term)."""
    loads = [[] for _ in order]
    for (l, a, s), x in n.items():
        loads[s].append(int(p.layers[l].modes[a].time[order[s]]) * x)
    for terms in loads:
        m.Add(sum(terms) <= P)
    m.Add(sum(p.layers[l].modes[a].bus * p.layers[l].modes[a].firings * z[l, a] for l, a in z)
          <= BUS_UNITS_PER_TICK * P)
    return sum(sum(terms) for terms in loads)


def read_stage_mapping(problem: PeriodicProblem, built: StageModel, solver) -> Mapping:
    """The mapping of a solved model: each layer's mode and its firings' PEs, stage by stage."""
    modes, pes = [], []
    for l, ly in enumerate(problem.layers):
        a = next(a for a in range(len(ly.modes)) if solver.Value(built.z[l, a]))
        modes.append(a)
        row: list[int] = []
        for s, k in enumerate(built.order):
            if (l, a, s) in built.n:
                row += [k] * int(solver.Value(built.n[l, a, s]))
        pes.append(tuple(row))
    return Mapping(tuple(modes), tuple(pes))
