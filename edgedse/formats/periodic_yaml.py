"""YAML instances → :class:`PeriodicProblem` (``--objective period``).

The instance keys are those of :mod:`edgedse.formats.instance_yaml`, plus:

* ``firing_options: [1, 2, 4]`` — allowed numbers of CalculateLayer firings per layer; layer ``l`` may
  use every option that divides its filter count ``F_l`` (aggregationFactor ``F_l / option``). Absent:
  ``[firings_per_layer]``. ``aggregation: {layer: a}`` pins a layer to one aggregationFactor.
* ``baseline: {conv: ce, fc: arm, default: arm}`` — the reference mapping: op class → PE kind (each
  layer at its default aggregation — or the fewest firings that kind can run — spread over the kind's
  instances, least-loaded first).
* ``period_budget_s`` — optional upper bound on the period (every periodic formulation keeps it).
* ``latency_budget_s`` — optional deadline on the latency (one iteration's span, seconds). It is the default
  ``latency_cap_s`` of :func:`edgedse.api.schedule_periodic` (``edgedse schedule --objective period``; the
  tighter of the two when both are given). Where no deadline applies (``--period-energy``, ``--period-cap``,
  fronts) the results say whether they meet it (``latency_budget_met``).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from edgedse.errors import InputError
from edgedse.formats.instance_yaml import InstanceSpec, read_spec
from edgedse.models.periodic import BUS_UNITS_PER_TICK, NOT_ALLOWED, Mapping, Mode, PeriodicLayer, PeriodicProblem
from edgedse.models.problems import ticks_at_most


def read_periodic_instance(path: str | Path) -> PeriodicProblem:
    path = Path(path)
    return build_periodic_problem(read_spec(path), base=path.parent, source=str(path), default_name=path.stem)


def _options(spec: InstanceSpec, actor, source: str) -> list[int]:
    """Allowed aggregationFactor values of one CalculateLayer actor."""
    f = actor.data["F"]
    pinned = spec.aggregation.get(actor.layer, spec.aggregation.get(actor.data["param"]))
    if pinned is not None:
        if pinned < 1 or f % pinned:
            raise InputError(source, f"aggregation.{actor.layer}",
                             f"aggregationFactor {pinned} of {actor.name} ({actor.data['param']}) does not divide its "
                             f"numOfFilters {f}", f"use a divisor of {f}")
        return [pinned]
    options = spec.firing_options or [spec.firings_per_layer]
    values = sorted({f // q for q in options if q >= 1 and f % q == 0}, reverse=True)
    return values or [f]


def build_periodic_problem(spec: InstanceSpec, base: Path = Path("."), source: str = "<instance>",
                           default_name: str = "instance") -> PeriodicProblem:
    from edgedse.models.aow import dnn_to_pisdf
    from edgedse.models.architecture import load_architecture
    from edgedse.models.costs import cost_table, firing_work
    from edgedse.models.dnn import merge_into_producers, to_bytes
    from edgedse.models.onnx_import import load_onnx

    lg = load_onnx(base / spec.model)
    if spec.merge_activations:
        lg = merge_into_producers(lg)
    arch = load_architecture(base / spec.architecture)
    pisdf = dnn_to_pisdf(lg, spec.bits, merge_activations=False)
    actors = [a for a in pisdf.actors.values() if a.kind == "CalculateLayer"]
    actors.sort(key=lambda a: a.data["index"])
    for key in spec.aggregation:
        if key not in {a.layer for a in actors} and key not in pisdf.parameters:
            raise InputError(source, f"aggregation.{key}", "is neither a PiSDF parameter nor a layer",
                             "use a layer name (see `edgedse inspect MODEL`) or a_<index>")
    options = {a.name: _options(spec, a, source) for a in actors}
    instances = arch.pe_instances()
    kinds = [pe.name for _, pe in instances]
    m = len(instances)
    shared = arch.shared_memory()
    tick = spec.tick_s
    local = np.array([arch.memory(pe.local_memory).capacity_bytes if pe.local_memory else 0
                      for _, pe in instances], dtype=np.int64)
    modes: dict[str, list[Mode]] = {a.name: [] for a in actors}
    depth = max(len(v) for v in options.values())
    for level in range(depth):  # resolve the graph once per option level; layers with fewer options repeat their last
        values = {a.data["param"]: options[a.name][min(level, len(options[a.name]) - 1)] for a in actors}
        sdf = pisdf.resolve(values)
        table = cost_table(sdf, lg, arch, spec.bits, spec.overrides, source=source)
        for a in actors:
            agg = values[a.data["param"]]
            if any(md.aggregation == agg for md in modes[a.name]):
                continue
            work = firing_work(a.name, sdf, lg, spec.bits)
            time = np.full(m, NOT_ALLOWED, dtype=np.int64)
            energy = np.zeros(m)
            memory = np.zeros(m, dtype=np.int64)
            for k, kind in enumerate(kinds):
                sc = table[a.name].get(kind)
                memory[k] = sc.memory_bytes if sc else work.memory_bytes
                if sc is None or (spec.memory_limits and local[k] and sc.memory_bytes > local[k]):
                    continue
                time[k] = math.ceil(sc.time_s / tick - 1e-9)
                energy[k] = sc.energy_j
            bus = math.ceil(BUS_UNITS_PER_TICK * work.bytes_moved / (shared.bandwidth_bytes_per_s * tick) - 1e-9)
            modes[a.name].append(Mode(agg, a.data["F"] // agg, time, energy, bus, float(work.bytes_moved), memory))
    # a mode no PE can run (e.g. too big for every local memory) is dropped; if none is left the
    # problem keeps them all so that validate() names the layer and the memory it needs
    usable = {name: [md for md in mds if md.allowed()] or mds for name, mds in modes.items()}
    layers = tuple(PeriodicLayer(a.name, a.layer, str(lg.layer(a.layer).op_class.value), a.data["param"],
                                 tuple(usable[a.name]), float(lg.layer(a.layer).output_bytes(spec.bits)))
                   for a in actors)
    index = {a.layer: i for i, a in enumerate(actors)}
    edges = tuple((index[u], index[v]) for u, v in lg.graph.edges)
    bw = np.full((m, m), np.inf)
    lat = np.zeros((m, m))
    for k in range(m):
        for l in range(m):
            link = arch.link_between(kinds[k], kinds[l])
            if link is not None:
                bw[k, l], lat[k, l] = link.bandwidth_bytes_per_s, link.latency_s
            else:  # through the shared memory: write then read
                bw[k, l] = shared.bandwidth_bytes_per_s / 2
    weights = sum(layer.weight_bytes(spec.bits) for layer in lg.layers())
    acts = sum(layer.output_bytes(spec.bits) for layer in lg.layers()) + sum(
        to_bytes(math.prod(shape), spec.bits) for shape in lg.inputs.values())
    problem = PeriodicProblem(
        name=spec.name or default_name, layers=layers, edges=edges, pe_names=tuple(n for n, _ in instances),
        pe_kinds=tuple(kinds), link_bandwidth=bw, link_latency=lat, tick_s=tick,
        bus_bandwidth=shared.bandwidth_bytes_per_s, shared_memory=shared.name,
        shared_capacity=int(shared.capacity_bytes), weight_bytes=int(weights), activation_bytes=int(acts),
        local_capacity=local, baseline_rule=dict(spec.baseline or {}),
        period_budget=ticks_at_most(spec.period_budget_s, tick),
        latency_budget=ticks_at_most(spec.latency_budget_s, tick),
        source=source, meta={"bits": spec.bits, "model": spec.model, "architecture": spec.architecture})
    if spec.baseline:
        import dataclasses
        problem = dataclasses.replace(problem, baseline=baseline_mapping(problem, spec, source))
    return problem


def baseline_mapping(problem: PeriodicProblem, spec: InstanceSpec, source: str) -> Mapping:
    """The reference mapping: each layer at its default aggregation (``firings_per_layer`` where it divides
    F, else one firing) on the PE kind its op class names; firings longest-first onto the least-loaded
    instance of that kind."""
    rule = spec.baseline or {}
    kinds = problem.pe_kinds
    load = np.zeros(problem.m, dtype=np.int64)
    modes, pes = [], []
    for ly in problem.layers:
        kind = rule.get(ly.op_class, rule.get("default"))
        if kind is None or kind not in kinds:
            raise InputError(source, f"baseline.{ly.op_class}", f"names no PE kind for {ly.actor} ({ly.layer})",
                             f"map op class {ly.op_class!r} (or 'default') to one of {sorted(set(kinds))}")
        runnable = [i for i, md in enumerate(ly.modes)
                    if any(kinds[k] == kind and md.time[k] != NOT_ALLOWED for k in range(problem.m))]
        if not runnable:
            raise InputError(source, f"baseline.{ly.op_class}", f"PE kind {kind!r} cannot run {ly.actor} ({ly.layer})",
                             "map that op class to a PE kind that supports it (or allow more firings per layer)")
        # the default aggregation, else the fewest firings the kind can run (e.g. to fit a local memory)
        want = next((i for i in runnable if ly.modes[i].firings == spec.firings_per_layer),
                    min(runnable, key=lambda i: ly.modes[i].firings))
        md = ly.modes[want]
        cands = [k for k in range(problem.m) if kinds[k] == kind and md.time[k] != NOT_ALLOWED]
        chosen = []
        for _ in range(md.firings):
            k = min(cands, key=lambda c: (load[c], c))
            load[k] += md.time[k]
            chosen.append(k)
        modes.append(want)
        pes.append(tuple(chosen))
    return Mapping(tuple(modes), tuple(pes))
