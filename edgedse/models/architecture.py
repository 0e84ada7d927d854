"""Architecture descriptions (ALOHA D3 §3.3): processing elements, memories, interconnect.

A YAML file validated by pydantic v2 (unknown keys rejected). Units are SI throughout: hertz, bytes,
bytes per second, seconds, joules, watts. Example (see ``instances/architectures/neuraghe.yaml``)::

    schema_version: 1
    name: neuraghe
    processing_elements:
      - name: arm
        type: cpu
        count: 2
        frequency_hz: 667.0e6
        ops_per_cycle: {conv: {32: 4, 16: 8}, fc: {32: 4, 16: 8}}
        energy_per_op_j: {32: 1.0e-10, 16: 5.0e-11}
        static_power_w: 0.5
        local_memory: ocm
    memories:
      - {name: ddr, kind: shared, capacity_bytes: 1073741824, bandwidth_bytes_per_s: 4.264e9,
         energy_per_byte_j: 7.0e-11}
    interconnect:
      - {name: axi, bandwidth_bytes_per_s: 4.264e9, latency_s: 1.0e-6, connects: [arm, ce, ddr]}

A PE with ``count: n`` stands for ``n`` identical instances named ``NAME0 … NAME{n-1}``.
"""
from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgedse.errors import read_yaml, validated
from edgedse.models.dnn import OpClass

