"""One iteration on the line (``wrap=False`` in :mod:`edgedse.formulations.period_latency_cpsat`): a relaxation of
the least periodic latency at ``P ≤ ε``, exact when an iteration fits one period, and step 0 of the latency
stage. Checked against brute force on :func:`test_periodic.tiny` chains and against the periodic model."""
from __future__ import annotations

import pytest

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.solvers.periodic_heuristics import pack
from edgedse.solvers.backends import TimeBudget
from edgedse.solvers.periodic_latency import _line_step, latency_stage, solve_latency_model
from test_periodic import brute_force_period, brute_force_single_iteration_latency, tiny

KW = dict(time_limit=20, seed=0, threads=2)


@pytest.mark.parametrize("seed", range(4))
def test_line_optimum_is_the_brute_force_single_iteration_latency(seed):
    """Without a period cap the line model's proven optimum is the least latency of one iteration over every
    mode and PE choice, and its schedule is periodic at ``max(L, the mapping's least period)``."""
    p = tiny(seed)
    sch, met, bound, raw = solve_latency_model(p, "latency", hint=None, wrap=False, **KW)
    assert raw.proven_optimal and met.latency == bound == brute_force_single_iteration_latency(p)
    assert sch.period == max(met.latency, met.min_period)  # evaluate_periodic accepted it at that period


@pytest.mark.parametrize("seed", range(4))
def test_line_bound_holds_and_is_exact_when_an_iteration_fits_a_period(seed):
    """For ``P ≤ ε`` at three ε: the line optimum never exceeds the periodic model's proven optimum, and equals
    it when it is at most ε (a line schedule within one period is a periodic schedule)."""
    p = tiny(seed)
    p_min = brute_force_period(p)[0]
    single = brute_force_single_iteration_latency(p)
    seen_exact = False
    for eps in (p_min, p_min + 3, max(2 * p_min, single)):
        _, line, line_bound, raw = solve_latency_model(p, "latency", hint=None, wrap=False, period_max=eps, **KW)
        assert raw.proven_optimal and line.latency == line_bound
        _, exact, exact_bound, _ = solve_latency_model(p, "latency", hint=None, period_max=eps, **KW)
        assert exact.latency == exact_bound, "CP-SAT proves tiny instances"
        assert line_bound <= exact.latency
        if line.latency <= eps:
            seen_exact = True
            assert line.latency == exact.latency and line.period <= eps
    assert seen_exact  # the largest ε lets one iteration fit


@pytest.mark.parametrize("seed", range(2))
def test_latency_stage_proves_the_slack_regime_on_the_line(seed):
    """With ε at least the single-iteration latency the stage stops after the line step with a proven answer:
    the brute-force latency, its bound equal to it, and no time for the periodic model."""
    p = tiny(seed)
    single = brute_force_single_iteration_latency(p)
    eps = max(single, 2 * brute_force_period(p)[0])
    start = pack(p, _serial_mapping(p), eps)
    stage = latency_stage(p, start, period_max=eps, **KW)
    assert stage.metrics.latency == single == stage.cp_bound
    assert stage.metrics.period <= eps and stage.line_s > 0 and stage.cp_s == 0
    assert evaluate_periodic(p, stage.schedule).latency == single


def test_line_step_bound_is_valid_when_no_iteration_fits_the_period():
    """At ε = P_min of a chain whose single iteration is longer than P_min, the line model capped at ε has no
    schedule (so every periodic latency is ≥ ε + 1), and the stage keeps the optimum with a bound not above it."""
    p = next(q for q in map(tiny, range(4))
             if brute_force_single_iteration_latency(q) > brute_force_period(q)[0])
    p_min = brute_force_period(p)[0]
    _, _, _, raw = solve_latency_model(p, "latency", hint=None, period_max=p_min, latency_cap=p_min, wrap=False, **KW)
    assert raw.proven_infeasible
    sch, exact, exact_bound, _ = solve_latency_model(p, "latency", hint=None, period_max=p_min, **KW)
    assert exact.latency == exact_bound >= p_min + 1
    stage = latency_stage(p, sch, period_max=p_min, search=False, **KW)
    assert stage.line_s > 0 and stage.metrics.latency == exact.latency
    assert p_min + 1 <= stage.cp_bound <= exact.latency
    step = _line_step(p, sch, exact, TimeBudget(20), period_max=p_min, period_min=None, latency_min=0,
                      energy_cap=None, seed=0, threads=2)
    assert not step.fits and step.bound == p_min + 1 and step.schedule is sch


def test_a_line_schedule_using_more_energy_than_the_start_does_not_end_the_stage():
    """tiny(0) from its least-energy schedule (P 18, L 25, 12 J) at P ≤ 28 under a 16 J cap: the line model's
    answer (L 21 at 16 J, proven) uses more energy than the start, so the stage refuses it and goes on to the
    periodic model; it keeps 12 J and latency 25, the least under 12 J (the line optimum at a 12 J cap)."""
    from edgedse.solvers.periodic import solve_periodic

    p = tiny(0)
    start = solve_periodic(p, "milp", "energy", latency=False, time_limit=10).solution
    e0 = evaluate_periodic(p, start).energy_j
    _, line, _, raw = solve_latency_model(p, "latency", hint=None, wrap=False, period_max=28, energy_cap=16.0, **KW)
    assert raw.proven_optimal and line.latency == 21 and line.energy_j > e0 == 12.0
    _, frugal, _, raw = solve_latency_model(p, "latency", hint=None, wrap=False, period_max=28, energy_cap=e0, **KW)
    assert raw.proven_optimal and frugal.latency == 25
    stage = latency_stage(p, start, period_max=28, energy_cap=16.0, time_limit=5)
    assert stage.line_s > 0 and stage.cp_s > 0
    assert stage.metrics.energy_j <= e0 + 1e-9 and stage.metrics.latency == 25 and stage.metrics.period <= 28


def test_line_hint_of_a_wrapping_schedule_is_feasible():
    """A periodic schedule whose iteration wraps, hinted to the line model (shifted to start at 0) and imposed as
    equalities, is feasible: every iteration of a periodic schedule is a schedule on the line."""
    from ortools.sat.python import cp_model

    from edgedse.formulations.period_latency_cpsat import build_latency_model

    p = tiny(0)
    p_min = brute_force_period(p)[0]
    sch, met, _, _ = solve_latency_model(p, "latency", hint=None, period_max=p_min, **KW)
    assert met.latency > sch.period  # it wraps
    built = build_latency_model(p, period_max=p_min, wrap=False, hint=sch)
    hint = built.model.Proto().solution_hint
    assert len(hint.vars) > 0
    for var, val in list(zip(hint.vars, hint.values)):
        built.model.Add(built.model.GetIntVarFromProtoIndex(var) == val)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.Solve(built.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    assert solver.Value(built.latency) <= met.latency


def _serial_mapping(p):
    """Every layer in its first mode, every firing on the first PE allowed."""
    from edgedse.models.periodic import Mapping

    modes = tuple(0 for _ in p.layers)
    return Mapping(modes, tuple(tuple(ly.modes[0].allowed()[0] for _ in range(ly.modes[0].firings))
                                for ly in p.layers))
