"""Pipelined (periodic) mapping: VGG16/NEURAghe baseline, exact period vs brute force, evaluator, bad input."""
from __future__ import annotations

import dataclasses
import itertools
import json
import time

import numpy as np
import pytest

from conftest import ROOT, VGG
from edgedse.analysis.evaluator import InvalidSolution
from edgedse.api import load_periodic_problem, load_problem
from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.errors import InfeasibleError, InputError
from edgedse.formats.periodic_yaml import read_periodic_instance
from edgedse.models.periodic import NOT_ALLOWED, Firing, Mapping, Mode, PeriodicLayer, PeriodicProblem, PeriodicSchedule
from edgedse.models.solutions import Status
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_heuristics import mapping_min_period, pack



def test_vgg16_baseline_is_181_6_ms(vgg):
    """All convolutions on the CE (30.69 GOP / 169 GOPS), FC and the rest on the ARM cores, pipelined."""
    base = evaluate_periodic(vgg, pack(vgg, vgg.baseline))
    assert base.period * vgg.tick_s == pytest.approx(0.1816, rel=0.03)
    ce = vgg.pe_names.index("ce")
    assert base.busy[ce] == base.period  # the CE is the bottleneck
    conv_ops = 30.69e9
    assert base.busy[ce] * vgg.tick_s == pytest.approx(conv_ops / 169e9, rel=0.01)


@pytest.mark.parametrize("method", ["milp", "cpsat"])
def test_vgg16_exact_methods_prove_the_optimal_period(vgg, method):
    """CP-SAT's minimization alone leaves a gap here (bound 17,308 after 30 s); its shaving question
    "P ≤ 17,317?" is refuted in seconds (backends.run_cpsat_shaving)."""
    r = solve_periodic(vgg, method, time_limit=40, latency=False)
    assert r.status == Status.OPTIMAL and r.bound == r.objective == 17318
    assert r.objective < r.details["baseline_period"]
    assert r.objective >= vgg.lower_bound()
    met = evaluate_periodic(vgg, r.solution)
    assert met.period == r.objective == met.min_period


def tiny(seed: int) -> PeriodicProblem:
    """A chain of 3 layers, each with 2 modes (1 or 2 firings), on 2 PEs; a bus of 1 tick per 1000 bytes."""
    rng = np.random.default_rng(seed)
    layers = []
    for l in range(3):
        base = rng.integers(4, 20, size=2)
        modes = []
        for q in (1, 2):
            t = np.ceil(base / q).astype(np.int64) + (q - 1)  # per-firing overhead when split
            if seed % 2 and l == 1:
                t[1] = NOT_ALLOWED if q == 1 else t[1]
            modes.append(Mode(aggregation=2 // q, firings=q, time=t, energy=t * 0.5, bus=int(rng.integers(0, 4000)),
                              bus_bytes=0.0, memory=np.zeros(2, dtype=np.int64)))
        layers.append(PeriodicLayer(f"CalculateLayer_{l}", f"L{l}", "conv", f"a_{l}", tuple(modes), 1000.0))
    return PeriodicProblem(name=f"tiny{seed}", layers=tuple(layers), edges=((0, 1), (1, 2)), pe_names=("p0", "p1"),
                           pe_kinds=("a", "b"), link_bandwidth=np.full((2, 2), 1e6), link_latency=np.zeros((2, 2)),
                           tick_s=1e-3, bus_bandwidth=1e6, shared_memory="ddr", shared_capacity=10**9,
                           weight_bytes=1000, activation_bytes=1000, local_capacity=np.zeros(2, dtype=np.int64))


def all_mappings(p: PeriodicProblem):
    """Every mode and PE choice of ``p``, as mappings."""
    for modes in itertools.product(*[range(len(ly.modes)) for ly in p.layers]):
        choices = [list(itertools.product(p.layers[l].modes[a].allowed(), repeat=p.layers[l].modes[a].firings))
                   for l, a in enumerate(modes)]
        for pes in itertools.product(*choices):
            yield Mapping(tuple(modes), tuple(tuple(x) for x in pes))


