"""Tiny random heterogeneous instances and an independent brute-force optimum for them."""
from __future__ import annotations

import itertools

import networkx as nx
import numpy as np

from edgedse.models.problems import NOT_ALLOWED, ScheduleProblem


def random_instance(seed: int, n: int = 5, m: int = 2, budget: float | None = None) -> ScheduleProblem:
    rng = np.random.default_rng(seed)
    exec_time = rng.integers(1, 9, size=(n, m))
    if seed % 3 == 0:
        exec_time[rng.integers(n), rng.integers(m)] = NOT_ALLOWED
        for i in range(n):
            if (exec_time[i] == NOT_ALLOWED).all():
                exec_time[i, 0] = 3
    energy = rng.uniform(0.5, 3.0, size=(n, m)).round(3)
    edges, comm, comm_e = [], [], []
    for j in range(1, n):
        for i in range(j):
            if rng.random() < 0.4:
                c = rng.integers(1, 6, size=(m, m))
                np.fill_diagonal(c, 0)
                edges.append((i, j, 1.0))
                comm.append(c)
                comm_e.append(c * 0.1)
    return ScheduleProblem(name=f"rand{seed}", task_ids=tuple(f"t{i}" for i in range(n)),
                           pe_names=tuple(f"pe{k}" for k in range(m)), pe_kinds=tuple(f"kind{k}" for k in range(m)),
                           exec_time=exec_time, energy=energy, edges=tuple(edges), comm_time=tuple(comm),
                           comm_energy=tuple(comm_e), energy_budget=budget)


def brute_force(problem: ScheduleProblem) -> tuple[int, float]:
    """(optimal makespan, optimal energy) by enumerating assignments (within the energy budget and memory
    capacities) × topological orders, appending each
    task at max(inputs arrived, PE free): every left-shifted schedule arises this way."""
    p = problem
    g = nx.DiGraph()
    g.add_nodes_from(range(p.n))
    g.add_edges_from((i, j) for i, j, _ in p.edges)
    orders = list(nx.all_topological_sorts(g))
    best_c, best_e = None, None
    for assign in itertools.product(*[p.allowed(i) for i in range(p.n)]):
        energy = sum(p.energy[i, assign[i]] for i in range(p.n))
        energy += sum(ce[assign[i], assign[j]] for (i, j, _), ce in zip(p.edges, p.comm_energy or ()))
        if p.energy_budget is not None and energy > p.energy_budget:
            continue
        if p.capacity is not None and any(
                cap and sum(int(p.memory[i, k]) for i in range(p.n) if assign[i] == k) > cap
                for k, cap in enumerate(p.capacity)):
            continue
        best_e = energy if best_e is None else min(best_e, energy)
        for order in orders:
            end = [0] * p.n
            free = [0] * p.m
            for i in order:
                k = assign[i]
                ready = max([end[a] + int(c[assign[a], k]) for (a, b, _), c in zip(p.edges, p.comm_time) if b == i],
                            default=0)
                s = max(ready, free[k])
                end[i] = s + int(p.exec_time[i, k])
                free[k] = end[i]
            cmax = max(end)
            best_c = cmax if best_c is None else min(best_c, cmax)
    return best_c, best_e
