"""The layer graph: one node per DNN layer, with shapes, parameters, MACs and an operator class.

Units: sizes in *elements* unless a name ends in ``_bytes``; MACs are multiply-accumulates (1 MAC = 2 ops).
The graph is a networkx ``DiGraph`` whose nodes are layer names; an edge ``u → v`` carries the tensor that
``u`` produces and ``v`` consumes (``tensor`` and ``elements`` attributes).

Block transformations (ALOHA D3 §3.1.2): :func:`split_layer` cuts a layer into ``k`` parallel blocks along
its output channels joined by a Concat; :func:`merge_layers` fuses a chain of consecutive layers into one
block (e.g. Conv + ReLU + Pool).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

import networkx as nx


class OpClass(StrEnum):
    """Operator classes used for costing; an architecture lists the classes each PE supports."""

    CONV = "conv"                  # dense or grouped convolution
    DEPTHWISE_CONV = "dwconv"      # groups == input channels
    FC = "fc"                      # Gemm / MatMul
    POOL = "pool"                  # max / average / global average pooling
    ELTWISE = "eltwise"            # Add and other element-wise binary ops
    ACTIVATION = "activation"      # ReLU, Clip (ReLU6), Sigmoid
    SOFTMAX = "softmax"
    DATA = "data"                  # Flatten / Reshape / Concat: data movement only, no arithmetic


MAC_CLASSES = frozenset({OpClass.CONV, OpClass.DEPTHWISE_CONV, OpClass.FC})


def to_bytes(elements: int, bits: int) -> int:
    """Bytes holding ``elements`` values of ``bits`` bits each, rounded up to whole bytes."""
    return -(-elements * bits // 8)


@dataclass(frozen=True)
class Layer:
    """One layer (or merged block of layers).

    Attributes:
        name: unique layer name (the ONNX node name, or a derived name after a transformation).
        op: the ONNX op type (or ``"Block"`` for a merge, ``"+"``-joined in ``ops``).
        op_class: class used to look up a PE's throughput.
        input_shapes: shape of each data input (batch first), in elements.
        output_shape: shape of the output tensor.
        params: trainable parameters as counted by the source framework (weights, biases, and the
            scale/shift of a folded BatchNormalization) — the number published model cards report.
        weight_elements: parameters that must be stored for inference after BN folding (weights + one
            bias per output channel where there is one).
        macs: multiply-accumulates of one inference (0 for layers without MACs).
        ops: arithmetic operations of one inference (2 per MAC; comparisons/adds for pooling, eltwise…).
        onnx_nodes: the ONNX node names this layer stands for (the way back to the source).
        attrs: geometry used by later stages: kernel, strides, pads, group.
    """

    name: str
    op: str
    op_class: OpClass
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    params: int = 0
    weight_elements: int = 0
    macs: int = 0
    ops: int = 0
    onnx_nodes: tuple[str, ...] = ()
    attrs: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def input_elements(self) -> int:
        """Elements of all data inputs together."""
        return sum(math.prod(s) for s in self.input_shapes)

    @property
    def output_elements(self) -> int:
        return math.prod(self.output_shape)

    @property
    def output_channels(self) -> int:
        """Channels of the output (dimension 1), 1 for a scalar-per-sample output."""
        return self.output_shape[1] if len(self.output_shape) > 1 else 1

    def input_bytes(self, bits: int) -> int:
        """Bytes of all data inputs at ``bits`` per element (rounded up to whole bytes)."""
        return to_bytes(self.input_elements, bits)

    def output_bytes(self, bits: int) -> int:
        return to_bytes(self.output_elements, bits)

    def weight_bytes(self, bits: int) -> int:
        return to_bytes(self.weight_elements, bits)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "op": self.op,
            "op_class": str(self.op_class),
            "params": self.params,
            "macs": self.macs,
            "ops": self.ops,
            "input_shape": list(self.input_shapes[0]) if len(self.input_shapes) == 1
            else [list(s) for s in self.input_shapes],
            "output_shape": list(self.output_shape),
            "input_elements": self.input_elements,
            "output_elements": self.output_elements,
            "onnx_nodes": list(self.onnx_nodes),
        }


@dataclass
class LayerGraph:
    """A DAG of :class:`Layer` objects; ``graph.nodes[name]["layer"]`` holds each layer.

    ``inputs`` maps each graph input tensor to its shape; layers fed by a graph input list it in
    ``graph.nodes[name]["graph_inputs"]``.
    """

    name: str
    graph: nx.DiGraph
    inputs: dict[str, tuple[int, ...]]
    source: str = ""

    # -- access ------------------------------------------------------------------------------
    def layer(self, name: str) -> Layer:
        return self.graph.nodes[name]["layer"]

    def layers(self) -> list[Layer]:
        """Layers in a deterministic topological order (ties broken by insertion order)."""
        order = {n: i for i, n in enumerate(self.graph.nodes)}
        return [self.layer(n) for n in nx.lexicographical_topological_sort(self.graph, key=order.get)]

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers())

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers())

    def to_dict(self) -> dict:
        layers = self.layers()
        return {
            "model": self.name,
            "layers": [layer.to_dict() for layer in layers],
            "edges": [[u, v] for u, v in self.graph.edges],
            "totals": {
                "params": self.total_params,
                "macs": self.total_macs,
                "ops": sum(layer.ops for layer in layers),
                "layers": len(layers),
            },
        }

    def copy(self) -> "LayerGraph":
        return LayerGraph(self.name, self.graph.copy(), dict(self.inputs), self.source)


# -- transformations -------------------------------------------------------------------------------
def split_layer(lg: LayerGraph, name: str, k: int) -> LayerGraph:
    """Split layer ``name`` into ``k`` blocks along output channels, joined by a Concat (D3 §3.1.2).

    Each block reads the whole input (the input is copied to every block) and computes
    ``C_out / k`` output channels, so MACs, ops and weights divide by ``k`` exactly. Only layers whose
    output channels are independent can be split: convolutions with ``group == 1`` and fully
    connected layers; ``C_out`` must be divisible by ``k``.
    """
    from edgedse.errors import InputError

    layer = lg.layer(name)
    if layer.op_class not in (OpClass.CONV, OpClass.FC):
        raise InputError(lg.source or lg.name, f"layer {name!r}", f"cannot split a {layer.op} layer",
                         "split convolutions (group = 1) or fully connected layers")
    if k < 2 or layer.output_channels % k:
        raise InputError(lg.source or lg.name, f"layer {name!r}",
                         f"{layer.output_channels} output channels do not divide into {k} blocks",
                         "choose k that divides the output channels")
    out = lg.copy()
    g = out.graph
    preds, succs = list(g.predecessors(name)), list(g.successors(name))
    graph_inputs = g.nodes[name].get("graph_inputs", [])
    in_edges = {p: dict(g.edges[p, name]) for p in preds}
    out_edges = {s: dict(g.edges[name, s]) for s in succs}
    g.remove_node(name)
    shape = list(layer.output_shape)
    shape[1] //= k
    block_names = []
    for i in range(k):
        block = replace(layer, name=f"{name}_split{i}", output_shape=tuple(shape),
                        params=layer.params // k, weight_elements=layer.weight_elements // k,
                        macs=layer.macs // k, ops=layer.ops // k)
        g.add_node(block.name, layer=block, graph_inputs=list(graph_inputs))
        for p in preds:
            g.add_edge(p, block.name, **in_edges[p])
        block_names.append(block.name)
    concat = Layer(name=f"{name}_concat", op="Concat", op_class=OpClass.DATA,
                   input_shapes=tuple(tuple(shape) for _ in range(k)), output_shape=layer.output_shape,
                   onnx_nodes=layer.onnx_nodes)
    g.add_node(concat.name, layer=concat, graph_inputs=[])
    for b in block_names:
        g.add_edge(b, concat.name, tensor=f"{b}:out", elements=math.prod(shape))
    for s in succs:
        g.add_edge(concat.name, s, **out_edges[s])
    return out


def merge_layers(lg: LayerGraph, names: list[str], merged_name: str | None = None) -> LayerGraph:
    """Merge a chain of consecutive layers into one block (D3 §3.1.2), e.g. Conv → ReLU → MaxPool.

    The chain must be linear: each layer but the last feeds only the next one, and each layer but the
    first is fed only by the previous one. The block takes the first layer's inputs and the last layer's
    output; params, weights, MACs and ops add up; its op class is that of the first MAC layer (or of the
    first layer).
    """
    from edgedse.errors import InputError

    if len(names) < 2:
        raise InputError(lg.source or lg.name, "merge", "needs at least two layers", "name a chain")
    g = lg.graph
    for a, b in zip(names, names[1:]):
        if list(g.successors(a)) != [b] or list(g.predecessors(b)) != [a]:
            raise InputError(lg.source or lg.name, f"layers {a!r} → {b!r}",
                             "are not a linear chain (a branch enters or leaves between them)",
                             "merge only consecutive layers of a chain")
    layers = [lg.layer(n) for n in names]
    head = next((x for x in layers if x.op_class in MAC_CLASSES), layers[0])
    merged = Layer(
        name=merged_name or "+".join(names),
        op="+".join(x.op for x in layers),
        op_class=head.op_class,
        input_shapes=layers[0].input_shapes,
        output_shape=layers[-1].output_shape,
        params=sum(x.params for x in layers),
        weight_elements=sum(x.weight_elements for x in layers),
        macs=sum(x.macs for x in layers),
        ops=sum(x.ops for x in layers),
        onnx_nodes=tuple(n for x in layers for n in x.onnx_nodes),
        attrs={**head.attrs, "merged": [x.name for x in layers]},
    )
    out = lg.copy()
    g2 = out.graph
    preds = {p: dict(g2.edges[p, names[0]]) for p in g2.predecessors(names[0])}
    succs = {s: dict(g2.edges[names[-1], s]) for s in g2.successors(names[-1])}
    graph_inputs = g2.nodes[names[0]].get("graph_inputs", [])
    g2.remove_nodes_from(names)
    g2.add_node(merged.name, layer=merged, graph_inputs=graph_inputs)
    for p, data in preds.items():
        g2.add_edge(p, merged.name, **data)
    for s, data in succs.items():
        g2.add_edge(merged.name, s, **data)
    return out


def merge_into_producers(lg: LayerGraph, classes: frozenset[OpClass] = frozenset(
        {OpClass.ACTIVATION})) -> LayerGraph:
    """Merge every layer of the given classes into its single producer when that is exact.

    By default activations (ReLU, Clip, Sigmoid) merge into the layer before them — the usual
    Conv+ReLU block of accelerators. A layer is merged only if it has exactly one producer and that
    producer feeds nothing else.
    """
    out = lg
    changed = True
    while changed:
        changed = False
        for layer in out.layers():
            if layer.op_class not in classes:
                continue
            preds = list(out.graph.predecessors(layer.name))
            if len(preds) == 1 and out.graph.out_degree(preds[0]) == 1:
                out = merge_layers(out, [preds[0], layer.name], merged_name=preds[0])
                changed = True
                break
    return out
