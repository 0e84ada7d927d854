"""Pipelined mapping under a latency deadline (edgedse.solvers.periodic_deadline): the least period of a schedule
whose latency is at most λ, by hand on VGG16's first two layers, for every method; a deadline below the least
latency is infeasible and says so; the CLI and the API carry the deadline in seconds.

VGG16[:2] on NEURAghe (ticks of 10 µs): conv1_1 (modes of 1/2/4/8 firings; a firing of the 8-firing mode
takes 414 on an ARM core and 26 on the CE) feeds conv1_2, which only the CE runs within a period (2,191 at
best; an ARM firing takes 8,674 or more). The transfer of one eighth of conv1_1's output from an ARM core
to the CE takes 19 ticks; on one PE nothing is transferred.

* λ = 2,400: conv1_2 on the CE needs 2,191, so conv1_1 has 209 ticks: on an ARM core its firing (414)
  and transfer would already end past that. Everything on the CE, back to back: P = L = 158 + 2,191 = 2,349,
  also the least latency of any schedule (2,348 is infeasible).
* λ = 3,000: conv1_1 in 8 firings, 6 on the CE (6 × 26) and one on each ARM core (414 + 19 to reach the CE):
  P = 2,191 + 156 = 2,347 and L = 414 + 19 + 2,191 = 2,624. With 5 on the CE an ARM core runs two firings,
  and L ≥ 828 + 19 + 2,191 = 3,038 > λ.
* λ = 4,000: conv1_1's 8 firings 4 per ARM core (1,656 ≤ 2,191): P = 2,191, the least period with no
  deadline, and L = 1,656 + 19 + 2,191 = 3,866.
"""
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.cli import app
from edgedse.errors import InfeasibleError, InputError
from edgedse.models.periodic import Mapping, Mode, PeriodicLayer, PeriodicProblem
from edgedse.models.solutions import Status
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_deadline import packed_under_deadline
from edgedse.solvers.periodic_heuristics import earliest_finish_mapping, fastest_mapping

from conftest import VGG

HAND = [(2400, 2349, 2349), (3000, 2347, 2624), (4000, 2191, 3866)]   # (λ, least P, least L at that P) in ticks


@pytest.mark.parametrize("method", ["cpsat", "milp"])
@pytest.mark.parametrize("cap,period,latency", HAND)
def test_exact_methods_reach_the_hand_optima(vgg, method, cap, period, latency):
    p = vgg.prefix(2)
    r = solve_periodic(p, method, latency_cap=cap, time_limit=4)
    assert r.status == Status.OPTIMAL and r.objective == period and r.bound == period
    met = evaluate_periodic(p, r.solution)
    assert met.period == period and met.latency == latency <= cap
    assert r.details["latency_cap"] == cap and r.details["least_latency_bound"] == 2349


@pytest.mark.parametrize("method", ["list", "ga"])
def test_heuristics_meet_the_deadline_and_never_beat_the_optimum(vgg, method):
    p = vgg.prefix(2)
    for cap, period, _ in HAND:
        r = solve_periodic(p, method, latency_cap=cap, time_limit=2)
        met = evaluate_periodic(p, r.solution)
        assert met.latency <= cap and met.period >= period and r.objective == met.period
        assert r.status in (Status.OPTIMAL, Status.FEASIBLE) and r.bound <= period


@pytest.mark.parametrize("method", ["cpsat", "milp"])
def test_a_deadline_below_the_least_latency_names_the_bound(vgg, method):
    with pytest.raises(InfeasibleError) as err:
        solve_periodic(vgg.prefix(2), method, latency_cap=2348, time_limit=4)
    assert err.value.family == "latency_cap" and "2349 ticks" in str(err.value)
    assert "raise the deadline (--latency-cap, or latency_budget_s in the instance) to 0.02349 s" in str(err.value)


def test_a_heuristic_that_finds_nothing_returns_no_schedule(vgg):
    r = solve_periodic(vgg.prefix(2), "list", latency_cap=2348)
    assert r.status == Status.UNKNOWN and r.solution is None and r.bound == vgg.prefix(2).lower_bound()


def test_packings_keep_the_least_period_meeting_the_deadline(vgg):
    """The fastest mapping (everything on the CE) packed: P = L = 2,349, within λ = 2,400, not within 2,348."""
    p = vgg.prefix(2)
    fast = fastest_mapping(p)
    assert fast.pes == ((2,), (2,)) and fast.modes == (0, 0)
    sch = packed_under_deadline(p, [fast], 2400)
    met = evaluate_periodic(p, sch)
    assert (met.period, met.latency) == (2349, 2349)
    assert packed_under_deadline(p, [fast], 2348) is None


def test_a_deadline_goes_with_the_period_objective_alone(vgg):
    with pytest.raises(InputError, match="--latency-cap"):
        solve_periodic(vgg.prefix(2), "cpsat", "energy", latency_cap=3000)
    with pytest.raises(InputError, match="--latency-cap"):
        solve_periodic(vgg.prefix(2), "cpsat", period_cap=2400, latency_cap=3000)
    with pytest.raises(InputError, match="at least one tick"):
        solve_periodic(vgg.prefix(2), "cpsat", latency_cap=0)


