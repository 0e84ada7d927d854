"""Large-neighbourhood search on the latency of a periodic schedule at its period.

At the minimum period every PE's circle is (nearly) full, and the exact latency model
(:mod:`edgedse.formulations.period_latency_cpsat`) improves a start slowly: each firing competes for every
free arc of its PE. A *head* neighbourhood frees the layers whose first firing starts in the first
``fraction`` of the iteration (their modes, PEs and starts), and keeps every other firing where it is (mode,
PE and start in ticks); a *tail* neighbourhood frees the layers starting in the last ``fraction``. Freeing
the head lets the iteration start later, freeing the tail lets it end sooner; each is a much smaller CP-SAT
model than the whole, often solved to optimality in seconds. Neighbourhoods come in the order of ``FRACTIONS``, head and
tail in turn, and a sweep repeats while it improves. A candidate is kept only when the evaluator confirms a
shorter latency at the same period.

Measured (the latency stage at the minimum period, from the MILP's stage-1 mapping, 40 s in all, seeds 0–2;
CP-SAT's two workers make single runs vary by ±30 %): CP-SAT alone reaches 954.57 ms on VGG16 and 458.32 ms
on ResNet-18 on average; 20 s of CP-SAT, then 20 s of neighbourhoods (10 s each, 60 % first) reach 946.67 ms
and 409.10 ms. With more time the neighbourhoods gain more: from a 786.77 ms VGG16 schedule (CP-SAT, 300 s),
head 60 % (20 s) gave 613.59 ms, then tail 80 % and head 80 % (30 s each) 565.93 ms; CP-SAT on the whole
model had stalled. Deterministic for a seed: the neighbourhoods come in a fixed order and the time is split
by the limits granted (:class:`~edgedse.solvers.backends.TimeBudget`).
"""
from __future__ import annotations

from edgedse.models.periodic import PeriodicProblem, PeriodicSchedule

FRACTIONS = (0.6, 0.8, 0.4)   # of the iteration's latency, freed at the head and at the tail, in this order


def improve_latency(problem: PeriodicProblem, schedule: PeriodicSchedule, *, time_limit: float,
                    solve_limit: float = 10.0, fractions=FRACTIONS, seed: int = 0, threads: int = 2,
                    latency_min: int = 0, energy_cap: float | None = None) -> PeriodicSchedule:
    """A valid schedule with ``schedule``'s period and a latency at most ``schedule``'s (see module
    docstring). ``time_limit``: seconds in all; ``solve_limit``: seconds per neighbourhood; ``latency_min``: a
    proven latency bound (ticks) — meeting it ends the search; ``energy_cap`` (J per iteration): with it, a
    candidate must also use no more energy than ``schedule``."""
    from edgedse.analysis.periodic_evaluator import evaluate_periodic
    from edgedse.solvers.backends import TimeBudget

    budget = TimeBudget(time_limit)
    start = evaluate_periodic(problem, schedule)
    best, best_met = schedule, start
    improved = True
    while improved:
        improved = False
        for fraction in fractions:
            for side in ("head", "tail"):
                if best_met.latency <= latency_min or budget.left(floor=0.0) < 0.5:
                    return best
                free = free_layers(best, best_met.latency, side, fraction)
                limit = budget.grant(min(solve_limit, budget.left(floor=0.0)))
                cand = _solve_neighbourhood(problem, best, best_met.latency, free, time_limit=limit, seed=seed,
                                            threads=threads, latency_min=latency_min, energy_cap=energy_cap)
                if cand is None:
                    continue
                met = evaluate_periodic(problem, cand)
                if met.latency < best_met.latency and met.period <= best_met.period and \
                        uses_no_more_energy(met, start, energy_cap):
                    best, best_met, improved = cand, met, True
    return best


def uses_no_more_energy(met, start, energy_cap: float | None) -> bool:
    """Under an energy cap (J per iteration), a candidate (its evaluated metrics ``met``) must use no more energy
    than the ``start`` it improves on (CP-SAT's energy terms are rounded by ±½ unit, so the model's cap alone
    does not ensure it); without a cap, any energy will do."""
    return energy_cap is None or met.energy_j <= start.energy_j * (1 + 1e-9)


def free_layers(sch: PeriodicSchedule, latency: int, side: str, fraction: float) -> set[int]:
    """The layers a neighbourhood frees: those whose first firing starts in the first (``head``) or last
    (``tail``) ``fraction`` of the iteration's span ``[first start, first start + latency]`` (ticks)."""
    first = min(f.start for f in sch.firings)
    layer_start: dict[int, int] = {}
    for f in sch.firings:
        layer_start[f.layer] = min(layer_start.get(f.layer, f.start), f.start)
    if side == "head":
        return {l for l, s in layer_start.items() if s < first + fraction * latency}
    return {l for l, s in layer_start.items() if s >= first + (1 - fraction) * latency}


def _solve_neighbourhood(problem, sch: PeriodicSchedule, latency: int, free: set[int], *, time_limit, seed, threads,
                         latency_min, energy_cap=None):
    """The latency model at ``sch``'s period, its latency capped at ``sch``'s ``latency`` (ticks), with every
    layer outside ``free`` fixed to ``sch``; its best schedule, or None."""
    from edgedse.formulations.period_latency_cpsat import add_hint, build_latency_model, fix_layers, read_latency_model
    from edgedse.solvers.backends import run_cpsat

    P = sch.period
    built = build_latency_model(problem, period_max=P, period_min=P, latency_min=latency_min, energy_cap=energy_cap,
                                latency_cap=latency)
    fix_layers(built, sch, set(range(problem.n_layers)) - free)
    add_hint(built, sch)  # after the fixings: completing the hint then solves the small model
    raw = run_cpsat(built.model, time_limit=time_limit, threads=threads, seed=seed)
    return read_latency_model(problem, built, raw.values) if raw.found else None
