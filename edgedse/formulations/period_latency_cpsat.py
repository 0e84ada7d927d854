"""CP-SAT model of one pipelined iteration with the period, the modes and the mapping all free — the
latency stage, and both directions of the period × latency front (notation in :mod:`edgedse.models.periodic`).

Sets: layers ``l``, modes ``a ∈ A_l``, candidate firings ``i = (l, a, f)``, ``f < q[l,a]``, PEs ``k``,
windows ``w = 0..W−1``.  Variables: ``z[l,a]`` (mode), ``x[i,k]`` (firing i runs on PE k), start
``s_i`` (ticks), residue ``r_i ∈ [0, P)``, window literals ``b[i,w]``, period ``P ∈ [P_lo, P_hi]``,
latency ``L``.

* ``define_mode_choice``        Σ_a z[l,a] = 1;  Σ_k x[i,k] = z[l,a]  for i ∈ (l, a)
* ``define_windows``            b[i,w] ⇒ s_i = w·P + r_i;  Σ_w b[i,w] = 1  (linear although P is a variable:
                                ``w`` is a constant of each literal); when the period is fixed
                                (``P_lo = P_hi``), one integer window ``w_i ∈ [0, W)`` and s_i = P·w_i + r_i
                                instead — far stronger propagation (VGG16 at P_min, from a 172,545-tick
                                start: 69,997 ticks in 60 s; the literals model reached 171,196 in 30 s)
* ``define_line_no_overlap``    (``wrap=False``, *one iteration on the line*) instead of residues, windows and
                                the modulo NoOverlap: per PE k, NoOverlap of ``[s_i, s_i + d[i,k])``; every
                                start in ``[0, L_max]``
* ``define_modulo_no_overlap``  per PE k, NoOverlap of the arcs ``[r_i, r_i + d[i,k])`` and their copies
                                ``[r_i + P, r_i + P + d[i,k])`` present iff x[i,k]; the copies make arcs that
                                wrap past the period boundary exact (two arcs on a circle of length P
                                overlap iff they overlap on the line at shift 0 or ±P); ``d[i,k] ≤ P``
* ``define_precedence``         per edge (u, v), mode a of u and PE k: ``E[u,a,k] ≥ s_i + d[i,k]`` and
                                ``y[u,a,k] ≥ x[i,k]`` for u's firings i in mode a on k; then every firing j of
                                v on PE k': ``s_j ≥ E[u,a,k] + c(k, k', vol[u,a])`` if y[u,a,k] ∧ x[j,k']
* ``define_bus``                Σ β[l,a]·q[l,a]·z[l,a] ≤ 1000·P
* ``define_layer_span``         S_l ≤ s_i, T_l ≥ s_i + d_i (i ∈ l present); T_l ≥ S_l + Σ_a z[l,a]·span[l,a],
                                span the least T with Σ_k ⌊T / d[l,a,k]⌋ ≥ q[l,a];
                                T_l − S_l ≥ Σ_{i ∈ l} d[i,k]·x[i,k] per PE k (its firings there in turn);
                                S_v ≥ T_u for (u, v) ∈ E (redundant: the critical path for the relaxation)
* ``define_pe_load``            Σ_i d[i,k]·x[i,k] ≤ P per PE (redundant with the NoOverlap; linear)
* ``define_latency``            L ≥ T_l − S_j for sink layers l, source layers j; L ≥ ``latency_min`` (a
                                bound proven elsewhere, e.g. by :mod:`edgedse.formulations.latency_bound_milp`)
* ``define_memory``             L ≤ K·P (K iterations' feature maps fit the shared memory)
* ``define_energy_cap``         Σ e[i,k]·x[i,k] ≤ cap (optional, scaled to integers)
* objective ``min L`` (P ≤ P_hi) or ``min P`` (L ≤ latency cap).

**One iteration on the line** (``wrap=False``) is a relaxation of the periodic problem for ``P ≤ P_hi``: one
iteration of a periodic schedule is a schedule on the line with the same modes, mapping, P and L (two of its
firings on one PE have disjoint arcs on the circle, so disjoint intervals on the line), and every other family
holds unchanged. Conversely a line schedule with ``L ≤ P_hi`` *is* a periodic schedule at period
``max(L, its mapping's least period) ≤ max(L, P) ≤ P_hi``: all its firings lie in ``[0, L)``, a stretch no
longer than the period, so no two arcs of one PE meet on the circle (:func:`line_period`). Hence, when the
least line latency is at most ``P_hi``, it is the least periodic latency for ``P ≤ P_hi``, and this much
smaller model (no residues, no windows, no wrapped copies) decides it. ResNet-18 on mpsoc4 at ``P ≤ 6,325``
(1.5·P_min), hinted with the periodic model's best (latency 5,673): 5,665 to 5,671 in 10 s on 2 threads
(wall-clock limits, so runs differ).

An optimal iteration can be shifted by whole periods so its first start lies in window 0; hence
``W = ⌈(L_max + P_hi) / P_lo⌉`` windows suffice, with ``L_max`` the latency cap (or the hint's latency
when minimizing it, or K·P_hi). Symmetry: the firings of one layer and mode start in index order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from edgedse.models.periodic import (BUS_UNITS_PER_TICK, PeriodicProblem, firings_in_start_order,
                                     mapping_min_period, schedule_mapping)


@dataclass
class LatencyModel:
    model: object
    items: list            # (layer, mode, index)
    start: list
    assign: dict           # (i, k) -> literal
    z: dict                # (layer, mode) -> literal
    period: object
    latency: object
    residue: list          # r_i = s_i mod P
    window: list           # per item: its window literals, or one integer window (fixed period)
    pes_of: dict           # item -> [(PE, literal)]
    wrap: bool = True      # False: one iteration on the line (no residues or windows: their lists hold None)


def _serial_latency(p: PeriodicProblem) -> int:
    """Every firing one after another at its slowest allowed PE in its slowest mode, plus every transfer."""
    total = sum(max(int(md.time.max()) * md.firings for md in ly.modes) for ly in p.layers)
    worst_comm = max((p.comm_ticks(k, j, p.layers[u].output_bytes) for u, _ in p.edges
                      for k in range(p.m) for j in range(p.m)), default=0)
    return total + worst_comm * len(p.edges)


def build_latency_model(problem: PeriodicProblem, *, objective: str = "latency", period_max: int | None = None,
                        period_min: int | None = None, latency_cap: int | None = None, modes=None,
                        energy_cap: float | None = None, hint=None, latency_min: int = 0,
                        wrap: bool = True) -> LatencyModel:
    """The model of the module docstring. ``modes`` fixes each layer's mode; ``period_min = period_max``
    fixes the period (the lexicographic latency stage); ``hint`` is a valid :class:`PeriodicSchedule`;
    ``wrap=False`` gives one iteration on the line (the relaxation of the module docstring)."""
    from ortools.sat.python import cp_model

    from edgedse.formulations.period_cpsat import _energy_scale, _max_firings

    p = problem
    serial = _serial_latency(p)
    p_lo = max(1, p.lower_bound(), period_min or 0)
    p_hi = period_max if period_max is not None else max(p_lo, serial)
    if p.period_budget is not None:
        p_hi = min(p_hi, p.period_budget)
    p_hi = max(p_hi, p_lo) if period_max is None else p_hi
    k_max = p.max_iterations_in_flight()
    l_max = latency_cap if latency_cap is not None else (
        hint_latency(p, hint) if hint is not None and objective == "latency" else serial)
    if k_max is not None:
        l_max = min(l_max, k_max * p_hi)
    l_max = max(l_max, 0)
    W = max(1, math.ceil((l_max + p_hi) / p_lo))
    fixed_period = p_lo == p_hi
    H = W * p_hi if wrap else l_max

    m = cp_model.CpModel()
    P = m.NewIntVar(p_lo, max(p_lo, p_hi), "P")
    z = {}
    items = []
    for l, ly in enumerate(p.layers):
        for a, md in enumerate(ly.modes):
            if modes is not None and a != modes[l]:
                continue
            if not any(md.time[k] <= p_hi for k in md.allowed()):
                continue
            z[l, a] = m.NewBoolVar(f"z[{l},{a}]")
            items += [(l, a, f) for f in range(md.firings)]
    # define_mode_choice
    for l in range(p.n_layers):
        m.AddExactlyOne([v for (ll, _), v in z.items() if ll == l])
    start, end, resid, windows, assign, pes_of = [], [], [], [], {}, {}
    per_pe = {k: [] for k in range(p.m)}
    for i, (l, a, f) in enumerate(items):
        md = p.layers[l].modes[a]
        s = m.NewIntVar(0, H, f"s[{i}]")
        e = m.NewIntVar(0, H + int(md.time.max()), f"e[{i}]")
        r = bs = r_next = None
        if wrap:
            r = m.NewIntVar(0, max(p_hi - 1, 0), f"r[{i}]")
            m.Add(r <= P - 1)
            r_next = m.NewIntVar(p_lo, 2 * max(p_hi, p_lo), f"r'[{i}]")  # the arc's copy one period later
            m.Add(r_next == r + P)
            bs = _define_windows(m, i, s, r, P, W, p_hi if fixed_period else None)
        m.Add(s == 0).OnlyEnforceIf(z[l, a].Not())
        lits = []
        for k in (k for k in md.allowed() if md.time[k] <= p_hi):
            x = m.NewBoolVar(f"x[{i},{k}]")
            assign[i, k] = x
            lits.append((k, x))
            d = int(md.time[k])
            m.Add(e == s + d).OnlyEnforceIf(x)
            if d > 0:
                m.Add(P >= d).OnlyEnforceIf(x)
                if wrap:  # define_modulo_no_overlap: the arc and its copy one period later
                    per_pe[k].append(m.NewOptionalFixedSizeIntervalVar(r, d, x, f"I[{i},{k}]"))
                    per_pe[k].append(m.NewOptionalFixedSizeIntervalVar(r_next, d, x, f"J[{i},{k}]"))
                else:  # define_line_no_overlap
                    per_pe[k].append(m.NewOptionalFixedSizeIntervalVar(s, d, x, f"I[{i},{k}]"))
        m.Add(sum(x for _, x in lits) == z[l, a])
        pes_of[i] = lits
        start.append(s)
        end.append(e)
        resid.append(r)
        windows.append(bs)
    # define_modulo_no_overlap / define_line_no_overlap
    for ivs in per_pe.values():
        if len(ivs) > 1:
            m.AddNoOverlap(ivs)
    # define_precedence
    by_layer_mode: dict = {}
    for i, (l, a, _) in enumerate(items):
        by_layer_mode.setdefault((l, a), []).append(i)
    agg = {}
    for u, v in p.edges:
        consumers = [j for j, (l, _, _) in enumerate(items) if l == v]
        for (l, a), mine in by_layer_mode.items():
            if l != u:
                continue
            vol = p.edge_volume(u, a)
            for k in range(p.m):
                on_k = [(i, assign[i, k]) for i in mine if (i, k) in assign]
                if not on_k:
                    continue
                if (u, a, k) not in agg:
                    E = m.NewIntVar(0, H + serial, f"E[{u},{a},{k}]")
                    y = m.NewBoolVar(f"y[{u},{a},{k}]")
                    for i, x in on_k:
                        m.Add(E >= end[i]).OnlyEnforceIf(x)
                        m.AddImplication(x, y)
                    agg[u, a, k] = (E, y)
                E, y = agg[u, a, k]
                for j in consumers:
                    for k2, xj in pes_of[j]:
                        m.Add(start[j] >= E + p.comm_ticks(k, k2, vol)).OnlyEnforceIf([y, xj])
    # symmetry: identical firings of one layer and mode start in index order
    for i, (l, a, f) in enumerate(items):
        if f > 0:
            m.Add(start[i - 1] <= start[i])
    # define_bus
    m.Add(sum(p.layers[l].modes[a].bus * p.layers[l].modes[a].firings * v for (l, a), v in z.items())
          <= BUS_UNITS_PER_TICK * P)
    # define_layer_span (redundant, gives the relaxation the critical path): first start S_l, last end T_l
    S = [m.NewIntVar(0, H, f"S[{l}]") for l in range(p.n_layers)]
    T = [m.NewIntVar(0, H + serial, f"T[{l}]") for l in range(p.n_layers)]
    for i, (l, a, _) in enumerate(items):
        m.Add(S[l] <= start[i]).OnlyEnforceIf(z[l, a])
        m.Add(T[l] >= end[i]).OnlyEnforceIf(z[l, a])
    for l in range(p.n_layers):
        m.Add(T[l] >= S[l] + sum(_least_span(p.layers[l].modes[a], p_hi) * v for (ll, a), v in z.items() if ll == l))
    work: dict = {}  # (layer, PE) -> the d·x terms of the layer's firings on that PE
    for (i, k), x in assign.items():
        l, a, _ = items[i]
        work.setdefault((l, k), []).append(int(p.layers[l].modes[a].time[k]) * x)
    for (l, k), terms in work.items():  # a layer's firings on one PE run one after another inside its span
        m.Add(T[l] - S[l] >= sum(terms))
    for k in range(p.m):  # define_pe_load
        m.Add(sum(t for (_, kk), terms in work.items() if kk == k for t in terms) <= P)
    for u, v in p.edges:
        m.Add(S[v] >= T[u])
    # define_latency
    g = p.graph
    L = m.NewIntVar(min(latency_min, max(l_max, 0)), max(l_max, 0), "L")
    for t in (l for l in range(p.n_layers) if g.out_degree(l) == 0):
        for b in (l for l in range(p.n_layers) if g.in_degree(l) == 0):
            m.Add(L >= T[t] - S[b])
    # define_memory
    if k_max is not None:
        m.Add(L <= k_max * P)
    # define_energy_cap
    if energy_cap is not None:
        scale = _energy_scale(p)
        energy = sum(round(float(p.layers[items[i][0]].modes[items[i][1]].energy[k]) * scale) * x
                     for (i, k), x in assign.items())
        m.Add(energy <= int(energy_cap * scale + 0.5 * _max_firings(p) + 1e-6))
    m.Minimize(L if objective == "latency" else P)
    built = LatencyModel(m, items, start, assign, z, P, L, resid, windows, pes_of, wrap)
    if hint is not None:
        add_hint(built, hint)
    return built


def _define_windows(m, i: int, s, r, P, W: int, fixed_period: int | None):
    """define_windows for item ``i``: ``s = w·P + r`` with ``w`` one of ``W`` windows — one integer window
    when the period is a constant (``fixed_period``), else one literal per window (returned)."""
    if fixed_period is not None:  # s = P·w + r with P a constant: one integer window index, no literals
        w = m.NewIntVar(0, W - 1, f"w[{i}]")
        m.Add(s == fixed_period * w + r)
        return w
    bs = [m.NewBoolVar(f"b[{i},{w}]") for w in range(W)]
    m.AddExactlyOne(bs)
    for w, b in enumerate(bs):
        m.Add(s == w * P + r).OnlyEnforceIf(b)
    return bs


def _least_span(md, p_hi: int) -> int:
    """Least ticks from a layer's first start to its last end in mode ``md``: its q firings split over
    the usable PEs, each PE running its share one after another — the least T with
    Σ_k ⌊T / d[k]⌋ ≥ q (q identical jobs on unrelated machines)."""
    usable = [int(md.time[k]) for k in md.allowed() if 0 < md.time[k] <= p_hi]
    if not usable:
        return 0
    candidates = sorted({j * d for d in usable for j in range(1, md.firings + 1)})
    return next(t for t in candidates if sum(t // d for d in usable) >= md.firings)


def hint_latency(p: PeriodicProblem, hint) -> int:
    from edgedse.analysis.periodic_evaluator import evaluate_periodic

    return evaluate_periodic(p, hint).latency


def add_hint(built: LatencyModel, hint) -> None:
    """Hint a valid schedule, shifted by whole periods so its first start lies in window 0 (on the line: to
    start at 0), and complete the hint (:func:`~edgedse.solvers.backends.complete_cpsat_hint`). Add
    constraints first: the completion then solves the constrained model."""
    from edgedse.solvers.backends import complete_cpsat_hint

    m, P = built.model, hint.period
    m.AddHint(built.period, P)
    for (l, a), v in built.z.items():
        m.AddHint(v, int(hint.modes[l] == a))
    for i, fire, s in _placed_items(built, hint):
        m.AddHint(built.start[i], s)
        if built.wrap:  # on the line the start is all
            m.AddHint(built.residue[i], s % P)
            if isinstance(built.window[i], list):
                for w, lit in enumerate(built.window[i]):
                    m.AddHint(lit, int(w == s // P))
            else:  # the window index itself (fixed period)
                m.AddHint(built.window[i], s // P)
        for k, x in built.pes_of[i]:
            m.AddHint(x, int(k == fire.pe))
    complete_cpsat_hint(m)


def fix_layers(built: LatencyModel, schedule, layers) -> None:
    """Constrain every layer in ``layers`` to ``schedule``: its mode, and each firing's PE and start (in the
    model's time, shifted as :func:`add_hint` shifts)."""
    m = built.model
    for (l, a), lit in built.z.items():
        if l in layers:
            m.Add(lit == int(schedule.modes[l] == a))
    for i, fire, s in _placed_items(built, schedule):
        if fire.layer in layers:
            m.Add(built.assign[i, fire.pe] == 1)
            m.Add(built.start[i] == s)


