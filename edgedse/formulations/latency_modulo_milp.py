"""The least latency of a pipelined schedule whose period, modes and mapping are fixed: the
modulo-disjunctive MILP (Pyomo → HiGHS), exact for that mapping.

Sets: firings ``i`` (layer ``l_i`` on PE ``k_i``, taken from a schedule); ordered pairs ``(i, j)``, ``i < j``,
on one PE with both durations positive; ``E`` the layer edges.
Parameters (ticks): period ``P``; duration ``d_i = d[l_i, a, k_i]``; transfer ``c_ij = c(k_i, k_j, vol[l_i])``;
``K`` the iterations in flight that fit the shared memory; ``Λ`` a latency cap (the start's latency).
Variables: start ``s_i ∈ [0, Λ]`` of firing i in iteration 0; laps ``h_ij`` (integer) between the circles
positions of i and j; latency ``L``.

* ``define_precedence``         ``s_j ≥ s_i + d_i + c_ij`` for every firing i of u and j of v, (u, v) ∈ E
* ``define_modulo_no_overlap``  ``d_i ≤ s_j − s_i + P·h_ij ≤ P − d_j``: on the circle of length P, j's
                                occupation starts at least ``d_i`` after i's and ends before i's next one.
                                P is a constant, so there is no big-M: the laps are the only integers
* ``define_firing_order``       ``s_j ≥ s_i + d_i`` for consecutive firings of one layer on one PE
                                (interchangeable firings, numbered by start; without it HiGHS left
                                VGG16[:4] at P_min open after 60 s, with it the optimum is proven at once)
* ``define_latency``            ``L ≥ s_t + d_t − s_f`` for firings t of sink layers, f of source layers (every
                                firing lies between them on the line: the span the evaluator measures)
* ``define_memory``             ``L ≤ K·P``
* objective ``min L``.

Why the laps suffice: once every ``h_ij`` is fixed, the rest are difference constraints, whose least
solution (longest paths from 0) is integral; :func:`earliest_starts` recomputes the starts that way from the
laps HiGHS returns, so the schedule read back is exact in integer ticks. The mapping's choice is left to the
callers (:func:`~edgedse.solvers.periodic_latency.latency_at_mapping`): this model certifies the latency of
one mapping, not of the problem.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from edgedse.models.periodic import Firing, PeriodicProblem, PeriodicSchedule


@dataclass(frozen=True)
class MappedFirings:
    """The firings of a fixed mapping, numbered ``i``: ``layer[i]``, ``pe[i]``, ``duration[i]`` (ticks), and each
    layer's firings on one PE in start order (``order``: lists of firing numbers)."""

    layer: tuple[int, ...]
    pe: tuple[int, ...]
    duration: tuple[int, ...]
    order: tuple[tuple[int, ...], ...]


def mapped_firings(problem: PeriodicProblem, schedule: PeriodicSchedule) -> tuple[MappedFirings, list[int]]:
    """``(firings, starts)``: the schedule's firings grouped by layer and PE in start order, and their starts."""
    groups: dict[tuple[int, int], list[Firing]] = {}
    for f in schedule.firings:
        groups.setdefault((f.layer, f.pe), []).append(f)
    layer, pe, dur, order, starts = [], [], [], [], []
    for (l, k), mine in sorted(groups.items()):
        mine.sort(key=lambda f: f.start)
        order.append(tuple(range(len(layer), len(layer) + len(mine))))
        for f in mine:
            layer.append(l)
            pe.append(k)
            dur.append(int(problem.layers[l].modes[schedule.modes[l]].time[k]))
            starts.append(f.start)
    return MappedFirings(tuple(layer), tuple(pe), tuple(dur), tuple(order)), starts


def precedence_arcs(problem: PeriodicProblem, modes, fir: MappedFirings):
    """``(i, j, least s_j − s_i)`` for every pair of firings a layer edge orders (ticks, transfer included)."""
    by_layer: dict[int, list[int]] = {}
    for i, l in enumerate(fir.layer):
        by_layer.setdefault(l, []).append(i)
    for u, v in problem.edges:
        vol = problem.edge_volume(u, modes[u])
        for i in by_layer.get(u, []):
            for j in by_layer.get(v, []):
                yield i, j, fir.duration[i] + problem.comm_ticks(fir.pe[i], fir.pe[j], vol)


def sharing_pairs(fir: MappedFirings) -> list[tuple[int, int]]:
    """The pairs ``i < j`` that occupy one PE (both durations positive): the modulo non-overlap's pairs."""
    n = len(fir.layer)
    return [(i, j) for i in range(n) for j in range(i + 1, n)
            if fir.pe[i] == fir.pe[j] and fir.duration[i] > 0 and fir.duration[j] > 0]


def build_modulo_latency(problem: PeriodicProblem, schedule: PeriodicSchedule, latency_cap: int):
    """The model of the module docstring at ``schedule``'s period, modes and mapping, with ``L ≤ latency_cap``
    (ticks). Returns ``(model, firings)``; ``model.s``, ``model.h``, ``model.L`` are its variables."""
    import pyomo.environ as pyo

    p, P, cap = problem, int(schedule.period), int(latency_cap)
    fir, _ = mapped_firings(p, schedule)
    n, d = len(fir.layer), fir.duration
    pairs = sharing_pairs(fir)
    m = pyo.ConcreteModel(name=f"{p.name}_modulo_latency")
    m.s = pyo.Var(range(n), domain=pyo.NonNegativeReals, bounds=(0, cap))
    m.h = pyo.Var(pairs, domain=pyo.Integers,
                  bounds=lambda m, i, j: (math.ceil((d[i] - cap) / P), math.floor((P - d[j] + cap) / P)))
    m.L = pyo.Var(domain=pyo.NonNegativeReals, bounds=(0, cap))
    define_precedence(m, list(precedence_arcs(p, schedule.modes, fir)))
    define_modulo_no_overlap(m, pairs, d, P)
    define_firing_order(m, fir)
    define_latency(m, p, fir)
    define_memory(m, p.max_iterations_in_flight(), P)
    m.obj = pyo.Objective(expr=m.L, sense=pyo.minimize)
    return m, fir