SCHEMA_VERSION = 1
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Bits = Annotated[int, Field(ge=1, le=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PEType(StrEnum):
    CPU = "cpu"
    ACCELERATOR = "accelerator"
    GPU = "gpu"
    DSP = "dsp"


class ProcessingElement(_Strict):
    """A kind of processing element and how many identical instances the platform has."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    type: PEType
    count: int = Field(1, ge=1)
    frequency_hz: PositiveFloat | None = None
    #: peak operations per cycle, per operator class and per bit-width (1 MAC = 2 ops); needs frequency_hz
    ops_per_cycle: dict[OpClass, dict[Bits, PositiveFloat]] = Field(default_factory=dict)
    #: or peak operations per second directly (for PEs published by throughput, e.g. "169 GOPS")
    ops_per_s: dict[OpClass, dict[Bits, PositiveFloat]] = Field(default_factory=dict)
    #: dynamic energy per operation at each bit-width (J)
    energy_per_op_j: dict[Bits, NonNegativeFloat] = Field(default_factory=dict)
    static_power_w: NonNegativeFloat = 0.0
    #: fixed cost of starting one actor firing on this PE (s): kernel launch, DMA set-up
    firing_overhead_s: NonNegativeFloat = 0.0
    local_memory: str | None = None

    @model_validator(mode="after")
    def _one_throughput_form(self) -> "ProcessingElement":
        if bool(self.ops_per_cycle) == bool(self.ops_per_s):
            raise ValueError(f"processing element {self.name!r}: give exactly one of ops_per_cycle "
                             "(with frequency_hz) or ops_per_s")
        if self.ops_per_cycle and self.frequency_hz is None:
            raise ValueError(f"processing element {self.name!r}: ops_per_cycle needs frequency_hz")
        return self

    def peak_ops_per_s(self, op_class: OpClass, bits: int) -> float | None:
        """Peak throughput (ops/s) for ``op_class`` at ``bits``; ``None`` if unsupported.

        If the exact bit-width is not listed, the narrowest listed width ≥ ``bits`` is used (a 16-bit
        datapath runs 8-bit data at its 16-bit rate); none ≥ ``bits`` → unsupported.
        """
        per_s = self.ops_per_s or {k: {b: v * self.frequency_hz for b, v in t.items()}
                                   for k, t in self.ops_per_cycle.items()}
        table = per_s.get(op_class)
        if not table:
            return None
        wider = sorted(b for b in table if b >= bits)
        return table[wider[0]] if wider else None

    def energy_per_op(self, bits: int) -> float:
        if not self.energy_per_op_j:
            return 0.0
        wider = sorted(b for b in self.energy_per_op_j if b >= bits)
        key = wider[0] if wider else max(self.energy_per_op_j)
        return self.energy_per_op_j[key]

    def instance_names(self) -> list[str]:
        return [self.name] if self.count == 1 else [f"{self.name}{i}" for i in range(self.count)]


class Memory(_Strict):
    name: str
    kind: Literal["local", "shared"]
    capacity_bytes: Annotated[int, Field(gt=0)]
    bandwidth_bytes_per_s: PositiveFloat
    energy_per_byte_j: NonNegativeFloat = 0.0


class Link(_Strict):
    """A bus or point-to-point link between PEs and memories."""

    name: str
    bandwidth_bytes_per_s: PositiveFloat
    latency_s: NonNegativeFloat = 0.0
    energy_per_byte_j: NonNegativeFloat = 0.0
    connects: list[str] = Field(min_length=2)


class Architecture(_Strict):
    schema_version: Literal[1] = SCHEMA_VERSION
    name: str
    description: str = ""
    processing_elements: list[ProcessingElement] = Field(min_length=1)
    memories: list[Memory] = Field(min_length=1)
    interconnect: list[Link] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> "Architecture":
        names = [p.name for p in self.processing_elements] + [m.name for m in self.memories]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate names {sorted(dup)}")
        mem = {m.name for m in self.memories}
        for pe in self.processing_elements:
            if pe.local_memory is not None and pe.local_memory not in mem:
                raise ValueError(f"processing element {pe.name!r}: local_memory {pe.local_memory!r} "
                                 f"is not a declared memory")
        for link in self.interconnect:
            for end in link.connects:
                if end not in names:
                    raise ValueError(f"link {link.name!r}: connects unknown element {end!r}")
        return self

    # -- derived views ---------------------------------------------------------------------------
    def pe_instances(self) -> list[tuple[str, ProcessingElement]]:
        """Every PE instance as (instance name, its kind), in file order."""
        return [(n, pe) for pe in self.processing_elements for n in pe.instance_names()]

    def shared_memory(self) -> Memory:
        shared = [m for m in self.memories if m.kind == "shared"]
        return shared[0] if shared else self.memories[0]

    def memory(self, name: str) -> Memory:
        return next(m for m in self.memories if m.name == name)

    def link_between(self, a: str, b: str) -> Link | None:
        """The fastest link connecting PE kinds (or memories) ``a`` and ``b``, if any."""
        links = [lk for lk in self.interconnect if a in lk.connects and b in lk.connects]
        return max(links, key=lambda lk: lk.bandwidth_bytes_per_s, default=None)

    def transfer_time_s(self, kind_a: str, kind_b: str, volume_bytes: float) -> float:
        """Time to move ``volume_bytes`` from a PE of kind ``kind_a`` to one of kind ``kind_b``.

        Over the link joining them: ``volume / bandwidth + latency``. Without a direct link the data goes
        through the shared memory (write then read): ``2 · volume / bandwidth_shared``. Zero volume → 0.
        """
        if volume_bytes <= 0:
            return 0.0
        link = self.link_between(kind_a, kind_b)
        if link is not None:
            return volume_bytes / link.bandwidth_bytes_per_s + link.latency_s
        return 2 * volume_bytes / self.shared_memory().bandwidth_bytes_per_s


def load_architecture(path: str | Path) -> Architecture:
    """Read and validate an architecture YAML file; errors name the file and the offending key."""
    return parse_architecture(read_yaml(path, "an architecture .yaml"), source=str(path))


def parse_architecture(data: object, source: str = "<architecture>") -> Architecture:
    return validated(Architecture, data, source, "see docs/architecture.schema.json")


def architecture_json_schema() -> str:
    """JSON Schema of the architecture format (exported to ``docs/architecture.schema.json``)."""
    return json.dumps(Architecture.model_json_schema(), indent=2, sort_keys=True) + "\n"
