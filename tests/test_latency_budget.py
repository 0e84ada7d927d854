"""The instance's ``latency_budget_s``. Pipelined mapping: the default deadline of the period objective,
reported where no deadline applies. One inference: a constraint every method meets. Both: refused with the
bound when no schedule can meet it."""
from __future__ import annotations

import dataclasses
import json

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from edgedse import api
from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.cli import app
from edgedse.errors import InputError
from edgedse.models.solutions import Status
from edgedse.solvers.periodic import solve_periodic
from test_periodic_deadline import two_layers

LENET = ROOT / "instances" / "lenet_neuraghe.yaml"


def lenet_with(tmp_path, extra: str):
    """The bundled LeNet instance (tick 1 µs) with ``extra`` YAML lines, written to ``tmp_path``."""
    text = LENET.read_text().replace("model: models/", f"model: {ROOT / 'instances' / 'models'}/").replace(
        "architecture: architectures/", f"architecture: {ROOT / 'instances' / 'architectures'}/")
    path = tmp_path / "lenet_budget.yaml"
    path.write_text(text + extra)
    return path


def test_the_critical_path_bound_by_hand():
    """two_layers: L0's least span is 6 (two firings of 6, one per PE), L1's is 8 (one firing on p0): 14 ticks,
    transfers free. A budget of 13 ticks is refused with it, naming the key."""
    p = two_layers()
    assert p.critical_path_bound() == 14
    with pytest.raises(InputError) as err:
        solve_periodic(dataclasses.replace(p, latency_budget=13), "list")
    assert err.value.element == "latency_budget_s"
    assert "0.013 s is below the least latency of any schedule, 0.014 s" in str(err.value)
    assert solve_periodic(dataclasses.replace(p, latency_budget=14), "list").solution is not None


def test_the_budget_is_the_period_objectives_deadline(tmp_path):
    """LeNet's least period is 150 ticks, where CP-SAT proves the least latency 338 (session 25, 5 s): a budget
    of 300 µs forces a longer period. An explicit deadline applies when it is tighter, the budget otherwise."""
    path = lenet_with(tmp_path, "latency_budget_s: 3.0e-4\n")
    problem, r = api.schedule_periodic(path, method="list", time_limit=5)
    met = evaluate_periodic(problem, r.solution)
    assert problem.latency_budget == 300 and r.details["latency_cap"] == 300
    assert met.latency <= 300 and r.objective == met.period > 150
    assert r.details["latency_budget"] == 300 and r.details["latency_budget_met"] is True
    _, tighter = api.schedule_periodic(path, method="list", time_limit=5, latency_cap_s=2.5e-4)
    assert tighter.details["latency_cap"] == 250 and tighter.metrics.latency <= 250
    _, looser = api.schedule_periodic(path, method="list", time_limit=5, latency_cap_s=1e-3)
    assert looser.details["latency_cap"] == 300
    doc = api.periodic_report(problem, r)
    assert doc["latency_budget"] == pytest.approx(3e-4) and doc["latency_budget_met"] is True


def test_without_a_deadline_the_budget_is_reported(tmp_path):
    """The energy objective takes no deadline: the result says whether its latency meets the budget."""
    path = lenet_with(tmp_path, "latency_budget_s: 3.0e-4\n")
    problem, r = api.schedule_periodic(path, method="list", objective="energy", period_cap_s=2e-4, time_limit=5)
    assert "latency_cap" not in r.details
    assert r.details["latency_budget_met"] is (r.metrics.latency <= 300)
    front = api.pareto_front(path, "period-energy", time_limit=2, max_points=2)
    assert front and all(q["latency_budget_met"] is (q["latency"] <= 3e-4 + 1e-12) for q in front)


