"""Periodic heuristics: pack a mapping into a modulo schedule, a greedy min-max-load mapping (short period), an
earliest-finish mapping (short latency), contiguous pipeline-stage mappings, and a GA.

:func:`pack` turns any :class:`Mapping` into a valid periodic schedule at the least period the mapping
allows (``max`` of PE loads, bus occupancy and the longest firing): firings are taken in topological
order and each goes to the earliest free arc of its PE's circle (wrapping allowed) after its inputs
arrive; if the circle gets too fragmented for that, each firing is instead appended to its PE's occupied
prefix of the period circle (which never wraps and never fails, as every load is at most the period).
"""
from __future__ import annotations

import math

import numpy as np

from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.models.periodic import (BUS_UNITS_PER_TICK, NOT_ALLOWED, Firing, Mapping, PeriodicProblem,
                                     PeriodicSchedule, mapping_min_period)
from edgedse.solvers.backends import run_generations

SLACK_OCTAVES = 5  # GA under a deadline: a mapping is packed at up to 2^5 = 32 times its least period


def pack(problem: PeriodicProblem, mapping: Mapping, period: int | None = None) -> PeriodicSchedule:
    """A valid periodic schedule of ``mapping`` with period ``max(period, mapping_min_period)``: the
    earliest-gap placement when it succeeds and gives the shorter latency, else the prefix packing."""
    P = max(int(period or 0), mapping_min_period(problem, mapping))
    prefix = _place(problem, mapping, P, earliest_gap=False)
    gap = _place(problem, mapping, P, earliest_gap=True)
    if gap is None:
        return prefix
    return min((gap, prefix), key=lambda s: _latency(problem, s))


def _latency(problem: PeriodicProblem, sch: PeriodicSchedule) -> int:
    end = max(f.start + int(problem.layers[f.layer].modes[sch.modes[f.layer]].time[f.pe]) for f in sch.firings)
    return end - min(f.start for f in sch.firings)


def _earliest_gap(occupied: list[tuple[int, int]], ready: int, d: int, P: int) -> int | None:
    """Earliest start ≥ ready whose occupation ``[s mod P, s mod P + d)`` misses every ``occupied``
    piece on the circle of length P (wrapping past P allowed); None if no gap of the circle holds d.
    The earliest start is ``ready`` itself or lies where a piece ends, so only those are tried."""
    if d == 0:
        return ready
    w0 = ready // P
    candidates = sorted({ready} | {w * P + b for _, b in occupied for w in (w0, w0 + 1)
                                   if ready <= w * P + b <= ready + P})
    for t in candidates:
        if not any(_overlaps(piece, occupied) for piece in _arc_pieces(t % P, d, P)):
            return t
    return None


def _arc_pieces(r: int, d: int, P: int) -> list[tuple[int, int]]:
    """The arc ``[r, r + d)`` of the circle of length P as at most two non-wrapping pieces."""
    return [(r, r + d)] if r + d <= P else [(r, P), (0, r + d - P)]


def _overlaps(piece: tuple[int, int], occupied: list[tuple[int, int]]) -> bool:
    return any(max(piece[0], a) < min(piece[1], b) for a, b in occupied)


def _place(problem: PeriodicProblem, mapping: Mapping, P: int, earliest_gap: bool) -> PeriodicSchedule | None:
    p = problem
    fill = [0] * p.m
    occupied: list[list[tuple[int, int]]] = [[] for _ in range(p.m)]
    ends: dict[int, list[tuple[int, int]]] = {}
    firings = []
    preds = p.predecessors
    for l in p.topological_order:
        md = p.layers[l].modes[mapping.modes[l]]
        ends[l] = []
        for f, k in enumerate(mapping.pes[l]):
            ready = 0
            for u in preds[l]:
                vol = p.edge_volume(u, mapping.modes[u])
                for pe_u, end_u in ends[u]:
                    ready = max(ready, end_u + p.comm_ticks(pe_u, k, vol))
            d = int(md.time[k])
            if earliest_gap:
                start = _earliest_gap(occupied[k], ready, d, P)
                if start is None:
                    return None
                occupied[k] += _arc_pieces(start % P, d, P) if d else []
            else:  # append to the PE's occupied prefix [0, fill): never wraps, never fails
                start = fill[k] + P * max(0, math.ceil((ready - fill[k]) / P))
                fill[k] += d
            firings.append(Firing(l, f, k, start))
            ends[l].append((k, start + d))
    return PeriodicSchedule(tuple(mapping.modes), tuple(firings), P)


