"""YAML scheduling instances: an ONNX model on an architecture, expanded through the AOW PiSDF model.

Example (``instances/resnet18_mpsoc4.yaml``)::

    name: resnet18_mpsoc4
    model: models/resnet18.onnx             # paths relative to this file
    architecture: architectures/mpsoc4.yaml
    bits: 16
    tick_s: 1.0e-5                          # time resolution of the schedule (s)
    firings_per_layer: 1                    # default aggregationFactor = F / this (where it divides F)
    aggregation: {}                         # PiSDF parameter (a_3) or layer name → aggregationFactor
    overrides: {}                           # actor or layer → PE kind → {time_s, energy_j, memory_bytes} | null
    memory_limits: false                    # true: a PE's local memory bounds the bytes of tasks mapped on it
    energy_budget_j: null                   # J per inference, every method stays within it
    latency_budget_s: null                  # s: a deadline on the makespan (one inference), every method meets
                                            # it; pipelined mapping: see edgedse/formats/periodic_yaml.py

Compilation: ONNX → layer graph → PiSDF (aggregation chosen) → SDF → one iteration as a DAG. The DAG's
tasks are the CalculateLayer and ReadWeights firings; Broadcast, Input and Output move no data of their
own and are contracted (a producer firing sends a consumer firing the share of its output that the
consumer reads). Times come from the cost table (roofline unless overridden) in ticks, rounded up;
a transfer between PEs of kinds a, b takes ``volume / link bandwidth + latency`` (0 on the same PE).
"""
from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edgedse.errors import InputError, read_yaml, validated
from edgedse.models.problems import NOT_ALLOWED, ScheduleProblem, ticks_at_most

CONTRACTED = ("Broadcast", "Input", "Output")


class InstanceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    model: str
    architecture: str
    bits: int = Field(16, ge=1, le=32)
    tick_s: float = Field(1e-5, gt=0)
    aggregation: dict[str, int] = Field(default_factory=dict)
    firings_per_layer: int = Field(1, ge=1)
    overrides: dict[str, dict[str, dict[str, float] | None]] = Field(default_factory=dict)
    memory_limits: bool = False
    energy_budget_j: float | None = Field(None, gt=0)
    merge_activations: bool = True
    description: str = ""
    # pipelined (periodic) mapping, ``--objective period``
    firing_options: list[int] | None = None   # allowed CalculateLayer firings per layer (F / aggregationFactor)
    baseline: dict[str, str] | None = None     # op class → PE kind of the reference mapping
    period_budget_s: float | None = Field(None, gt=0)
    latency_budget_s: float | None = Field(None, gt=0)


def read_spec(path: str | Path) -> InstanceSpec:
    """Read and validate an instance YAML file (errors name the file and the key)."""
    return validated(InstanceSpec, read_yaml(path, "an instance .yaml"), path,
                     "see the instance keys in edgedse/formats/instance_yaml.py")


def read_instance(path: str | Path) -> ScheduleProblem:
    path = Path(path)
    return build_problem(read_spec(path), base=path.parent, source=str(path), default_name=path.stem)


def build_problem(spec: InstanceSpec, base: Path = Path("."), source: str = "<instance>",
                  default_name: str = "instance") -> ScheduleProblem:
    """Compile an :class:`InstanceSpec` into a :class:`ScheduleProblem` (see module docstring)."""
    from edgedse.models.aow import dnn_to_pisdf
    from edgedse.models.architecture import load_architecture
    from edgedse.models.costs import cost_table
    from edgedse.models.onnx_import import load_onnx

    lg = load_onnx(base / spec.model)
    arch = load_architecture(base / spec.architecture)
    pisdf = dnn_to_pisdf(lg, spec.bits, merge_activations=spec.merge_activations)
    by_layer = {a.layer: a.data["param"] for a in pisdf.actors.values() if a.kind == "CalculateLayer"}
    values = {}
    for actor in pisdf.actors.values():
        f = actor.data.get("F", 1)
        if actor.kind == "CalculateLayer" and spec.firings_per_layer > 1 and f % spec.firings_per_layer == 0:
            values[actor.data["param"]] = f // spec.firings_per_layer
    for key, v in spec.aggregation.items():
        param = key if key in pisdf.parameters else by_layer.get(key)
        if param is None:
            raise InputError(source, f"aggregation.{key}", "is neither a PiSDF parameter nor a layer",
                             f"use a layer name or one of a_0 … a_{len(pisdf.parameters) - 1}")
        values[param] = v
    sdf = pisdf.resolve(values)
    table = cost_table(sdf, lg, arch, spec.bits, spec.overrides, source=source)
    dag = contract(sdf.expand(), sdf)
    return dag_problem(dag, sdf, table, arch, spec, source, spec.name or default_name)


