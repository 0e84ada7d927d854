"""List-scheduling heuristics: insertion-based HEFT, CP/MISF priorities, and the decoder the GA uses.

All of them place tasks one at a time, in a priority order that respects precedence, at the earliest
start on a PE where the task fits into an idle gap (insertion) after its inputs have arrived.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from edgedse.models.problems import NOT_ALLOWED, ScheduleProblem
from edgedse.models.solutions import Schedule


@dataclass
class _Timeline:
    """Busy intervals of one PE, sorted by start (zero-length tasks are not recorded)."""

    starts: list[int]
    ends: list[int]

    def earliest_gap(self, ready: int, duration: int) -> int:
        """Earliest start ≥ ``ready`` where ``duration`` fits between busy intervals."""
        if duration == 0:
            return ready
        t = ready
        idx = max(bisect.bisect_right(self.starts, ready) - 1, 0)
        for s, e in zip(self.starts[idx:], self.ends[idx:]):
            if t + duration <= s:
                return t
            t = max(t, e)
        return t

    def book(self, start: int, duration: int) -> None:
        if duration == 0:
            return
        idx = bisect.bisect_left(self.starts, start)
        self.starts.insert(idx, start)
        self.ends.insert(idx, start + duration)


def list_schedule(problem: ScheduleProblem, priority: list[float] | np.ndarray,
                  assignment: list[int] | None = None, energy_weight: float = 0.0) -> Schedule:
    """Schedule tasks by decreasing ``priority`` among those whose predecessors are placed.

    Each task goes to ``assignment[i]`` if given, else to the allowed PE with the earliest finish
    time (ties: lower energy, then lower index), at the earliest insertion gap after its inputs arrive.
    ``energy_weight`` > 0 trades finish time against energy when choosing the PE.
    """
    p = problem
    n = p.n
    g = p.graph
    preds_left = [g.in_degree(i) for i in range(n)]
    ready = [i for i in range(n) if preds_left[i] == 0]
    pe = [-1] * n
    start = [0] * n
    end = [0] * n
    lines = [_Timeline([], []) for _ in range(p.m)]
    in_edges = [[(u, d["index"]) for u, _, d in g.in_edges(i, data=True)] for i in range(n)]
    for _ in range(n):
        i = max(ready, key=lambda t: (priority[t], -t))
        ready.remove(i)
        candidates = [assignment[i]] if assignment is not None else p.allowed(i)
        best = None
        for k in candidates:
            d = int(p.exec_time[i, k])
            arrive = max((end[u] + int(p.comm_time[e][pe[u], k]) for u, e in in_edges[i]), default=0)
            s = lines[k].earliest_gap(arrive, d)
            key = (s + d + energy_weight * float(p.energy[i, k]), float(p.energy[i, k]), k)
            if best is None or key < best[0]:
                best = (key, k, s, d)
        _, k, s, d = best
        pe[i], start[i], end[i] = k, s, s + d
        lines[k].book(s, d)
        for j in g.successors(i):
            preds_left[j] -= 1
            if preds_left[j] == 0:
                ready.append(j)
    return Schedule(pe=tuple(pe), start=tuple(start))


def upward_rank(problem: ScheduleProblem) -> np.ndarray:
    """HEFT's rank_u: ``w̄_i + max_j (c̄_ij + rank_u(j))`` with mean times over allowed PEs and mean
    transfer times over pairs of distinct PEs."""
    p = problem
    mean_w = np.array([np.mean([p.exec_time[i, k] for k in p.allowed(i)]) for i in range(p.n)])
    off = ~np.eye(p.m, dtype=bool)
    mean_c = [float(c[off].mean()) if p.m > 1 else 0.0 for c in p.comm_time]
    rank = np.zeros(p.n)
    for i in reversed(p.topological_order):
        rank[i] = mean_w[i] + max((mean_c[d["index"]] + rank[j] for _, j, d in p.graph.out_edges(i, data=True)),
                                  default=0.0)
    return rank


def heft(problem: ScheduleProblem) -> Schedule:
    """Insertion-based HEFT (Topcuoglu, Hariri & Wu, TPDS 2002): rank_u order, earliest finish time.

    Tasks are taken in decreasing rank_u; since rank_u of a task exceeds that of its successors, this
    order is topological (ties broken by task index).
    """
    return list_schedule(problem, upward_rank(problem))


def cp_misf_priority(problem: ScheduleProblem) -> np.ndarray:
    """CP/MISF (Kasahara & Narita 1984): critical path first (longest path to the exit, each task at its
    fastest time), ties broken by the most immediate successors."""
    p = problem
    _, tail = p.heads_and_tails
    level = np.array([p.min_time(i) + tail[i] for i in range(p.n)], dtype=float)
    n_succ = np.array([p.graph.out_degree(i) for i in range(p.n)])
    return level + n_succ / (n_succ.max() + 1.0 if p.n else 1.0) * 0.5


def cp_misf(problem: ScheduleProblem) -> Schedule:
    """List scheduling with CP/MISF priorities (for identical PEs; valid on any instance)."""
    return list_schedule(problem, cp_misf_priority(problem))


def min_energy_mapping(problem: ScheduleProblem) -> Schedule:
    """Every task on its cheapest allowed PE (ties: faster), scheduled by HEFT's priorities."""
    p = problem
    assign = [min(p.allowed(i), key=lambda k: (p.energy[i, k], p.exec_time[i, k], k)) for i in range(p.n)]
    return list_schedule(p, upward_rank(p), assignment=assign)


HEURISTICS = {"heft": heft, "list": cp_misf}
__all__ = ["heft", "cp_misf", "list_schedule", "upward_rank", "min_energy_mapping", "NOT_ALLOWED", "HEURISTICS"]