def greedy_mapping(problem: PeriodicProblem, energy_weight: float = 0.0) -> Mapping:
    """List heuristic: layers by decreasing work; for each, every mode is tried with its firings placed one
    by one on the PE with the least finishing load, and the mode giving the least max(load, bus) kept
    (ties: less energy)."""
    p = problem
    load = np.zeros(p.m, dtype=np.int64)
    bus = 0
    order = sorted(range(p.n_layers), key=lambda l: -min(
        md.firings * min(md.time[k] for k in md.allowed()) for md in p.layers[l].modes))
    modes, pes = [0] * p.n_layers, [()] * p.n_layers
    for l in order:
        best = None
        for a, md in enumerate(p.layers[l].modes):
            trial = load.copy()
            chosen = []
            for _ in range(md.firings):
                k = min(md.allowed(), key=lambda c: (trial[c] + md.time[c], md.energy[c], c))
                trial[k] += md.time[k]
                chosen.append(k)
            b = bus + md.bus * md.firings
            score = (max(int(trial.max()), math.ceil(b / BUS_UNITS_PER_TICK)),
                     energy_weight * sum(md.energy[k] for k in chosen), md.firings)
            if best is None or score < best[0]:
                best = (score, a, chosen, trial, b)
        _, modes[l], chosen, load, bus = best
        pes[l] = tuple(chosen)
    return Mapping(tuple(modes), tuple(pes))


def earliest_finish_mapping(problem: PeriodicProblem) -> Mapping:
    """One iteration list-scheduled on the line for a short latency (HEFT's earliest finish time, modes
    included): layers in topological order; for each mode, its firings go one by one to the PE where each
    finishes first — after that PE's last firing and the arrival of every input (ticks, transfers included) —
    and the mode whose last firing ends first is kept (ties: less work, then fewer firings). Unlike
    :func:`fastest_mapping`, a layer's firings spread over PEs when that ends it sooner. Packed at its least
    period or more (:func:`pack`), it is a start for tight latency deadlines; it ignores the period (PE loads
    and the bus), which packing adds."""
    p = problem
    free = [0] * p.m                                 # ticks: when each PE is next free on the line
    ends: dict[int, list[tuple[int, int]]] = {}      # layer -> (PE, end) of each firing
    modes, pes = [0] * p.n_layers, [()] * p.n_layers
    preds = p.predecessors
    for l in p.topological_order:
        ready = [max([0] + [end + p.comm_ticks(pe, k, p.edge_volume(u, modes[u]))
                            for u in preds[l] for pe, end in ends[u]]) for k in range(p.m)]
        best = None
        for a, md in enumerate(p.layers[l].modes):
            trial, placed = list(free), []
            for _ in range(md.firings):
                k = min(md.allowed(), key=lambda c: (max(trial[c], ready[c]) + int(md.time[c]), int(md.time[c]), c))
                trial[k] = max(trial[k], ready[k]) + int(md.time[k])
                placed.append((k, trial[k]))
            key = (max(e for _, e in placed), sum(int(md.time[k]) for k, _ in placed), md.firings, a)
            if best is None or key < best[0]:
                best = (key, a, placed, trial)
        _, modes[l], placed, free = best
        pes[l] = tuple(k for k, _ in placed)
        ends[l] = placed
    return Mapping(tuple(modes), tuple(pes))


def fastest_mapping(problem: PeriodicProblem) -> Mapping:
    """Every layer in the mode and on the PE that run all its firings soonest one after another (a short
    iteration, not a balanced one): a start under a deadline."""
    modes, pes = [], []
    for ly in problem.layers:
        a, k = min(((a, k) for a, md in enumerate(ly.modes) for k in md.allowed()),
                   key=lambda ak: (int(ly.modes[ak[0]].time[ak[1]]) * ly.modes[ak[0]].firings, ak))
        modes.append(a)
        pes.append((k,) * ly.modes[a].firings)
    return Mapping(tuple(modes), tuple(pes))


