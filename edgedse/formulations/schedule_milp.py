"""MILP (Pyomo) for heterogeneous DAG scheduling: assignment + pairwise ordering, big-M from an upper bound.

Sets: tasks ``T``, PEs ``K``, edges ``E``, unordered pairs ``Q`` of tasks that are not related by
precedence (transitive closure) and share an allowed PE.
Parameters: ``p[i,k]``, ``e[i,k]``, ``c[(i,j)][k,l]``, ``M`` = an upper bound on the makespan.
Variables: ``x[i,k] ∈ {0,1}``; ``s_i ≥ head_i``; ``y[i,j] ∈ {0,1}`` (1: i before j when on one PE);
``w[i,j,k] ∈ [0,1]`` (both on k, uniform transfers); ``C ≥ 0``.
Each constraint family is one ``define_*`` function, its equation in the docstring.
"""
from __future__ import annotations

import networkx as nx

from edgedse.formulations.common import energy_scale
from edgedse.models.problems import NOT_ALLOWED, ScheduleProblem


def _p(m, p: ScheduleProblem, i: int):
    """Duration of task i as a linear expression:  Σ_k p[i,k]·x[i,k]."""
    return sum(int(p.exec_time[i, k]) * m.x[i, k] for k in p.allowed(i))


def define_assignment(m, p: ScheduleProblem) -> None:
    """Σ_k x[i,k] = 1  ∀ i ∈ T."""
    import pyomo.environ as pyo

    m.assignment = pyo.Constraint(range(p.n), rule=lambda m, i: sum(m.x[i, k] for k in p.allowed(i)) == 1)


def define_makespan(m, p: ScheduleProblem) -> None:
    """C ≥ s_i + Σ_k p[i,k]·x[i,k] + tail_i... (tail_i ignored: C ≥ end of every task)  ∀ i."""
    import pyomo.environ as pyo

    m.makespan_def = pyo.Constraint(range(p.n), rule=lambda m, i: m.C >= m.s[i] + _p(m, p, i))


def define_precedence(m, p: ScheduleProblem) -> None:
    """s_j ≥ s_i + p_i + transfer,  ∀ (i,j) ∈ E, with
    uniform transfers:  transfer = c·(1 − Σ_k w[i,j,k]),  w[i,j,k] ≤ x[i,k],  w[i,j,k] ≤ x[j,k];
    general:            s_j ≥ s_i + p_i + c[k,l]·(x[i,k] + x[j,l] − 1)  ∀ k, l with c[k,l] > 0."""
    import pyomo.environ as pyo

    m.precedence = pyo.ConstraintList()
    m.same_pe = pyo.ConstraintList()
    w_index = []
    for (i, j, _), c in zip(p.edges, p.comm_time):
        if c.any() and p.uniform_comm:
            w_index += [(i, j, k) for k in range(p.m) if k in p.allowed(i) and k in p.allowed(j)]
    m.w = pyo.Var(w_index, bounds=(0, 1))
    for (i, j, _), c in zip(p.edges, p.comm_time):
        base = m.s[i] + _p(m, p, i)
        if not c.any():
            m.precedence.add(m.s[j] >= base)
        elif p.uniform_comm:
            cval = int(c.max())
            ks = [k for k in range(p.m) if (i, j, k) in m.w]
            for k in ks:
                m.same_pe.add(m.w[i, j, k] <= m.x[i, k])
                m.same_pe.add(m.w[i, j, k] <= m.x[j, k])
            m.precedence.add(m.s[j] >= base + cval * (1 - sum(m.w[i, j, k] for k in ks)))
        else:
            m.precedence.add(m.s[j] >= base)
            for k in p.allowed(i):
                for l in p.allowed(j):
                    if c[k, l] > 0:
                        m.precedence.add(m.s[j] >= base + int(c[k, l]) * (m.x[i, k] + m.x[j, l] - 1))


def define_no_overlap(m, p: ScheduleProblem, big_m: int) -> None:
    """For every unrelated pair (i,j) ∈ Q and shared PE k:
    s_j ≥ s_i + p_i − M·(1 − y[i,j]) − M·(2 − x[i,k] − x[j,k])
    s_i ≥ s_j + p_j − M·y[i,j] − M·(2 − x[i,k] − x[j,k])."""
    import pyomo.environ as pyo

    closure = nx.transitive_closure_dag(p.graph)
    pairs = []
    for i in range(p.n):
        for j in range(i + 1, p.n):
            if closure.has_edge(i, j) or closure.has_edge(j, i):
                continue
            if p.min_time(i) == 0 and p.min_time(j) == 0:
                continue
            shared = [k for k in p.allowed(i) if k in p.allowed(j)]
            if shared:
                pairs.append((i, j, shared))
    m.y = pyo.Var([(i, j) for i, j, _ in pairs], domain=pyo.Binary)
    m.no_overlap = pyo.ConstraintList()
    for i, j, shared in pairs:
        for k in shared:
            both = 2 - m.x[i, k] - m.x[j, k]
            m.no_overlap.add(m.s[j] >= m.s[i] + _p(m, p, i) - big_m * (1 - m.y[i, j]) - big_m * both)
            m.no_overlap.add(m.s[i] >= m.s[j] + _p(m, p, j) - big_m * m.y[i, j] - big_m * both)