def test_cli_deadline_in_seconds_on_vgg16():
    """The whole VGG16: λ = 0.3 s with the list method (a millisecond of packing); the JSON carries the cap and
    a schedule meeting it, whose period is no better than the proven least period with no deadline."""
    out = CliRunner().invoke(app, ["schedule", str(VGG), "--objective", "period", "--method", "list",
                                   "--latency-cap", "0.3", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["latency_cap"] == pytest.approx(0.3) and report["latency"] <= 0.3
    assert report["period"] >= 0.17318 - 1e-9 and report["tasks"]


@pytest.mark.parametrize("extra", [["--objective", "makespan"], ["--objective", "period", "--period-energy"]])
def test_cli_refuses_a_deadline_without_the_period_objective(extra):
    out = CliRunner().invoke(app, ["schedule", str(VGG), *extra, "--latency-cap", "0.3"])
    assert out.exit_code == 2 and "--latency-cap" in out.output


def two_layers() -> PeriodicProblem:
    """L0 → L1 on PEs p0, p1 (ticks of 1 ms). L0: one firing of 10 (p0) or 12 (p1) ticks, or two of 6 on
    either; L1: one firing of 8 (p0) or 20 (p1). Each L0 firing hands L1 500 bytes: 1 tick between PEs."""
    def mode(firings, time):
        t = np.array(time, dtype=np.int64)
        return Mode(aggregation=2 // firings, firings=firings, time=t, energy=t * 0.5, bus=0, bus_bytes=0.0,
                    memory=np.zeros(2, dtype=np.int64))
    layers = (PeriodicLayer("CalculateLayer_0", "L0", "conv", "a_0", (mode(1, [10, 12]), mode(2, [6, 6])), 1000.0),
              PeriodicLayer("CalculateLayer_1", "L1", "conv", "a_1", (mode(1, [8, 20]),), 1000.0))
    return PeriodicProblem(name="two", layers=layers, edges=((0, 1),), pe_names=("p0", "p1"), pe_kinds=("a", "b"),
                           link_bandwidth=np.full((2, 2), 1e6), link_latency=np.zeros((2, 2)), tick_s=1e-3,
                           bus_bandwidth=1e6, shared_memory="ddr", shared_capacity=10**9, weight_bytes=1000,
                           activation_bytes=1000, local_capacity=np.zeros(2, dtype=np.int64))


def test_the_earliest_finish_mapping_spreads_a_layer_when_that_ends_it_sooner():
    """By hand: L0's two firings of 6, one per PE, end at 6 (one firing ends at 10 at best); L1's inputs reach
    p0 at 7 (the p1 half crosses in 1 tick), so it ends at 15 there (27 on p1). The fastest mapping (least
    work: L0 in one firing on p0, then L1) ends at 18. Packed, the earliest-finish mapping needs P = 15 for
    L = 15: at its least period 14 p0's circle is full ([0, 6) and [6, 14)) and L1, ready at 7, waits a
    period. The exact optimum under λ = 15 is P = 14: L0's p0 firing starts at 1, so L1 at [7, 15) wraps
    onto the free [0, 1)."""
    p = two_layers()
    eft = earliest_finish_mapping(p)
    assert eft == Mapping((1, 0), ((0, 1), (0,)))
    assert fastest_mapping(p) == Mapping((0, 0), ((0,), (0,)))
    met = evaluate_periodic(p, packed_under_deadline(p, [eft], 15))
    assert (met.period, met.latency) == (15, 15)
    assert packed_under_deadline(p, [fastest_mapping(p)], 17) is None
    listed = solve_periodic(p, "list", latency_cap=15)
    assert listed.objective == 15 and evaluate_periodic(p, listed.solution).latency == 15
    exact = solve_periodic(p, "cpsat", latency_cap=15, time_limit=5)
    assert exact.status == Status.OPTIMAL and exact.objective == 14
    assert evaluate_periodic(p, exact.solution).latency == 15


@pytest.mark.parametrize("method", ["list", "ga"])
def test_a_tighter_deadlines_answer_starts_a_looser_one(vgg, method):
    """A sweep from tight to loose deadlines: the exact answer at λ = 3,000 (P = 2,347, L = 2,624) also meets
    λ = 3,100, where the heuristics alone reach only P = 2,349 (everything on the CE); started from it, they
    return it."""
    p = vgg.prefix(2)
    tight = solve_periodic(p, "cpsat", latency_cap=3000, time_limit=4)
    assert tight.objective == 2347
    alone = solve_periodic(p, method, latency_cap=3100, time_limit=2)
    started = solve_periodic(p, method, latency_cap=3100, time_limit=2, starts=[tight.solution])
    assert alone.objective == 2349 and started.objective == 2347
    assert evaluate_periodic(p, started.solution).latency == 2624


def test_starts_go_with_a_deadline(vgg):
    p = vgg.prefix(2)
    start = solve_periodic(p, "list", latency_cap=3000).solution
    with pytest.raises(InputError, match="starts"):
        solve_periodic(p, "list", starts=[start])