# -- contiguous pipeline stages ----------------------------------------------------------------
def stage_orders(problem: PeriodicProblem) -> list[tuple[int, ...]]:
    """Every order of the PEs as pipeline stages, up to swaps of interchangeable PEs
    (:attr:`~edgedse.models.periodic.PeriodicProblem.interchangeable_pe_groups`, taken in index order): 3 for
    NEURAghe, 6 for mpsoc4."""
    from itertools import permutations

    group_of = list(range(problem.m))  # a PE with no twin is a group of its own
    for group in problem.interchangeable_pe_groups:
        for k in group:
            group_of[k] = group[0]
    out = []
    for seq in sorted(set(permutations(group_of))):
        pool = {g: [k for k in range(problem.m) if group_of[k] == g] for g in set(group_of)}
        out.append(tuple(pool[g].pop(0) for g in seq))
    return out


def stage_pipeline_schedules(problem: PeriodicProblem, period: int, *, time_limit: float = 2.0, seed: int = 0,
                             threads: int = 2) -> list[PeriodicSchedule]:
    """Schedules at ``period`` (ticks) of the contiguous pipeline-stage mappings that fit, one per stage order
    where :mod:`edgedse.formulations.pipeline_stages_cpsat` finds one within ``time_limit`` seconds shared by the
    orders, each laid out by :func:`stage_blocks`. Empty when no order fits (e.g. at a full minimum period)."""
    from edgedse.formulations.pipeline_stages_cpsat import build_stage_model, read_stage_mapping
    from edgedse.solvers.backends import run_cpsat

    orders = stage_orders(problem)
    out = []
    for order in orders:
        built = build_stage_model(problem, period, order)
        raw = run_cpsat(built.model, time_limit=time_limit / len(orders), threads=threads, seed=seed)
        if raw.found:
            out.append(stage_blocks(problem, read_stage_mapping(problem, built, raw.values), order, period))
    return out


def stage_blocks(problem: PeriodicProblem, mapping: Mapping, order: tuple[int, ...], period: int) -> PeriodicSchedule:
    """A contiguous pipeline-stage ``mapping`` (stage ``s`` on PE ``order[s]``) laid out stage by stage: each
    stage's firings back to back in topological order of their layers, as one block that starts as early as
    its firings' inputs allow. Every PE holds one block of at most ``period`` ticks, so the circle never
    overlaps, and the latency is at most the sum of the stages' loads plus one transfer between stages."""
    p, P = problem, max(int(period), mapping_min_period(problem, mapping))
    ends: dict[int, dict[int, int]] = {l: {} for l in range(p.n_layers)}  # layer -> PE -> last end there
    firings = []
    for k in order:
        block = [(l, i) for l in p.topological_order for i, pe in enumerate(mapping.pes[l]) if pe == k]
        durations = [int(p.layers[l].modes[mapping.modes[l]].time[k]) for l, _ in block]
        start, offset = 0, 0
        for (l, _), d in zip(block, durations):  # the block starts once each firing's outside inputs have arrived
            for u in p.predecessors[l]:
                vol = p.edge_volume(u, mapping.modes[u])
                for k_u, e in ends[u].items():
                    if k_u != k:
                        start = max(start, e + p.comm_ticks(k_u, k, vol) - offset)
            offset += d
        t = start
        for (l, i), d in zip(block, durations):
            firings.append(Firing(l, i, k, t))
            ends[l][k] = max(ends[l].get(k, 0), t + d)
            t += d
    return PeriodicSchedule(mapping.modes, tuple(sorted(firings, key=lambda f: (f.layer, f.index))), P)


# -- GA ------------------------------------------------------------------------------------------
def _slots(problem: PeriodicProblem) -> list[int]:
    return [max(md.firings for md in ly.modes) for ly in problem.layers]


