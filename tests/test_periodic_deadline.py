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

import pytest
from typer.testing import CliRunner

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.cli import app
from edgedse.errors import InfeasibleError, InputError
from edgedse.models.solutions import Status
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_deadline import fastest_mapping, packed_under_deadline

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
    assert "raise --latency-cap to 0.02349 s" in str(err.value)


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