def brute_force_period(p: PeriodicProblem) -> tuple[int, float]:
    """(least period, least energy at that period) over every mode and PE choice."""
    best = None
    for mp in all_mappings(p):
        e = sum(p.layers[l].modes[a].energy[k] for l, a in enumerate(mp.modes) for k in mp.pes[l])
        key = (mapping_min_period(p, mp), e)
        best = key if best is None or key < best else best
    return best


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", ["cpsat", "milp"])
def test_exact_period_agrees_with_brute_force(seed, method):
    p = tiny(seed)
    period, _ = brute_force_period(p)
    r = solve_periodic(p, method, time_limit=20)
    assert r.status == Status.OPTIMAL and r.objective == period
    assert r.details["latency"] == evaluate_periodic(p, r.solution).latency


def test_energy_under_a_period_cap_agrees_with_brute_force():
    p = tiny(3)
    period, _ = brute_force_period(p)
    cap = period + 5
    best_e = min(sum(p.layers[l].modes[a].energy[k] for l, a in enumerate(mp.modes) for k in mp.pes[l])
                 for mp in all_mappings(p) if mapping_min_period(p, mp) <= cap)
    for method in ("cpsat", "milp"):
        r = solve_periodic(p, method, "energy", period_cap=cap, time_limit=20, latency=False)
        assert r.objective == pytest.approx(best_e) and r.metrics.period <= cap


def _valid(p):
    return pack(p, Mapping((0, 0, 0), ((0,), (0,), (0,))))


@pytest.mark.parametrize("kind, breaker", [
    ("period", lambda p, s: dataclasses.replace(s, firings=(s.firings[0], dataclasses.replace(
        s.firings[1], start=s.firings[1].start + s.period + 1), s.firings[2]))),          # overlaps modulo P
    ("precedence", lambda p, s: dataclasses.replace(s, firings=(s.firings[0], dataclasses.replace(
        s.firings[1], start=0, pe=1), s.firings[2]))),                                        # alone on p1
    ("modes", lambda p, s: dataclasses.replace(s, modes=(1, 0, 0))),                       # 2 firings needed
    ("mapping", lambda p, s: dataclasses.replace(s, firings=(dataclasses.replace(s.firings[0], pe=5),)
                                                 + s.firings[1:])),
    ("bandwidth", lambda p, s: s),
    ("memory", lambda p, s: s),
])
def test_periodic_evaluator_rejects_each_violation(kind, breaker):
    p = tiny(0)
    if kind == "bandwidth":
        layers = tuple(dataclasses.replace(ly, modes=tuple(dataclasses.replace(md, bus=10**9) for md in ly.modes))
                       for ly in p.layers)
        p = dataclasses.replace(p, layers=layers)
        s = dataclasses.replace(_valid(tiny(0)), period=_valid(tiny(0)).period)
    elif kind == "memory":
        s = _valid(p)
        p = dataclasses.replace(p, shared_capacity=1500)
    else:
        s = _valid(p)
        evaluate_periodic(p, s)
    with pytest.raises(InvalidSolution, match=rf"\[{kind}\]"):
        evaluate_periodic(p, breaker(p, s))


def test_wrap_around_schedule_is_accepted():
    """The evaluator is general: a firing may cross the period boundary if nothing else is there."""
    p = tiny(0)
    d = [int(p.layers[l].modes[0].time[0]) for l in range(3)]
    P = sum(d)
    start = [P - 2, P - 2 + d[0], P - 2 + d[0] + d[1]]  # residues wrap around 0
    sch = PeriodicSchedule((0, 0, 0), tuple(Firing(l, 0, 0, start[l]) for l in range(3)), max(P, 1))
    met = evaluate_periodic(p, sch)
    assert met.period == P and met.latency == P


def test_bad_aggregation_names_actor_and_parameter(tmp_path):
    inst = tmp_path / "bad.yaml"
    text = VGG.read_text().replace("model: models/", f"model: {ROOT / 'instances' / 'models'}/").replace(
        "architecture: architectures/", f"architecture: {ROOT / 'instances' / 'architectures'}/")
    inst.write_text(text + "aggregation:\n  /0/Conv: 7\n")
    with pytest.raises(InputError, match=r"aggregationFactor 7 of CalculateLayer_0 \(a_0\) does not divide its "
                                         r"numOfFilters 64"):
        read_periodic_instance(inst)


