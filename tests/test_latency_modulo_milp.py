"""The exact latency of one mapping (edgedse.formulations.latency_modulo_milp via
edgedse.solvers.periodic_latency.latency_at_mapping): by hand on a full circle, the VGG16[:4] case worked
through in latency_bound_milp's docstring, agreement with CP-SAT's proven optimum on tiny instances with the
same mapping, the warm start's laps, and its place in the latency stage."""

import pytest

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.formulations.latency_modulo_milp import (build_modulo_latency, earliest_starts, mapped_firings,
                                                      sharing_pairs, warm_start)
from edgedse.models.periodic import Mapping, PeriodicSchedule
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_heuristics import pack
from edgedse.solvers.periodic_latency import latency_at_mapping, latency_stage

from test_periodic import tiny
from test_periodic_circle import _reversed_chain, _shuffled


def test_full_circle_chain_by_hand():
    """tiny(0) with every layer on PE 0 fills the circle of P = 31 (17 + 8 + 6): the least latency of a chain on
    one PE is its work, 31 (back to back), proven; the reversed circle order of the start gave 54."""
    p, sch = _reversed_chain()
    out = latency_at_mapping(p, sch, time_limit=10)
    assert out.metrics.latency == 31 and out.proven and out.bound == 31
    assert out.schedule.period == 31 and out.schedule.modes == sch.modes
    assert sorted((f.layer, f.pe) for f in out.schedule.firings) == sorted((f.layer, f.pe) for f in sch.firings)


def test_vgg16_first_four_layers_at_p_min_is_proven(vgg):
    """VGG16[:4] at P_min = 3,287 (latency_bound_milp's docstring): conv0 in 8 firings of 414 ticks split over
    the ARM cores, conv1 in one firing of 2,191 and conv3 in 8 of 137 fill the CE exactly, the pool in 2 firings
    on the ARMs. The hand argument gives 7,522; the MILP proves it for this mapping (the layer-span relaxation
    proves 5,214 and CP-SAT 5,189 in 60 s)."""
    p = vgg.prefix(4)
    mapping = Mapping((3, 0, 1, 3), ((0, 1, 0, 1, 1, 0, 1, 0), (2,), (0, 1), (2,) * 8))
    start = pack(p, mapping)
    assert start.period == 3287 and evaluate_periodic(p, start).latency >= 7522
    out = latency_at_mapping(p, start, time_limit=60)
    assert out.proven and out.metrics.latency == out.bound == 7522 and out.metrics.period == 3287


def _cpsat_least_latency_of_mapping(p, sch: PeriodicSchedule) -> int:
    """CP-SAT's proven least latency with ``sch``'s period, modes and PE counts per layer fixed."""
    from edgedse.formulations.period_latency_cpsat import build_latency_model, read_latency_model
    from edgedse.solvers.backends import run_cpsat

    built = build_latency_model(p, period_max=sch.period, period_min=sch.period, modes=sch.modes, hint=sch)
    for l in range(p.n_layers):
        for k in range(p.m):
            lits = [x for (i, kk), x in built.assign.items() if kk == k and built.items[i][0] == l]
            built.model.Add(sum(lits) == sum(1 for f in sch.firings if f.layer == l and f.pe == k))
    raw = run_cpsat(built.model, time_limit=20, threads=2, seed=0)
    assert raw.proven_optimal
    return evaluate_periodic(p, read_latency_model(p, built, raw.values)).latency


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_cpsat_at_the_same_mapping(seed):
    """From a shuffled circle (valid, usually longer), the MILP reaches CP-SAT's proven optimum of the mapping."""
    p = tiny(seed)
    sch = _shuffled(p, solve_periodic(p, "milp", latency=False).solution, seed)
    exact = _cpsat_least_latency_of_mapping(p, sch)
    out = latency_at_mapping(p, sch, time_limit=10)
    assert out.proven and out.metrics.latency == exact == out.bound
    assert out.metrics.latency <= evaluate_periodic(p, sch).latency


@pytest.mark.parametrize("seed", range(4))
def test_warm_start_laps_give_back_the_start(seed):
    """The warm start's laps ``h_ij = ⌈(d_i − (s_j − s_i)) / P⌉`` admit the start: the earliest starts they give
    are valid and no later than the start's (shifted to 0), and every pair lies in its modulo window."""
    p = tiny(seed)
    sch = _shuffled(p, solve_periodic(p, "milp", latency=False).solution, seed)
    model, fir = build_modulo_latency(p, sch, evaluate_periodic(p, sch).latency)
    vals = warm_start(model, p, sch)
    laps = {(i, j): int(vals[model.h[i, j]]) for i, j in model.h}
    _, starts = mapped_firings(p, sch)
    s0 = [x - min(starts) for x in starts]
    for i, j in sharing_pairs(fir):
        assert fir.duration[i] <= s0[j] - s0[i] + sch.period * laps[i, j] <= sch.period - fir.duration[j]
    earliest = earliest_starts(p, sch, fir, laps)
    assert all(e <= s for e, s in zip(earliest, s0))


def test_latency_stage_runs_it_while_the_iteration_wraps(vgg):
    """VGG16[:4] at P_min wraps whatever the circle order (7,522 > 3,287): the stage runs the MILP after the circle
    search and reports its proof; the reversed tiny chain fits one period after the circle search: no MILP."""
    p = vgg.prefix(4)
    start = pack(p, Mapping((3, 0, 1, 3), ((0, 1, 0, 1, 1, 0, 1, 0), (2,), (0, 1), (2,) * 8)))
    stage = latency_stage(p, start, period_max=3287, period_min=3287, time_limit=9, search=False)
    assert stage.mapping_s > 0 and stage.mapping_proven and stage.metrics.latency <= 7522
    q, sch = _reversed_chain()
    small = latency_stage(q, sch, period_max=31, period_min=31, time_limit=3, search=False)
    assert small.metrics.latency <= 31 and small.mapping_s == 0.0 and not small.mapping_proven
