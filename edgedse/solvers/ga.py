"""NSGA-II (pymoo) over PE-assignment and priority genes, decoded by the list scheduler.

Genome of length 2n: gene ``g[i] ∈ [0, 1)`` picks task i's PE among its allowed ones
(``allowed[⌊g·|allowed|⌋]``); gene ``g[n+i] ∈ [0, 1]`` is its priority. Objectives: makespan and
energy (both minimized), so one run yields a Pareto front. The initial population contains the HEFT,
CP/MISF and minimum-energy schedules, so the GA never returns worse than those heuristics. Memory
capacities and the energy and latency budgets are pymoo inequality constraints (:func:`violations`; a
genome that meets them dominates one that does not); the front holds only genomes that meet them.
Deterministic for a given seed (generation-count stop; the time limit only cuts long runs short).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from edgedse.analysis.evaluator import evaluate_schedule
from edgedse.models.problems import ScheduleProblem
from edgedse.models.solutions import Schedule
from edgedse.solvers.backends import run_generations
from edgedse.solvers.heuristics import cp_misf, heft, list_schedule, min_energy_mapping


def decode(problem: ScheduleProblem, genes: np.ndarray) -> Schedule:
    n = problem.n
    assign = []
    for i in range(n):
        allowed = problem.allowed(i)
        assign.append(allowed[min(int(genes[i] * len(allowed)), len(allowed) - 1)])
    return list_schedule(problem, genes[n:], assignment=assign)


def encode(problem: ScheduleProblem, schedule: Schedule) -> np.ndarray:
    """Genes that decode to ``schedule``'s mapping and order (priority = reversed start order)."""
    n = problem.n
    genes = np.zeros(2 * n)
    for i in range(n):
        allowed = problem.allowed(i)
        genes[i] = (allowed.index(schedule.pe[i]) + 0.5) / len(allowed)
    order = sorted(range(n), key=lambda i: (schedule.start[i], problem.topological_order.index(i)))
    for rank, i in enumerate(order):
        genes[n + i] = 1.0 - rank / max(n, 1)
    return genes


def violations(problem: ScheduleProblem, met) -> list[float]:
    """The GA's inequality constraints (≤ 0 when met), from the metrics of a schedule evaluated without them:
    the bytes over each PE's memory capacity (summed), the joules over the energy budget and the ticks over
    the latency budget."""
    over_memory = 0.0
    if problem.capacity is not None:
        over_memory = float(sum(max(0, used - int(cap)) for used, cap in zip(met.memory_bytes, problem.capacity)
                                if cap))
    over_energy = 0.0 if problem.energy_budget is None else met.energy_j - problem.energy_budget * (1 + 1e-9)
    over_latency = 0.0 if problem.latency_budget is None else float(met.makespan - problem.latency_budget)
    return [over_memory, over_energy, over_latency]


def nsga2(problem: ScheduleProblem, *, seed: int = 0, generations: int = 100, population: int = 60,
          time_limit: float = 60.0) -> list[tuple[Schedule, int, float]]:
    """Run NSGA-II; returns the non-dominated (schedule, makespan, energy) found, sorted by makespan."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM

    p = problem
    free = dataclasses.replace(p, capacity=None, energy_budget=None, latency_budget=None)

    class Mapping(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=2 * p.n, n_obj=2, n_ieq_constr=3, xl=0.0, xu=1.0 - 1e-9)

        def _evaluate(self, X, out, *args, **kwargs):
            F, G = [], []
            for genes in X:
                met = evaluate_schedule(free, decode(p, genes))
                F.append([met.makespan, met.energy_j])
                G.append(violations(p, met))
            out["F"] = np.asarray(F, dtype=float)
            out["G"] = np.asarray(G, dtype=float)

    rng = np.random.default_rng(seed)
    seeds = [encode(p, s) for s in (heft(p), cp_misf(p), min_energy_mapping(p))]
    init = np.vstack(seeds + [rng.random(2 * p.n) for _ in range(max(population - len(seeds), 0))])
    algo = NSGA2(pop_size=population, sampling=init, crossover=SBX(prob=0.9, eta=15),
                 mutation=PM(eta=20), eliminate_duplicates=True)
    algo.setup(Mapping(), seed=seed, verbose=False)
    run_generations(algo, generations, time_limit)
    res = algo.result()
    front: dict[tuple[int, float], Schedule] = {}
    X = np.atleast_2d(res.X) if res.X is not None else np.empty((0, 2 * p.n))
    for genes in X:
        s = decode(p, genes)
        met = evaluate_schedule(free, s)
        if max(violations(p, met)) <= 0:
            front.setdefault((met.makespan, round(met.energy_j, 12)), s)
    pts = sorted(front.items())
    nd = []
    best_e = float("inf")
    for (ms, e), s in pts:
        if e < best_e - 1e-12:
            nd.append((s, ms, e))
            best_e = e
    return nd
