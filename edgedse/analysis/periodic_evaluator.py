"""Independent check of a periodic (pipelined) schedule: recompute period metrics from the decisions.

Given a :class:`PeriodicSchedule` (modes, each firing's PE and start, the claimed period ``P``), check:

* **modes** — every layer has a valid mode index and exactly its ``q`` firings, indices 0..q−1;
* **mapping** — each firing on a PE that may run it (op class, local memory);
* **period** — ``d ≤ P`` for every firing, and on every PE the occupations ``[s mod P, s mod P + d)``
  do not overlap on the circle of length ``P`` (wrap-around allowed);
* **precedence** — every firing of ``v`` starts after every firing of each producer ``u`` ended and its
  output share arrived (``comm_ticks``);
* **bandwidth** — steady state: the bus occupancy of one iteration fits one period
  (``Σ β ≤ 1000·P`` milliticks);
* **memory** — the in-flight iterations (``⌈latency / P⌉``) fit the shared memory beside the weights.

Raises :class:`~edgedse.analysis.evaluator.InvalidSolution` with the violated kind; returns
:class:`PeriodicMetrics` otherwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from edgedse.analysis.evaluator import InvalidSolution
from edgedse.models.periodic import BUS_UNITS_PER_TICK, NOT_ALLOWED, PeriodicProblem, PeriodicSchedule


@dataclass(frozen=True)
class PeriodicMetrics:
    period: int                   # ticks
    latency: int                  # ticks: last end − first start of one iteration
    energy_j: float               # per iteration
    busy: tuple[int, ...]         # ticks per period per PE
    bus_load: float               # ticks per period on the shared bus
    iterations_in_flight: int
    min_period: int               # the least period this mapping allows: max(PE loads, bus, longest firing)

    def utilization(self) -> tuple[float, ...]:
        return tuple(b / self.period for b in self.busy)


def evaluate_periodic(problem: PeriodicProblem, sch: PeriodicSchedule) -> PeriodicMetrics:
    p = problem
    P = int(sch.period)
    if P <= 0:
        raise InvalidSolution("period", f"period {P} must be positive")
    if len(sch.modes) != p.n_layers:
        raise InvalidSolution("modes", f"{len(sch.modes)} modes given for {p.n_layers} layers")
    for l, a in enumerate(sch.modes):
        if not 0 <= a < len(p.layers[l].modes):
            raise InvalidSolution("modes", f"{p.layers[l].actor}: mode {a} does not exist")
    by_layer: dict[int, list] = {l: [] for l in range(p.n_layers)}
    for f in sch.firings:
        if not 0 <= f.layer < p.n_layers:
            raise InvalidSolution("modes", f"firing of unknown layer {f.layer}")
        by_layer[f.layer].append(f)
    energy, busy, bus = 0.0, [0] * p.m, 0
    ends: dict[int, list[tuple[int, int]]] = {}
    for l, firings in by_layer.items():
        ly, md = p.layers[l], p.layers[l].modes[sch.modes[l]]
        if sorted(f.index for f in firings) != list(range(md.firings)):
            raise InvalidSolution("modes", f"{ly.actor} in aggregationFactor {md.aggregation} needs firings "
                                  f"0..{md.firings - 1}, got {sorted(f.index for f in firings)}")
        for f in firings:
            if not 0 <= f.pe < p.m or md.time[f.pe] == NOT_ALLOWED:
                raise InvalidSolution("mapping", f"{p.firing_id(l, f.index, sch.modes[l])} cannot run on PE {f.pe}")
            d = int(md.time[f.pe])
            if d > P:
                raise InvalidSolution("period", f"{p.firing_id(l, f.index, sch.modes[l])} lasts {d} > period {P}")
            if f.start < 0:
                raise InvalidSolution("precedence", f"{p.firing_id(l, f.index, sch.modes[l])} starts before 0")
            energy += float(md.energy[f.pe])
            busy[f.pe] += d
            bus += md.bus
        ends[l] = [(f.pe, f.start + int(md.time[f.pe])) for f in firings]
    for k in range(p.m):
        occ = []
        for f in sch.firings:
            if f.pe == k:
                d = int(p.layers[f.layer].modes[sch.modes[f.layer]].time[k])
                if d:
                    occ.append((f.start % P, d, p.firing_id(f.layer, f.index, sch.modes[f.layer])))
        occ.sort()
        for q in range(len(occ) if len(occ) > 1 else 0):
            (r1, d1, n1), (r2, _, n2) = occ[q], occ[(q + 1) % len(occ)]
            next_start = r2 if q + 1 < len(occ) else r2 + P  # the first firing again, one period later
            if r1 + d1 > next_start:
                raise InvalidSolution("period", f"on {p.pe_names[k]}: {n1} [{r1}, {r1 + d1}) overlaps {n2} "
                                      f"at residue {r2} modulo the period {P}")
    for u, v in p.edges:
        vol = p.edge_volume(u, sch.modes[u])
        for f in by_layer[v]:
            for pe_u, end_u in ends[u]:
                ready = end_u + p.comm_ticks(pe_u, f.pe, vol)
                if f.start < ready:
                    raise InvalidSolution("precedence", f"{p.firing_id(v, f.index, sch.modes[v])} starts at {f.start} "
                                          f"before its input from {p.layers[u].actor} arrives at {ready}")
    if bus > BUS_UNITS_PER_TICK * P:
        raise InvalidSolution("bandwidth", f"the bus carries {bus / BUS_UNITS_PER_TICK:.3f} ticks of transfers per "
                              f"iteration, more than the period {P}")
    starts = [f.start for f in sch.firings]
    latency = max(e for l in ends for _, e in ends[l]) - min(starts) if starts else 0
    in_flight = max(1, math.ceil(latency / P))
    if p.weight_bytes + in_flight * p.activation_bytes > p.shared_capacity:
        raise InvalidSolution("memory", f"{in_flight} iterations in flight need {p.weight_bytes:,} B of weights + "
                              f"{in_flight} × {p.activation_bytes:,} B of feature maps > {p.shared_memory} "
                              f"({p.shared_capacity:,} B)")
    longest = max((int(p.layers[f.layer].modes[sch.modes[f.layer]].time[f.pe]) for f in sch.firings), default=0)
    min_period = max(max(busy), math.ceil(bus / BUS_UNITS_PER_TICK), longest)
    return PeriodicMetrics(P, latency, energy, tuple(busy), bus / BUS_UNITS_PER_TICK, in_flight, min_period)