def _placed_items(built: LatencyModel, schedule):
    """``(item, firing, start)`` for each model item of ``schedule``'s modes: the firing placed on it (a layer's
    firings in start order, as the symmetry breaking orders items) and its start shifted by whole periods so
    that the schedule's first start lies in window 0 (on the line: shifted to start at 0)."""
    first = min(f.start for f in schedule.firings)
    shift = (first // schedule.period) * schedule.period if built.wrap else first
    pos = firings_in_start_order(schedule)
    for i, (l, a, f) in enumerate(built.items):
        if schedule.modes[l] == a:
            fire = pos[l, f]
            yield i, fire, fire.start - shift


def read_latency_model(problem: PeriodicProblem, built: LatencyModel, solver):
    """The :class:`PeriodicSchedule` of a solved model."""
    from edgedse.models.periodic import Firing, PeriodicSchedule

    modes = [next(a for (ll, a), v in sorted(built.z.items()) if ll == l and solver.Value(v))
             for l in range(problem.n_layers)]
    out = []
    for i, (l, a, f) in enumerate(built.items):
        if a != modes[l]:
            continue
        k = next(k for (ii, k), x in built.assign.items() if ii == i and solver.Value(x))
        out.append(Firing(l, f, k, solver.Value(built.start[i])))
    period = int(solver.Value(built.period)) if built.wrap else line_period(problem, modes, out)
    return PeriodicSchedule(tuple(modes), tuple(out), period)


def line_period(problem: PeriodicProblem, modes, firings) -> int:
    """The least period (ticks) at which one iteration on the line is sure to be a periodic schedule:
    ``max(L, the mapping's least period)`` — within one period no two arcs of a PE meet on the circle (module
    docstring), and no PE, the bus or a firing needs more. Only a valid answer to ``P ≤ P_hi`` when
    ``L ≤ P_hi``."""
    mapping = schedule_mapping(modes, firings)
    ends = (f.start + int(problem.layers[f.layer].modes[modes[f.layer]].time[f.pe]) for f in firings)
    return max(max(ends) - min(f.start for f in firings), mapping_min_period(problem, mapping))
