"""Circle-order search on the latency (edgedse.solvers.periodic_circle): the decoder by hand, that a decoded
state is valid and never longer, that the search reaches CP-SAT's proven least latency on tiny instances, and
that it respects the energy cap, keeps PEs when told to, and repeats itself for a seed."""
import random

import pytest

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.models.periodic import Firing, PeriodicSchedule
from edgedse.solvers.backends import deterministic_solvers
from edgedse.solvers.periodic import solve_periodic
from edgedse.solvers.periodic_circle import CircleState, anneal_latency

from test_periodic import tiny


def _reversed_chain():
    """``tiny(0)`` in modes (0, 0, 0), every layer on PE 0 (17, 8 and 6 ticks: the circle of P = 31 is full),
    laid on the circle in reverse order L2, L1, L0 from residue 0: residues 0, 6 and 14. Earliest starts:
    L0 at 14 (ends 31); L1 at 31 + (6 − 31) mod 31 = 37 (ends 45); L2 at 45 + (0 − 45) mod 31 = 62 (ends 68):
    latency 68 − 14 = 54. In chain order the iteration runs back to back: latency 31."""
    p = tiny(0)
    sch = PeriodicSchedule((0, 0, 0), (Firing(0, 0, 0, 14), Firing(1, 0, 0, 37), Firing(2, 0, 0, 62)), period=31)
    return p, sch


def test_decoder_by_hand():
    p, sch = _reversed_chain()
    assert evaluate_periodic(p, sch).latency == 54
    c = CircleState(p, sch)
    assert c.residues() == {0: 14, 1: 6, 2: 0}
    assert c.orders[0] == [2, 1, 0] and c.offsets[0] == 0 and c.orders[1] == [-31]  # PE 1: one idle piece
    assert c.starts() == [14, 37, 62] and c.latency() == 54
    c.orders[0] = [0, 1, 2]  # chain order from residue 0: back to back
    assert c.residues() == {0: 0, 1: 17, 2: 25} and c.starts() == [0, 17, 25] and c.latency() == 31


def test_search_finds_the_chain_order_by_hand():
    """Kept on PE 0, the best circle is the chain order (31); free to relocate onto the empty PE 1, the search
    does better still."""
    p, sch = _reversed_chain()
    kept = anneal_latency(p, sch, time_limit=1.0, seed=0, relocate=False)
    met = evaluate_periodic(p, kept)
    assert met.latency == 31 and met.period == 31 and kept.modes == sch.modes
    moved = evaluate_periodic(p, anneal_latency(p, sch, time_limit=1.0, seed=0))
    assert moved.latency < 31 and moved.period == 31


def _shuffled(p, sch: PeriodicSchedule, seed: int) -> PeriodicSchedule:
    """``sch`` with each PE's circle order shuffled and its offset moved: valid, usually much longer."""
    rng = random.Random(seed)
    c = CircleState(p, sch)
    for k in range(p.m):
        rng.shuffle(c.orders[k])
        c.offsets[k] = rng.randrange(sch.period)
    return c.schedule()


@pytest.mark.parametrize("seed", range(4))
def test_decoded_state_is_valid_with_the_same_residues_and_no_longer(seed):
    p = tiny(seed)
    sch = solve_periodic(p, "milp", latency=False).solution
    start = _shuffled(p, sch, seed)
    c = CircleState(p, start)
    res = c.residues()
    assert all(res[i] == f.start % start.period for i, f in enumerate(start.firings) if i in res)
    out = c.schedule()
    met, before = evaluate_periodic(p, out), evaluate_periodic(p, start)
    assert met.period == before.period and out.modes == start.modes and met.latency <= before.latency
    assert sorted((f.layer, f.index, f.pe) for f in out.firings) == sorted((f.layer, f.index, f.pe)
                                                                          for f in start.firings)


@pytest.mark.parametrize("seed", range(4))
def test_search_reaches_the_proven_least_latency_at_fixed_modes(seed):
    """From a shuffled circle, the search returns the least latency CP-SAT proves at the same period and modes."""
    from edgedse.formulations.period_latency_cpsat import build_latency_model, read_latency_model
    from edgedse.solvers.backends import run_cpsat

    p = tiny(seed)
    sch = solve_periodic(p, "milp", latency=False).solution
    built = build_latency_model(p, period_max=sch.period, period_min=sch.period, modes=sch.modes, hint=sch)
    raw = run_cpsat(built.model, time_limit=20, threads=2, seed=0)
    assert raw.proven_optimal
    exact = evaluate_periodic(p, read_latency_model(p, built, raw.values)).latency
    start = _shuffled(p, sch, seed)
    assert evaluate_periodic(p, start).latency > exact
    out = anneal_latency(p, start, time_limit=1.0, seed=seed)
    met = evaluate_periodic(p, out)
    assert met.latency == exact and met.period == sch.period and out.modes == sch.modes


def test_energy_cap_pe_keeping_and_a_seed_repeat():
    p = tiny(1)  # PE 0 has a tick of slack: relocations are possible
    sch = solve_periodic(p, "milp", latency=False).solution
    start = _shuffled(p, sch, 7)
    e0 = evaluate_periodic(p, start).energy_j
    capped = anneal_latency(p, start, time_limit=1.0, seed=0, max_energy_j=e0)
    assert evaluate_periodic(p, capped).energy_j <= e0 * (1 + 1e-9)
    kept = anneal_latency(p, start, time_limit=1.0, seed=0, relocate=False)
    pes = lambda s: sorted((f.layer, f.index, f.pe) for f in s.firings)  # noqa: E731
    assert pes(kept) == pes(start)
    with deterministic_solvers():
        assert anneal_latency(p, start, time_limit=0.5, seed=3) == anneal_latency(p, start, time_limit=0.5, seed=3)


def test_search_returns_the_start_when_it_meets_the_bound():
    p, sch = _reversed_chain()
    assert anneal_latency(p, sch, time_limit=1.0, latency_min=54) is sch


def test_latency_stage_runs_the_search_only_while_the_iteration_wraps(monkeypatch):
    """With the line step finding nothing (patched out), the circle search runs from a wrapping start and not
    from one that fits a period; with the line step on, an iteration that fits is found on the line, no circle
    search needed."""
    from edgedse.solvers import periodic_latency
    from edgedse.solvers.periodic_latency import LineStep, latency_stage

    p, sch = _reversed_chain()
    on_the_line = latency_stage(p, sch, period_max=31, period_min=31, time_limit=3, search=False)
    assert on_the_line.line_s > 0 and on_the_line.circle_s == 0.0 and on_the_line.metrics.latency <= 31
    monkeypatch.setattr(periodic_latency, "_line_step",
                        lambda problem, start, start_met, *a, **k: LineStep(start, start_met, None, False, 0.0))
    stage = latency_stage(p, sch, period_max=31, period_min=31, time_limit=3, search=False)
    assert stage.circle_s > 0 and stage.metrics.latency <= 31 and stage.metrics.period == 31
    again = latency_stage(p, stage.schedule, period_max=31, period_min=31, time_limit=3, search=False)
    assert again.circle_s == 0.0  # latency ≤ P: one period holds the iteration
