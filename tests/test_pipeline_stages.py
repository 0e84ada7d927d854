"""Contiguous pipeline-stage mappings (formulations/pipeline_stages_cpsat.py, periodic_heuristics.stage_*)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.formulations.pipeline_stages_cpsat import SPLIT_WEIGHT, build_stage_model, read_stage_mapping
from edgedse.models.periodic import BUS_UNITS_PER_TICK, Mapping
from edgedse.solvers.backends import run_cpsat
from edgedse.solvers.periodic_heuristics import stage_blocks, stage_orders, stage_pipeline_schedules
from test_periodic import all_mappings, brute_force_period, tiny



def stage_cost(p, mapping: Mapping, order, P: int) -> int | None:
    """The model's objective for ``mapping`` under the stage order, or None if it breaks a constraint."""
    stage = {k: s for s, k in enumerate(order)}
    loads, first, last, bus = [0] * len(order), {}, {}, 0
    for l, (a, pes) in enumerate(zip(mapping.modes, mapping.pes)):
        md = p.layers[l].modes[a]
        bus += md.bus * md.firings
        for k in pes:
            if md.time[k] > P:
                return None
            loads[stage[k]] += int(md.time[k])
        first[l], last[l] = min(stage[k] for k in pes), max(stage[k] for k in pes)
    if max(loads) > P or bus > BUS_UNITS_PER_TICK * P or any(first[v] < last[u] for u, v in p.edges):
        return None
    return sum(loads) + SPLIT_WEIGHT * sum(last[l] - first[l] for l in first)


def test_stage_orders_are_one_per_order_up_to_interchangeable_pes(vgg, resnet):
    assert stage_orders(vgg) == [(0, 1, 2), (0, 2, 1), (2, 0, 1)]  # arm, arm, ce: 3!/2! orders
    orders = stage_orders(resnet)  # big, big, little, little: 4!/(2!·2!) orders
    assert len(orders) == 6 and len(set(orders)) == 6
    assert all(sorted(o) == [0, 1, 2, 3] for o in orders)
    # one kind but different local memory: not interchangeable, so all 3! orders
    cap = vgg.local_capacity.copy()
    cap[1] = 1 << 20
    assert len(stage_orders(replace(vgg, local_capacity=cap))) == 6


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("slack", [0, 5, 20])
def test_stage_model_agrees_with_brute_force(seed, slack):
    """Per stage order: CP-SAT finds a mapping iff one exists, and its objective is the least."""
    p = tiny(seed)
    P = brute_force_period(p)[0] + slack
    mappings = list(all_mappings(p))
    for order in stage_orders(p):
        costs = [c for c in (stage_cost(p, mp, order, P) for mp in mappings) if c is not None]
        built = build_stage_model(p, P, order)
        raw = run_cpsat(built.model, time_limit=10, threads=1, seed=0)
        assert raw.found == bool(costs) and (raw.proven_optimal or raw.proven_infeasible)
        if costs:
            mp = read_stage_mapping(p, built, raw.values)
            assert stage_cost(p, mp, order, P) == round(raw.objective) == min(costs)


def test_stage_blocks_cross_each_pe_once(resnet):
    """ResNet-18 at 1.02 · P_min: a contiguous mapping fits (at P_min none does); its block layout is valid,
    each PE holds one block, and the latency is at most the loads plus a transfer between stages."""
    P = int(1.02 * 4217)
    schedules = stage_pipeline_schedules(resnet, P, time_limit=6)
    assert schedules
    for sch in schedules:
        met = evaluate_periodic(resnet, sch)
        assert met.period <= P
        for k in range(resnet.m):
            mine = sorted((f.start, f.start + int(resnet.layers[f.layer].modes[sch.modes[f.layer]].time[k]))
                          for f in sch.firings if f.pe == k)
            assert all(e == s for (_, e), (s, _) in zip(mine, mine[1:]))  # back to back: one block
        transfer = max(resnet.comm_ticks(a, b, resnet.edge_volume(u, sch.modes[u]))
                       for a in range(resnet.m) for b in range(resnet.m) for u in range(resnet.n_layers))
        assert met.latency <= sum(met.busy) + (resnet.m - 1) * transfer
    assert stage_pipeline_schedules(resnet, 4217, time_limit=6) == []


def test_no_stage_order_fits_vgg16_near_its_minimum_period(vgg):
    """Pools run only on the ARM cores and sit between convolutions that only the CE runs within a period."""
    assert stage_pipeline_schedules(vgg, int(1.1 * 17318), time_limit=3) == []


def test_stage_blocks_by_hand():
    """tiny(0) with every layer in mode 0 (one firing), layers 0–1 on p1 then layer 2 on p0: the second block
    starts when layer 1's output has arrived (transfer 1 tick: 1,000 bytes at 1 MB/s = 1 ms = 1 tick)."""
    p = tiny(0)
    mp = Mapping((0, 0, 0), ((1,), (1,), (0,)))
    d = [int(p.layers[l].modes[0].time[k]) for l, k in ((0, 1), (1, 1), (2, 0))]
    sch = stage_blocks(p, mp, (1, 0), max(d[0] + d[1], d[2]))
    starts = {f.layer: f.start for f in sch.firings}
    assert starts == {0: 0, 1: d[0], 2: d[0] + d[1] + 1}
    assert evaluate_periodic(p, sch).latency == d[0] + d[1] + 1 + d[2]


def test_front_is_never_worse_than_its_stage_starts(resnet):
    """ResNet-18[:8]: at ε = 1.02 · P_min contiguous stages fit (at P_min none does); the front has a point with
    period ≤ ε whose latency is at most the best stage layout's, and every point re-evaluates."""
    from edgedse.analysis.pareto import period_latency_front

    p = resnet.prefix(8)
    front = period_latency_front(p, time_limit=5, factors=(1.0, 1.02))
    p_min = front[0].period
    eps = int(1.02 * p_min)
    staged = min(evaluate_periodic(p, s).latency for s in stage_pipeline_schedules(p, eps, time_limit=5))
    assert any(q.period <= eps and q.latency <= staged for q in front)
    for q in front:
        met = evaluate_periodic(p, q.schedule)
        assert (met.period, met.latency) == (q.period, q.latency)
