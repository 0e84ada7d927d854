"""MILP (Pyomo → HiGHS) formulations of pipelined mapping; the same two stages as :mod:`period_cpsat`.

Stage 1 (period, or energy under a period cap) is identical in its math: ``z``, ``n``, ``u``, ``P``
with the families mode choice, firing counts, PE load, bus and cycle. ``P`` is an integer (ticks, as the
evaluator counts the period); the energy objective is stated in mJ (``ENERGY_OBJECTIVE_SCALE``) so that
HiGHS's absolute gap of 1e-6 is 1 nJ.

Stage 2 (latency at fixed period P and modes) replaces NoOverlap by big-M disjunctions on residues:
for firings i < j and a PE k both may use, with ``y[i,j] = 1`` meaning i's occupation comes first,

    r_j ≥ r_i + d[i,k] − 2P·(1 − y[i,j]) − 2P·(2 − x[i,k] − x[j,k])
    r_i ≥ r_j + d[j,k] − 2P·y[i,j]       − 2P·(2 − x[i,k] − x[j,k]),

(2P: a residue is below P and only PEs with d ≤ P are offered),

with ``s_i = P·w_i + r_i`` and ``r_i + Σ_k d[i,k]·x[i,k] ≤ P``; precedences as in the schedule MILP
(``s_j ≥ s_i + p_i + c_{kl}·(x[i,k] + x[j,l] − 1)``); ``L ≥ s_i + p_i − s_j`` for sinks i, sources j.
"""
from __future__ import annotations

from edgedse.models.periodic import BUS_UNITS_PER_TICK, PeriodicProblem, firings_in_start_order

ENERGY_OBJECTIVE_SCALE = 1e3  # the energy objective is stated in mJ: HiGHS's absolute gap (1e-6) is then 1 nJ


def build_stage1(problem: PeriodicProblem, objective: str = "period", *, period_cap: int | None = None,
                 energy_cap: float | None = None):
    import pyomo.environ as pyo

    p = problem
    m = pyo.ConcreteModel(name=f"{p.name}_period")
    Z = [(l, a) for l, ly in enumerate(p.layers) for a in range(len(ly.modes))]
    N = [(l, a, k) for l, a in Z for k in p.layers[l].modes[a].allowed()]
    md = lambda l, a: p.layers[l].modes[a]  # noqa: E731
    m.z = pyo.Var(Z, domain=pyo.Binary)
    m.n = pyo.Var(N, domain=pyo.NonNegativeIntegers, bounds=lambda m, l, a, k: (0, md(l, a).firings))
    m.u = pyo.Var(N, domain=pyo.Binary)
    ub = period_cap if period_cap is not None else None
    if p.period_budget is not None:
        ub = p.period_budget if ub is None else min(ub, p.period_budget)
    m.P = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(p.cycle_bound(), ub))  # ticks, as the evaluator
    m.mode_choice = pyo.Constraint(range(p.n_layers), rule=lambda m, l: sum(
        m.z[l, a] for a in range(len(p.layers[l].modes))) == 1)
    m.firing_counts = pyo.Constraint(Z, rule=lambda m, l, a: sum(
        m.n[l, a, k] for k in md(l, a).allowed()) == md(l, a).firings * m.z[l, a])
    m.any_firing = pyo.Constraint(N, rule=lambda m, l, a, k: m.n[l, a, k] <= md(l, a).firings * m.u[l, a, k])
    m.cycle = pyo.Constraint(N, rule=lambda m, l, a, k: int(md(l, a).time[k]) * m.u[l, a, k] <= m.P)
    m.pe_load = pyo.Constraint(range(p.m), rule=lambda m, k: sum(
        int(md(l, a).time[k]) * m.n[l, a, k] for (l, a, kk) in N if kk == k) <= m.P)
    m.bus = pyo.Constraint(expr=sum(md(l, a).bus * md(l, a).firings * m.z[l, a] for l, a in Z)
                           <= BUS_UNITS_PER_TICK * m.P)
    m.energy = pyo.Expression(expr=sum(float(md(l, a).energy[k]) * m.n[l, a, k] for l, a, k in N))
    if energy_cap is not None:
        m.energy_cap = pyo.Constraint(expr=m.energy <= energy_cap * (1 + 1e-9) + 1e-12)
    m.obj = pyo.Objective(expr=m.P if objective == "period" else ENERGY_OBJECTIVE_SCALE * m.energy,
                          sense=pyo.minimize)
    return m


def stage1_warm_start(m, problem: PeriodicProblem, mapping) -> dict:
    from pyomo.common.collections import ComponentMap

    from edgedse.models.periodic import mapping_min_period

    vals = ComponentMap()
    for (l, a) in m.z:
        vals[m.z[l, a]] = float(mapping.modes[l] == a)
    for (l, a, k) in m.n:
        cnt = sum(1 for kk in mapping.pes[l] if kk == k) if mapping.modes[l] == a else 0
        vals[m.n[l, a, k]] = float(cnt)
        vals[m.u[l, a, k]] = float(cnt > 0)
    vals[m.P] = float(mapping_min_period(problem, mapping))
    return vals