def contract(dag: nx.DiGraph, sdf) -> nx.DiGraph:
    """Remove Broadcast/Input/Output firings, joining producers to consumers with their share of bytes."""
    g = dag.copy()
    for node in list(g.nodes):
        if sdf.actors[node[0]].kind not in CONTRACTED:
            continue
        ins = [(u, d["bytes"]) for u, _, d in g.in_edges(node, data=True)]
        outs = [(w, d["bytes"]) for _, w, d in g.out_edges(node, data=True)]
        total_in = sum(b for _, b in ins) or 1
        for u, bu in ins:
            for w, bw in outs:
                vol = bu * bw / total_in
                prev = g.edges[u, w]["bytes"] if g.has_edge(u, w) else 0
                g.add_edge(u, w, bytes=prev + vol)
        g.remove_node(node)
    return g


def dag_problem(dag: nx.DiGraph, sdf, table, arch, spec: InstanceSpec, source: str, name: str) -> ScheduleProblem:
    order = list(nx.lexicographical_topological_sort(dag, key=lambda n: (n[0], n[1])))
    index = {node: i for i, node in enumerate(order)}
    q = sdf.repetition_vector()
    ids = [a if q[a] == 1 else f"{a}#{k}" for a, k in order]
    instances = arch.pe_instances()
    kinds = [pe.name for _, pe in instances]
    tick = spec.tick_s
    n, m = len(order), len(instances)
    exec_time = np.full((n, m), NOT_ALLOWED, dtype=np.int64)
    energy = np.zeros((n, m))
    memory = np.zeros((n, m), dtype=np.int64)
    for i, (actor, _) in enumerate(order):
        for k, kind in enumerate(kinds):
            sc = table[actor].get(kind)
            if sc is None:
                continue
            exec_time[i, k] = math.ceil(sc.time_s / tick - 1e-9)
            energy[i, k] = sc.energy_j
            memory[i, k] = sc.memory_bytes
    edges, comm, comm_e = [], [], []
    for u, w, d in dag.edges(data=True):
        vol = float(d["bytes"])
        ct = np.zeros((m, m), dtype=np.int64)
        ce = np.zeros((m, m))
        for k in range(m):
            for l in range(m):
                if k != l and vol > 0:
                    ct[k, l] = math.ceil(arch.transfer_time_s(kinds[k], kinds[l], vol) / tick - 1e-9)
                    link = arch.link_between(kinds[k], kinds[l])
                    ce[k, l] = vol * (link.energy_per_byte_j if link else 2 * arch.shared_memory().energy_per_byte_j)
        edges.append((index[u], index[w], vol))
        comm.append(ct)
        comm_e.append(ce)
    capacity = None
    if spec.memory_limits:
        capacity = np.array([arch.memory(pe.local_memory).capacity_bytes if pe.local_memory else 0
                             for _, pe in instances], dtype=np.int64)
    return ScheduleProblem(
        name=name, task_ids=tuple(ids), pe_names=tuple(n_ for n_, _ in instances), pe_kinds=tuple(kinds),
        exec_time=exec_time, energy=energy, edges=tuple(edges), comm_time=tuple(comm),
        comm_energy=tuple(comm_e), memory=memory, capacity=capacity, energy_budget=spec.energy_budget_j,
        latency_budget=ticks_at_most(spec.latency_budget_s, tick),
        tick_s=tick, source=source,
        meta={"layers": {ids[i]: sdf.actors[a].layer for i, (a, _) in enumerate(order)},
              "parameters": dict(sdf.parameters)})