def test_cli_prints_the_budget_and_refuses_an_impossible_one(tmp_path):
    path = lenet_with(tmp_path, "latency_budget_s: 3.0e-4\n")
    out = CliRunner().invoke(app, ["schedule", str(path), "--objective", "period", "--method", "list"],
                             env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    # the budget is the deadline: one line says so (no separate "budget met" line)
    assert "deadline: latency ≤ 0.0003 s (the instance's latency_budget_s)" in out.output
    assert "instance latency budget" not in out.output
    loose = CliRunner().invoke(app, ["schedule", str(path), "--objective", "period", "--method", "list",
                                     "--period-energy", "--period-cap", "2e-4"], env={"COLUMNS": "200"})
    assert loose.exit_code == 0 and "instance latency budget 0.0003 s: " in loose.output
    doc = json.loads(CliRunner().invoke(app, ["schedule", str(path), "--objective", "period", "--method", "list",
                                              "--json"]).output)
    assert doc["latency_cap"] == pytest.approx(3e-4) and doc["latency"] <= 3e-4
    bad = lenet_with(tmp_path, "latency_budget_s: 1.0e-4\n")  # LeNet's critical path: 132 µs
    out = CliRunner().invoke(app, ["schedule", str(bad), "--objective", "period", "--method", "list"])
    assert out.exit_code == 2
    assert "lenet_budget.yaml: latency_budget_s: 0.0001 s is below the least latency of any schedule, " \
           "0.000132 s" in " ".join(out.output.split())


# -- one inference (the makespan): the budget is a constraint of every method ------------------------------

def test_every_method_meets_the_budget_on_one_inference(tmp_path):
    """LeNet (1 µs ticks): least makespan 241 (proven), least energy 1.72697 mJ, met at makespan 241 (the GA's
    schedule), so a 300 µs budget leaves the least energy unchanged while every method stays within it."""
    from edgedse.solvers.portfolio import solve

    problem = api.load_problem(lenet_with(tmp_path, "latency_budget_s: 3.0e-4\n"))
    assert problem.latency_budget == 300
    free = solve(dataclasses.replace(problem, latency_budget=None), "cpsat", "energy", time_limit=10)
    for method in ("cpsat", "milp", "heft", "list", "ga"):
        for objective in ("makespan", "energy"):
            r = solve(problem, method, objective, time_limit=10)
            assert r.metrics.makespan <= 300, (method, objective)
            assert r.details["latency_budget"] == 300
            if method in ("cpsat", "milp"):
                assert r.status == Status.OPTIMAL
                expected = 241 if objective == "makespan" else free.objective
                assert r.objective == pytest.approx(expected, rel=1e-6)


def test_an_impossible_budget_names_its_family(tmp_path):
    """Below the critical-path/load bound (146 µs) the problem is refused before any solve; between it and the
    least makespan (241 µs) CP-SAT proves it infeasible and the diagnosis names the budget."""
    from edgedse.errors import InfeasibleError
    from edgedse.solvers.portfolio import solve_or_explain

    with pytest.raises(InfeasibleError, match=r"\[latency_budget\]: every schedule needs at least 146 ticks"):
        solve_or_explain(api.load_problem(lenet_with(tmp_path, "latency_budget_s: 1.0e-4\n")), method="cpsat")
    with pytest.raises(InfeasibleError, match=r"\[latency_budget\]: lenet_neuraghe: no schedule satisfies"):
        solve_or_explain(api.load_problem(lenet_with(tmp_path, "latency_budget_s: 2.0e-4\n")), method="cpsat",
                         objective="energy", time_limit=10)


def test_the_evaluator_rejects_a_schedule_over_the_budget():
    from edgedse.analysis.evaluator import InvalidSolution, evaluate_schedule
    from edgedse.solvers.heuristics import heft

    problem = api.load_problem(LENET)
    schedule = heft(problem)
    span = evaluate_schedule(problem, schedule).makespan
    assert evaluate_schedule(dataclasses.replace(problem, latency_budget=span), schedule).makespan == span
    with pytest.raises(InvalidSolution) as err:
        evaluate_schedule(dataclasses.replace(problem, latency_budget=span - 1), schedule)
    assert err.value.kind == "latency_budget"


def test_the_ga_keeps_to_an_energy_budget():
    """Before session 25 the GA evaluated genomes with the budgets on, and one over the energy budget crashed it
    (InvalidSolution); the budgets and memory are now its constraints."""
    from edgedse.solvers.portfolio import solve

    problem = dataclasses.replace(api.load_problem(LENET), energy_budget=0.00175)  # HEFT needs 1.799 mJ
    r = solve(problem, "ga", "makespan", time_limit=10)
    assert r.solution is not None and r.metrics.energy_j <= 0.00175


def test_cli_reports_the_budget_of_one_inference(tmp_path):
    path = lenet_with(tmp_path, "latency_budget_s: 3.0e-4\n")
    out = CliRunner().invoke(app, ["schedule", str(path), "--objective", "energy", "--method", "cpsat", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["latency_budget"] == pytest.approx(3e-4) and doc["makespan"] <= 3e-4
