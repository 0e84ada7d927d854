"""CP-SAT formulations of pipelined mapping (notation in :mod:`edgedse.models.periodic`).

**Stage 1 — period (or energy under a period cap).** The period of a mapping is its largest resource
load (a schedule packing each PE's firings into one period window always exists, see
:func:`edgedse.solvers.periodic_heuristics.pack`), so firings of a layer in a mode only need counting:

* variables ``z[l,a] ∈ {0,1}`` (mode), ``n[l,a,k] ∈ 0..q[l,a]`` (firings on PE k), ``u[l,a,k]`` (any),
  ``P`` (ticks);
* ``define_mode_choice``      Σ_a z[l,a] = 1
* ``define_firing_counts``    Σ_k n[l,a,k] = q[l,a]·z[l,a];  n[l,a,k] ≤ q[l,a]·u[l,a,k]
* ``define_pe_load``          Σ_{l,a} d[l,a,k]·n[l,a,k] ≤ P                    ∀ k
* ``define_bus``              Σ_{l,a} β[l,a]·q[l,a]·z[l,a] ≤ 1000·P
* ``define_cycle``            d[l,a,k]·u[l,a,k] ≤ P
* objective ``min P`` or ``min Σ e[l,a,k]·n[l,a,k]`` with ``P ≤ cap``.

Solved by minimization, then objective shaving (:func:`edgedse.solvers.backends.run_cpsat_shaving`): when
the minimization stops with a gap, "is there a P ≤ incumbent − 1?" is asked until refuted — VGG16's
P_min on NEURAghe is proven that way in about a second of shaving, the minimization alone does not prove it.

**Stage 2 — latency** at the period found (with modes and mapping free again, arcs allowed to wrap
around the period boundary): :mod:`edgedse.formulations.period_latency_cpsat`.
"""
from __future__ import annotations

from dataclasses import dataclass

from edgedse.models.periodic import BUS_UNITS_PER_TICK, PeriodicProblem


@dataclass
class Stage1:
    model: object
    z: dict
    n: dict
    period: object
    objective: object      # the expression minimized: P, or the energy in integer units


def build_stage1(problem: PeriodicProblem, objective: str = "period", *, period_cap: int | None = None,
                 energy_cap: float | None = None, hint=None) -> Stage1:
    from ortools.sat.python import cp_model

    p = problem
    m = cp_model.CpModel()
    horizon = sum(max(int(md.time.max()) * md.firings for md in ly.modes) for ly in p.layers)
    horizon = max(horizon, max(-(-md.bus * md.firings // BUS_UNITS_PER_TICK) for ly in p.layers for md in ly.modes))
    cap = min(horizon * p.n_layers + 1, period_cap if period_cap is not None else horizon * p.n_layers + 1)
    if p.period_budget is not None:
        cap = min(cap, p.period_budget)
    P = m.NewIntVar(max(1, p.cycle_bound()), max(1, cap), "P")
    z, n, u = {}, {}, {}
    for l, ly in enumerate(p.layers):
        for a, md in enumerate(ly.modes):
            z[l, a] = m.NewBoolVar(f"z[{l},{a}]")
            for k in md.allowed():
                n[l, a, k] = m.NewIntVar(0, md.firings, f"n[{l},{a},{k}]")
                u[l, a, k] = m.NewBoolVar(f"u[{l},{a},{k}]")
    # define_mode_choice
    for l, ly in enumerate(p.layers):
        m.AddExactlyOne(z[l, a] for a in range(len(ly.modes)))
    # define_firing_counts
    for l, ly in enumerate(p.layers):
        for a, md in enumerate(ly.modes):
            m.Add(sum(n[l, a, k] for k in md.allowed()) == md.firings * z[l, a])
            for k in md.allowed():
                m.Add(n[l, a, k] <= md.firings * u[l, a, k])
                m.Add(u[l, a, k] <= z[l, a])
                # define_cycle
                m.Add(int(md.time[k]) * u[l, a, k] <= P)
    # define_pe_load
    load = []
    for k in range(p.m):
        load.append(sum(int(p.layers[l].modes[a].time[k]) * v for (l, a, kk), v in n.items() if kk == k))
        m.Add(load[k] <= P)
    # symmetry: of interchangeable PEs (PeriodicProblem.interchangeable_pe_groups), the first carries at least
    # the load of the next (HiGHS finds this symmetry itself: the same rows in period_milp measured no gain)
    for group in p.interchangeable_pe_groups:
        for k, j in zip(group, group[1:]):
            m.Add(load[k] >= load[j])
    # define_bus
    m.Add(sum(p.layers[l].modes[a].bus * p.layers[l].modes[a].firings * v for (l, a), v in z.items())
          <= BUS_UNITS_PER_TICK * P)
    scale = _energy_scale(p)
    energy = sum(round(float(p.layers[l].modes[a].energy[k]) * scale) * v for (l, a, k), v in n.items())
    if energy_cap is not None:  # widened by the rounding of the terms (½ unit per firing)
        m.Add(energy <= int(energy_cap * scale + 0.5 * _max_firings(p) + 1e-6))
    goal = P if objective == "period" else energy
    m.Minimize(goal)
    if hint is not None:
        from edgedse.models.periodic import canonical_mapping

        hint = canonical_mapping(p, hint)  # as the symmetry breaking orders the PEs
        for l, a in enumerate(hint.modes):
            for aa in range(len(p.layers[l].modes)):
                m.AddHint(z[l, aa], int(aa == a))
            for k in p.layers[l].modes[a].allowed():
                m.AddHint(n[l, a, k], sum(1 for kk in hint.pes[l] if kk == k))
                m.AddHint(u[l, a, k], int(k in hint.pes[l]))
    return Stage1(m, z, n, P, goal)


def _energy_scale(p: PeriodicProblem) -> float:
    """A power of ten making the largest per-iteration energy about 1e9 units (integers for CP-SAT)."""
    import math

    worst = sum(max(float(md.energy.max()) * md.firings for md in ly.modes) for ly in p.layers)
    return 10.0 ** math.floor(math.log10(1e9 / max(worst, 1e-30)))


def _max_firings(p: PeriodicProblem) -> int:
    return sum(max(md.firings for md in ly.modes) for ly in p.layers)


def read_stage1(problem: PeriodicProblem, built: Stage1, solver):
    """(modes, counts[l][k]) of a solved stage-1 model."""
    modes = []
    counts = []
    for l, ly in enumerate(problem.layers):
        a = next(a for a in range(len(ly.modes)) if solver.Value(built.z[l, a]))
        modes.append(a)
        counts.append({k: solver.Value(built.n[l, a, k]) for k in ly.modes[a].allowed()})
    return modes, counts
