"""The layer-span relaxation of pipelined latency: a MILP whose optimum is a proven lower bound on the
latency of any periodic schedule with ``P ≤ ε`` (or on the period of any schedule with ``L ≤ λ``).

It keeps stage 1's decisions (:mod:`edgedse.formulations.period_milp`: modes ``z[l,a]``, firing counts
``n[l,a,k]``, PE-use flags ``u[l,a,k]``, period ``P``, PE load ≤ P, bus ≤ 1000·P, ``d ≤ P``) and replaces
the firings' starts by one interval ``[S_l, T_l]`` per layer, which holds every firing of the layer in
one iteration:

* ``define_used``          ``u[l,a,k] ≤ n[l,a,k]`` (a PE is "used" only if it runs a firing)
* ``define_precedence``    ``S_v ≥ T_u`` for every edge — every firing of v reads all of u's output
* ``define_pe_windows``    per layer and PE, the first start ``F[l,k]`` and last end ``G[l,k]`` of its
                           firings there: ``S_l ≤ F[l,k]``, ``G[l,k] ≥ F[l,k] + Σ_a d[l,a,k]·n[l,a,k]``
                           (its firings on one PE run one after another: one iteration's modulo
                           non-overlap, on the line), ``T_l ≥ G[l,k]``; a PE the layer does not use
                           gets ``F = G = S_l``
* ``define_transfer``      ``F[v,k] ≥ G[u,k'] + c(k', k, vol[u,a])·(z[u,a] + y[u,k'] + y[v,k] − 2)`` for every
                           edge, mode a of u and PEs k' ≠ k, with ``y[l,k] = Σ_a u[l,a,k]``: every firing of
                           v on k waits for the output of u's last firing on k' to arrive
* ``define_latency``       ``L ≥ T_t − S_s`` for sinks t, sources s; ``L ≤ K·P`` (memory, as the exact model)
* ``define_wrap_cover``    with both caps (``P ≤ ε`` and ``L ≤ λ``): a gap an iteration leaves on a PE is
                           covered by the PE's idle time or by work executed a period away (see its docstring),
                           which lies between the iteration's first start and last end on that PE
                           (``define_first_and_last_on_pe``)
* objective ``min L`` (``P ≤ ε``) or ``min P`` (``L ≤ λ``); optional ``energy ≤ cap``.

Why it is a relaxation: every periodic schedule gives a feasible point (its modes, counts, and
``S_l``/``T_l`` = first start / last end of layer l), with the same P, L and energy. It forgets that
firings of *different* layers and iterations share a PE, which is what the exact CP-SAT model
(:mod:`edgedse.formulations.period_latency_cpsat`) adds — when the PEs have slack the two agree, and the
bound certifies the front; at the minimum period, where the circle is full, the bound is weaker.

The smallest case where it is weaker: VGG16's first 4 layers (``PeriodicProblem.prefix(4)``) at
P_min = 3,287 ticks. Only the CE can run conv1 and conv3 within a period, and they fill it exactly
(2,191 + 8 × 137). Between them the pool runs on the ARM cores, 274 ticks from conv1's end to conv3's first
possible start, transfers included. On a full circle the arc just after conv1 holds conv3's pieces, so the
two pieces in its first 274 ticks can run only one period later: the best schedule found has latency 7,522,
proven least for its mapping by :mod:`edgedse.formulations.latency_modulo_milp`. The relaxation charges the
pool once, 274 ticks in a row, and proves 5,214; CP-SAT proves 3,548 in 120 s (5,189 with the modes fixed).
``benchmarks/latency_certification.py`` shows the same loss on every longer prefix.
"""
from __future__ import annotations

from edgedse.models.periodic import PeriodicProblem