def test_period_budget_below_bound_names_the_bound(tmp_path, vgg):
    p = dataclasses.replace(vgg, period_budget=vgg.lower_bound() - 1)
    with pytest.raises(InputError, match=r"below the lower bound .* \(resource .* s, cycle .* s\)"):
        solve_periodic(p, "list")


def test_layer_fitting_no_memory_is_named():
    p = tiny(0)
    layers = list(p.layers)
    layers[1] = dataclasses.replace(layers[1], modes=tuple(dataclasses.replace(
        md, time=np.full(2, NOT_ALLOWED), memory=np.full(2, 4096 * md.aggregation)) for md in layers[1].modes))
    with pytest.raises(InfeasibleError, match=r"\[memory\].*CalculateLayer_1 \(L1\) fits no PE's local memory"):
        solve_periodic(dataclasses.replace(p, layers=tuple(layers)), "cpsat")


def test_cli_period_json(vgg):
    from typer.testing import CliRunner

    from edgedse.cli import app

    out = CliRunner().invoke(app, ["schedule", str(VGG), "--objective", "period", "--method", "list", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    for key in ("status", "objective", "bound", "gap", "wall_time_s", "method", "tasks", "period", "latency",
                "baseline_period", "period_bound"):
        assert key in doc
    assert doc["baseline_period"] == pytest.approx(0.1816, rel=0.03)
    assert doc["period"] <= doc["baseline_period"]
    assert {"id", "pe", "start", "end", "aggregation"} <= set(doc["tasks"][0])
    assert len({t["id"] for t in doc["tasks"]}) == len(doc["tasks"])
    table = CliRunner().invoke(app, ["schedule", str(VGG), "--objective", "period", "--method", "list"],
                               env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert (f"resource bound {doc['resource_bound']} s, cycle bound {doc['cycle_bound']} s" in table.output
            and "method list gives no latency bound" in table.output)


def test_cli_latency_bound_text_by_hand():
    from edgedse.cli_tables import latency_bound_text as _latency_bound_text

    assert _latency_bound_text({"latency": 0.4, "latency_bound": 0.4, "method": "cpsat"}) == "bound 0.4 s, proven"
    assert _latency_bound_text({"latency": 0.4, "latency_bound": 0.3, "method": "milp"}) == "bound 0.3 s, gap 25.00%"
    assert _latency_bound_text({"latency": 0.4, "latency_bound": None, "method": "ga"}) == \
        "method ga gives no latency bound"


def test_period_energy_front_matches_brute_force():
    from edgedse.analysis.pareto import period_energy_front

    p = tiny(2)
    pts = [(mapping_min_period(p, mp), round(sum(p.layers[l].modes[a].energy[k]
                                                 for l, a in enumerate(mp.modes) for k in mp.pes[l]), 9))
           for mp in all_mappings(p)]
    front = sorted({(c, e) for c, e in pts if not any((c2 <= c and e2 < e) or (c2 < c and e2 <= e) for c2, e2 in pts)})
    for method in ("milp", "cpsat"):
        got = period_energy_front(p, method, max_points=100)
        assert [(q.period, round(q.energy_j, 9)) for q in got] == front and all(q.certified for q in got)


def brute_force_single_iteration_latency(p: PeriodicProblem) -> int:
    """Least latency of one iteration of a chain when iterations do not overlap: every firing of a layer
    waits for all firings of the previous layer and their transfers; each PE runs its share in turn."""
    best = None
    for mp in all_mappings(p):
        modes, pes = mp.modes, mp.pes
        ends = [(None, 0)]  # (pe, end) of the previous layer's firings
        for l, a in enumerate(modes):
            md, vol = p.layers[l].modes[a], (p.edge_volume(l - 1, modes[l - 1]) if l else 0)
            new = []
            for k in set(pes[l]):
                ready = max(e + (p.comm_ticks(pk, k, vol) if pk is not None else 0) for pk, e in ends)
                new.append((k, ready + pes[l].count(k) * int(md.time[k])))
            ends = new
        lat = max(e for _, e in ends)
        best = lat if best is None or lat < best else best
    return best


@pytest.mark.parametrize("seed", [0, 1])
def test_period_latency_front_ends_match_brute_force(seed):
    from edgedse.analysis.pareto import period_latency_front

    p = tiny(seed)
    front = period_latency_front(p, time_limit=20)
    periods, latencies = [q.period for q in front], [q.latency for q in front]
    assert periods[0] == brute_force_period(p)[0]
    assert latencies[-1] == brute_force_single_iteration_latency(p)
    assert periods == sorted(set(periods)) and latencies == sorted(set(latencies), reverse=True)
    assert all(q.certified and q.latency_bound == q.latency for q in front)
    assert all(q.latency_gap == 0.0 and q.period_gap == 0.0 for q in front)
    for q in front:
        assert evaluate_periodic(p, q.schedule).latency == q.latency


def test_front_point_gaps_by_hand():
    from edgedse.analysis.pareto import PeriodPoint
    from edgedse.models.solutions import relative_gap

    assert relative_gap(10, 8) == pytest.approx(0.2) and relative_gap(10, 10) == 0.0
    assert relative_gap(None, 3) is None and relative_gap(4, None) is None
    q = PeriodPoint(period=100, energy_j=1.0, latency=400, certified=False, schedule=None, latency_bound=300,
                    period_bound=100)
    assert q.latency_gap == pytest.approx(0.25) and q.period_gap == 0.0
    assert PeriodPoint(100, 1.0, 400, False, None).latency_gap is None  # no bound, no gap


def test_cli_pareto_json_and_bad_axes():
    from typer.testing import CliRunner

    from edgedse.cli import app

    lenet = VGG.parent / "lenet_neuraghe.yaml"
    out = CliRunner().invoke(app, ["pareto", str(lenet), "--axes", "makespan-energy", "--time-limit", "60", "--json"])
    assert out.exit_code == 0, out.output
    pts = json.loads(out.output)
    assert pts and all(q["certified"] for q in pts)
    assert all(q["reproducible"] is True for q in pts)  # every solve finished: no clock stop
    assert [q["makespan"] for q in pts] == sorted(q["makespan"] for q in pts)
    assert [q["energy_j"] for q in pts] == sorted((q["energy_j"] for q in pts), reverse=True)
    for q in pts:  # each point's schedule: every task once, ending by the point's makespan (seconds)
        assert sorted(t["id"] for t in q["tasks"]) == sorted(load_problem(lenet).task_ids)
        assert max(t["end"] for t in q["tasks"]) == pytest.approx(q["makespan"])
    table = CliRunner().invoke(app, ["pareto", str(lenet), "--axes", "makespan-energy", "--time-limit", "60"])
    assert table.exit_code == 0 and "reproducible: True" in " ".join(table.output.split())  # the caption
    assert "time s" in table.output and "energy J" in table.output  # headers with units, not cut at 80 columns
    bad = CliRunner().invoke(app, ["pareto", str(lenet), "--axes", "period-area"])
    assert bad.exit_code != 0 and "period-area" in bad.output and "period-latency" in bad.output
    misplaced = CliRunner().invoke(app, ["pareto", str(lenet), "--cleanup-time-limit", "5"])
    assert misplaced.exit_code != 0 and "--cleanup-time-limit" in misplaced.output
    assert "period-energy" in misplaced.output and "Traceback" not in misplaced.output


def test_cli_period_front_points_carry_their_schedules():
    """``pareto --json`` on the pipelined LeNet: each point's ``tasks`` are one iteration's firings, from which
    the point's latency (first start to last end) and a period no smaller than any PE's work follow."""
    from typer.testing import CliRunner

    from edgedse.cli import app

    lenet = VGG.parent / "lenet_neuraghe.yaml"
    t0 = time.perf_counter()
    out = CliRunner().invoke(app, ["pareto", str(lenet), "--axes", "period-energy", "--time-limit", "20", "--json"])
    elapsed = time.perf_counter() - t0
    assert out.exit_code == 0, out.output
    pts = json.loads(out.output)
    assert pts and all(q["wall_time_s"] > 0 for q in pts) and sum(q["wall_time_s"] for q in pts) <= elapsed
    layers = {ly.layer for ly in load_periodic_problem(lenet).layers}
    for q in pts:
        tasks = q["tasks"]
        assert {t["layer"] for t in tasks} == layers and len({t["id"] for t in tasks}) == len(tasks)
        assert max(t["end"] for t in tasks) - min(t["start"] for t in tasks) == pytest.approx(q["latency"])
        busy = {}
        for t in tasks:
            busy[t["pe_name"]] = busy.get(t["pe_name"], 0.0) + t["end"] - t["start"]
        assert max(busy.values()) <= q["period"] + 1e-12


def test_earliest_gap_wraps_past_the_period_boundary():
    from edgedse.solvers.periodic_heuristics import _earliest_gap

    # circle of 10 ticks, [2, 8) taken: a 4-tick firing ready at 7 fits at 8 (8..10 and 0..2)
    assert _earliest_gap([(2, 8)], ready=7, d=4, P=10) == 8
    # ready at 13 (residue 3, inside the taken piece): next free arc starts at 18
    assert _earliest_gap([(2, 8)], ready=13, d=4, P=10) == 18
    # free arcs of 2 ticks only ([3, 5) and [8, 10)): a 3-tick firing fits nowhere
    assert _earliest_gap([(0, 3), (5, 8)], ready=0, d=3, P=10) is None
    assert _earliest_gap([(0, 3), (5, 8)], ready=0, d=0, P=10) == 0


@pytest.mark.parametrize("seed", range(4))
def test_latency_relaxation_bounds_the_exact_optimum(seed):
    """The layer-span relaxation never exceeds the exact CP-SAT optimum (proven on these tiny chains):
    min latency under a period cap, and min period under a latency cap."""
    from edgedse.solvers.periodic_latency import solve_latency_model
    from edgedse.solvers.periodic import relaxed_latency_bound

    p = tiny(seed)
    p_min = brute_force_period(p)[0]
    kw = dict(time_limit=20, seed=0, threads=2)
    for eps in (p_min, p_min + 3, 2 * p_min):
        bound, mapping = relaxed_latency_bound(p, "latency", period_max=eps, **kw)
        sch, met, cp_bound, _ = solve_latency_model(p, "latency", hint=pack(p, mapping, eps), period_max=eps, **kw)
        assert met.latency == cp_bound, "CP-SAT proves tiny instances"
        assert 0 < bound <= met.latency
        assert met.period <= eps
        p_bound, _ = relaxed_latency_bound(p, "period", latency_cap=met.latency, **kw)
        tight, tight_met, p_cp, _ = solve_latency_model(p, "period", hint=sch, latency_cap=met.latency, **kw)
        assert tight_met.period == p_cp and p_min <= p_bound <= tight_met.period


def test_vgg16_latency_front_point_at_1_1_pmin_is_certified_by_the_relaxation(vgg):
    """At P ≤ 1.1·P_min (P_min = 17,318 ticks) the relaxation's bound is 21,377 ticks (213.77 ms) and its
    mapping, packed, reaches it: every convolution on the CE, the pools and FC layers split on the ARMs."""
    from edgedse.solvers.periodic import relaxed_latency_bound

    eps = int(1.1 * 17318)
    bound, mapping = relaxed_latency_bound(vgg, "latency", period_max=eps, time_limit=60)
    met = evaluate_periodic(vgg, pack(vgg, mapping, eps))
    assert bound == met.latency == 21377 and met.period <= eps


def test_resnet18_period_energy_front_point_is_certified(resnet):
    """Both solves of one ε-constraint point of ResNet-18's period × energy front are proven. HiGHS stops at
    an absolute gap of 1e-6 objective units: the energy objective is in mJ so that this is 1 nJ (in J, a
    0.8 µJ gap left a point uncertified); P is an integer (ticks, as the evaluator counts it), which lets
    the clean-up ``min P s.t. E ≤ E*`` close its last tick (continuous P: bound 6,322 after 30 s)."""
    p = resnet
    e = solve_periodic(p, "milp", "energy", period_cap=6323, latency=False, time_limit=60)
    assert e.status == Status.OPTIMAL and e.metrics.period <= 6323
    assert e.objective == pytest.approx(e.bound, rel=1e-6)
    cp = solve_periodic(p, "cpsat", "energy", period_cap=6323, latency=False, time_limit=60)
    assert cp.objective == pytest.approx(e.objective, rel=1e-6)
    c = solve_periodic(p, "milp", "period", energy_cap=e.objective, latency=False, time_limit=60)
    assert c.status == Status.OPTIMAL and c.objective == c.bound == 6323
    assert c.metrics.energy_j <= e.objective * (1 + 1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_fixed_period_latency_model_agrees_with_the_free_period_model(seed):
    """At P = P_min the latency model uses one integer window per firing instead of window literals; both
    prove the same least latency (P_min by brute force, so P ≤ P_min forces P = P_min)."""
    from edgedse.solvers.periodic_latency import solve_latency_model

    p = tiny(seed)
    p_min = brute_force_period(p)[0]
    start = solve_periodic(p, "milp", latency=False).solution
    kw = dict(hint=start, period_max=p_min, time_limit=20, seed=0, threads=2)
    free_sch, free, free_bound, _ = solve_latency_model(p, "latency", **kw)
    fixed_sch, fixed, fixed_bound, _ = solve_latency_model(p, "latency", period_min=p_min, **kw)
    assert free.latency == free_bound == fixed.latency == fixed_bound
    assert fixed.period == p_min and fixed_sch.period == p_min


@pytest.mark.parametrize("seed", range(4))
def test_reported_latency_bound_holds_for_every_mode_choice(seed):
    """``latency_bound`` bounds the latency of every schedule at the period found — not only of the latency
    stage's own model (the MILP's fixes stage 1's modes): it never exceeds the exact least latency at P_min,
    and ``latency_proven`` says whether the latency meets it."""
    from edgedse.solvers.periodic_latency import solve_latency_model

    p = tiny(seed)
    p_min = brute_force_period(p)[0]
    for how in ("cpsat", "same"):
        r = solve_periodic(p, "milp", "period", latency_method=how, time_limit=20)
        assert r.objective == p_min
        _, exact, exact_bound, _ = solve_latency_model(p, "latency", hint=r.solution, period_max=p_min,
                                                       period_min=p_min, time_limit=20, seed=0, threads=2)
        assert exact.latency == exact_bound, "CP-SAT proves tiny instances"
        bound = r.details["latency_bound"]
        assert 0 < bound <= exact.latency <= r.metrics.latency
        assert r.details["latency_proven"] == (r.metrics.latency == bound)
    assert r.details["latency"] == r.metrics.latency


@pytest.mark.parametrize("seed", range(4))
def test_latency_bound_is_valid_when_the_period_is_not_proven(seed, monkeypatch):
    """Stage 1 stopped early (a worse mapping, bound below its period): the latency stage fixes P at the period
    found, so CP-SAT's bound covers that P only; the reported bound must still hold for every P ≤ it."""
    from types import SimpleNamespace

    from edgedse.solvers.periodic_latency import solve_latency_model
    from edgedse.solvers import periodic

    p = tiny(seed)
    p_min = brute_force_period(p)[0]
    worse = Mapping((0, 0, 0), ((0,), (0,), (0,))) if seed % 2 == 0 else Mapping((1, 1, 1), ((0, 0), (0, 0), (0, 0)))
    p1 = mapping_min_period(p, worse)
    raw = SimpleNamespace(wall_time_s=0.0, solver="stub", proven_infeasible=False, proven_optimal=False)
    monkeypatch.setattr(periodic, "_stage1", lambda *a, **k: (worse, p_min, raw))
    r = solve_periodic(p, "cpsat", "period", time_limit=20)
    assert r.status == (Status.OPTIMAL if p1 == p_min else Status.FEASIBLE) and r.metrics.period <= p1
    _, exact, exact_bound, _ = solve_latency_model(p, "latency", hint=r.solution, period_max=p1, time_limit=20,
                                                   seed=0, threads=2)
    assert exact.latency == exact_bound, "CP-SAT proves tiny instances"
    assert 0 < r.details["latency_bound"] <= exact.latency <= r.metrics.latency
    assert r.details["latency_proven"] == (r.metrics.latency == r.details["latency_bound"])
