"""Large-neighbourhood search on the latency (edgedse.solvers.periodic_lns): which layers a neighbourhood
frees, that the others stay put, and that it never worsens a schedule and repairs a delayed one."""
import dataclasses

import pytest

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.models.periodic import Firing, PeriodicSchedule
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_lns import _solve_neighbourhood, free_layers, improve_latency

from test_periodic import brute_force_period, tiny


def _delayed(sch: PeriodicSchedule, layer: int, periods: int) -> PeriodicSchedule:
    """``sch`` with every firing of ``layer`` (a sink) started ``periods`` whole periods later: still valid,
    as its arcs keep their places on the circle."""
    fs = tuple(dataclasses.replace(f, start=f.start + periods * sch.period) if f.layer == layer else f
               for f in sch.firings)
    return dataclasses.replace(sch, firings=fs)


def test_free_layers_by_hand():
    """Layers 0, 1, 2 of ``tiny(0)`` start at 0, 100 and 300 on PE 0, where layer 2's firing takes 6 ticks:
    latency 306. Head 10 % frees the layers starting before 30.6, head 50 % before 153; tail 10 % those
    starting at or after 275.4, tail 70 % at or after 91.8."""
    p = tiny(0)
    sch = PeriodicSchedule((0, 0, 0), (Firing(0, 0, 0, 0), Firing(1, 0, 0, 100), Firing(2, 0, 0, 300)), period=1000)
    lat = evaluate_periodic(p, sch).latency
    assert int(p.layers[2].modes[0].time[0]) == 6 and lat == 306
    assert free_layers(sch, lat, "head", 0.1) == {0}
    assert free_layers(sch, lat, "head", 0.5) == {0, 1}
    assert free_layers(sch, lat, "head", 1.0) == {0, 1, 2}
    assert free_layers(sch, lat, "tail", 0.1) == {2}
    assert free_layers(sch, lat, "tail", 0.5) == {2}
    assert free_layers(sch, lat, "tail", 0.7) == {1, 2}


@pytest.mark.parametrize("seed", range(3))
def test_layers_outside_the_neighbourhood_keep_pe_and_start(seed):
    p = tiny(seed)
    sch = solve_periodic(p, "milp", latency=False).solution
    lat = evaluate_periodic(p, sch).latency
    cand = _solve_neighbourhood(p, sch, lat, {2}, time_limit=10, seed=0, threads=2, latency_min=0)
    assert cand is not None and cand.period == sch.period
    shift = (min(f.start for f in sch.firings) // sch.period) * sch.period
    kept = lambda s, d=0: sorted((f.layer, f.pe, f.start - d) for f in s.firings if f.layer != 2)  # noqa: E731
    assert kept(cand) == kept(sch, shift) and cand.modes[:2] == sch.modes[:2]


@pytest.mark.parametrize("seed", range(4))
def test_tail_neighbourhood_repairs_a_delayed_sink(seed):
    """Delaying the sink layer by three periods adds 3·P to the latency; the tail neighbourhood frees it and
    gets back at least the original latency, at the same period, with no more energy."""
    p = tiny(seed)
    p_min = brute_force_period(p)[0]
    sch = solve_periodic(p, "milp", latency=False).solution
    assert sch.period == p_min
    before = evaluate_periodic(p, sch)
    late = _delayed(sch, 2, 3)
    assert evaluate_periodic(p, late).latency == before.latency + 3 * p_min  # valid, and 3 periods longer
    out = improve_latency(p, late, time_limit=20, fractions=(0.4,), energy_cap=before.energy_j)
    met = evaluate_periodic(p, out)
    assert met.period == p_min and met.latency <= before.latency and met.energy_j <= before.energy_j * (1 + 1e-9)


def test_improve_latency_never_worsens_and_stops_at_the_bound():
    p = tiny(1)
    sch = solve_periodic(p, "milp", latency=False).solution
    lat = evaluate_periodic(p, sch).latency
    assert improve_latency(p, sch, time_limit=10, latency_min=lat) is sch  # the bound is met: nothing to do
    out = improve_latency(p, sch, time_limit=10)
    assert evaluate_periodic(p, out).latency <= lat and out.period == sch.period


@pytest.mark.parametrize("seed", range(4))
def test_latency_stage_reaches_the_exact_least_latency_from_a_delayed_start(seed):
    """The latency stage (CP-SAT, then the neighbourhoods) at the fixed minimum period, started from a schedule
    whose sink is three periods late, returns the least latency CP-SAT proves for the instance, at the same
    period; its CP-SAT bound never exceeds it."""
    from edgedse.solvers.periodic_latency import latency_stage, solve_latency_model

    p = tiny(seed)
    p_min = brute_force_period(p)[0]
    sch = solve_periodic(p, "milp", latency=False).solution
    late = _delayed(sch, 2, 3)
    _, exact, exact_bound, _ = solve_latency_model(p, "latency", hint=sch, period_max=p_min, period_min=p_min,
                                                   time_limit=20, seed=0, threads=2)
    assert exact.latency == exact_bound, "CP-SAT proves tiny instances"
    stage = latency_stage(p, late, period_max=p_min, period_min=p_min, time_limit=20)
    assert stage.metrics == evaluate_periodic(p, stage.schedule)
    assert stage.metrics.period == p_min and stage.metrics.latency == exact.latency
    assert stage.cp_bound is not None and stage.cp_bound <= exact.latency


def test_latency_stage_returns_a_start_that_meets_the_bound_untouched():
    from edgedse.solvers.periodic_latency import latency_stage

    p = tiny(1)
    sch = solve_periodic(p, "milp", latency=False).solution
    lat = evaluate_periodic(p, sch).latency
    stage = latency_stage(p, sch, period_max=sch.period, period_min=sch.period, latency_min=lat, time_limit=10)
    assert stage.schedule is sch and stage.cp_bound is None and stage.cp_s == 0.0 and stage.search_s == 0.0


def test_latency_stage_keeps_a_candidate_only_if_no_worse():
    """(latency, period) must not grow; under an energy cap the energy must not exceed the start's."""
    from edgedse.analysis.periodic_evaluator import PeriodicMetrics
    from edgedse.solvers.periodic_latency import no_worse

    def met(latency, period, energy):
        return PeriodicMetrics(period, latency, energy, (0,), 0.0, 1, period)

    start = met(100, 50, 2.0)
    assert no_worse(met(90, 60, 3.0), start, start, None)       # shorter at a larger period under P ≤ ε
    assert no_worse(met(100, 50, 2.0), start, start, 2.0)       # equal
    assert not no_worse(met(100, 51, 2.0), start, start, None)  # same latency, larger period
    assert not no_worse(met(101, 40, 2.0), start, start, None)  # longer
    assert not no_worse(met(90, 50, 2.1), start, start, 2.0)    # shorter, but more energy under a cap
    assert no_worse(met(90, 50, 2.1), start, start, None)