def build_latency_bound(problem: PeriodicProblem, objective: str = "latency", *, period_max: int | None = None,
                        latency_cap: int | None = None, energy_cap: float | None = None):
    """The relaxation of the module docstring as a Pyomo model (``m.L``, ``m.P``, stage 1's variables; its
    modes and counts read with :func:`edgedse.formulations.period_milp.read_stage1`)."""
    import pyomo.environ as pyo

    from edgedse.formulations.period_milp import build_stage1

    p = problem
    m = build_stage1(p, "period", period_cap=period_max, energy_cap=energy_cap)
    m.obj.deactivate()
    md = lambda l, a: p.layers[l].modes[a]  # noqa: E731
    layers = range(p.n_layers)
    m.S = pyo.Var(layers, domain=pyo.NonNegativeReals)
    m.T = pyo.Var(layers, domain=pyo.NonNegativeReals)
    m.L = pyo.Var(domain=pyo.NonNegativeReals, bounds=(0, latency_cap))
    m.used = pyo.Constraint(list(m.n), rule=lambda m, l, a, k: m.u[l, a, k] <= m.n[l, a, k])
    m.precedence = pyo.Constraint(list(p.edges), rule=lambda m, u, v: m.S[v] >= m.T[u])

    def y(l, k):
        return sum(m.u[l, a, k] for a in range(len(p.layers[l].modes)) if (l, a, k) in m.n)

    def work(l, k):
        return sum(int(md(l, b).time[k]) * m.n[l, b, k] for b in range(len(p.layers[l].modes))
                   if (l, b, k) in m.n)

    pairs = [(l, k) for l in layers for k in range(p.m)]
    m.F = pyo.Var(pairs, domain=pyo.NonNegativeReals)
    m.G = pyo.Var(pairs, domain=pyo.NonNegativeReals)
    m.pe_window_start = pyo.Constraint(pairs, rule=lambda m, l, k: m.F[l, k] >= m.S[l])
    m.pe_window_work = pyo.Constraint(pairs, rule=lambda m, l, k: m.G[l, k] >= m.F[l, k] + work(l, k))
    m.pe_window_end = pyo.Constraint(pairs, rule=lambda m, l, k: m.T[l] >= m.G[l, k])
    m.transfer = pyo.ConstraintList()
    for u, v in p.edges:
        for a in range(len(p.layers[u].modes)):
            vol = p.edge_volume(u, a)
            for k2 in md(u, a).allowed():
                for k in range(p.m):
                    c = p.comm_ticks(k2, k, vol)
                    if c > 0 and any((v, b, k) in m.n for b in range(len(p.layers[v].modes))):
                        m.transfer.add(m.F[v, k] >= m.G[u, k2] + c * (m.z[u, a] + y(u, k2) + y(v, k) - 2))
    g = p.graph
    m.latency = pyo.ConstraintList()
    for t in (l for l in layers if g.out_degree(l) == 0):
        for s in (l for l in layers if g.in_degree(l) == 0):
            m.latency.add(m.L >= m.T[t] - m.S[s])
    k_max = p.max_iterations_in_flight()
    if k_max is not None:
        m.memory = pyo.Constraint(expr=m.L <= k_max * m.P)
    if period_max is not None and latency_cap is not None:
        define_wrap_cover(m, p, work, period_max, latency_cap)
    m.bound_obj = pyo.Objective(expr=m.L if objective == "latency" else m.P, sense=pyo.minimize)
    return m


