"""Interchangeable PEs and the symmetry breaking built on them (loads non-increasing within a group): which PEs
count as interchangeable, the relabelling that puts a schedule in that order, and exact answers unchanged on a
problem with twin PEs (brute force)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from edgedse.models.periodic import Mapping, PeriodicProblem, canonical_mapping, pe_loads
from edgedse.models.solutions import Status
from edgedse.solvers.periodic import relaxed_latency_bound, solve_periodic
from edgedse.solvers.periodic_heuristics import mapping_min_period
from test_periodic import all_mappings, brute_force_period, tiny


def twins(seed: int) -> PeriodicProblem:
    """:func:`test_periodic.tiny` with a third PE: a twin of PE 0 (same kind, times, energies, memory, links)."""
    p = tiny(seed)
    layers = tuple(replace(ly, modes=tuple(replace(md, time=md.time[[0, 0, 1]], energy=md.energy[[0, 0, 1]],
                                                  memory=md.memory[[0, 0, 1]]) for md in ly.modes))
                   for ly in p.layers)
    return replace(p, name=f"twins{seed}", layers=layers, pe_names=("p0", "p0b", "p1"), pe_kinds=("a", "a", "b"),
                   link_bandwidth=np.full((3, 3), 1e6), link_latency=np.zeros((3, 3)),
                   local_capacity=np.zeros(3, dtype=np.int64))


def test_interchangeable_groups_of_both_instances(vgg, resnet):
    assert vgg.interchangeable_pe_groups == ((0, 1),)            # arm0, arm1; the CE has no twin
    assert resnet.interchangeable_pe_groups == ((0, 1), (2, 3))  # big0, big1; little0, little1
    assert tiny(0).interchangeable_pe_groups == ()
    assert replace(tiny(0), pe_kinds=("a", "a")).interchangeable_pe_groups == ()  # one kind, other times
    assert twins(0).interchangeable_pe_groups == ((0, 1),)


def test_a_differing_memory_link_or_time_breaks_the_twins(vgg):
    """Same kind is not enough: any per-PE figure that differs makes the swap change the problem."""
    cap = vgg.local_capacity.copy()
    cap[1] = 1 << 20
    assert replace(vgg, local_capacity=cap).interchangeable_pe_groups == ()
    lat = vgg.link_latency.copy()
    lat[1, 2] = 2e-6
    assert replace(vgg, link_latency=lat).interchangeable_pe_groups == ()
    slow = replace(vgg.layers[0], modes=tuple(replace(md, time=md.time + np.array([0, 1, 0])) for md in
                                              vgg.layers[0].modes))
    assert replace(vgg, layers=(slow,) + vgg.layers[1:]).interchangeable_pe_groups == ()


def test_canonical_mapping_orders_the_loads_and_keeps_the_figures(resnet):
    """ResNet-18[:6]'s relaxed mapping, as is and with its PEs swapped inside both groups: relabelled, the loads
    are non-increasing in each group, and the least period and the energy are unchanged."""
    p = resnet.prefix(6)
    _, mapping = relaxed_latency_bound(p, "latency", time_limit=10)
    swap = {0: 1, 1: 0, 2: 3, 3: 2}
    for mp in (mapping, Mapping(mapping.modes, tuple(tuple(swap[k] for k in ks) for ks in mapping.pes))):
        canon = canonical_mapping(p, mp)
        load = pe_loads(p, canon)
        assert load[0] >= load[1] and load[2] >= load[3] and sum(load) > 0
        assert mapping_min_period(p, canon) == mapping_min_period(p, mp)
        assert energy(p, canon) == pytest.approx(energy(p, mp))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", ["cpsat", "milp"])
@pytest.mark.parametrize("build", ["twins", "same_kind"])
def test_period_with_twin_pes_agrees_with_brute_force(seed, method, build):
    """The symmetry breaking removes no optimum: the least period over every mapping, with true twins and with
    two PEs of one kind whose times differ (not interchangeable, so not ordered by load)."""
    p = twins(seed) if build == "twins" else replace(tiny(seed), pe_kinds=("a", "a"))
    period, _ = brute_force_period(p)
    r = solve_periodic(p, method, time_limit=20)
    assert r.status == Status.OPTIMAL and r.objective == period


def test_energy_with_twin_pes_agrees_with_brute_force():
    p = twins(1)
    period, _ = brute_force_period(p)
    cap = period + 4
    best_e = min(energy(p, mp) for mp in all_mappings(p) if mapping_min_period(p, mp) <= cap)
    for method in ("cpsat", "milp"):
        r = solve_periodic(p, method, "energy", period_cap=cap, time_limit=20, latency=False)
        assert r.status == Status.OPTIMAL
        assert r.objective == pytest.approx(best_e) and r.metrics.period <= cap


def energy(p, mp) -> float:
    return sum(p.layers[l].modes[a].energy[k] for l, a in enumerate(mp.modes) for k in mp.pes[l])


def against_the_order(p) -> Mapping:
    """A mapping of ``p`` whose second twin carries more work than the first."""
    return next(mp for mp in all_mappings(p) if (load := pe_loads(p, mp))[1] > load[0])


def test_cpsat_hint_is_relabelled_to_satisfy_the_symmetry_breaking():
    """CP-SAT's stage 1 hinted with a mapping against the load order: the hint, imposed as equalities, is
    feasible (unrelabelled, it contradicts the symmetry breaking and CP-SAT drops it)."""
    from ortools.sat.python import cp_model

    from edgedse.formulations.period_cpsat import build_stage1

    p = twins(0)
    built = build_stage1(p, "period", hint=against_the_order(p))
    hint = built.model.Proto().solution_hint
    assert len(hint.vars) > 0
    for var, val in list(zip(hint.vars, hint.values)):  # impose each hinted value
        built.model.Add(built.model.GetIntVarFromProtoIndex(var) == val)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.Solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
