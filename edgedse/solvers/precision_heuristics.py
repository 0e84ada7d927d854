"""Baselines for precision assignment: the thesis' greedy Algorithm 4 and NSGA-II* (Algorithm 2) on pymoo.

Both work on *units*: a tie group, or a single untied layer (tied layers move together).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from edgedse.errors import InfeasibleError
from edgedse.models.precision import PrecisionProblem
from edgedse.solvers.backends import run_generations


def units(p: PrecisionProblem) -> list[tuple[int, ...]]:
    tied = {i for g in p.ties for i in g}
    return sorted([tuple(g) for g in p.ties] + [(i,) for i in range(p.n) if i not in tied], key=lambda u: u[0])


def _table(p: PrecisionProblem, metric: str) -> np.ndarray:
    """Per-layer cost used to rank layers (memory: the layer's weight bytes; Algorithm 4 ranks by ops)."""
    return {"energy": p.energy, "latency": p.latency, "memory": p.weight, "loss": p.loss, "ops": p.ops4}[metric]


def _loss_ok(p, choice, budgets, measure) -> bool:
    if "loss" not in budgets:
        return True
    value = measure(tuple(choice))["kl"] if measure is not None else p.metrics(choice)["loss"]
    return value <= budgets["loss"] * (1 + 1e-12)


def greedy(p: PrecisionProblem, minimize: str, budgets: dict[str, float], *,
           measure: Callable | None = None) -> tuple[int, ...]:
    """Thesis Algorithm 4 generalized. Start with every layer at the widest option; sort the units by their
    cost in ``minimize`` (Algorithm 4: operations) and lower the costliest one by one option; if the loss
    check fails (the measured KL with ``measure``, else the proxy), restore it and try the next unit, else
    re-sort and start over. Units at the narrowest option leave the list.

    ``minimize='loss'``: from the widest configuration, repeatedly lower the unit with the least loss
    increase per unit of the violated budget saved, until every budget holds."""
    us = units(p)
    choice = [0] * p.n
    last = len(p.bits) - 1

    def set_unit(u, c):
        for i in u:
            choice[i] = c

    if minimize == "loss":
        others = {k: v for k, v in budgets.items() if k != "loss"}
        while True:
            met = p.metrics(choice)
            violated = [k for k, v in others.items() if met[k] > v * (1 + 1e-12)]
            if not violated:
                return tuple(choice)
            metric = violated[0]
            best = None
            for u in us:
                if choice[u[0]] == last:
                    continue
                c = choice[u[0]]
                trial = list(choice)
                for i in u:
                    trial[i] = c + 1
                after = p.metrics(trial)
                saved = met[metric] - after[metric]
                dloss = after["loss"] - met["loss"]
                score = dloss / saved if saved > 0 else np.inf
                if best is None or score < best[0]:
                    best = (score, u, c + 1)
            if best is None or not np.isfinite(best[0]):
                raise InfeasibleError(f"{metric}_budget", f"greedy cannot meet {metric} ≤ {others[metric]:.6g}: "
                                      f"it reaches {met[metric]:.6g} with every layer at its narrowest option")
            set_unit(best[1], best[2])
    if not _loss_ok(p, choice, budgets, measure):
        raise InfeasibleError("loss_budget", f"greedy starts from the widest configuration, whose loss "
                              f"{p.metrics(choice)['loss']:.6g} already exceeds {budgets['loss']:.6g}")
    cost = _table(p, "ops" if minimize == "energy" else minimize)

    def ranked():
        live = [u for u in us if choice[u[0]] < last]
        return sorted(live, key=lambda u: -sum(cost[i, choice[i]] for i in u))

    order, k = ranked(), 0
    while k < len(order):
        u = order[k]
        c = choice[u[0]]
        set_unit(u, c + 1)
        if not _loss_ok(p, choice, budgets, measure):
            set_unit(u, c)
            k += 1
            continue
        order, k = ranked(), 0
    met = p.metrics(choice)
    for metric, cap in budgets.items():
        if metric != "loss" and met[metric] > cap * (1 + 1e-12):
            raise InfeasibleError(f"{metric}_budget", f"greedy stops at {metric} {met[metric]:.6g} > {cap:.6g} "
                                  "(lowering any further layer breaks the loss budget)")
    return tuple(choice)


def epsilon_nondominated(objs: np.ndarray, eps: np.ndarray) -> list[int]:
    """Indices of the ε-non-dominated rows (both objectives minimized): points are boxed by ``eps``; one
    point per non-dominated box (the one nearest the box corner), as in Laumanns et al.'s ε-dominance."""
    boxes = np.floor(objs / eps).astype(np.int64)
    keep = {}
    for i, b in enumerate(map(tuple, boxes)):
        corner = np.linalg.norm((objs[i] - np.array(b) * eps) / eps)
        if b not in keep or corner < keep[b][0]:
            keep[b] = (corner, i)
    cand = list(keep)
    nd = [b for b in cand if not any(o != b and o[0] <= b[0] and o[1] <= b[1] for o in cand)]
    return sorted(keep[b][1] for b in nd)


def nsga2_star(p: PrecisionProblem, minimize: str, budgets: dict[str, float], *, seed: int = 0,
               population: int = 60, generations: int = 100, time_limit: float = 60.0,
               measure: Callable | None = None, eps_fraction: float = 0.01) -> list[tuple[int, ...]]:
    """NSGA-II* (thesis Algorithm 2) on pymoo: integer genes (one option per unit), objectives
    (``minimize``, loss), the loss threshold and the other budgets as constraints (pymoo's constraint
    domination plays the thesis' penalty), SBX/PM with rounding, and an ε-non-dominated final sort
    (ε = ``eps_fraction`` of each objective's range). Returns the final configurations."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling

    us = units(p)
    B = len(p.bits)
    space = B ** min(len(us), 12)
    population = int(min(population, max(8, space // 4)))
    distinct = space > 20 * population  # in a small space pymoo's duplicate-free mating retries for long
    target = "loss" if minimize == "loss" else minimize
    second = "memory" if minimize == "loss" else "loss"
    caps = list(budgets.items())

    def decode(genes) -> tuple[int, ...]:
        c = [0] * p.n
        for u, g in zip(us, genes):
            for i in u:
                c[i] = int(g)
        return tuple(c)

    def score(choice):
        met = p.metrics(choice)
        if measure is not None:
            met["loss"] = measure(choice)["kl"]
        return met

    class Search(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=len(us), n_obj=2, n_ieq_constr=max(len(caps), 1), xl=0, xu=B - 1, vtype=int)

        def _evaluate(self, X, out, *args, **kwargs):
            mets = [score(decode(np.round(g).astype(int))) for g in X]
            out["F"] = np.array([[m[target], m[second]] for m in mets])
            out["G"] = np.array([[m[k] - v for k, v in caps] if caps else [-1.0] for m in mets])

    algo = NSGA2(pop_size=population, sampling=IntegerRandomSampling(),
                 crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
                 mutation=PM(eta=20, vtype=float, repair=RoundingRepair()), eliminate_duplicates=distinct)
    algo.setup(Search(), termination=("n_gen", generations), seed=seed, verbose=False)
    run_generations(algo, None, time_limit)
    pop = algo.pop
    X = np.round(pop.get("X")).astype(int)
    F = pop.get("F")
    CV = pop.get("CV").ravel()
    feasible = np.where(CV <= 0)[0]
    if not len(feasible):
        return []
    F = F[feasible]
    span = np.maximum(F.max(0) - F.min(0), 1e-12)
    keep = epsilon_nondominated(F - F.min(0), span * eps_fraction)
    return sorted({decode(X[feasible[i]]) for i in keep})
