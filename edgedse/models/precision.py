"""Per-layer precision assignment — the problem as plain data, and its cost model.

Sets: MAC layers ``i`` (convolutions and fully connected layers), bit-width options ``b ∈ B`` (from the
architecture: the widths a PE lists for its MAC operator classes). One bit-width per layer applies to its
weights and input activations (both MAC operands). Parameters per ``(i, b)``:

* ``loss[i,b]``      additive proxy of the accuracy loss (per-layer KL divergence, nats, by default);
* ``energy[i,b]``    J per inference: ``2·MACs·e_op(b) + bytes(i,b)·e_byte``;
* ``latency[i,b]``   s per inference on the PE: roofline ``max(2·MACs / peak(b), bytes(i,b) / bandwidth)``;
* ``weight[i,b]``    weight bytes ``⌈b·N_i / 8⌉`` (biases stay at ``bias_bits``, a constant);
* ``act[i,b]``       activation buffer ``⌈b·(I_i + O_i) / 8⌉`` bytes;
* ``im2col[i,b]``    im2col buffer ``⌈b·2·k_h·k_w·C_in/g / 8⌉`` bytes (0 for fully connected layers);
* ``ops4[i,b]``      equivalent 4×4-bit MACs, thesis Eq. 3.9: ``MACs·b·b / 16`` (α = 4 / 2 / 1 for
  8×8 / 8×4 / 4×4);

with ``bytes(i,b) = weight[i,b] + act[i,b]`` moved per inference. Memory follows the PaQ model
(thesis Eq. 2.1) with a bit-width per layer:

    M = Σ_i weight[i,b_i] + bias bytes + max_i act[i,b_i] + max_i im2col[i,b_i]      (bytes)

Energy and latency add over layers (layer-by-layer execution on one PE); the proxy loss adds too.
``ties`` are groups of layers forced to the same bit-width (e.g. the producers of a residual Add).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from edgedse.errors import InputError
from edgedse.models.dnn import LayerGraph, OpClass

MAC_CLASSES = (OpClass.CONV, OpClass.DEPTHWISE_CONV, OpClass.FC)
METRICS = ("loss", "energy", "latency", "memory")


@dataclass(frozen=True)
class PrecisionLayer:
    name: str                 # the ONNX node name, e.g. "/conv1/Conv"
    module: str               # the PyTorch module path it comes from, e.g. "conv1"
    op_class: OpClass
    weights: int              # weight elements (without biases)
    biases: int
    macs: int
    in_elems: int
    out_elems: int
    im2col_elems: int         # 2 · k_h · k_w · C_in / groups (two Toeplitz columns), 0 for FC


@dataclass(frozen=True)
class PrecisionProblem:
    name: str
    layers: tuple[PrecisionLayer, ...]
    bits: tuple[int, ...]                       # options, widest first
    loss: np.ndarray                            # (n, B)
    energy: np.ndarray                          # (n, B) J
    latency: np.ndarray                         # (n, B) s
    weight: np.ndarray                          # (n, B) bytes
    act: np.ndarray                             # (n, B) bytes
    im2col: np.ndarray                          # (n, B) bytes
    ops4: np.ndarray                            # (n, B) equivalent 4x4 MACs
    fixed_memory: int = 0                       # bias bytes
    ties: tuple[tuple[int, ...], ...] = ()
    loss_kind: str = "kl"
    pe: str = ""
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def n(self) -> int:
        return len(self.layers)

    def index(self, layer: str) -> int:
        for i, ly in enumerate(self.layers):
            if layer in (ly.name, ly.module):
                return i
        raise KeyError(layer)

    def metrics(self, choice) -> dict[str, float]:
        """``{"loss", "energy", "latency", "memory", "ops4"}`` of a choice (option index per layer)."""
        r = np.arange(self.n)
        c = np.asarray(choice)
        return {"loss": float(self.loss[r, c].sum()), "energy": float(self.energy[r, c].sum()),
                "latency": float(self.latency[r, c].sum()),
                "memory": float(self.fixed_memory + self.weight[r, c].sum() + self.act[r, c].max()
                                + self.im2col[r, c].max()),
                "ops4": float(self.ops4[r, c].sum())}

    def bits_of(self, choice) -> dict[str, int]:
        return {ly.module or ly.name: self.bits[c] for ly, c in zip(self.layers, choice)}

    def choice_of(self, bits: dict[str, int]) -> tuple[int, ...]:
        out = [None] * self.n
        for name, b in bits.items():
            out[self.index(name)] = self.bits.index(b)
        return tuple(out)


# -- building from a layer graph and an architecture --------------------------------------------------
def precision_layers(lg: LayerGraph) -> list[PrecisionLayer]:
    """The MAC layers of a layer graph, in topological order."""
    out = []
    for ly in lg.layers():
        if ly.op_class not in MAC_CLASSES:
            continue
        biases = ly.output_channels if ly.attrs.get("bias") else 0
        kernel = ly.attrs.get("kernel") or [1, 1]
        cin = ly.input_shapes[0][1] if len(ly.input_shapes[0]) > 1 else 1
        group = int(ly.attrs.get("group", 1) or 1)
        im2col = 0 if ly.op_class == OpClass.FC else 2 * int(np.prod(kernel)) * cin // group
        out.append(PrecisionLayer(ly.name, module_of(ly.name), ly.op_class, ly.weight_elements - biases, biases,
                                  ly.macs, ly.input_elements, ly.output_elements, im2col))
    return out


def module_of(onnx_name: str) -> str:
    """``/layer1/0/conv1/Conv`` → ``layer1.0.conv1`` (the TorchScript exporter's naming)."""
    parts = [p for p in onnx_name.split("/") if p]
    return ".".join(parts[:-1]) if len(parts) > 1 else onnx_name


def module_path(root, onnx_name: str) -> str | None:
    """The PyTorch module path of an ONNX node from the TorchScript exporter: ``/layers/layers.0/conv1/Conv``
    → ``layers.0.conv1`` (scope components are child names, Sequential children prefixed by their parent)."""
    parts = [p for p in onnx_name.split("/") if p][:-1]
    path, mod = [], root
    for c in parts:
        children = dict(mod.named_children())
        key = c if c in children else c.split(".")[-1]
        if key not in children:
            return None
        path.append(key)
        mod = children[key]
    return ".".join(path)


def residual_ties(lg: LayerGraph, names: list[str]) -> list[tuple[str, ...]]:
    """Every element-wise Add ties the MAC layers whose outputs reach it — walking back through
    single-input layers (activations, pooling, data movement) and through earlier Adds, since a residual
    stream carries one precision. Overlapping groups are merged (ties are transitive)."""
    g = lg.graph
    mac = set(names)
    eltwise = {ly.name for ly in lg.layers() if ly.op_class == OpClass.ELTWISE}

    def producers(node, seen) -> set:
        if node in seen:
            return set()
        seen.add(node)
        if node in mac:
            return {node}
        preds = list(g.predecessors(node))
        if len(preds) == 1 or (node in eltwise and preds):
            return set().union(*(producers(u, seen) for u in preds))
        return set()

    groups: list[set] = []
    for node in eltwise:
        if g.in_degree(node) < 2:
            continue
        grp = producers(node, set())
        if len(grp) < 2:
            continue
        for other in [h for h in groups if h & grp]:
            grp |= other
            groups.remove(other)
        groups.append(grp)
    return sorted(tuple(sorted(h)) for h in groups)


def bit_options(arch, pe_kind: str | None = None) -> tuple[str, tuple[int, ...]]:
    """(PE kind, bit-width options): the PE listing the most widths for conv/fc (or ``pe_kind``)."""
    pes = {p.name: p for p in arch.processing_elements}
    if pe_kind is not None and pe_kind not in pes:
        raise InputError(arch.name, pe_kind, "is not a processing element of the architecture",
                         f"use one of {', '.join(pes)}")

    def widths(p):
        table = p.ops_per_cycle or p.ops_per_s
        return sorted({b for cls in (OpClass.CONV, OpClass.FC) for b in table.get(cls, {})}, reverse=True)

    pe = pes[pe_kind] if pe_kind else max(pes.values(), key=lambda p: (len(widths(p)), -list(pes).index(p.name)))
    if not widths(pe):
        raise InputError(arch.name, pe.name, "runs no convolution or fully connected layer",
                         "pick a PE with conv/fc in its ops table")
    return pe.name, tuple(widths(pe))


def cost_tables(layers: list[PrecisionLayer], arch, pe_kind: str, bits: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Energy, latency, memory and Eq. 3.9 tables of the module docstring on PE kind ``pe_kind``."""
    pe = next(p for p in arch.processing_elements if p.name == pe_kind)
    mem = arch.memory(pe.local_memory) if pe.local_memory else arch.shared_memory()
    n, B = len(layers), len(bits)
    t = {k: np.zeros((n, B)) for k in ("energy", "latency", "weight", "act", "im2col", "ops4")}
    for i, ly in enumerate(layers):
        for j, b in enumerate(bits):
            w = math.ceil(b * ly.weights / 8)
            a = math.ceil(b * (ly.in_elems + ly.out_elems) / 8)
            moved = w + a
            peak = pe.peak_ops_per_s(ly.op_class if ly.op_class != OpClass.DEPTHWISE_CONV else OpClass.CONV, b) \
                or pe.peak_ops_per_s(OpClass.CONV, b)
            if peak is None:
                raise InputError(arch.name, pe_kind, f"has no {b}-bit throughput for {ly.op_class.value}",
                                 "list the width in ops_per_cycle/ops_per_s or drop it from --bits")
            t["weight"][i, j] = w
            t["act"][i, j] = a
            t["im2col"][i, j] = math.ceil(b * ly.im2col_elems / 8)
            t["energy"][i, j] = 2 * ly.macs * pe.energy_per_op(b) + moved * mem.energy_per_byte_j
            t["latency"][i, j] = max(2 * ly.macs / peak, moved / mem.bandwidth_bytes_per_s)
            t["ops4"][i, j] = ly.macs * b * b / 16
    return t


def check_ties(problem_name: str, ties, layers: list[PrecisionLayer]) -> tuple[tuple[int, ...], ...]:
    """Layer names (ONNX or module) in tie groups → index groups; unknown names are named in the error."""
    known = {}
    for i, ly in enumerate(layers):
        known[ly.name] = i
        known[ly.module] = i
    out = []
    for group in ties:
        missing = [x for x in group if x not in known]
        if missing:
            raise InputError(problem_name, "ties", f"unknown layer(s) {', '.join(missing)}",
                             f"use layer names such as {', '.join(ly.module for ly in layers[:4])}")
        idx = tuple(sorted({known[x] for x in group}))
        if len(idx) > 1:
            out.append(idx)
    return tuple(out)
