"""`edgedse evaluate` / `api.evaluate_solution`: a schedule made anywhere, read from JSON and checked by the
independent evaluators — valid or the violated family, the recomputed metrics beside proven bounds, and the
document's own claims compared."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from edgedse import api
from edgedse.cli import app
from edgedse.errors import InputError

INST = ROOT / "instances"
LENET = INST / "lenet_neuraghe.yaml"
runner = CliRunner()

# three real tasks (1: 3, 2: 4, 3: 2 time units) after the entry dummy 0, before the exit dummy 4; 1 → 2, 1 → 3
TINY_STG = "3\n0 0 0\n1 3 1 0\n2 4 1 1\n3 2 1 1\n4 0 2 2 3\n"


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.stg"
    path.write_text(TINY_STG)
    return path


def _tasks(*rows):
    return {"tasks": [{"id": i, "pe": pe, "start": s} for i, pe, s in rows]}


def test_a_hand_written_schedule_is_measured_by_hand(tiny):
    # 1 on P0 [0, 3), 2 on P0 [3, 7), 3 on P1 [3, 5): makespan 7 = the critical path 3 + 4, so the gap is 0
    doc = _tasks(("0", 0, 0), ("1", 0, 0), ("2", 0, 3), ("3", 1, 3), ("4", 0, 7))
    doc["makespan"] = 7
    report = api.evaluate_solution(tiny, doc, pes=2)
    assert report["valid"] and report["claims_agree"]
    assert report["makespan"] == 7 and report["makespan_bound"] == 7 and report["gap"] == 0.0
    assert [pe["busy"] for pe in report["pes"]] == [7, 2]
    assert [pe["tasks"] for pe in report["pes"]] == [4, 1]


@pytest.mark.parametrize("rows, family", [
    ((("0", 0, 0), ("1", 0, 0), ("2", 0, 3), ("3", 0, 3), ("4", 0, 7)), "overlap"),    # 2 and 3 both at 3 on P0
    ((("0", 0, 0), ("1", 0, 0), ("2", 0, 2), ("3", 1, 3), ("4", 0, 7)), "precedence"),  # 2 starts before 1 ends
])
def test_an_invalid_schedule_names_its_family(tiny, rows, family):
    report = api.evaluate_solution(tiny, _tasks(*rows), pes=2)
    assert report["valid"] is False and report["violation"] == family
    assert f"[{family}]" in report["message"]


def test_claims_that_differ_from_the_recomputed_metrics_are_listed(tiny):
    doc = _tasks(("0", 0, 0), ("1", 0, 0), ("2", 0, 3), ("3", 1, 3), ("4", 0, 7))
    doc["makespan"], doc["tasks"][2]["end"], doc["tasks"][3]["end"] = 6, 7, 4   # 2 does end at 7; 3 at 5, not 4
    report = api.evaluate_solution(tiny, doc, pes=2)
    assert report["valid"] and not report["claims_agree"]
    wrong = {c["element"]: (c["claimed"], c["recomputed"]) for c in report["claims"] if not c["agrees"]}
    assert wrong == {"makespan": (6, 7), "task 3: end": (4, 5)}


@pytest.mark.parametrize("method", ["heft", "list", "cpsat"])
def test_every_methods_json_reads_back_to_the_same_metrics(method):
    problem, result = api.schedule(LENET, method=method, time_limit=5)
    doc = json.loads(json.dumps(api.schedule_report(problem, result)))   # as written by --json
    report = api.evaluate_solution(LENET, doc)
    assert report["valid"] and report["claims_agree"]
    assert report["makespan"] == pytest.approx(result.metrics.makespan * problem.tick_s, abs=1e-12)
    assert report["energy_j"] == pytest.approx(result.metrics.energy_j)
    assert [c["element"] for c in report["claims"]] == ["makespan", "energy_j"]


@pytest.fixture(scope="module")
def lenet_periodic():
    problem, result = api.schedule_periodic(LENET, method="list", time_limit=5)
    return problem, result, json.loads(json.dumps(api.periodic_report(problem, result)))


def test_a_periodic_json_reads_back_with_pe_names_and_inferred_modes(lenet_periodic):
    problem, result, doc = lenet_periodic
    report = api.evaluate_solution(LENET, doc)
    assert report["kind"] == "periodic" and report["valid"] and report["claims_agree"]
    assert report["period"] == pytest.approx(result.metrics.period * problem.tick_s)
    assert report["latency"] == pytest.approx(result.metrics.latency * problem.tick_s)
    assert report["period_bound"] == pytest.approx(problem.lower_bound() * problem.tick_s)
    assert report["latency_bound"] == pytest.approx(problem.critical_path_bound() * problem.tick_s)
    # the same decisions, PEs by name and no aggregationFactor (read from each layer's firing count)
    bare = {"period": doc["period"], "tasks": [{"id": t["id"], "pe": t["pe_name"], "start": t["start"]}
                                               for t in doc["tasks"]]}
    again = api.evaluate_solution(LENET, bare)
    assert again["valid"] and (again["period"], again["latency"]) == (report["period"], report["latency"])
    assert again["claims"][0]["element"] == "period"


def test_a_periodic_schedule_at_too_short_a_period_is_invalid(lenet_periodic):
    problem, result, doc = lenet_periodic
    report = api.evaluate_solution(LENET, {**doc, "period": round(doc["period"] - problem.tick_s, 12)})
    assert report["valid"] is False and report["violation"] == "period"
    assert "ticks of 1e-06 s" in report["message"]


def test_the_cli_exits_0_valid_and_1_invalid_or_disagreeing(tiny, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_tasks(("0", 0, 0), ("1", 0, 0), ("2", 0, 3), ("3", 1, 3), ("4", 0, 7))))
    res = runner.invoke(app, ["evaluate", str(tiny), str(good), "--pes", "2"])
    assert res.exit_code == 0 and "valid: makespan 7" in res.stdout and "all agree" in res.stdout
    res = runner.invoke(app, ["evaluate", str(tiny), str(good), "--pes", "2", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["makespan"] == 7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_tasks(("0", 0, 0), ("1", 0, 0), ("2", 0, 2), ("3", 1, 3), ("4", 0, 7))))
    res = runner.invoke(app, ["evaluate", str(tiny), str(bad), "--pes", "2"])
    assert res.exit_code == 1 and "INVALID" in res.stdout and "[precedence]" in res.stdout
    claim = tmp_path / "claim.json"
    claim.write_text(json.dumps({**json.loads(good.read_text()), "makespan": 5}))
    res = runner.invoke(app, ["evaluate", str(tiny), str(claim), "--pes", "2"])
    assert res.exit_code == 1 and "1 disagree" in res.stdout


@pytest.mark.parametrize("doc, element, fix", [
    ({"tasks": [{"id": "9", "pe": 0, "start": 0}]}, "task '9'", "task ids of the instance"),
    (_tasks(("0", 0, 0), ("1", 0, 0)), "tasks", "3 of 5 tasks are missing"),
    (_tasks(("0", 0, 0), ("0", 1, 0)), "task '0'", "given twice"),
    (_tasks(("0", "gpu", 0)), "task '0': pe", "P0, P1"),
    (_tasks(("0", 0, 1.5)), "task '0': start", "whole number of time units"),
    (_tasks(("0", 0, -1)), "task '0': start", "not a time ≥ 0"),
    ({"schedule": []}, "tasks", "JSON object with a \"tasks\" list"),
])
def test_bad_documents_name_the_element_and_the_fix(tiny, doc, element, fix):
    with pytest.raises(InputError) as err:
        api.evaluate_solution(tiny, doc, pes=2)
    assert err.value.element == element and fix in str(err.value)


def test_bad_periodic_documents_and_files(lenet_periodic, tmp_path):
    _, _, doc = lenet_periodic
    first = doc["tasks"][0]
    cases = [
        ({**doc, "tasks": [{**first, "id": "Nothing#0"}] + doc["tasks"][1:]}, "names no layer actor"),
        ({**doc, "tasks": [{**first, "aggregation": 7}] + doc["tasks"][1:]}, "not an aggregationFactor"),
        ({**doc, "tasks": [{**first, "start": first["start"] + 3e-7}] + doc["tasks"][1:]}, "ticks of 1e-06 s"),
        ({**doc, "period": "fast"}, "period"),
    ]
    for bad, text in cases:
        with pytest.raises(InputError, match=text):
            api.evaluate_solution(LENET, bad)
    broken = tmp_path / "broken.json"
    broken.write_text('{"tasks": [')
    res = runner.invoke(app, ["evaluate", str(LENET), str(broken)])
    assert res.exit_code == 2 and "broken.json: line 1: is not valid JSON" in res.output


def test_every_point_of_a_front_reads_back_valid_with_its_claims():
    """Topcuoglu's makespan × energy front: 5 points from 73 to 80; 3 points keep both ends."""
    topcuoglu = INST / "topcuoglu"
    front = api.pareto_front(topcuoglu, "makespan-energy", method="cpsat", time_limit=5, max_points=3)
    assert [(q["makespan"], q["energy_j"]) for q in front] == [(73, 105.0), (76, 98.0), (80, 91.0)]
    for point in front:
        report = api.evaluate_solution(topcuoglu, point)
        assert report["valid"] and report["claims_agree"] and report["time_unit"] is None
        assert (report["makespan"], report["energy_j"]) == (point["makespan"], pytest.approx(point["energy_j"]))
        assert report["known_optimum"] == 73 and report["ratio_to_optimum"] == point["makespan"] / 73