def define_symmetry_breaking(m, p: ScheduleProblem) -> None:
    """Identical PEs k_0 < k_1 < … are used in order of first use (tasks in topological order t):
    x[t,k_r] ≤ Σ_{t' before t} x[t',k_{r−1}]."""
    import pyomo.environ as pyo

    m.symmetry = pyo.ConstraintList()
    order = p.topological_order
    for grp in p.identical_pe_groups:
        for r in range(1, len(grp)):
            k, prev = grp[r], grp[r - 1]
            earlier = []
            for t in order:
                if k in p.allowed(t):
                    m.symmetry.add(m.x[t, k] <= sum(m.x[u, prev] for u in earlier) if earlier else m.x[t, k] <= 0)
                if prev in p.allowed(t):
                    earlier.append(t)


def define_memory(m, p: ScheduleProblem) -> None:
    """Σ_i mem[i,k]·x[i,k] ≤ capacity[k]  ∀ k with a capacity."""
    import pyomo.environ as pyo

    m.memory = pyo.ConstraintList()
    if p.memory is None or p.capacity is None:
        return
    for k in range(p.m):
        tasks = [i for i in range(p.n) if k in p.allowed(i)]
        if p.capacity[k] and tasks:
            m.memory.add(sum(int(p.memory[i, k]) * m.x[i, k] for i in tasks) <= int(p.capacity[k]))


def energy_expression(m, p: ScheduleProblem, scale: float):
    """E = Σ e[i,k]·x[i,k] + Σ_(i,j) Σ_{k,l} ce[k,l]·z[i,j,k,l],  z ≥ x[i,k] + x[j,l] − 1, z ≥ 0."""
    import pyomo.environ as pyo

    expr = sum(float(p.energy[i, k]) * scale * m.x[i, k] for i in range(p.n) for k in p.allowed(i))
    m.transfer_energy = pyo.ConstraintList()
    z_index = []
    if p.comm_energy is not None:
        for e, ((i, j, _), ce) in enumerate(zip(p.edges, p.comm_energy)):
            z_index += [(e, k, l) for k in p.allowed(i) for l in p.allowed(j) if ce[k, l] > 0]
    m.z = pyo.Var(z_index, bounds=(0, 1))
    for e, k, l in z_index:
        i, j, _ = p.edges[e]
        m.transfer_energy.add(m.z[e, k, l] >= m.x[i, k] + m.x[j, l] - 1)
        expr = expr + float(p.comm_energy[e][k, l]) * scale * m.z[e, k, l]
    return expr


def build(problem: ScheduleProblem, objective: str = "makespan", *, horizon: int | None = None,
          makespan_cap: int | None = None, energy_cap: float | None = None):
    """Build the Pyomo model; returns (model, energy scale). ``horizon`` is the big-M (an upper bound on
    the makespan of the solutions wanted, e.g. a heuristic's makespan when minimizing it)."""
    import pyomo.environ as pyo

    p = problem
    big_m = int(horizon if horizon is not None else p.serial_horizon)
    if makespan_cap is not None:
        big_m = min(big_m, int(makespan_cap))
    head, tail = p.heads_and_tails
    m = pyo.ConcreteModel(name=p.name)
    m.x = pyo.Var([(i, k) for i in range(p.n) for k in p.allowed(i)], domain=pyo.Binary)
    m.s = pyo.Var(range(p.n), domain=pyo.NonNegativeIntegers,
                  bounds=lambda m, i: (head[i], max(head[i], big_m - tail[i] - p.min_time(i))))
    m.C = pyo.Var(bounds=(0, big_m))
    define_assignment(m, p)
    define_makespan(m, p)
    define_precedence(m, p)
    define_no_overlap(m, p, big_m)
    define_symmetry_breaking(m, p)
    define_memory(m, p)
    scale = energy_scale(p)
    energy = energy_expression(m, p, scale)
    if p.energy_budget is not None:
        m.energy_budget = pyo.Constraint(expr=energy <= p.energy_budget * scale)
    if energy_cap is not None:
        m.energy_cap = pyo.Constraint(expr=energy <= energy_cap * scale * (1 + 1e-9) + 1e-9)
    m.obj = pyo.Objective(expr=m.C if objective == "makespan" else energy, sense=pyo.minimize)
    return m, scale


def warm_start_values(m, problem: ScheduleProblem, schedule) -> dict:
    """Variable values of a :class:`Schedule` (PEs relabelled to satisfy the symmetry breaking)."""
    from edgedse.formulations.common import canonical_labels

    p = problem
    sch = canonical_labels(p, schedule)
    end = [sch.start[i] + int(p.exec_time[i, sch.pe[i]]) for i in range(p.n)]
    from pyomo.common.collections import ComponentMap

    vals = ComponentMap()
    vals[m.C] = float(max(end, default=0))
    for i in range(p.n):
        vals[m.s[i]] = float(sch.start[i])
        for k in p.allowed(i):
            vals[m.x[i, k]] = 1.0 if sch.pe[i] == k else 0.0
    for (i, j) in m.y:
        vals[m.y[i, j]] = 1.0 if sch.start[i] <= sch.start[j] else 0.0
    for (i, j, k) in m.w:
        vals[m.w[i, j, k]] = 1.0 if sch.pe[i] == k and sch.pe[j] == k else 0.0
    for (e, k, l) in m.z:
        i, j, _ = p.edges[e]
        vals[m.z[e, k, l]] = 1.0 if sch.pe[i] == k and sch.pe[j] == l else 0.0
    return vals


def decode(problem: ScheduleProblem, m, values: dict):
    """A :class:`Schedule` from solver values (starts rounded to integer ticks)."""
    from edgedse.models.solutions import Schedule

    p = problem
    pe = [max(p.allowed(i), key=lambda k: values[m.x[i, k]]) for i in range(p.n)]
    start = [int(round(values[m.s[i]])) for i in range(p.n)]
    return Schedule(pe=tuple(pe), start=tuple(start))


__all__ = ["build", "decode", "warm_start_values", "NOT_ALLOWED"]