def decode(problem: PeriodicProblem, genes: np.ndarray) -> Mapping:
    """Genes in [0,1): one mode gene per layer, then one PE gene per firing slot of each layer."""
    p = problem
    modes, pes = [], []
    pos = p.n_layers
    for l, ly in enumerate(p.layers):
        a = min(int(genes[l] * len(ly.modes)), len(ly.modes) - 1)
        md = ly.modes[a]
        allowed = md.allowed()
        chosen = [allowed[min(int(genes[pos + f] * len(allowed)), len(allowed) - 1)] for f in range(md.firings)]
        pos += max(m.firings for m in ly.modes)
        modes.append(a)
        pes.append(tuple(chosen))
    return Mapping(tuple(modes), tuple(pes))


def encode(problem: PeriodicProblem, mapping: Mapping) -> np.ndarray:
    p = problem
    genes = np.zeros(p.n_layers + sum(_slots(p)))
    pos = p.n_layers
    for l, ly in enumerate(p.layers):
        a = mapping.modes[l]
        genes[l] = (a + 0.5) / len(ly.modes)
        allowed = ly.modes[a].allowed()
        for f, k in enumerate(mapping.pes[l]):
            genes[pos + f] = (allowed.index(k) + 0.5) / len(allowed)
        pos += max(m.firings for m in ly.modes)
    return genes


def genetic(problem: PeriodicProblem, *, seed: int = 0, generations: int = 150, population: int = 60,
            time_limit: float = 60.0, objective: str = "period", latency_cap: int | None = None,
            seeds: list[Mapping] | None = None) -> PeriodicSchedule:
    """A pymoo GA minimizing the period, then latency (or energy for ``objective='energy'``), over the
    mode and PE genes; each genome is packed by :func:`pack` and checked by the evaluator. The greedy
    mapping and the baseline seed the population, or ``seeds`` when given. Deterministic for a seed
    (generation-count stop).

    ``latency_cap`` (ticks): a deadline on the latency. One more gene ``g`` then packs the mapping at
    ``2^(SLACK_OCTAVES·g)`` times its least period (slack lets an iteration wait less), and a genome over
    the deadline scores above every one within it, by how far it is over. The answer may still miss the
    deadline: the caller checks."""
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM

    p = problem
    n_map = p.n_layers + sum(_slots(p))
    n_var = n_map + (latency_cap is not None)
    horizon = float(sum(max(int(md.time.max()) * md.firings for md in ly.modes) for ly in p.layers) + 1)

    def schedule(genes) -> PeriodicSchedule:
        mapping = decode(p, genes[:n_map])
        if latency_cap is None:
            return pack(p, mapping)
        return pack(p, mapping, math.ceil(mapping_min_period(p, mapping) * 2 ** (SLACK_OCTAVES * genes[n_map])))

    def score(genes):
        met = evaluate_periodic(p, schedule(genes))
        second = met.latency / horizon if objective == "period" else met.energy_j / (1 + met.energy_j)
        if latency_cap is not None and met.latency > latency_cap:
            return horizon * (2 ** SLACK_OCTAVES + met.latency / latency_cap)
        return met.period + second

    class Search(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=n_var, n_obj=1, xl=0.0, xu=1.0 - 1e-9)

        def _evaluate(self, X, out, *args, **kwargs):
            out["F"] = np.array([[score(g)] for g in X])

    rng = np.random.default_rng(seed)
    if seeds is None:
        seeds = [greedy_mapping(p)] + ([p.baseline] if p.baseline else [])
    genomes = [encode(p, m) for m in seeds]
    if latency_cap is not None:  # each seed mapping with no slack and with the most
        genomes = [np.append(g, x) for g in genomes for x in (0.0, 1.0 - 1e-9)]
    init = np.vstack(genomes + [rng.random(n_var) for _ in range(max(population - len(genomes), 0))])
    algo = GA(pop_size=population, sampling=init, crossover=SBX(prob=0.9, eta=15), mutation=PM(eta=20),
              eliminate_duplicates=True)
    algo.setup(Search(), termination=("n_gen", generations), seed=seed, verbose=False)
    run_generations(algo, generations, time_limit)
    return schedule(np.atleast_2d(algo.result().X)[0])


__all__ = ["pack", "greedy_mapping", "earliest_finish_mapping", "fastest_mapping", "genetic", "mapping_min_period",
           "encode", "decode", "NOT_ALLOWED"]
