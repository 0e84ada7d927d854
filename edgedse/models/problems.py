"""Problems as plain data. A formulation or heuristic reads a Problem; nothing here imports a solver.

:class:`ScheduleProblem` — map a precedence DAG of tasks onto processing elements (PEs) and order
them, minimizing makespan or energy. Times are integers in *ticks* (``tick_s`` seconds each; ``None``
for unit-less benchmark sets such as STG), so every method and the evaluator compute exactly.

Notation used by the formulations and the evaluator:

* tasks ``i ∈ T = 0..n-1``, PEs ``k ∈ K = 0..m-1``;
* ``p[i,k]`` execution time (ticks), ``NOT_ALLOWED`` (−1) if task ``i`` cannot run on PE ``k``;
* ``e[i,k]`` energy (J) of task ``i`` on PE ``k``;
* edges ``(i, j, v)`` with data volume ``v`` (bytes or unit-less), and ``c[(i,j)][k,l]`` the transfer
  time (ticks) when ``i`` runs on ``k`` and ``j`` on ``l`` (zero on the diagonal: same PE);
  ``ce[(i,j)][k,l]`` the transfer energy (J);
* optional ``mem[i,k]`` bytes held by task ``i`` on PE ``k`` and ``capacity[k]`` bytes per PE
  (a static allocation: everything mapped on a PE resides there together);
* optional energy budget (J).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import math

import networkx as nx
import numpy as np

from edgedse.errors import InfeasibleError, InputError

NOT_ALLOWED = -1


def ticks_at_most(seconds: float | None, tick_s: float) -> int | None:
    """The whole ticks of ``tick_s`` seconds that fit in ``seconds`` — a cap or budget rounded down, so rounding
    never loosens it (``1e-9`` absorbs float error: 0.0003 s at 1 µs is 300 ticks). None stays None."""
    return None if seconds is None else math.floor(seconds / tick_s + 1e-9)


def seconds_converter(tick_s: float | None):
    """Ticks → seconds, rounded to 12 decimals (4,217 ticks of 10 µs print 0.04217, not 0.042170000000000006),
    when ``tick_s`` is set; the identity for unit-less benchmarks. None stays None."""
    if not tick_s:
        return lambda t: t
    return lambda t: None if t is None else round(float(t) * tick_s, 12)


def heads_and_tails(graph: nx.DiGraph, order, duration) -> tuple[list[int], list[int]]:
    """Longest paths in a DAG whose nodes are ``0..n-1`` (``order``: topological), node ``i`` lasting
    ``duration(i)`` ticks and edges free: ``head_i`` = the longest path before i starts, ``tail_i`` = after it
    ends. With each duration a lower bound, both are valid bounds for every schedule."""
    n = graph.number_of_nodes()
    head, tail = [0] * n, [0] * n
    for i in order:
        head[i] = max((head[u] + duration(u) for u in graph.predecessors(i)), default=0)
    for i in reversed(order):
        tail[i] = max((duration(j) + tail[j] for j in graph.successors(i)), default=0)
    return head, tail


@dataclass(frozen=True)
class ScheduleProblem:
    """A heterogeneous DAG-scheduling instance (see the module docstring for notation).

    Attributes:
        name: instance name.
        task_ids: task identifiers exactly as in the input file.
        pe_names: PE instance names; ``pe_kinds[k]`` the kind (identical kinds are interchangeable
            only if their rows of ``p``, ``e`` and ``c`` agree — see :attr:`identical_pe_groups`).
        exec_time: ``p`` as an int array ``n × m`` (``NOT_ALLOWED`` where forbidden).
        energy: ``e`` as a float array ``n × m`` (J).
        edges: ``(i, j, volume)`` with task indices.
        comm_time: per edge an int ``m × m`` array (ticks).
        comm_energy: per edge a float ``m × m`` array (J), or ``None`` (no transfer energy).
        memory: ``n × m`` bytes or ``None``; capacity: ``m`` bytes (0 = unlimited) or ``None``.
        energy_budget: J, or ``None``.
        latency_budget: ticks, or ``None`` — a deadline on the makespan (one inference) that every method meets.
        tick_s: seconds per tick (``None``: unit-less benchmark times).
        known_optimum / known_bounds: published values for the makespan, with ``source``.
    """

    name: str
    task_ids: tuple[str, ...]
    pe_names: tuple[str, ...]
    pe_kinds: tuple[str, ...]
    exec_time: np.ndarray
    energy: np.ndarray
    edges: tuple[tuple[int, int, float], ...]
    comm_time: tuple[np.ndarray, ...]
    comm_energy: tuple[np.ndarray, ...] | None = None
    memory: np.ndarray | None = None
    capacity: np.ndarray | None = None
    energy_budget: float | None = None
    latency_budget: int | None = None
    tick_s: float | None = None
    known_optimum: int | None = None
    known_bounds: tuple[int, int] | None = None
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    # -- sizes and views -----------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.task_ids)

    @property
    def m(self) -> int:
        return len(self.pe_names)

    def allowed(self, i: int) -> list[int]:
        """PEs that may run task ``i`` (the arrays of a problem are treated as immutable: views are cached)."""
        return self._allowed[i]

    @cached_property
    def _allowed(self) -> tuple[list[int], ...]:
        return tuple([k for k in range(self.m) if self.exec_time[i, k] != NOT_ALLOWED] for i in range(self.n))

    @cached_property
    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(range(self.n))
        for idx, (i, j, v) in enumerate(self.edges):
            g.add_edge(i, j, volume=v, index=idx)
        return g

    @cached_property
    def topological_order(self) -> list[int]:
        return list(nx.lexicographical_topological_sort(self.graph))

    @cached_property
    def has_communication(self) -> bool:
        return any(c.any() for c in self.comm_time)

    @cached_property
    def identical_pe_groups(self) -> list[list[int]]:
        """Groups of PEs that are interchangeable: same kind, same columns of ``p``, ``e``, ``mem``,
        same capacity, and the same transfer times to and from every other PE."""
        groups: list[list[int]] = []
        for k in range(self.m):
            for grp in groups:
                if self._interchangeable(grp[0], k):
                    grp.append(k)
                    break
            else:
                groups.append([k])
        return groups

    def _interchangeable(self, a: int, b: int) -> bool:
        if self.pe_kinds[a] != self.pe_kinds[b]:
            return False
        if not (np.array_equal(self.exec_time[:, a], self.exec_time[:, b])
                and np.allclose(self.energy[:, a], self.energy[:, b])):
            return False
        if self.memory is not None and not np.array_equal(self.memory[:, a], self.memory[:, b]):
            return False
        if self.capacity is not None and self.capacity[a] != self.capacity[b]:
            return False
        perm = list(range(self.m))
        perm[a], perm[b] = b, a
        for c in self.comm_time + (self.comm_energy or ()):
            if not np.allclose(c, c[np.ix_(perm, perm)]):
                return False
        return True

    @cached_property
    def uniform_comm(self) -> bool:
        """True if every edge's transfer time is one value off the diagonal (e.g. Sinnen, STG)."""
        off = ~np.eye(self.m, dtype=bool)
        return all(len(set(c[off].tolist())) <= 1 for c in self.comm_time)

    def min_time(self, i: int) -> int:
        """Execution time of task ``i`` on its fastest allowed PE (ticks)."""
        return self._min_times[i]

    @cached_property
    def _min_times(self) -> tuple[int, ...]:
        return tuple(int(min(self.exec_time[i, k] for k in self.allowed(i))) for i in range(self.n))

    @cached_property
    def heads_and_tails(self) -> tuple[list[int], list[int]]:
        """Longest paths with every task at its fastest time and transfers free (ticks):
        ``head_i`` = before i starts, ``tail_i`` = after i ends. Valid bounds for every schedule."""
        return heads_and_tails(self.graph, self.topological_order, self.min_time)

    @cached_property
    def serial_horizon(self) -> int:
        """A makespan every schedule can meet: all tasks one after another at their slowest, plus all transfers."""
        slow = sum(max(self.exec_time[i, k] for k in self.allowed(i)) for i in range(self.n))
        return int(slow + sum(int(c.max()) for c in self.comm_time))

    def makespan_lower_bound(self) -> int:
        """max(critical path with each task at its fastest PE, ⌈Σ fastest times / m⌉, the fluid load bound of
        :mod:`edgedse.formulations.fluid_load_lp` on heterogeneous PEs) — no transfers."""
        head, tail = self.heads_and_tails
        cp = max((head[i] + self.min_time(i) + tail[i] for i in range(self.n)), default=0)
        load = -(-sum(self._min_times) // self.m)
        return int(max(cp, load, self._fluid_load))

    @cached_property
    def _fluid_load(self) -> int:
        """The fluid LP's bound (ticks), computed once; 0 where every task runs equally fast on every PE (then
        it equals ⌈Σ times / m⌉, the load bound)."""
        uniform = all(len(self.allowed(i)) == self.m and len({int(self.exec_time[i, k]) for k in range(self.m)}) == 1
                      for i in range(self.n))
        if uniform:
            return 0
        from edgedse.formulations.fluid_load_lp import fluid_makespan_bound

        return fluid_makespan_bound(self)

    def validate(self) -> None:
        """Check the obvious infeasibilities before solving; errors name the constraint family."""
        src = self.source or self.name
        if not nx.is_directed_acyclic_graph(self.graph):
            cyc = nx.find_cycle(self.graph)
            raise InputError(src, f"precedence edge {self.task_ids[cyc[0][0]]} → {self.task_ids[cyc[0][1]]}",
                             "the task graph has a cycle", "remove the cycle (precedences must form a DAG)")
        for i in range(self.n):
            row = self.exec_time[i]
            if not self.allowed(i):
                raise InfeasibleError("assignment", f"task {self.task_ids[i]!r} cannot run on any PE")
            if any(row[k] < 0 and row[k] != NOT_ALLOWED for k in range(self.m)):
                raise InputError(src, f"task {self.task_ids[i]!r}", "has a negative execution time",
                                 "execution times must be ≥ 0")
        if self.memory is not None and self.capacity is not None:
            for i in range(self.n):
                fits = [k for k in self.allowed(i) if not self.capacity[k] or self.memory[i, k] <= self.capacity[k]]
                if not fits:
                    raise InfeasibleError("memory", f"task {self.task_ids[i]!r} needs more memory than any "
                                                    "allowed PE's capacity")
        if self.energy_budget is not None:
            floor = sum(min(self.energy[i, k] for k in self.allowed(i)) for i in range(self.n))
            if floor > self.energy_budget * (1 + 1e-12):
                raise InfeasibleError("energy_budget", f"even the cheapest mapping needs {floor:.6g} J "
                                                       f"> budget {self.energy_budget:.6g} J")
        if self.latency_budget is not None and self.latency_budget < self.makespan_lower_bound():
            unit = "ticks" if self.tick_s is None else f"ticks = {self.makespan_lower_bound() * self.tick_s:.6g} s"
            raise InfeasibleError("latency_budget", f"every schedule needs at least {self.makespan_lower_bound()} "
                                                    f"{unit} (critical path / load bound) > latency_budget_s "
                                                    f"{self.latency_budget} ticks; raise latency_budget_s")