def define_wrap_cover(m, problem: PeriodicProblem, work, period_max: int, latency_cap: int) -> None:
    """The wrap-cover inequalities (needs both caps: they size the big-Ms). For a PE k and layers u, v both
    able to run on k, v a descendant of u, the interval ``I = [a, b) = [G[u,k], F[v,k])``: if ``b − a ≤ P``
    its ticks sit on distinct points of k's circle, each covered by the iteration's own work executed in I,
    by idle time, or by work executed a period or more away — before ``b − P`` or after ``a + P``. So

        ``c = (b − a) − W_uvk − (P − load_k) ≤ (b − P − max(head_uvk, first_on[k]))⁺
                                                 + (min(L − tail_uvk, last_on[k]) − a − P)⁺``
        unless ``b − a ≥ P``

    ``W_uvk``: work on k of the layers that may run in I (neither ancestors of u nor u, nor v nor its
    descendants); ``head_uvk``: the least earliest start (longest path of
    :meth:`~edgedse.models.periodic.PeriodicProblem.least_span` from the sources, times counted from the
    iteration's first start) of a layer not v nor below it with positive time on k — a firing executed before
    ``b − P`` starts no earlier; ``tail_uvk``: the least time from the end of a layer neither u nor above it,
    with positive time on k, to the iteration's end — a firing executed after ``a + P`` ends by ``L − tail``;
    ``first_on[k]``, ``last_on[k]``: the iteration's first start and last end on k
    (:func:`define_first_and_last_on_pe`) — no covering firing starts earlier or ends later.
    Binaries ``wrap_long`` (b − a ≥ P), ``wrap_before``, ``wrap_after`` (which positive part is taken);
    ``T_l ≤ L`` (every firing ends within the latency of the first start).

    Why it pays: at a period cap a little above the stage-1 mapping's load, an iteration that leaves a PE and
    comes back must leave gaps there no longer than the PE's idle time, or wrap a full period; the layer spans
    alone let the gaps be free. VGG16 on NEURAghe, min P s.t. L ≤ 21,377: 18,236 without, 19,006 with the
    static ``head``/``tail`` only, 19,008 — the period of the schedule the front finds, so proven least — with
    ``first_on``/``last_on`` too (69 s on 2 threads)."""
    import networkx as nx
    import pyomo.environ as pyo

    p, g = problem, problem.graph
    layers = range(p.n_layers)

    head, tail = p.heads_and_tails
    above = {l: nx.ancestors(g, l) | {l} for l in layers}
    below = {l: nx.descendants(g, l) | {l} for l in layers}
    load = {k: sum(work(l, k) for l in layers) for k in range(p.m)}
    big = 2 * latency_cap + period_max + 1
    m.end_within_latency = pyo.Constraint(layers, rule=lambda m, l: m.T[l] <= m.L)
    define_first_and_last_on_pe(m, p, work, latency_cap)
    triples = []
    for k in range(p.m):
        busy = [w for w in layers if runs_on(p, w, k, positive=True)]  # layers whose firings can cover a point of k
        earliest = {v: min((head[w] for w in busy if w not in below[v]), default=None) for v in layers}
        for u in (u for u in layers if runs_on(p, u, k)):
            tl = min((tail[w] for w in busy if w not in above[u]), default=None)
            for v in (v for v in sorted(below[u] - {u}) if runs_on(p, v, k)):
                between = [w for w in layers if w not in above[u] and w not in below[v]]
                triples.append((u, v, k, between, earliest[v], tl))
    idx = range(len(triples))
    m.cover_before = pyo.Var(idx, bounds=(0, latency_cap))
    m.cover_after = pyo.Var(idx, bounds=(0, latency_cap))
    m.wrap_before = pyo.Var(idx, domain=pyo.Binary)
    m.wrap_after = pyo.Var(idx, domain=pyo.Binary)
    m.wrap_long = pyo.Var(idx, domain=pyo.Binary)
    m.wrap_cover = pyo.ConstraintList()
    for i, (u, v, k, between, hd, tl) in enumerate(triples):
        a, b = m.G[u, k], m.F[v, k]
        c = b - a - sum(work(w, k) for w in between) - (m.P - load[k])
        m.wrap_cover.add(c <= m.cover_before[i] + m.cover_after[i] + latency_cap * m.wrap_long[i])
        m.wrap_cover.add(b - a <= m.P + latency_cap * m.wrap_long[i])
        m.wrap_cover.add(b - a >= m.P - big * (1 - m.wrap_long[i]))
        m.wrap_cover.add(m.cover_before[i] <= latency_cap * m.wrap_before[i])
        m.wrap_cover.add(m.cover_after[i] <= latency_cap * m.wrap_after[i])
        if hd is None:
            m.wrap_before[i].fix(0)
        else:
            m.wrap_cover.add(m.cover_before[i] <= b - m.P - hd + big * (1 - m.wrap_before[i]))
            m.wrap_cover.add(m.cover_before[i] <= b - m.P - m.first_on[k] + big * (1 - m.wrap_before[i]))
        if tl is None:
            m.wrap_after[i].fix(0)
        else:
            m.wrap_cover.add(m.cover_after[i] <= m.L - tl - a - m.P + big * (1 - m.wrap_after[i]))
            m.wrap_cover.add(m.cover_after[i] <= m.last_on[k] - a - m.P + big * (1 - m.wrap_after[i]))


