"""Deterministic mode: a solve stopped by its limit gives the same answer twice (CP-SAT, HiGHS, GA), and
every answer says whether it is reproducible."""
import json

import pytest
from typer.testing import CliRunner

from conftest import ROOT, VGG
from edgedse import api
from edgedse.cli import app
from edgedse.solvers import backends
from edgedse.solvers.backends import DETERMINISTIC_ENV


@pytest.fixture(autouse=True)
def _mode_off(monkeypatch):
    """Every test starts with the mode off; monkeypatch restores the environment afterwards."""
    monkeypatch.setenv(DETERMINISTIC_ENV, "0")


def _latency_model():
    """VGG16's latency model at a fixed period: no solver proves it within a second."""
    from edgedse.formulations.period_latency_cpsat import build_latency_model

    p = api.load_periodic_problem(VGG)
    return build_latency_model(p, period_min=20000, period_max=20000, latency_cap=200000)


def _cpsat_answer():
    built = _latency_model()
    raw = backends.run_cpsat(built.model, time_limit=0.2, threads=2, seed=3)
    assert not raw.proven_optimal and not raw.proven_infeasible  # the limit, not the search, stopped it
    return raw, [raw.values.Value(s) for s in built.start] if raw.found else None, raw.bound


def test_cpsat_answer_stopped_by_a_work_limit_repeats():
    with api.deterministic_solvers():
        first, starts1, bound1 = _cpsat_answer()
        second, starts2, bound2 = _cpsat_answer()
    assert first.found and first.reproducible and second.reproducible
    assert (first.objective, bound1, starts1) == (second.objective, bound2, starts2)


def test_a_wall_clock_stop_is_reported_as_not_reproducible():
    before = backends.clock_stops()
    raw, _, _ = _cpsat_answer()
    assert not raw.reproducible
    assert backends.clock_stops() == before + 1


def _market_split(rows: int = 4, cols: int = 30, seed: int = 1):
    """A market-split MILP (Cornuéjols and Dawande): min Σ|Σ_j a_ij x_j − b_i| over binary x, fast at the
    root and famously slow to close by branching."""
    import highspy
    import numpy as np

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(rows, cols))
    b = a.sum(axis=1) // 2
    n = cols + 2 * rows  # x, then s+ and s− per row
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, rows
    lp.col_cost_ = np.r_[np.zeros(cols), np.ones(2 * rows)]
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.r_[np.ones(cols), np.full(2 * rows, highspy.kHighsInf)]
    lp.row_lower_ = lp.row_upper_ = b.astype(float)
    dense = np.hstack([a, np.eye(rows), -np.eye(rows)]).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, rows * n + 1, n)
    lp.a_matrix_.index_ = np.tile(np.arange(n), rows)
    lp.a_matrix_.value_ = dense.ravel()
    lp.integrality_ = [highspy.HighsVarType.kInteger] * cols + [highspy.HighsVarType.kContinuous] * (2 * rows)
    return lp


def test_highs_answer_stopped_by_its_node_limit_repeats():
    answers = []
    with api.deterministic_solvers():
        for _ in range(2):
            raw = backends.run_highs_lp(_market_split(), time_limit=0.2, threads=2, seed=0)
            assert raw.found and not raw.proven_optimal and raw.reproducible
            answers.append((raw.objective, raw.bound, raw.values))
    assert answers[0] == answers[1]


class _Steps:
    """A stand-in for a pymoo algorithm: ``has_next`` until ``n`` steps."""

    def __init__(self, n):
        self.n, self.done = n, 0

    def has_next(self):
        return self.done < self.n

    def next(self):
        self.done += 1


def test_genetic_algorithms_ignore_the_wall_clock_in_deterministic_mode():
    before = backends.clock_stops()
    assert backends.run_generations(_Steps(7), None, time_limit=0.0) == 0  # the clock stops it at once
    assert backends.clock_stops() == before + 1
    with api.deterministic_solvers():
        assert backends.run_generations(_Steps(7), None, time_limit=0.0) == 7
        assert backends.run_generations(_Steps(7), 5, time_limit=0.0) == 5
    assert backends.clock_stops() == before + 1


def test_context_manager_restores_the_mode():
    assert not backends.deterministic_solvers_enabled()
    with api.deterministic_solvers():
        assert backends.deterministic_solvers_enabled()
        with api.deterministic_solvers(False):
            assert not backends.deterministic_solvers_enabled()
        assert backends.deterministic_solvers_enabled()
    assert not backends.deterministic_solvers_enabled()


def test_cli_flag_reports_a_reproducible_answer():
    inst = ROOT / "instances" / "lenet_neuraghe.yaml"
    res = CliRunner().invoke(app, ["--deterministic", "schedule", str(inst), "--method", "cpsat", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["details"]["deterministic"] is True and doc["details"]["reproducible"] is True
    assert doc["status"] == "optimal"
    res = CliRunner().invoke(app, ["schedule", str(VGG), "--objective", "period", "--method", "list", "--json"])
    doc = json.loads(res.output)  # the flag is per invocation of the CLI process; here still set
    assert doc["details"]["deterministic"] is True and doc["details"]["reproducible"] is True


def test_time_budget_splits_by_granted_limits_in_deterministic_mode():
    import time

    with api.deterministic_solvers():
        budget = backends.TimeBudget(10.0)
        assert budget.grant(4.0) == 4.0
        time.sleep(0.05)
        assert budget.left() == 6.0  # the wall clock plays no part
    budget = backends.TimeBudget(10.0)
    budget.grant(4.0)
    time.sleep(0.05)
    assert 9.0 < budget.left() < 9.96  # by the wall clock


def test_pipelined_solve_repeats_in_deterministic_mode():
    """Stage 1, the relaxation and the latency stage share one budget split by granted limits, not by the
    clock; the latency is not proven in 2 s, and the answer (mapping, starts, bounds) is the same twice."""
    with api.deterministic_solvers():
        runs = [api.schedule_periodic(VGG, method="cpsat", time_limit=2.0, threads=2, seed=0)[1] for _ in range(2)]
    a, b = runs
    assert a.details["deterministic"] and a.details["reproducible"] and b.details["reproducible"]
    assert a.solution == b.solution and a.bound == b.bound
    assert a.details["latency_bound"] == b.details["latency_bound"]
    assert a.metrics.latency > a.details["latency_bound"]  # the latency stage was stopped by its limit


def test_latency_neighbourhood_search_repeats_in_deterministic_mode():
    """VGG16 at the minimum period: no neighbourhood is proven within its 0.5 s, yet the search (neighbourhoods
    in a fixed order, time split by granted limits) returns the same, shorter schedule twice."""
    from edgedse.analysis.periodic_evaluator import evaluate_periodic
    from edgedse.solvers.periodic import solve_periodic
    from edgedse.solvers.periodic_lns import improve_latency

    p = api.load_periodic_problem(VGG)
    start = solve_periodic(p, "milp", latency=False, time_limit=60).solution
    with api.deterministic_solvers():
        with backends.reproducibility_record() as rec:
            runs = [improve_latency(p, start, time_limit=1.0, solve_limit=0.5, seed=1) for _ in range(2)]
    assert runs[0] == runs[1] and rec["reproducible"]
    assert evaluate_periodic(p, runs[0]).latency < evaluate_periodic(p, start).latency  # it did move
    assert runs[0].period == start.period