def read_stage1(problem: PeriodicProblem, m, values):
    modes, counts = [], []
    for l, ly in enumerate(problem.layers):
        a = max(range(len(ly.modes)), key=lambda a: values[m.z[l, a]])
        modes.append(a)
        counts.append({k: int(round(values[m.n[l, a, k]])) for k in ly.modes[a].allowed()})
    return modes, counts


def build_stage2(problem: PeriodicProblem, modes, period: int):
    import pyomo.environ as pyo

    p = problem
    P = int(period)
    firings = [(l, f) for l in range(p.n_layers) for f in range(p.layers[l].modes[modes[l]].firings)]
    idx = {key: i for i, key in enumerate(firings)}
    mode_of = [p.layers[l].modes[modes[l]] for l, _ in firings]
    fits = [[k for k in md.allowed() if md.time[k] <= P] for md in mode_of]
    X = [(i, k) for i in range(len(firings)) for k in fits[i]]
    serial = sum(int(md.time.max()) for md in mode_of)
    windows = max(1, serial // P + 2)
    m = pyo.ConcreteModel(name=f"{p.name}_latency")
    m.firings = firings
    m.x = pyo.Var(X, domain=pyo.Binary)
    m.r = pyo.Var(range(len(firings)), domain=pyo.NonNegativeIntegers, bounds=(0, P - 1))
    m.w = pyo.Var(range(len(firings)), domain=pyo.NonNegativeIntegers, bounds=(0, windows))
    m.L = pyo.Var(domain=pyo.NonNegativeReals)
    dur = lambda m, i: sum(int(mode_of[i].time[k]) * m.x[i, k] for k in fits[i])  # noqa: E731
    start = lambda m, i: P * m.w[i] + m.r[i]  # noqa: E731
    m.assignment = pyo.Constraint(range(len(firings)), rule=lambda m, i: sum(
        m.x[i, k] for k in fits[i]) == 1)
    m.window = pyo.Constraint(range(len(firings)), rule=lambda m, i: m.r[i] + dur(m, i) <= P)
    pairs = [(i, j, k) for i in range(len(firings)) for j in range(i + 1, len(firings))
             for k in fits[i] if k in fits[j]
             and mode_of[i].time[k] > 0 and mode_of[j].time[k] > 0]
    m.y = pyo.Var(sorted({(i, j) for i, j, _ in pairs}), domain=pyo.Binary)
    m.modulo_no_overlap = pyo.ConstraintList()
    for i, j, k in pairs:
        both = 2 - m.x[i, k] - m.x[j, k]
        m.modulo_no_overlap.add(m.r[j] >= m.r[i] + int(mode_of[i].time[k]) - 2 * P * (1 - m.y[i, j]) - 2 * P * both)
        m.modulo_no_overlap.add(m.r[i] >= m.r[j] + int(mode_of[j].time[k]) - 2 * P * m.y[i, j] - 2 * P * both)
    m.precedence = pyo.ConstraintList()
    for key_i, key_j, vol in p.firing_precedences(modes):
        i, j = idx[key_i], idx[key_j]
        m.precedence.add(start(m, j) >= start(m, i) + dur(m, i))
        for k in fits[i]:
            for l2 in fits[j]:
                c = p.comm_ticks(k, l2, vol)
                if c:
                    m.precedence.add(start(m, j) >= start(m, i) + dur(m, i) + c * (m.x[i, k] + m.x[j, l2] - 1))
    m.symmetry = pyo.ConstraintList()
    for i, (l, f) in enumerate(firings):
        if f > 0:
            m.symmetry.add(start(m, idx[l, f - 1]) <= start(m, i))
    g = p.graph
    sources = [i for i, (l, _) in enumerate(firings) if g.in_degree(l) == 0]
    sinks = [i for i, (l, _) in enumerate(firings) if g.out_degree(l) == 0]
    m.latency = pyo.ConstraintList()
    for i in sinks:
        for j in sources:
            m.latency.add(m.L >= start(m, i) + dur(m, i) - start(m, j))
    k_max = p.max_iterations_in_flight()
    if k_max is not None:
        m.memory = pyo.Constraint(expr=m.L <= k_max * P)
    m.obj = pyo.Objective(expr=m.L, sense=pyo.minimize)
    return m


def stage2_warm_start(m, problem: PeriodicProblem, sch) -> dict:
    from pyomo.common.collections import ComponentMap

    P = sch.period
    pos = firings_in_start_order(sch)
    vals = ComponentMap()
    starts = []
    for i, key in enumerate(m.firings):
        f = pos[key]
        starts.append(f.start)
        vals[m.w[i]] = float(f.start // P)
        vals[m.r[i]] = float(f.start % P)
    for (i, k) in m.x:
        vals[m.x[i, k]] = float(pos[m.firings[i]].pe == k)
    for (i, j) in m.y:
        vals[m.y[i, j]] = float(starts[i] % P <= starts[j] % P)
    return vals


def read_stage2(problem: PeriodicProblem, m, modes, period: int, values):
    from edgedse.models.periodic import Firing, PeriodicSchedule

    out = []
    for i, (l, f) in enumerate(m.firings):
        ks = [k for (ii, k) in m.x if ii == i]
        k = max(ks, key=lambda k: values[m.x[i, k]])
        s = int(round(values[m.w[i]])) * int(period) + int(round(values[m.r[i]]))
        out.append(Firing(l, f, k, s))
    return PeriodicSchedule(tuple(modes), tuple(out), int(period))