def runs_on(problem: PeriodicProblem, l: int, k: int, positive: bool = False) -> bool:
    """Whether some mode of layer ``l`` may run on PE ``k`` (``positive``: with a firing time above zero)."""
    return any(k in mode.allowed() and (mode.time[k] > 0 or not positive) for mode in problem.layers[l].modes)


def define_first_and_last_on_pe(m, problem: PeriodicProblem, work, latency_cap: int) -> None:
    """The first start ``first_on[k]`` and last end ``last_on[k]`` (ticks from the iteration's first start) of
    the iteration's firings on PE k, for the wrap-cover inequalities: work executed on k before ``b − P`` fits in
    ``[first_on[k], b − P)``, work executed after ``a + P`` in ``(a + P, last_on[k]]``. With ``w[l,k]`` the
    layer's work on k and binaries ``first[l,k]``, ``last[l,k]`` (which layer starts first, ends last on k):

        ``first_on[k] ≥ F[l,k] − M·(1 − first[l,k])``,  ``last_on[k] ≤ G[l,k] + M·(1 − last[l,k])``,
        ``Σ_l first[l,k] = Σ_l last[l,k] = 1`` once a firing with positive time runs on k (else ≤ 1: no work
        on k, no cut), ``first[l,k], last[l,k] ≤ w[l,k]`` (the layer has work there), ``last_on[k] ≤ L``

    Valid: in a real schedule, the layers with work on k that start first and end last there make it feasible
    with ``first_on``/``last_on`` their first start and last end, and no firing that covers a point of k (positive
    time) starts earlier or ends later."""
    import pyomo.environ as pyo

    p = problem
    pairs = [(l, k) for k in range(p.m) for l in range(p.n_layers) if runs_on(p, l, k)]
    pes = sorted({k for _, k in pairs})
    m.first_on = pyo.Var(pes, bounds=(0, latency_cap))
    m.last_on = pyo.Var(pes, bounds=(0, latency_cap))
    m.first_is = pyo.Var(pairs, domain=pyo.Binary)
    m.last_is = pyo.Var(pairs, domain=pyo.Binary)
    m.first_last = pyo.ConstraintList()
    for l, k in pairs:
        m.first_last.add(m.first_on[k] >= m.F[l, k] - latency_cap * (1 - m.first_is[l, k]))
        m.first_last.add(m.last_on[k] <= m.G[l, k] + latency_cap * (1 - m.last_is[l, k]))
        m.first_last.add(m.first_is[l, k] <= work(l, k))
        m.first_last.add(m.last_is[l, k] <= work(l, k))
    for k in pes:
        mine = [l for l, kk in pairs if kk == k]
        firsts = sum(m.first_is[l, k] for l in mine)
        lasts = sum(m.last_is[l, k] for l in mine)
        m.first_last.add(firsts <= 1)
        m.first_last.add(lasts <= 1)
        for (l, a, kk) in m.u:  # one of each as soon as a firing with positive time runs on k
            if kk == k and p.layers[l].modes[a].time[k] > 0:
                m.first_last.add(firsts >= m.u[l, a, k])
                m.first_last.add(lasts >= m.u[l, a, k])
        m.first_last.add(m.last_on[k] <= m.L)
