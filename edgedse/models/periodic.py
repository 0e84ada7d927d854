"""Pipelined (periodic) mapping of an AOW PiSDF graph — the problem as plain data.

One iteration of the graph (one frame) is repeated every period ``P`` (ticks). Its *layers* are the
CalculateLayer actors; each layer ``l`` has *modes* ``a ∈ A_l``: the allowed aggregationFactor values,
mode ``a`` meaning ``q_{l,a} = F_l / a`` firings, each computing ``a`` output channels. Broadcast,
ReadWeights, Input and Output are folded into the CalculateLayer firings: a firing streams its input,
its ``a/F`` share of the weights and writes its share of the output, which its roofline time, energy
and bus bytes already count (ALOHA D3 §6.2; see :mod:`edgedse.models.aow`).

Notation (ticks are ``tick_s`` seconds):

* ``d[l,a,k]`` time of one firing of layer ``l`` in mode ``a`` on PE ``k`` (``NOT_ALLOWED`` = −1 if the
  PE lacks the op class or the firing's working set exceeds the PE's local memory);
* ``e[l,a,k]`` energy of that firing (J); ``b[l,a]`` its bytes over the shared bus/DDR, measured as bus
  occupancy ``β[l,a]`` in milliticks (``ceil(1000 · bytes / (bandwidth · tick_s))``);
* precedence ``(u, v)`` between layers: every firing of ``v`` reads the whole output of ``u`` (the
  Broadcast actor), so each firing of ``v`` starts after every firing of ``u`` has ended and its share
  of the data has been transferred (``link time(k, l, bytes)``, zero on the same PE);
* shared-memory residency: all weights plus ``activation_bytes`` per iteration in flight.

A periodic schedule gives each firing a PE and a start ``s`` (ticks, iteration 0); iteration ``t``
repeats it at ``s + t·P``. Valid when on every PE the firings' occupations ``[s mod P, s mod P + d)``
do not overlap on the circle of length ``P``, every precedence holds, the bus carries
``Σ β ≤ 1000·P`` per period, and the in-flight iterations fit the shared memory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property

import networkx as nx
import numpy as np

from edgedse.errors import InfeasibleError, InputError
from edgedse.models.problems import heads_and_tails

NOT_ALLOWED = -1
BUS_UNITS_PER_TICK = 1000  # bus occupancy is counted in milliticks


@dataclass(frozen=True)
class Mode:
    """One aggregationFactor value of a layer: ``firings`` firings of ``aggregation`` channels each."""

    aggregation: int
    firings: int
    time: np.ndarray           # (m,) ticks per firing, NOT_ALLOWED where the PE cannot run it
    energy: np.ndarray         # (m,) J per firing
    bus: int                   # bus occupancy per firing (milliticks)
    bus_bytes: float           # bytes per firing over the shared bus
    memory: np.ndarray         # (m,) working set of one firing (bytes)

    def allowed(self) -> list[int]:
        return [k for k in range(len(self.time)) if self.time[k] != NOT_ALLOWED]


@dataclass(frozen=True)
class PeriodicLayer:
    """A CalculateLayer actor with its allowed modes."""

    actor: str                 # e.g. "CalculateLayer_3"
    layer: str                 # ONNX layer name
    op_class: str
    param: str                 # the PiSDF aggregation parameter, e.g. "a_3"
    modes: tuple[Mode, ...]
    output_bytes: float        # bytes of the layer's whole output (one iteration)


@dataclass(frozen=True)
class Firing:
    layer: int                 # index into PeriodicProblem.layers
    index: int                 # 0 .. q-1
    pe: int
    start: int                 # ticks, iteration 0


@dataclass(frozen=True)
class Mapping:
    """Modes and PEs only (no times): ``pes[l][f]`` is the PE of firing f of layer l."""

    modes: tuple[int, ...]
    pes: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class PeriodicSchedule:
    """Decisions only: the mode (index into the layer's modes) of every layer and every firing's PE
    and start; the period is part of the solution, and the evaluator checks it."""

    modes: tuple[int, ...]
    firings: tuple[Firing, ...]
    period: int


def firings_in_start_order(sch: "PeriodicSchedule") -> dict[tuple[int, int], Firing]:
    """``(layer, q) → firing`` with each layer's firings renumbered by start (the order the exact
    formulations' symmetry breaking imposes on identical firings)."""
    out = {}
    for l in sorted({f.layer for f in sch.firings}):
        mine = sorted((f for f in sch.firings if f.layer == l), key=lambda f: (f.start, f.pe))
        out.update({(l, q): f for q, f in enumerate(mine)})
    return out


@dataclass(frozen=True)
class PeriodicProblem:
    name: str
    layers: tuple[PeriodicLayer, ...]
    edges: tuple[tuple[int, int], ...]          # (u, v) layer indices
    pe_names: tuple[str, ...]
    pe_kinds: tuple[str, ...]
    link_bandwidth: np.ndarray                  # (m, m) bytes/s between PEs (diagonal unused)
    link_latency: np.ndarray                    # (m, m) s
    tick_s: float
    bus_bandwidth: float                        # bytes/s of the shared bus/DDR
    shared_memory: str
    shared_capacity: int                        # bytes
    weight_bytes: int                           # resident in shared memory
    activation_bytes: int                       # feature maps of one iteration in shared memory
    local_capacity: np.ndarray                  # (m,) bytes of each PE's local memory (0 = none / unlimited)
    baseline: Mapping | None = None             # the instance's reference mapping
    baseline_rule: dict = field(default_factory=dict, compare=False, hash=False)
    period_budget: int | None = None            # ticks
    latency_budget: int | None = None           # ticks: a deadline on one iteration's span (the API's default)
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def m(self) -> int:
        return len(self.pe_names)

    @cached_property
    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(range(self.n_layers))
        g.add_edges_from(self.edges)
        return g

    @cached_property
    def predecessors(self) -> dict[int, list[int]]:
        """Layer → the layers it reads (the producers of its incoming edges, in ``edges`` order)."""
        return {v: [u for u, w in self.edges if w == v] for v in range(self.n_layers)}

    @cached_property
    def topological_order(self) -> list[int]:
        return list(nx.lexicographical_topological_sort(self.graph))

    def least_span(self, layer: int) -> int:
        """Ticks: a lower bound on the span of one iteration's firings of ``layer`` (first start to last end) —
        over the modes, the longer of one firing and the firings' work spread evenly over the PEs allowed (a PE
        runs one iteration's firings one after another)."""
        spans = []
        for mode in self.layers[layer].modes:
            times = [int(mode.time[k]) for k in mode.allowed()]
            if times:
                spans.append(max(min(times), math.ceil(mode.firings * min(times) / len(times))))
        return min(spans, default=0)

    @cached_property
    def heads_and_tails(self) -> tuple[list[int], list[int]]:
        """Longest paths of :meth:`least_span` with transfers free (ticks): ``head_l`` = before layer l's first
        start, ``tail_l`` = after its last end. Valid bounds for every schedule, times from the first start."""
        return heads_and_tails(self.graph, self.topological_order, self.least_span)

    def critical_path_bound(self) -> int:
        """Ticks: a lower bound on the latency of every schedule, whatever its period — the longest path of
        :meth:`least_span` with transfers free (:attr:`heads_and_tails`). Cheap; the layer-span relaxation
        (:func:`~edgedse.solvers.periodic_deadline.least_latency_bound`) proves a larger one."""
        head, _ = self.heads_and_tails
        return max((head[l] + self.least_span(l) for l in range(self.n_layers)), default=0)

    @cached_property
    def interchangeable_pe_groups(self) -> tuple[tuple[int, ...], ...]:
        """Groups (two PEs or more, ascending) of interchangeable PEs: swapping two of them maps the problem onto
        itself — same kind, local memory, and every mode's firing time, energy and working set there, and the
        same links to and from every other PE. Relabelling PEs within a group therefore maps every schedule to
        one with the same period, latency, energy, bus and memory use: what the formulations' symmetry breaking
        (CP-SAT's stage 1 orders the loads within a group, :func:`canonical_mapping` relabels a mapping to
        that order) and the pipeline-stage orders rely on."""
        def swappable(k: int, j: int) -> bool:
            perm = list(range(self.m))
            perm[k], perm[j] = j, k
            same_links = all(np.array_equal(a, a[np.ix_(perm, perm)]) for a in (self.link_bandwidth,
                                                                                  self.link_latency))
            same_modes = all(md.time[k] == md.time[j] and md.energy[k] == md.energy[j]
                             and md.memory[k] == md.memory[j] for ly in self.layers for md in ly.modes)
            return (self.pe_kinds[k] == self.pe_kinds[j] and self.local_capacity[k] == self.local_capacity[j]
                    and same_links and same_modes)

        groups: list[list[int]] = []
        for k in range(self.m):
            home = next((g for g in groups if swappable(g[0], k)), None)
            if home is None:
                groups.append([k])
            else:
                home.append(k)
        return tuple(tuple(g) for g in groups if len(g) > 1)

    def comm_ticks(self, k: int, l: int, volume: float) -> int:
        """Ticks to move ``volume`` bytes from PE k to PE l (0 on the same PE or for no data)."""
        if k == l or volume <= 0:
            return 0
        return math.ceil((volume / self.link_bandwidth[k, l] + self.link_latency[k, l]) / self.tick_s - 1e-9)

    def edge_volume(self, u: int, mode_u: int) -> float:
        """Bytes one firing of layer ``u`` (in mode ``mode_u``) hands each consumer firing: its output share."""
        return self.layers[u].output_bytes / self.layers[u].modes[mode_u].firings

    def firing_id(self, layer: int, index: int, mode: int) -> str:
        q = self.layers[layer].modes[mode].firings
        return self.layers[layer].actor if q == 1 else f"{self.layers[layer].actor}#{index}"

    def firing_precedences(self, modes):
        """Yield ``((u, fu), (v, fv), volume)`` for every firing pair an edge orders, given the modes:
        each firing of ``v`` reads ``volume`` bytes from each firing of its producer ``u``."""
        for u, v in self.edges:
            vol = self.edge_volume(u, modes[u])
            for fu in range(self.layers[u].modes[modes[u]].firings):
                for fv in range(self.layers[v].modes[modes[v]].firings):
                    yield (u, fu), (v, fv), vol

    def max_iterations_in_flight(self) -> int | None:
        """How many iterations' feature maps fit beside the weights in shared memory (None: unlimited)."""
        if not self.activation_bytes:
            return None
        return (self.shared_capacity - self.weight_bytes) // self.activation_bytes

    def prefix(self, n_layers: int) -> "PeriodicProblem":
        """The first ``n_layers`` layers in topological order, with the edges among them, renumbered in that
        order — the same graph cut short, for scaling studies (``benchmarks/latency_certification.py``).
        PEs, links, bus and costs are unchanged; so are the shared-memory figures (the whole network's
        weights and feature maps stay resident, which can only lower the iterations in flight); the baseline
        mapping keeps its kept layers' modes and PEs; the period and latency budgets are dropped."""
        if not 1 <= n_layers <= self.n_layers:
            raise ValueError(f"{self.name}: a prefix needs 1..{self.n_layers} layers, not {n_layers}")
        kept = self.topological_order[:n_layers]
        index = {l: i for i, l in enumerate(kept)}
        edges = tuple((index[u], index[v]) for u, v in self.edges if u in index and v in index)
        baseline = self.baseline
        if baseline is not None:
            baseline = Mapping(tuple(baseline.modes[l] for l in kept), tuple(baseline.pes[l] for l in kept))
        return replace(self, name=f"{self.name}[:{n_layers}]", layers=tuple(self.layers[l] for l in kept),
                       edges=edges, baseline=baseline, period_budget=None, latency_budget=None)

    # -- bounds -------------------------------------------------------------------------------
    def resource_bound(self) -> int:
        """The resource bound (ticks): work over capacity, per PE and for the bus, with each layer's work split
        over its modes and PEs in the best proportions — the fluid LP of
        :mod:`edgedse.formulations.fluid_load_lp` (HiGHS, computed once). It is at least the even spread of
        the least total work over all PEs (each layer in its cheapest mode at its fastest PE, divided by m) and
        the least bus occupancy per iteration, which are kept as a floor."""
        return self._resource_bound

    @cached_property
    def _resource_bound(self) -> int:
        from edgedse.formulations.fluid_load_lp import fluid_period_bound

        work = sum(min(md.firings * min(md.time[k] for k in md.allowed()) for md in ly.modes) for ly in self.layers)
        bus = sum(min(md.firings * md.bus for md in ly.modes) for ly in self.layers)
        return max(math.ceil(work / self.m), math.ceil(bus / BUS_UNITS_PER_TICK), fluid_period_bound(self))

    def cycle_bound(self) -> int:
        """The graph's cycle bound. A DNN's PiSDF has no cycles with delays between actors; each firing
        is a cycle of itself (one firing of an actor at a time per iteration slot), so P ≥ the longest
        firing at its best mode and PE."""
        return max(min(min(md.time[k] for k in md.allowed()) for md in ly.modes) for ly in self.layers)

    def lower_bound(self) -> int:
        return max(self.resource_bound(), self.cycle_bound())

    def validate(self) -> None:
        """Obvious infeasibility, before any solver runs: named by constraint family."""
        for ly in self.layers:
            if not any(md.allowed() for md in ly.modes):
                need = min(int(md.memory.min()) for md in ly.modes)
                raise InfeasibleError("memory", f"{ly.actor} ({ly.layer}) fits no PE's local memory in any "
                                      f"aggregationFactor: its smallest firing needs {need:,} bytes")
        if self.weight_bytes + self.activation_bytes > self.shared_capacity:
            raise InfeasibleError("memory", f"weights ({self.weight_bytes:,} B) and one iteration's feature maps "
                                  f"({self.activation_bytes:,} B) exceed {self.shared_memory} "
                                  f"({self.shared_capacity:,} B)")
        if self.period_budget is not None and self.period_budget < self.lower_bound():
            raise InputError(self.source or self.name, "period_budget_s",
                             f"{self.period_budget * self.tick_s:.6g} s is below the lower bound "
                             f"{self.lower_bound() * self.tick_s:.6g} s "
                             f"(resource {self.resource_bound() * self.tick_s:.6g}"
                             f" s, cycle {self.cycle_bound() * self.tick_s:.6g} s)",
                             "raise the budget to at least the lower bound")
        if self.latency_budget is not None and self.latency_budget < self.critical_path_bound():
            least = self.critical_path_bound() * self.tick_s
            raise InputError(self.source or self.name, "latency_budget_s",
                             f"{self.latency_budget * self.tick_s:.6g} s is below the least latency of any "
                             f"schedule, {least:.6g} s (the critical path of the layers' least spans)",
                             f"raise the budget to at least {least:.6g} s")


def pe_loads(problem: PeriodicProblem, mapping: Mapping) -> list[int]:
    """Ticks of work per period on each PE: ``Σ d[l, a_l, k]`` over the firings the mapping puts on k."""
    load = [0] * problem.m
    for l, (a, pes) in enumerate(zip(mapping.modes, mapping.pes)):
        for k in pes:
            load[k] += int(problem.layers[l].modes[a].time[k])
    return load


def mapping_min_period(problem: PeriodicProblem, mapping: Mapping) -> int:
    """max(PE loads, ⌈bus occupancy⌉, longest firing) in ticks."""
    bus, longest = 0, 0
    for l, (a, pes) in enumerate(zip(mapping.modes, mapping.pes)):
        md = problem.layers[l].modes[a]
        bus += md.bus * md.firings
        longest = max([longest] + [int(md.time[k]) for k in pes])
    return int(max(max(pe_loads(problem, mapping), default=0), math.ceil(bus / BUS_UNITS_PER_TICK), longest, 1))


def schedule_mapping(modes, firings) -> Mapping:
    """The :class:`Mapping` (modes, each firing's PE by firing index) of a schedule's ``modes`` and ``firings``."""
    pes: dict[int, list[int]] = {}
    for f in sorted(firings, key=lambda f: (f.layer, f.index)):
        pes.setdefault(f.layer, []).append(f.pe)
    return Mapping(tuple(modes), tuple(tuple(pes.get(l, ())) for l in range(len(modes))))


def canonical_mapping(problem: PeriodicProblem, mapping: Mapping) -> Mapping:
    """``mapping`` with the PEs of each interchangeable group relabelled by non-increasing load (same period
    bound, energy and bus use): the order the formulations' symmetry breaking imposes."""
    load = pe_loads(problem, mapping)
    new_pe = list(range(problem.m))
    for group in problem.interchangeable_pe_groups:
        for slot, k in zip(group, sorted(group, key=lambda k: -load[k])):  # ties keep their order
            new_pe[k] = slot
    return replace(mapping, pes=tuple(tuple(new_pe[k] for k in ks) for ks in mapping.pes))
