"""Precision assignment (issue 5): quantization, cost model, exact solvers vs brute force, fronts,
baselines, the digits-cnn study end to end, bad input."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from conftest import ROOT
from edgedse.errors import InfeasibleError, InputError
from edgedse.models.dnn import OpClass
from edgedse.models.precision import PrecisionLayer, PrecisionProblem
from edgedse.models.solutions import Status
from edgedse.solvers.precision import (evaluate_precision, hypervolume, precision_front, solve_precision,
                                       InvalidPrecision)

ARCH = ROOT / "instances" / "architectures" / "scalable_pe.yaml"


# -- fake quantization (thesis Eq. 3.2) ------------------------------------------------------------
def test_quantize_is_symmetric_power_of_two_half_even():
    torch = pytest.importorskip("torch")
    from edgedse.models.quantize import best_fraction, quantize

    x = torch.tensor([0.3, -1.7, 2.5, 9.0, -9.0])
    # x·2 = 0.6, -3.4, 5.0, 18, -18 → round 1, -3, 5, 18, -18 → clip to [-8, 7] → ·½
    assert quantize(x, 4, 1).tolist() == [0.5, -1.5, 2.5, 3.5, -4.0]
    # half-even: 0.5 → 0, 1.5 → 2, 2.5 → 2
    assert quantize(torch.tensor([0.25, 0.75, 1.25]), 8, 1).tolist() == [0.0, 1.0, 1.0]
    y = torch.linspace(-1.0, 0.99, 101)
    errs = {f: float(((quantize(y, 8, f) - y) ** 2).sum()) for f in range(-4, 12)}
    assert errs[best_fraction(y, 8)] == min(errs.values())


# -- cost model (PaQ Eq. 2.1, Eq. 3.9) -------------------------------------------------------------
def _digits_layers():
    # conv1 1→16 3x3 on 8x8, conv2 16→32, pool, conv3 32→32 on 4x4, fc1 512→64, fc2 64→10
    return [PrecisionLayer("/conv1/Conv", "conv1", OpClass.CONV, 144, 16, 9216, 64, 1024, 18),
            PrecisionLayer("/conv2/Conv", "conv2", OpClass.CONV, 4608, 32, 294912, 1024, 2048, 288),
            PrecisionLayer("/conv3/Conv", "conv3", OpClass.CONV, 9216, 32, 147456, 512, 512, 576),
            PrecisionLayer("/fc1/Gemm", "fc1", OpClass.FC, 32768, 64, 32768, 512, 64, 0),
            PrecisionLayer("/fc2/Gemm", "fc2", OpClass.FC, 640, 10, 640, 64, 10, 0)]


def test_digits_layer_statistics_and_paq_memory_by_hand():
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    from edgedse import api

    p = api.load_precision_study("digits-cnn", ARCH, pe="spe").problem
    assert list(p.layers) == _digits_layers()
    assert p.bits == (8, 4, 2)
    # all 8 bit: weights 47,376 B + biases 154·2 B + max(I+O) 3,072 B (conv2) + max im2col 576 B (conv3)
    assert p.metrics([0] * 5)["memory"] == 47376 + 308 + 3072 + 576
    # all 4 bit: halves of the bit-dependent terms
    assert p.metrics([1] * 5)["memory"] == 47376 / 2 + 308 + 3072 / 2 + 576 / 2
    # Eq. 3.9: 8x8 MAC = 4 ops of 4x4, 4x4 = 1
    macs = sum(ly.macs for ly in p.layers)
    assert p.metrics([0] * 5)["ops4"] == 4 * macs and p.metrics([1] * 5)["ops4"] == macs


# -- exact methods vs brute force -------------------------------------------------------------------
def random_problem(seed: int, n: int = 5, ties=((1, 3),)) -> PrecisionProblem:
    rng = np.random.default_rng(seed)
    B = 3
    layers = tuple(PrecisionLayer(f"/l{i}/Conv", f"l{i}", OpClass.CONV, 0, 0, 0, 0, 0, 0) for i in range(n))
    grow = lambda lo, hi: np.sort(rng.integers(lo, hi, size=(n, B)), axis=1)[:, ::-1].astype(float)  # noqa: E731
    loss = np.sort(rng.random((n, B)), axis=1)  # narrower → more loss
    return PrecisionProblem(name=f"rand{seed}", layers=layers, bits=(8, 4, 2), loss=loss, energy=grow(1, 50),
                            latency=grow(1, 30), weight=grow(10, 400), act=grow(5, 200), im2col=grow(0, 60),
                            ops4=grow(1, 9), fixed_memory=7, ties=tuple(ties))


def all_choices(p):
    for c in itertools.product(range(len(p.bits)), repeat=p.n):
        if all(len({c[i] for i in g}) == 1 for g in p.ties):
            yield c


def brute(p, minimize, budgets):
    vals = [p.metrics(c) for c in all_choices(p)]
    ok = [v for v in vals if all(v[k] <= cap for k, cap in budgets.items())]
    return min(v[minimize] for v in ok) if ok else None


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("method", ["milp", "cpsat"])
def test_exact_methods_match_brute_force(seed, method):
    p = random_problem(seed)
    mid = {k: np.median([p.metrics(c)[k] for c in all_choices(p)]) for k in ("loss", "energy", "memory", "latency")}
    cases = [("energy", {"loss": mid["loss"]}), ("memory", {"loss": mid["loss"], "latency": mid["latency"]}),
             ("loss", {"memory": mid["memory"]}), ("latency", {"energy": mid["energy"], "memory": mid["memory"]})]
    for minimize, budgets in cases:
        r = solve_precision(p, method, minimize, budgets, time_limit=10)
        assert r.status == Status.OPTIMAL
        assert r.objective == pytest.approx(brute(p, minimize, budgets), rel=1e-9)
        assert r.bound == pytest.approx(r.objective, rel=1e-9)
        evaluate_precision(p, r.solution, budgets)


@pytest.mark.parametrize("method", ["milp", "cpsat"])
def test_memory_loss_front_matches_brute_force(method):
    p = random_problem(7)
    pts = {(p.metrics(c)["memory"], round(p.metrics(c)["loss"], 9)) for c in all_choices(p)}
    front = sorted((m, l) for m, l in pts if not any((m2 <= m and l2 < l) or (m2 < m and l2 <= l) for m2, l2 in pts))
    got = precision_front(p, method, "memory", "loss", time_limit=10)
    assert [(r.metrics["memory"], round(r.metrics["loss"], 9)) for r in got] == front
    assert all(r.details["certified"] for r in got)


def test_no_good_cut_loop_counts_rounds():
    p = random_problem(3)
    proxy_best = solve_precision(p, "milp", "memory", {"loss": 2.5})
    banned = proxy_best.solution
    measure = lambda c: {"kl": 99.0 if tuple(c) == tuple(banned) else 0.0}  # noqa: E731  the measurement rejects it
    r = solve_precision(p, "milp", "memory", {"loss": 2.5}, measure=measure)
    assert r.details["rounds"] == 2 and r.solution != banned
    others = [c for c in all_choices(p) if c != tuple(banned) and p.metrics(c)["loss"] <= 2.5]
    assert r.objective == pytest.approx(min(p.metrics(c)["memory"] for c in others))


def test_greedy_is_a_local_minimum_under_the_loss_budget():
    from edgedse.solvers.precision_heuristics import greedy, units

    p = random_problem(4)
    cap = p.metrics([0] * p.n)["loss"] + 0.8
    c = greedy(p, "energy", {"loss": cap})
    assert p.metrics(c)["loss"] <= cap
    for u in units(p):  # Algorithm 4 stops when lowering any unit further breaks the budget
        if c[u[0]] < len(p.bits) - 1:
            trial = list(c)
            for i in u:
                trial[i] += 1
            assert p.metrics(trial)["loss"] > cap
    assert solve_precision(p, "milp", "energy", {"loss": cap}).objective <= p.metrics(c)["energy"] + 1e-12
    with pytest.raises(InfeasibleError, match="widest"):
        greedy(p, "energy", {"loss": p.metrics([0] * p.n)["loss"] * 0.5})


def test_nsga2_front_is_feasible_and_dominated_by_the_exact_front():
    from edgedse.solvers.precision_heuristics import nsga2_star

    p = random_problem(5, n=6, ties=())
    ga = nsga2_star(p, "memory", {"loss": 2.0}, seed=0, time_limit=20)
    assert ga and all(p.metrics(c)["loss"] <= 2.0 for c in ga)
    exact = precision_front(p, "milp", "memory", "loss", {"loss": 2.0})
    ref = (max(p.metrics(c)["memory"] for c in all_choices(p)) + 1, 2.0)
    hv_exact = hypervolume([(r.metrics["memory"], r.metrics["loss"]) for r in exact], ref)
    hv_ga = hypervolume([(p.metrics(c)["memory"], p.metrics(c)["loss"]) for c in ga], ref)
    assert hv_exact >= hv_ga - 1e-9 and hv_ga > 0


def test_hypervolume_by_hand():
    assert hypervolume([(1, 3), (2, 1)], (4, 4)) == pytest.approx(3 * 1 + 2 * 2)


def test_evaluator_rejects_broken_ties_and_budgets():
    p = random_problem(1)
    with pytest.raises(InvalidPrecision, match="ties"):
        evaluate_precision(p, (0, 0, 0, 1, 0))
    with pytest.raises(InvalidPrecision, match="memory_budget"):
        evaluate_precision(p, (0,) * 5, {"memory": 1.0})


def test_infeasible_budget_names_the_best_achievable_value():
    p = random_problem(2)
    least = min(p.metrics(c)["memory"] for c in all_choices(p))
    with pytest.raises(InfeasibleError, match=f"best achievable memory is {least:.6g}") as e:
        solve_precision(p, "milp", "loss", {"memory": least - 1})
    assert e.value.family == "memory_budget"


# -- the digits-cnn study end to end ------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    from edgedse import api

    return api.load_precision_study("digits-cnn", ARCH, pe="spe")


def test_digits_mixed_precision_at_half_int8_memory_keeps_accuracy(digits):
    p = digits.problem
    int8 = p.metrics([0] * p.n)["memory"]
    base = digits.measure([0] * p.n)["test_accuracy"]
    assert base >= 0.95
    r = solve_precision(p, "milp", "loss", {"memory": 0.5 * int8}, measure=digits.measure)
    assert r.status == Status.OPTIMAL and r.metrics["memory"] <= 0.5 * int8
    assert len(set(p.bits_of(r.solution).values())) > 1  # genuinely mixed
    assert base - r.details["measured"]["test_accuracy"] <= 0.01


def test_digits_sensitivity_grows_as_bits_shrink(digits):
    s = digits.sensitivity
    for layer in s.layers:
        assert s.kl[layer, 2] >= s.kl[layer, 4] >= 0
    assert max(s.acc_drop[layer, 2] for layer in s.layers) > 0


def test_hessian_proxy_is_trace_times_weight_error(digits):
    from edgedse.analysis.sensitivity import hessian_traces, measure_sensitivity

    q = digits.quantizer
    s = measure_sensitivity(q, digits.x_calib[:64], [8, 2], digits.y_calib[:64], hessian=True)
    traces = hessian_traces(q.model, q.layers, digits.x_calib[:64], digits.y_calib[:64])
    for layer in q.layers:
        n = q.modules[layer].weight.numel()
        assert s.hessian[layer, 2] == pytest.approx(traces[layer] / n * q.weight_error(layer, 2))
        assert q.weight_error(layer, 2) > q.weight_error(layer, 8) > 0
    assert sum(traces.values()) > 0  # a trained network sits near a minimum: positive curvature overall


def test_cli_precision_json(digits, monkeypatch):
    from typer.testing import CliRunner

    from edgedse.cli import app

    out = CliRunner().invoke(app, ["precision", "digits-cnn", "--arch", str(ARCH), "--pe", "spe",
                                   "--minimize", "memory", "--max-loss", "0.05", "--method", "cpsat", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    for key in ("status", "objective", "bound", "bits", "predicted", "measured", "table", "wall_time_s"):
        assert key in doc
    assert set(doc["bits"]) == {"conv1", "conv2", "conv3", "fc1", "fc2"}
    assert doc["measured"]["kl"] <= 0.05 and doc["predicted"]["memory"] == doc["objective"]
    assert set(doc["table"]["conv1"]) == {"8", "4", "2"}
    assert set(doc["table"]["conv1"]["4"]) == {"loss", "energy", "memory", "latency"}
    front = CliRunner().invoke(app, ["precision", "digits-cnn", "--arch", str(ARCH), "--pe", "spe",
                                     "--minimize", "memory", "--method", "milp", "--pareto", "--json"])
    pts = json.loads(front.output)
    assert len(pts) > 3 and all(q["certified"] for q in pts)
    assert all(q["reproducible"] is True and "deterministic" in q for q in pts)


def test_unknown_tie_and_onnx_residual_ties():
    pytest.importorskip("torch")
    from edgedse import api

    with pytest.raises(InputError, match="conv9"):
        api.load_precision_study("digits-cnn", ARCH, ties=[["conv1", "conv9"]])
    st = api.load_precision_study(str(ROOT / "instances" / "models" / "resnet18.onnx"), ARCH)
    p = st.problem
    assert p.loss_kind == "none" and p.n == 21
    # four residual streams, one per stage: the stage's input producer and each block's conv2
    assert len(p.ties) == 4 and all(len(g) == 3 for g in p.ties)
    with pytest.raises(InputError, match="cost-only"):
        api.precision(str(ROOT / "instances" / "models" / "resnet18.onnx"), ARCH, minimize="loss")
