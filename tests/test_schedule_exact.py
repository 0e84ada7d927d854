"""Exact scheduling against known optima (Topcuoglu, STG, Sinnen) and brute force."""
from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest

from conftest import ROOT
from schedule_helpers import brute_force, random_instance
from edgedse.analysis.evaluator import evaluate_schedule
from edgedse.formats import load_schedule_problem
from edgedse.models.solutions import Status
from edgedse.solvers.heuristics import heft
from edgedse.solvers.portfolio import solve

INST = ROOT / "instances"


def test_heft_gives_80_on_topcuoglu():
    p = load_schedule_problem(INST / "topcuoglu")
    assert evaluate_schedule(p, heft(p)).makespan == 80
    res = solve(p, "heft")
    assert res.objective == 80 and res.status == Status.FEASIBLE


EXACT = [("cpsat", {}), ("milp", {"builder": "highspy"}), ("milp", {"builder": "pyomo"})]


@pytest.mark.parametrize("method, options", EXACT)
def test_exact_methods_prove_73_on_topcuoglu(method, options):
    p = load_schedule_problem(INST / "topcuoglu")
    res = solve(p, method, time_limit=60, **options)
    assert res.status == Status.OPTIMAL and res.objective == 73 == p.known_optimum and res.bound == 73
    assert res.gap == 0.0


def _stg_rows():
    rows = []
    for m in (2, 4, 8, 16):
        for r in csv.reader((INST / "stg" / "optimal" / f"Case50_{m}_OPT.csv").read_text().splitlines()):
            if len(r) == 3:
                rows.append((r[0].split("/")[1], m, int(r[2])))
    return rows[::97][:8]  # a spread-out sample over the four processor counts


@pytest.mark.parametrize("graph, m, optimum", _stg_rows())
def test_stg50_sample_reaches_and_proves_optimum(graph, m, optimum):
    p = load_schedule_problem(INST / "stg" / "50" / graph, pes=m)
    assert p.known_optimum == optimum
    res = solve(p, "cpsat", time_limit=30)
    assert res.status == Status.OPTIMAL and res.objective == optimum


def test_stg50_open_row_closed():
    p = load_schedule_problem(INST / "stg" / "50" / "rand0060.stg", pes=2)
    assert p.known_bounds == (157, 165)
    res = solve(p, "cpsat", time_limit=30)
    assert res.status == Status.OPTIMAL and 157 <= res.objective <= 165


def _sinnen_rows():
    rows = list(csv.DictReader((INST / "sinnen" / "optimal.csv").read_text().splitlines()))
    return [(r["graph"], int(r["processors"]), int(r["optimal_makespan"])) for r in rows[::37]]


@pytest.mark.parametrize("graph, m, optimum", _sinnen_rows())
@pytest.mark.parametrize("method", ["cpsat", "milp"])
def test_sinnen_sample_reaches_and_proves_optimum(graph, m, optimum, method):
    p = load_schedule_problem(INST / "sinnen" / graph, pes=m)
    res = solve(p, method, time_limit=60)
    assert res.status == Status.OPTIMAL and res.objective == optimum


def test_sinnen_corrected_row_is_17():
    p = load_schedule_problem(INST / "sinnen" / "Random_Nodes_10_Density_0.20_CCR_1.00_WeightType_Random.gxl", pes=8)
    assert p.known_optimum == 17
    assert solve(p, "cpsat").objective == 17


@pytest.mark.parametrize("seed", range(8))
def test_brute_force_agrees_with_both_exact_formulations(seed):
    p = random_instance(seed)
    cmax, emin = brute_force(p)
    for method, options in EXACT:
        r = solve(p, method, "makespan", time_limit=30, **options)
        assert r.status == Status.OPTIMAL and r.objective == cmax, (method, options)
        e = solve(p, method, "energy", time_limit=30, **options)
        assert e.status == Status.OPTIMAL and e.objective == pytest.approx(emin, rel=1e-6), (method, options)


def test_energy_budget_respected_against_brute_force():
    base = random_instance(4)
    _, emin = brute_force(base)
    p = random_instance(4, budget=emin * 1.15)
    cmax, _ = brute_force(p)
    for method, options in EXACT:
        r = solve(p, method, "makespan", time_limit=30, **options)
        assert r.status == Status.OPTIMAL and r.objective == cmax and r.metrics.energy_j <= p.energy_budget


@pytest.mark.parametrize("seed", [1, 2])
def test_memory_capacity_respected_against_brute_force(seed):
    """Capacity 2 tasks' worth per PE on 5 tasks × 3 PEs: the brute force skips over-full assignments."""
    base = random_instance(seed, n=5, m=3)
    p = dataclasses.replace(base, memory=np.full((5, 3), 10, dtype=np.int64), capacity=np.array([20, 20, 20]))
    cmax, emin = brute_force(p)
    assert cmax > brute_force(base)[0] or emin > brute_force(base)[1]  # the capacity binds
    for method, options in EXACT:
        r = solve(p, method, "makespan", time_limit=30, **options)
        assert r.status == Status.OPTIMAL and r.objective == cmax, (method, options)
        e = solve(p, method, "energy", time_limit=30, **options)
        assert e.objective == pytest.approx(emin, rel=1e-6), (method, options)


def test_direct_and_pyomo_builders_make_the_same_model():
    """Same columns (by kind) and the same rows once Pyomo's equalities are split, on an STG graph with
    identical PEs (symmetry rows) and a Sinnen graph with transfers (w columns)."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    from edgedse.formulations import schedule_milp, schedule_milp_highs

    for path, m in ((INST / "stg" / "50" / "rand0001.stg", 4), (INST / "sinnen" / _sinnen_rows()[0][0], 3)):
        p = load_schedule_problem(path, pes=m)
        direct = schedule_milp_highs.build(p, horizon=p.serial_horizon).model
        pyomo_model, _ = schedule_milp.build(p, horizon=p.serial_horizon)
        repn = LinearStandardFormCompiler().write(pyomo_model, mixed_form=False)
        assert direct.n_col == len(repn.columns)
        a = direct.csc()
        n_eq = p.n  # the assignment rows are the only equalities; the compiler writes each as two rows
        assert direct.n_row + n_eq == repn.A.shape[0]
        assert a.nnz + a[:p.n].nnz == repn.A.nnz  # the split equalities repeat their coefficients


def test_yaml_instance_solves_and_is_evaluated():
    p = load_schedule_problem(INST / "lenet_neuraghe.yaml")
    assert p.tick_s == 1e-6 and p.m == 3
    # conv2 split into 4 firings by its aggregationFactor 8
    conv2 = [t for t in p.task_ids if t.startswith("CalculateLayer") and p.meta["layers"][t] == "/3/Conv"]
    assert len(conv2) == 4 and all("#" in t for t in conv2)
    res = solve(p, "cpsat", time_limit=30)
    assert res.status == Status.OPTIMAL
    assert res.objective == evaluate_schedule(p, res.solution).makespan
    assert res.objective <= solve(p, "heft").objective
