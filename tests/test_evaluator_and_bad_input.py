"""The evaluator rejects each kind of violation; bad scheduling input fails early with the family named."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from schedule_helpers import brute_force, random_instance
from edgedse import InfeasibleError, InputError
from edgedse.analysis.evaluator import InvalidSolution, evaluate_schedule
from edgedse.analysis.pareto import makespan_energy_front
from edgedse.formats import load_schedule_problem
from edgedse.models.problems import NOT_ALLOWED
from edgedse.models.solutions import Schedule
from edgedse.solvers.portfolio import solve, solve_or_explain

INST = ROOT / "instances"


@pytest.fixture
def topc():
    p = load_schedule_problem(INST / "topcuoglu")
    return p, solve(p, "heft").solution


def _with(s: Schedule, i: int, pe=None, start=None) -> Schedule:
    pes, starts = list(s.pe), list(s.start)
    if pe is not None:
        pes[i] = pe
    if start is not None:
        starts[i] = start
    return Schedule(tuple(pes), tuple(starts))


def test_valid_schedule_metrics_by_hand(topc):
    p, s = topc
    met = evaluate_schedule(p, s)
    assert met.makespan == 80
    assert met.energy_j == sum(p.exec_time[i, s.pe[i]] for i in range(p.n))  # energy = time on these sets
    assert sum(met.busy) == met.energy_j


def test_rejects_each_violation_kind(topc):
    p, s = topc
    with pytest.raises(InvalidSolution, match=r"\[shape\]"):
        evaluate_schedule(p, Schedule(s.pe[:-1], s.start))
    with pytest.raises(InvalidSolution, match=r"\[shape\].*not in 0..2"):
        evaluate_schedule(p, _with(s, 3, pe=7))
    with pytest.raises(InvalidSolution, match=r"\[precedence\].*task T1 .*from task T0"):
        evaluate_schedule(p, _with(s, 1, start=s.start[1] - 1))
    # T1 and T3 both on their heft PEs: move T7 onto T1's PE at T1's start → overlap (T7's inputs allow it late)
    late = max(s.start) + 100
    broken = _with(_with(s, 9, start=late + 50), 7, pe=s.pe[9], start=late + 55)
    with pytest.raises(InvalidSolution, match=r"\[(overlap|precedence)\]"):
        evaluate_schedule(p, broken)
    q = dataclasses.replace(p, exec_time=p.exec_time.copy())
    q.exec_time[0, s.pe[0]] = NOT_ALLOWED
    with pytest.raises(InvalidSolution, match=r"\[assignment\].*task T0"):
        evaluate_schedule(q, s)
    mem = dataclasses.replace(p, memory=np.ones((p.n, p.m), dtype=np.int64), capacity=np.array([1, 1, 1]))
    with pytest.raises(InvalidSolution, match=r"\[memory\]"):
        evaluate_schedule(mem, s)
    bud = dataclasses.replace(p, energy_budget=10.0)
    with pytest.raises(InvalidSolution, match=r"\[energy_budget\]"):
        evaluate_schedule(bud, s)


def test_pure_overlap_is_rejected():
    p = random_instance(1)
    s = solve(p, "cpsat").solution
    # put every task on PE 0 at time 0: tasks of positive duration overlap (or precede badly)
    allowed0 = [i for i in range(p.n) if p.exec_time[i, 0] != NOT_ALLOWED]
    no_edges = dataclasses.replace(p, edges=(), comm_time=(), comm_energy=())
    with pytest.raises(InvalidSolution, match=r"\[overlap\]"):
        evaluate_schedule(no_edges, Schedule(tuple(0 for _ in range(p.n)), tuple(0 for _ in range(p.n)))
                          if len(allowed0) == p.n else Schedule(s.pe, tuple(0 for _ in range(p.n))))


def test_cyclic_graph_rejected(tmp_path):
    gxl = (INST / "sinnen" / "Fork_Nodes_10_CCR_0.10_WeightType_Random.gxl").read_text()
    gxl = gxl.replace("</graph>", '<edge from="9" to="0"><attr name="Weight"><int>1</int></attr></edge></graph>')
    path = tmp_path / "cyclic.gxl"
    path.write_text(gxl)
    p = load_schedule_problem(path, pes=2)
    with pytest.raises(InputError, match="cycle"):
        solve(p, "cpsat")


def test_task_no_pe_can_run():
    p = random_instance(2)
    q = dataclasses.replace(p, exec_time=p.exec_time.copy())
    q.exec_time[1, :] = NOT_ALLOWED
    with pytest.raises(InfeasibleError, match=r"\[assignment\].*t1"):
        solve(q, "cpsat")


def test_yaml_task_no_pe_can_run(tmp_path):
    (tmp_path / "i.yaml").write_text(
        f"model: {INST / 'models' / 'lenet.onnx'}\narchitecture: {INST / 'architectures' / 'neuraghe.yaml'}\n"
        "overrides:\n  /12/Gemm: {arm: null}\n")
    with pytest.raises(InputError, match="no processing element supports it"):
        load_schedule_problem(tmp_path / "i.yaml")


def test_non_positive_times_rejected(tmp_path):
    d = tmp_path / "topc"
    d.mkdir()
    (d / "task_connectivity.csv").write_text((INST / "topcuoglu" / "task_connectivity.csv").read_text())
    times = (INST / "topcuoglu" / "task_exe_time.csv").read_text()
    (d / "task_exe_time.csv").write_text(times.replace("T_3,13,8,17", "T_3,13,0,17"))
    with pytest.raises(InputError, match=r"line 5 \(task T_3\).*non-positive"):
        load_schedule_problem(d)
    stg = tmp_path / "neg.stg"
    stg.write_text("1\n0 0 0\n1 -4 1 0\n2 0 1 1\n")
    with pytest.raises(InputError, match="negative time"):
        load_schedule_problem(stg, pes=2)


def test_infeasible_memory_and_energy_budget_named():
    p = random_instance(5)
    mem = dataclasses.replace(p, memory=np.full((p.n, p.m), 10, dtype=np.int64), capacity=np.array([5, 5]))
    with pytest.raises(InfeasibleError, match=r"\[memory\]"):
        solve(mem, "cpsat")
    bud = dataclasses.replace(p, energy_budget=0.1)
    with pytest.raises(InfeasibleError, match=r"\[energy_budget\]"):
        solve(bud, "milp")
    # jointly infeasible but each obvious check passes: capacity 25 per PE fits 2 tasks of 10 → 5 tasks need 3 slots
    joint = dataclasses.replace(p, memory=np.full((p.n, p.m), 10, dtype=np.int64), capacity=np.array([20, 20]))
    with pytest.raises(InfeasibleError, match=r"\[memory\]"):
        solve_or_explain(joint, method="cpsat")


def test_pareto_front_matches_brute_force():
    p = random_instance(7, n=4)
    front = makespan_energy_front(p, "cpsat", time_limit=10)
    assert all(pt.certified for pt in front)
    cmax, emin = brute_force(p)
    assert front[0].makespan == cmax and front[-1].energy_j == pytest.approx(emin)
    for a, b in zip(front, front[1:]):
        assert a.makespan < b.makespan and a.energy_j > b.energy_j
    # every front point is optimal for its ε: no assignment beats its energy within its makespan
    for pt in front:
        capped = dataclasses.replace(p, energy_budget=pt.energy_j * (1 - 1e-5))
        try:
            assert solve(capped, "cpsat", makespan_cap=pt.makespan).solution is None
        except InfeasibleError as exc:  # the cheapest point: caught before solving
            assert exc.family == "energy_budget"


def test_ga_is_deterministic_for_a_seed():
    p = load_schedule_problem(INST / "topcuoglu")
    a, b = solve(p, "ga", seed=3), solve(p, "ga", seed=3)
    assert a.solution == b.solution and a.objective == b.objective <= 80


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "edgedse.cli", *map(str, args)], capture_output=True, text=True)


def test_cli_schedule_json_contract(tmp_path):
    out = tmp_path / "g.png"
    proc = _cli("schedule", INST / "sinnen" / "Fork_Nodes_10_CCR_0.99_WeightType_Random.gxl", "--pes", 2,
                "--method", "cpsat", "--json", "--gantt", out)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"status", "objective", "bound", "gap", "wall_time_s", "method", "tasks"} <= set(data)
    assert data["status"] == "optimal" and data["objective"] == data["bound"]
    assert sorted(t["id"] for t in data["tasks"]) == sorted(str(i) for i in range(10))
    assert {t["pe"] for t in data["tasks"]} <= {0, 1}
    assert out.stat().st_size > 1000 and out.read_bytes()[:4] == b"\x89PNG"


def test_cli_schedule_table_and_errors():
    proc = _cli("schedule", INST / "topcuoglu", "--method", "heft")
    assert proc.returncode == 0 and "objective 80" in proc.stdout
    for args, pattern in [((INST / "stg" / "50" / "rand0000.stg",), "--pes"),
                          ((INST / "topcuoglu", "--method", "magic"), "not a method"),
                          ((INST / "nothing.stg", "--pes", 2), "does not exist")]:
        bad = _cli("schedule", *args)
        assert bad.returncode == 2 and pattern in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("args, option", [
    (("schedule", INST / "topcuoglu", "--time-limit", "-1"), "--time-limit"),
    (("schedule", INST / "topcuoglu", "--threads", "0"), "--threads"),
    (("pareto", INST / "lenet_neuraghe.yaml", "--max-points", "0"), "--max-points"),
    (("pareto", INST / "lenet_neuraghe.yaml", "--axes", "period-latency", "--cleanup-time-limit", "0"),
     "--cleanup-time-limit"),
    (("fuse", "resnet18", "--arch", INST / "architectures" / "scalable_pe.yaml", "--time-limit", "0"), "--time-limit"),
])
def test_cli_refuses_time_limits_and_counts_below_their_least_value(args, option):
    """A time limit must be positive and a count of threads or points at least 1: exit 2 naming the option,
    before any solver runs."""
    bad = _cli(*args)
    assert bad.returncode == 2 and option in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("call, argument", [
    (lambda api: api.schedule(INST / "topcuoglu", time_limit=0), "time_limit"),
    (lambda api: api.schedule_periodic(INST / "lenet_neuraghe.yaml", threads=0), "threads"),
    (lambda api: api.pareto_front(INST / "lenet_neuraghe.yaml", max_points=0), "max_points"),
    (lambda api: api.pareto_front(INST / "lenet_neuraghe.yaml", "period-latency", cleanup_time_limit=-5),
     "cleanup_time_limit"),
    (lambda api: api.fuse("resnet18", INST / "architectures" / "scalable_pe.yaml", time_limit=-1), "time_limit"),
    (lambda api: api.precision("digits-cnn", INST / "architectures" / "scalable_pe.yaml", threads=1.5), "threads"),
])
def test_api_refuses_time_limits_and_counts_below_their_least_value(call, argument):
    """The Python API checks what the CLI's option ranges check, before loading or solving anything."""
    from edgedse import api

    with pytest.raises(InputError, match=argument):
        call(api)