def define_precedence(m, arcs) -> None:
    """``s_j ≥ s_i + d_i + c_ij`` for every arc ``(i, j, d_i + c_ij)``."""
    import pyomo.environ as pyo

    m.precedence = pyo.Constraint(range(len(arcs)), rule=lambda m, q: m.s[arcs[q][1]] - m.s[arcs[q][0]] >= arcs[q][2])


def define_modulo_no_overlap(m, pairs, d, P: int) -> None:
    """``d_i ≤ s_j − s_i + P·h_ij ≤ P − d_j`` for every pair on one PE."""
    import pyomo.environ as pyo

    m.modulo_no_overlap = pyo.Constraint(pairs, rule=lambda m, i, j: pyo.inequality(
        d[i], m.s[j] - m.s[i] + P * m.h[i, j], P - d[j]))


def define_firing_order(m, fir: MappedFirings) -> None:
    """``s_j ≥ s_i + d_i`` for consecutive firings ``i, j`` of one layer on one PE."""
    import pyomo.environ as pyo

    consecutive = [(i, j) for grp in fir.order for i, j in zip(grp, grp[1:])]
    m.firing_order = pyo.Constraint(consecutive, rule=lambda m, i, j: m.s[j] - m.s[i] >= fir.duration[i])


def define_latency(m, problem: PeriodicProblem, fir: MappedFirings) -> None:
    """``L ≥ s_t + d_t − s_f`` for firings t of sink layers and f of source layers."""
    import pyomo.environ as pyo

    g = problem.graph
    spans = [(t, f) for t, lt in enumerate(fir.layer) if g.out_degree(lt) == 0
             for f, lf in enumerate(fir.layer) if g.in_degree(lf) == 0]
    m.latency = pyo.Constraint(spans, rule=lambda m, t, f: m.L >= m.s[t] + fir.duration[t] - m.s[f])


def define_memory(m, k_max: int | None, P: int) -> None:
    """``L ≤ K·P`` (no constraint when the shared memory is unlimited)."""
    import pyomo.environ as pyo

    if k_max is not None:
        m.memory = pyo.Constraint(expr=m.L <= k_max * P)


def warm_start(m, problem: PeriodicProblem, schedule: PeriodicSchedule) -> dict:
    """The model's values at the valid ``schedule`` it was built from: its starts shifted to a first start at 0,
    and each pair's laps ``h_ij = ⌈(d_i − (s_j − s_i)) / P⌉``."""
    from pyomo.common.collections import ComponentMap

    fir, starts = mapped_firings(problem, schedule)
    P, first = int(schedule.period), min(starts)
    s = [x - first for x in starts]
    vals = ComponentMap()
    for i, x in enumerate(s):
        vals[m.s[i]] = float(x)
    for i, j in m.h:
        vals[m.h[i, j]] = float(-((s[j] - s[i] - fir.duration[i]) // P))
    vals[m.L] = float(max(x + d for x, d in zip(s, fir.duration)))
    return vals


def earliest_starts(problem: PeriodicProblem, schedule: PeriodicSchedule, fir: MappedFirings,
                    laps: dict[tuple[int, int], int]) -> list[int] | None:
    """The least starts (ticks, ≥ 0) meeting the difference constraints of the module docstring with the laps
    fixed to ``laps``, by longest paths (Bellman–Ford); None if the laps admit no schedule."""
    import networkx as nx

    P, d = int(schedule.period), fir.duration
    g = nx.DiGraph()
    root = -1
    g.add_nodes_from(range(len(d)))
    g.add_weighted_edges_from((root, i, 0) for i in range(len(d)))

    def arc(i, j, least):  # s_j − s_i ≥ least; longest paths as shortest paths on negated weights
        w = -least
        if not g.has_edge(i, j) or g[i][j]["weight"] > w:
            g.add_edge(i, j, weight=w)

    for i, j, least in precedence_arcs(problem, schedule.modes, fir):
        arc(i, j, least)
    for grp in fir.order:
        for i, j in zip(grp, grp[1:]):
            arc(i, j, d[i])
    for (i, j), h in laps.items():
        arc(i, j, d[i] - P * h)
        arc(j, i, d[j] - P + P * h)
    try:
        dist = nx.single_source_bellman_ford_path_length(g, root)
    except nx.NetworkXUnbounded:
        return None
    return [int(-dist[i]) for i in range(len(d))]


def read_schedule(problem: PeriodicProblem, schedule: PeriodicSchedule, fir: MappedFirings, m, values):
    """The schedule of a solved model: the laps read (rounded) and the starts recomputed by
    :func:`earliest_starts`; None if the rounded laps admit no schedule."""
    laps = {(i, j): int(round(values[m.h[i, j]])) for i, j in m.h}
    starts = earliest_starts(problem, schedule, fir, laps)
    if starts is None:
        return None
    counter: dict[int, int] = {}
    out = []
    for i, s in sorted(enumerate(starts), key=lambda t: (fir.layer[t[0]], t[1], fir.pe[t[0]])):
        l = fir.layer[i]
        out.append(Firing(l, counter.get(l, 0), fir.pe[i], s))
        counter[l] = counter.get(l, 0) + 1
    return PeriodicSchedule(schedule.modes, tuple(out), schedule.period)
