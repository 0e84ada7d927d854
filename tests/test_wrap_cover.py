"""The wrap-cover inequalities of the layer-span relaxation (:func:`~edgedse.formulations.latency_bound_milp.
define_wrap_cover`): valid for every real schedule, and strong enough to prove periods the relaxation missed."""
from __future__ import annotations

import pytest

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.formulations.latency_bound_milp import build_latency_bound
from edgedse.solvers.backends import run_highs
from edgedse.solvers.periodic import relaxed_latency_bound
from edgedse.solvers.periodic_heuristics import mapping_min_period, pack
from test_periodic import all_mappings, tiny


def fix_to_schedule(p, m, sch) -> None:
    """Fix the relaxation's modes, counts, period, latency and windows to those of ``sch`` (times from its
    first start; a PE a layer does not use gets ``F = G = S_l``), leaving the wrap-cover variables free."""
    met = evaluate_periodic(p, sch)
    t0 = min(f.start for f in sch.firings)
    ends = {}
    for f in sch.firings:
        d = int(p.layers[f.layer].modes[sch.modes[f.layer]].time[f.pe])
        ends.setdefault((f.layer, f.pe), []).append((f.start - t0, f.start - t0 + d))
    m.P.fix(sch.period)
    m.L.fix(met.latency)
    for (l, a) in m.z:
        m.z[l, a].fix(int(sch.modes[l] == a))
    for (l, a, k) in m.n:
        cnt = sum(1 for f in sch.firings if f.layer == l and f.pe == k) if sch.modes[l] == a else 0
        m.n[l, a, k].fix(cnt)
        m.u[l, a, k].fix(int(cnt > 0))
    for l in range(p.n_layers):
        mine = [iv for k in range(p.m) for iv in ends.get((l, k), [])]
        m.S[l].fix(min(s for s, _ in mine))
        m.T[l].fix(max(e for _, e in mine))
        for k in range(p.m):
            here = ends.get((l, k))
            m.F[l, k].fix(min(s for s, _ in here) if here else m.S[l].value)
            m.G[l, k].fix(max(e for _, e in here) if here else m.S[l].value)


def assert_schedule_satisfies_cuts(p, sch) -> None:
    met = evaluate_periodic(p, sch)
    m = build_latency_bound(p, "period", period_max=sch.period, latency_cap=met.latency)
    assert len(m.wrap_cover) > 0
    fix_to_schedule(p, m, sch)
    raw = run_highs(m, time_limit=30, threads=1, seed=0)
    assert raw.found and not raw.proven_infeasible, (p.name, sch.period, met.latency)


@pytest.mark.parametrize("seed", range(4))
def test_every_packed_tiny_schedule_satisfies_the_cuts(seed):
    """Every 7th mapping of a tiny chain, packed at its least period and at 1.5× it (iterations that wrap and
    that do not): its own modes, counts, period, latency and windows are a feasible point of the model."""
    p = tiny(seed)
    checked = 0
    for i, mp in enumerate(all_mappings(p)):
        if i % 7:
            continue
        low = mapping_min_period(p, mp)
        for period in (low, (3 * low) // 2):
            assert_schedule_satisfies_cuts(p, pack(p, mp, period))
            checked += 1
    assert checked >= 50


@pytest.mark.parametrize("which, n", [("vgg", 4), ("vgg", 9), ("resnet", 6), ("resnet", 12)])
def test_wrapped_network_schedules_satisfy_the_cuts(request, which, n):
    """Prefixes of both instances: the relaxation's own mapping packed at the least period it allows, an
    iteration that wraps around full circles (latency several periods), satisfies every cut."""
    p = request.getfixturevalue(which).prefix(n)
    _, mapping = relaxed_latency_bound(p, "latency", time_limit=10)
    sch = pack(p, mapping)
    met = evaluate_periodic(p, sch)
    assert met.latency > sch.period  # it wraps: the case the cuts are about
    assert_schedule_satisfies_cuts(p, sch)


def test_least_span_by_hand(vgg):
    """VGG16's conv1_2 (layer 1; 1/2/4/8 firings of 2191/1096/548/274 ticks on the CE, 31.7× that on each ARM):
    8 firings spread over 3 PEs take at least ⌈8·274/3⌉ = 731; one firing 2191. The first pool (ARM only,
    189/95/48/24): 2 firings of 95, or ⌈4·48/2⌉ = 96."""
    assert vgg.least_span(1) == 731
    assert vgg.least_span(2) == 95


@pytest.mark.parametrize("which, n, cap, without, with_cuts", [
    ("vgg", 4, 3566, 3446, 3566),      # conv1_1, conv1_2, pool, conv2_1: the pool's excursion costs the CE 120 ticks
    ("resnet", 4, 1262, 921, 926),
    ("resnet", 4, 1107, 1102, 1107),
])
def test_cuts_prove_the_least_period_under_a_latency_cap(request, which, n, cap, without, with_cuts):
    """min P s.t. L ≤ cap: the layer spans alone let an iteration leave a full PE and come back for free; the
    cuts charge the gap to the PE's idle time (or a full period), and the bound meets a schedule found by the
    period × latency front (VGG16[:4]: (3,566, 3,566); ResNet-18[:4]: (926, 1,262) and (1,107, 1,107))."""
    p = request.getfixturevalue(which).prefix(n)
    plain, _ = relaxed_latency_bound(p, "period", latency_cap=cap, time_limit=30)
    cut, mapping = relaxed_latency_bound(p, "period", latency_cap=cap, period_max=2 * with_cuts, time_limit=30)
    assert (plain, cut) == (without, with_cuts)
    assert mapping is not None and mapping_min_period(p, mapping) <= with_cuts


def test_first_start_on_the_pe_bounds_the_cover_before_a_gap(vgg):
    """VGG16[:4] at P_min = 3,287 ticks, latency capped at 7,522 (a schedule the front finds): the CE is full
    (conv1_2 2,191 + conv2_1 1,096). The pool between them leaves the CE a gap of at least 252 ticks, which
    only CE work executed a period away can cover. Before: no CE work starts before conv1_2, which starts
    after conv1_1 on the ARMs (``first_on[CE] ≥ 1,675``), so the gap ends no earlier than
    3,287 + 1,675 + 252 = 5,214 ticks, and conv2_1's 1,096 ticks follow: 6,310. Without the cap (no cuts) the
    relaxation proves only the layer spans, 5,214."""
    p = vgg.prefix(4)
    assert p.lower_bound() <= 3287
    plain, _ = relaxed_latency_bound(p, "latency", period_max=3287, time_limit=30)
    capped, mapping = relaxed_latency_bound(p, "latency", period_max=3287, latency_cap=7522, time_limit=30)
    assert (plain, capped) == (5214, 6310)
    m = build_latency_bound(p, "latency", period_max=3287, latency_cap=7522)
    raw = run_highs(m, time_limit=30, threads=1, seed=0)
    ce = p.pe_names.index("ce")
    assert raw.proven_optimal and raw.values[m.first_on[ce]] >= 1675 - 1e-6  # in every feasible point
    assert mapping_min_period(p, mapping) <= 3287
