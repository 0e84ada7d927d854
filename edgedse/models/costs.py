"""Execution scenarios: actor × PE kind → time (s), energy (J), memory (bytes).

Default rule (roofline): a firing that performs ``ops`` operations and moves ``bytes`` to and from
memory takes ``t = max(ops / peak(PE, op class, bits), bytes / bandwidth(PE's memory)) + overhead``
seconds, and costs ``E = ops · e_op(bits) + bytes · e_byte(memory) + P_static · t`` joules; its memory
footprint is the bytes it holds (inputs it reads, its share of weights, its outputs). A PE without the
firing's op class cannot run it (no scenario). Explicit entries override the rule per actor (or per
layer) and PE kind, as AOW's execution-scenario tables do (ALOHA D3 §6.3).
"""
from __future__ import annotations

from dataclasses import dataclass

from edgedse.errors import InputError
from edgedse.models.architecture import Architecture, ProcessingElement
from edgedse.models.dataflow import SDFGraph
from edgedse.models.dnn import LayerGraph, OpClass


@dataclass(frozen=True)
class Scenario:
    """One actor firing on one PE kind."""

    time_s: float
    energy_j: float
    memory_bytes: int


@dataclass(frozen=True)
class FiringWork:
    """What one firing does, independent of where it runs."""

    op_class: OpClass | None  # None: pure data movement (Broadcast, ReadWeights, Input, Output)
    ops: float
    bytes_moved: float
    memory_bytes: int


def roofline(work: FiringWork, pe: ProcessingElement, arch: Architecture, bits: int) -> Scenario | None:
    """The roofline scenario of ``work`` on ``pe`` (``None`` if the PE lacks the op class)."""
    mem = arch.memory(pe.local_memory) if pe.local_memory else arch.shared_memory()
    if work.op_class is None or work.op_class == OpClass.DATA or work.ops == 0:
        compute = 0.0
    else:
        peak = pe.peak_ops_per_s(work.op_class, bits)
        if peak is None:
            return None
        compute = work.ops / peak
    transfer = work.bytes_moved / mem.bandwidth_bytes_per_s
    time = max(compute, transfer) + (pe.firing_overhead_s if work.ops else 0.0)
    energy = work.ops * pe.energy_per_op(bits) + work.bytes_moved * mem.energy_per_byte_j + pe.static_power_w * time
    return Scenario(time, energy, int(work.memory_bytes))


def firing_work(actor_name: str, sdf: SDFGraph, lg: LayerGraph, bits: int) -> FiringWork:
    """Work of one firing of an AOW actor (see :mod:`edgedse.models.aow`).

    CalculateLayer: ``ops · a/F``; bytes = its input token + ``a/F`` of weights and output.
    ReadWeights: moves ``a/F`` of the weights. Broadcast, Input and Output move nothing (the
    activations stay in place; consumers read them).
    """
    actor = sdf.actors[actor_name]
    if actor.kind not in ("CalculateLayer", "ReadWeights"):
        return FiringWork(None, 0.0, 0.0, 0)
    layer = lg.layer(actor.data["layer"])
    share = sdf.parameters[actor.data["param"]] / actor.data["F"]
    weights = layer.weight_bytes(bits) * share
    if actor.kind == "ReadWeights":
        return FiringWork(None, 0.0, weights, int(weights))
    in_bytes = sum(e.token_bytes for e in sdf.edges if e.dst == actor_name and e.src.startswith("Broadcast"))
    out = layer.output_bytes(bits) * share
    moved = 0.0 if layer.op_class == OpClass.DATA else in_bytes + weights + out
    return FiringWork(layer.op_class, layer.ops * share, moved, int(in_bytes + weights + out))


CostTable = dict[str, dict[str, Scenario]]  # actor → PE kind → scenario (absent: not mappable)


def cost_table(sdf: SDFGraph, lg: LayerGraph, arch: Architecture, bits: int,
               overrides: dict[str, dict[str, dict | None]] | None = None, source: str = "<instance>") -> CostTable:
    """Scenarios for every actor on every PE kind, roofline unless ``overrides`` say otherwise.

    ``overrides[name][pe_kind]`` is ``{"time_s": …, "energy_j": …, "memory_bytes": …}`` (missing keys
    keep the roofline value) or ``None`` (the actor may not run on that PE); ``name`` is an actor name
    or a layer name (applies to all its actors).
    """
    kinds = {pe.name: pe for pe in arch.processing_elements}
    table: CostTable = {}
    for name, actor in sdf.actors.items():
        work = firing_work(name, sdf, lg, bits)
        row = {}
        for kind, pe in kinds.items():
            s = roofline(work, pe, arch, bits)
            if s is not None:
                row[kind] = s
        table[name] = row
    for key, per_pe in (overrides or {}).items():
        targets = [a for a, act in sdf.actors.items() if a == key or act.layer == key]
        if not targets:
            raise InputError(source, f"overrides.{key}", "names no actor or layer", "use an actor or layer name")
        for kind, entry in per_pe.items():
            if kind not in kinds:
                raise InputError(source, f"overrides.{key}.{kind}", "is not a PE of the architecture",
                                 f"use one of {sorted(kinds)}")
            for a in targets:
                if entry is None:
                    table[a].pop(kind, None)
                    continue
                base = table[a].get(kind, Scenario(0.0, 0.0, 0))
                table[a][kind] = Scenario(float(entry.get("time_s", base.time_s)),
                                          float(entry.get("energy_j", base.energy_j)),
                                          int(entry.get("memory_bytes", base.memory_bytes)))
    for a, row in table.items():
        if not row:
            raise InputError(source, f"actor {a!r}", "no processing element supports it",
                             "add its op class to a PE's ops_per_cycle or give an override")
    return table
