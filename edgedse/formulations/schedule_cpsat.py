"""CP-SAT formulation of heterogeneous DAG scheduling (math only; running it is in solvers/).

Sets: tasks ``T``; *units* ``U`` — either every PE (``pe`` level: capacity 1, NoOverlap) or every group
of identical PEs (``type`` level: capacity |G|, Cumulative; exact when there are no transfer costs and
no memory capacities, because intervals on identical machines can always be coloured onto them).

Variables: ``s_i, e_i`` start/end (ticks); ``x_iu`` task ``i`` on unit ``u``; optional intervals
``I_iu = [s_i, s_i + p_iu)`` present iff ``x_iu``; ``C`` makespan; ``same_ij`` (uniform transfers).

Each constraint family is one ``define_*`` function below, its equation in the docstring.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from edgedse.formulations.common import canonical_labels, energy_cap_ticks, energy_scale
from edgedse.models.problems import NOT_ALLOWED, ScheduleProblem



@dataclass
class Vars:
    start: list
    end: list
    assign: dict                    # (i, u) -> BoolVar (or constant True)
    intervals: dict                 # (i, u) -> IntervalVar
    units: list[list[int]]          # unit u -> the PEs it stands for
    makespan: object = None
    energy_terms: list = field(default_factory=list)  # (coefficient, literal)


@dataclass
class Built:
    model: object
    vars: Vars
    level: str
    energy_scale: float
    horizon: int


def choose_level(problem: ScheduleProblem) -> str:
    """``type`` where it is exact and smaller (no transfers, no memory limits, some group ≥ 2), else ``pe``."""
    groups = problem.identical_pe_groups
    if not problem.has_communication and problem.capacity is None and any(len(g) > 1 for g in groups):
        return "type"
    return "pe"


# -- constraint families ----------------------------------------------------------------------------
def define_assignment(m, p: ScheduleProblem, v: Vars) -> None:
    """Each task runs on exactly one allowed unit:  Σ_u x[i,u] = 1  ∀ i."""
    for i in range(p.n):
        lits = [v.assign[i, u] for u in range(len(v.units)) if (i, u) in v.assign]
        m.AddExactlyOne(lits)


def define_durations(m, p: ScheduleProblem, v: Vars) -> None:
    """Optional intervals share start and end:  x[i,u] ⇒ e_i = s_i + p[i,u]  (the 'alternative' pattern)."""
    for (i, u), lit in v.assign.items():
        k = v.units[u][0]
        v.intervals[i, u] = m.NewOptionalIntervalVar(v.start[i], int(p.exec_time[i, k]), v.end[i], lit,
                                                     f"I_{i}_{u}")


def define_resources(m, p: ScheduleProblem, v: Vars) -> None:
    """Unit capacity:  NoOverlap({I[i,u]}) for a single PE;  Cumulative({I[i,u]}, 1, |G|) for a group."""
    for u, pes in enumerate(v.units):
        ivs = [v.intervals[i, u] for i in range(p.n) if (i, u) in v.intervals]
        if len(pes) == 1:
            m.AddNoOverlap(ivs)
        else:
            m.AddCumulative(ivs, [1] * len(ivs), len(pes))


def define_precedence(m, p: ScheduleProblem, v: Vars) -> None:
    """Inputs arrive before a task starts:  s_j ≥ e_i + c[(i,j)][k,l]  if x[i,k] ∧ x[j,l].

    Uniform transfers (one value c off the diagonal): s_j ≥ e_i + c·(1 − same_ij), with
    same_ij ∧ x[i,k] ⇒ x[j,k]. Otherwise one enforced inequality per PE pair with c > 0.
    """
    uniform = p.uniform_comm
    for (i, j, _), c in zip(p.edges, p.comm_time):
        m.Add(v.start[j] >= v.end[i])
        if not c.any():
            continue
        if uniform:
            cval = int(c.max())
            same = m.NewBoolVar(f"same_{i}_{j}")
            for k in range(p.m):
                if (i, k) in v.assign:
                    m.AddBoolOr([v.assign[i, k].Not(), same.Not()] + ([v.assign[j, k]] if (j, k) in v.assign else []))
            m.Add(v.start[j] >= v.end[i] + cval - cval * same)
        else:
            for k in range(p.m):
                for l in range(p.m):
                    if c[k, l] > 0 and (i, k) in v.assign and (j, l) in v.assign:
                        m.Add(v.start[j] >= v.end[i] + int(c[k, l])).OnlyEnforceIf([v.assign[i, k], v.assign[j, l]])


def define_redundant_cumulative(m, p: ScheduleProblem, v: Vars) -> None:
    """Per group G of identical PEs (≥ 2):  Cumulative({[s_i, s_i + p[i,G]) present iff Σ_{k∈G} x[i,k]}, |G|)."""
    for grp in p.identical_pe_groups:
        if len(grp) < 2:
            continue
        ivs = []
        for i in range(p.n):
            lits = [v.assign[i, k] for k in grp if (i, k) in v.assign]
            if not lits:
                continue
            d = int(p.exec_time[i, grp[0]])
            present = m.NewBoolVar(f"on_{i}_{grp[0]}")
            m.Add(sum(lits) == present)
            ivs.append(m.NewOptionalIntervalVar(v.start[i], d, v.start[i] + d, present, f"G_{i}_{grp[0]}"))
        m.AddCumulative(ivs, [1] * len(ivs), len(grp))


def define_symmetry_breaking(m, p: ScheduleProblem, v: Vars) -> None:
    """Identical PEs k_0 < k_1 < … of a group are used in order of first use (tasks in topological order):
    used[t,k] = ∨_{t' ≤ t} x[t',k];  x[t,k_r] ⇒ used[t−1,k_{r−1}]."""
    order = p.topological_order
    for grp in p.identical_pe_groups:
        if len(grp) < 2:
            continue
        used = {k: None for k in grp}
        for t in order:
            for r, k in enumerate(grp):
                if r > 0 and (t, k) in v.assign:
                    prev = used[grp[r - 1]]
                    if prev is None:
                        m.Add(v.assign[t, k] == 0)
                    else:
                        m.AddImplication(v.assign[t, k], prev)
            for k in grp:
                if (t, k) not in v.assign:
                    continue
                new = m.NewBoolVar(f"used_{t}_{k}")
                lits = [v.assign[t, k]] + ([used[k]] if used[k] is not None else [])
                m.AddBoolOr([new.Not()] + lits)            # new ⇒ (x ∨ used_prev)
                for lit in lits:
                    m.AddImplication(lit, new)             # x ∨ used_prev ⇒ new
                used[k] = new


def define_memory(m, p: ScheduleProblem, v: Vars) -> None:
    """Static memory per PE:  Σ_i mem[i,k]·x[i,k] ≤ capacity[k]  ∀ k with a capacity."""
    if p.memory is None or p.capacity is None:
        return
    for k in range(p.m):
        if p.capacity[k]:
            m.Add(sum(int(p.memory[i, k]) * v.assign[i, k] for i in range(p.n) if (i, k) in v.assign)
                  <= int(p.capacity[k]))


def energy_expression(m, p: ScheduleProblem, v: Vars, scale: float):
    """E = Σ e[i,k]·x[i,k] + Σ_(i,j) Σ_{k,l} ce[(i,j)][k,l]·z[i,j,k,l],  z ≥ x[i,k] + x[j,l] − 1.

    (z needs only its lower bound: it appears with a positive cost in a minimization or a ≤ budget.)
    """
    terms = []
    for (i, u), lit in v.assign.items():
        k = v.units[u][0]
        terms.append(int(round(float(p.energy[i, k]) * scale)) * lit)
    if p.comm_energy is not None:
        for (i, j, _), ce in zip(p.edges, p.comm_energy):
            for k in range(p.m):
                for l in range(p.m):
                    w = int(round(float(ce[k, l]) * scale))
                    if w > 0 and (i, k) in v.assign and (j, l) in v.assign:
                        z = m.NewBoolVar(f"z_{i}_{j}_{k}_{l}")
                        m.Add(z >= v.assign[i, k] + v.assign[j, l] - 1)
                        terms.append(w * z)
    return sum(terms)


def define_energy_budget(m, p: ScheduleProblem, v: Vars, scale: float, energy) -> None:
    """Σ energy ≤ budget (scaled to integers, rounded down: never admits an over-budget solution
    beyond rounding of the per-task energies)."""
    if p.energy_budget is not None:
        m.Add(energy <= int(p.energy_budget * scale))


# -- assembly ---------------------------------------------------------------------------------------
def build(problem: ScheduleProblem, objective: str = "makespan", *, horizon: int | None = None,
          level: str | None = None, makespan_cap: int | None = None, energy_cap: float | None = None,
          hint=None) -> Built:
    """Build the CP-SAT model.

    Args:
        objective: ``makespan`` or ``energy``.
        horizon: an upper bound on the makespan of the solutions wanted (e.g. a heuristic's makespan
            when minimizing makespan); defaults to the serial horizon.
        level: ``pe`` or ``type`` (see module docstring); default :func:`choose_level`.
        makespan_cap / energy_cap: ε-constraints ``C ≤ cap`` / ``E ≤ cap`` (J) for Pareto fronts.
        hint: a :class:`Schedule` to start from.
    """
    from ortools.sat.python import cp_model

    p = problem
    m = cp_model.CpModel()
    level = level or choose_level(p)
    units = [[k] for k in range(p.m)] if level == "pe" else [list(g) for g in p.identical_pe_groups]
    H = int(horizon if horizon is not None else p.serial_horizon)
    if makespan_cap is not None:
        H = min(H, int(makespan_cap))
    head, tail = p.heads_and_tails
    start, end = [], []
    for i in range(p.n):
        lo, hi = head[i], H - tail[i] - p.min_time(i)
        start.append(m.NewIntVar(lo, max(lo, hi), f"s_{i}"))
        end.append(m.NewIntVar(lo + p.min_time(i), max(lo + p.min_time(i), H - tail[i]), f"e_{i}"))
    assign = {}
    for i in range(p.n):
        for u, pes in enumerate(units):
            if p.exec_time[i, pes[0]] != NOT_ALLOWED:
                assign[i, u] = m.NewBoolVar(f"x_{i}_{u}")
    v = Vars(start, end, assign, {}, units)
    families = [define_assignment, define_durations, define_resources, define_precedence, define_memory]
    if level == "pe":
        families += [define_redundant_cumulative, define_symmetry_breaking]
    for define in families:
        define(m, p, v)
    scale = energy_scale(p)
    energy = energy_expression(m, p, v, scale)
    define_energy_budget(m, p, v, scale, energy)
    if energy_cap is not None:
        m.Add(energy <= energy_cap_ticks(p, energy_cap, scale))
    lower = min(p.makespan_lower_bound(), H)  # critical path and load bound: lets CP-SAT stop early
    v.makespan = m.NewIntVar(lower, max(H, lower), "C")
    m.AddMaxEquality(v.makespan, end)
    if objective == "makespan":
        m.Minimize(v.makespan)
    else:
        m.Minimize(energy)
    if hint is not None:
        add_hint(m, p, v, hint, level)
    return Built(m, v, level, scale, H)


def add_hint(m, p: ScheduleProblem, v: Vars, schedule, level: str) -> None:
    if level == "pe":
        schedule = canonical_labels(p, schedule)
    unit_of = {k: u for u, pes in enumerate(v.units) for k in pes}
    for i in range(p.n):
        m.AddHint(v.start[i], int(schedule.start[i]))
        for u in range(len(v.units)):
            if (i, u) in v.assign:
                m.AddHint(v.assign[i, u], 1 if unit_of[schedule.pe[i]] == u else 0)


def decode(problem: ScheduleProblem, built: Built, solver):
    """Read a :class:`Schedule` from a solved model; type-level groups are coloured onto their PEs."""
    from edgedse.models.solutions import Schedule

    p, v = problem, built.vars
    start = [int(solver.Value(s)) for s in v.start]
    unit = [next(u for u in range(len(v.units)) if (i, u) in v.assign and solver.BooleanValue(v.assign[i, u]))
            for i in range(p.n)]
    pe = [v.units[unit[i]][0] for i in range(p.n)]
    if built.level == "type":
        for u, pes in enumerate(v.units):
            if len(pes) == 1:
                continue
            free_at = {k: 0 for k in pes}
            for i in sorted((i for i in range(p.n) if unit[i] == u), key=lambda i: (start[i], i)):
                d = int(p.exec_time[i, pes[0]])
                k = min((k for k in pes if free_at[k] <= start[i]), key=lambda k: (free_at[k] if d else 0, k),
                        default=None) if d else pes[0]
                if k is None:  # cannot happen when the cumulative holds
                    raise RuntimeError("type-level decode: no free PE; the cumulative constraint was violated")
                pe[i] = k
                if d:
                    free_at[k] = start[i] + d
    return Schedule(pe=tuple(pe), start=tuple(start))
