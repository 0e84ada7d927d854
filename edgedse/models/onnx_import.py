"""ONNX → :class:`~edgedse.models.dnn.LayerGraph` (ALOHA D2 §2.5, the ".onnx model reader").

Reads a CNN (opset ≥ 11), runs ONNX shape inference and builds one layer per compute node. Weights
may be initializers or typed graph inputs (models exported structure-only with ``export_params=False``);
either way their shapes give the parameter counts. BatchNormalization folds into the Conv/Gemm that
feeds it when that producer feeds nothing else; Dropout and Identity are exact pass-throughs. Any other
op is rejected with an error naming the node and its op type.
"""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import networkx as nx

from edgedse.errors import InputError
from edgedse.models.dnn import Layer, LayerGraph, OpClass

MIN_OPSET = 11
PASS_THROUGH = {"Dropout", "Identity"}
ACTIVATIONS = {"Relu", "Clip", "Sigmoid", "LeakyRelu", "HardSigmoid", "HardSwish"}
POOLS = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"}
#: which input positions of an op hold parameters (weights, biases, BN statistics)
PARAM_POSITIONS = {
    "Conv": {1, 2}, "Gemm": {1, 2}, "MatMul": {1}, "BatchNormalization": {1, 2, 3, 4},
    "Reshape": {1}, "Clip": {1, 2}, "Add": {0, 1},
}
SUPPORTED = ({"Conv", "Gemm", "MatMul", "BatchNormalization", "Add", "Concat", "Flatten", "Reshape",
              "Softmax", "Constant"} | PASS_THROUGH | ACTIVATIONS | POOLS)


def load_onnx(path: str | Path, *, name: str | None = None) -> LayerGraph:
    """Read an ONNX file and return its layer graph.

    Raises:
        InputError: the file is missing or not ONNX, the opset is below 11, a shape cannot be
            inferred, or a node's op type cannot be modelled (the message names the node).
    """
    import onnx

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "does not exist", "give the path of an .onnx file")
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # protobuf DecodeError and friends
        raise InputError(path, "file", f"is not a readable ONNX model ({type(exc).__name__})",
                         "export the model with torch.onnx.export or check the file is complete") from None
    if not model.graph.node:
        raise InputError(path, "graph", "has no nodes", "export the model again")
    return model_to_layer_graph(model, source=str(path), name=name or path.stem)


def model_to_layer_graph(model, *, source: str = "<model>", name: str = "model") -> LayerGraph:
    """Build the layer graph of an in-memory ``onnx.ModelProto`` (see :func:`load_onnx`)."""
    import onnx
    from onnx import numpy_helper

    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < MIN_OPSET:
        raise InputError(source, "opset_import", f"opset {opset} is below {MIN_OPSET}",
                         "re-export with opset_version >= 11")
    for index, node in enumerate(model.graph.node):
        _check_supported(node, index, source)
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    except Exception as exc:
        raise InputError(source, "shape inference", str(exc).splitlines()[0][:200],
                         "check the graph with onnx.checker.check_model") from None
    graph = model.graph
    reader = _GraphReader(source, name)
    for init in graph.initializer:
        reader.shapes[init.name] = tuple(init.dims)
        reader.constants[init.name] = numpy_helper.to_array(init)
    for vi in list(graph.input) + list(graph.value_info) + list(graph.output):
        shape = _static_shape(vi)
        if shape is not None:
            reader.shapes.setdefault(vi.name, shape)
    param_inputs = _parameter_tensors(graph)
    for vi in graph.input:
        if vi.name in reader.constants or vi.name in param_inputs:
            reader.params.add(vi.name)
            continue
        shape = _static_shape(vi)
        if shape is None:
            raise InputError(source, f"graph input {vi.name!r}", "has no static shape",
                             "export with a fixed input size (batch 1)")
        reader.data_inputs[vi.name] = shape
    reader.params |= set(reader.constants)
    for index, node in enumerate(graph.node):
        reader.read(node, index)
    return reader.finish()


# -- helpers ---------------------------------------------------------------------------------------
def _check_supported(node, index: int, source: str) -> None:
    op = node.op_type
    if node.domain not in ("", "ai.onnx") or op not in SUPPORTED:
        name = node.name or f"{op}_{index}"
        raise InputError(source, f"node {name!r} (op {op})", "operator cannot be modelled",
                         "replace it by supported ops (Conv, Gemm, MatMul, pools, BatchNormalization, "
                         "Relu/Clip/Sigmoid, Add, Concat, Flatten/Reshape, Softmax, Dropout/Identity)")


def _static_shape(value_info) -> tuple[int, ...] | None:
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        return None
    dims = []
    for i, d in enumerate(t.shape.dim):
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        elif i == 0:
            dims.append(1)  # symbolic batch: one inference is one sample
        else:
            return None
    return tuple(dims)


def _parameter_tensors(graph) -> set[str]:
    """Graph inputs consumed only at parameter positions (weights exported as typed inputs)."""
    uses: dict[str, set[bool]] = {}
    for node in graph.node:
        positions = PARAM_POSITIONS.get(node.op_type, set())
        for i, t in enumerate(node.input):
            is_param = i in positions and not (node.op_type == "Add")
            uses.setdefault(t, set()).add(is_param)
    return {t for t, kinds in uses.items() if kinds == {True}}


class _GraphReader:
    """Walks ONNX nodes in order and builds layers; keeps which layer produces each tensor."""

    def __init__(self, source: str, name: str) -> None:
        self.source, self.name = source, name
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.constants: dict[str, object] = {}
        self.params: set[str] = set()
        self.data_inputs: dict[str, tuple[int, ...]] = {}
        self.producer: dict[str, str] = {}         # tensor → layer name
        self.consumers: dict[str, int] = {}        # tensor → number of consuming nodes
        self.g = nx.DiGraph()

    # -- bookkeeping -------------------------------------------------------------------------
    def shape(self, tensor: str, node_name: str) -> tuple[int, ...]:
        if tensor not in self.shapes:
            raise InputError(self.source, f"node {node_name!r}", f"tensor {tensor!r} has no inferred shape",
                             "export with static input shapes")
        return self.shapes[tensor]

    def data(self, node) -> list[str]:
        """The node's data inputs: not parameters, not constants, not empty."""
        return [t for t in node.input if t and t not in self.params]

    def add(self, layer: Layer, node, inputs: list[str]) -> None:
        name = layer.name
        if name in self.g:
            raise InputError(self.source, f"node {name!r}", "duplicate node name", "give nodes unique names")
        self.g.add_node(name, layer=layer, graph_inputs=[t for t in inputs if t in self.data_inputs])
        for t in inputs:
            if t in self.producer:
                src = self.producer[t]
                self.g.add_edge(src, name, tensor=t, elements=math.prod(self.shapes.get(t, (0,))))
        self.producer[node.output[0]] = name

    def replace_layer(self, name: str, layer: Layer) -> None:
        self.g.nodes[name]["layer"] = layer

    # -- node dispatch -----------------------------------------------------------------------
    def read(self, node, index: int) -> None:
        from onnx import helper, numpy_helper

        op = node.op_type
        name = node.name or f"{op}_{index}"
        for t in node.input:
            self.consumers[t] = self.consumers.get(t, 0) + 1
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if op == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    self.constants[node.output[0]] = numpy_helper.to_array(a.t)
            self.params.add(node.output[0])
            return
        data = self.data(node)
        if op in PASS_THROUGH:
            if data and data[0] in self.producer:
                for out in node.output[:1]:
                    self.producer[out] = self.producer[data[0]]
            elif data and data[0] in self.data_inputs:
                self.data_inputs[node.output[0]] = self.data_inputs[data[0]]
            return
        out_shape = self.shape(node.output[0], name)
        in_shapes = tuple(self.shape(t, name) for t in data)
        out_elems = math.prod(out_shape)
        if op == "BatchNormalization" and self._fold_batchnorm(node, name, data):
            return
        if op == "Add" and self._fold_bias(node, name, data):
            return
        handler = getattr(self, f"_layer_{op.lower()}", None)
        layer = handler(node, name, attrs, in_shapes, out_shape) if handler else None
        if layer is None:
            op_class = (OpClass.ACTIVATION if op in ACTIVATIONS else
                        OpClass.POOL if op in POOLS else
                        OpClass.SOFTMAX if op == "Softmax" else OpClass.DATA)
            ops = {OpClass.ACTIVATION: out_elems, OpClass.SOFTMAX: 3 * out_elems}.get(op_class, 0)
            layer = Layer(name, op, op_class, in_shapes, out_shape, ops=ops, onnx_nodes=(name,), attrs=attrs)
        self.add(layer, node, data)

    # -- per-op layers ------------------------------------------------------------------------
    def _layer_conv(self, node, name, attrs, in_shapes, out_shape) -> Layer:
        w = self.shape(node.input[1], name)
        c_out, c_in_per_group, *kernel = w
        group = int(attrs.get("group", 1))
        c_in = in_shapes[0][1]
        has_bias = len(node.input) > 2 and bool(node.input[2])
        macs = math.prod(out_shape) * c_in_per_group * math.prod(kernel)
        weights = math.prod(w) + (c_out if has_bias else 0)
        depthwise = group > 1 and group == c_in and c_in_per_group == 1
        geometry = {"kernel": list(kernel), "strides": list(attrs.get("strides", [1] * len(kernel))),
                    "pads": list(attrs.get("pads", [0] * 2 * len(kernel))),
                    "dilations": list(attrs.get("dilations", [1] * len(kernel))), "group": group,
                    "bias": has_bias}
        return Layer(name, "Conv", OpClass.DEPTHWISE_CONV if depthwise else OpClass.CONV, in_shapes,
                     out_shape, params=weights, weight_elements=weights, macs=macs, ops=2 * macs,
                     onnx_nodes=(name,), attrs=geometry)

    def _layer_gemm(self, node, name, attrs, in_shapes, out_shape) -> Layer:
        a = in_shapes[0]
        k = a[0] if attrs.get("transA", 0) else a[-1]
        macs = math.prod(out_shape) * k
        weights = sum(math.prod(self.shape(t, name)) for t in node.input[1:] if t and t in self.params)
        return Layer(name, "Gemm", OpClass.FC, in_shapes[:1], out_shape, params=weights,
                     weight_elements=weights, macs=macs, ops=2 * macs, onnx_nodes=(name,),
                     attrs={"bias": len(node.input) > 2 and bool(node.input[2])})

    def _layer_matmul(self, node, name, attrs, in_shapes, out_shape) -> Layer:
        k = in_shapes[0][-1]
        macs = math.prod(out_shape) * k
        weights = math.prod(self.shape(node.input[1], name)) if node.input[1] in self.params else 0
        return Layer(name, "MatMul", OpClass.FC, in_shapes, out_shape, params=weights,
                     weight_elements=weights, macs=macs, ops=2 * macs, onnx_nodes=(name,), attrs={"bias": False})

    def _layer_maxpool(self, node, name, attrs, in_shapes, out_shape) -> Layer:
        kernel = list(attrs["kernel_shape"])
        return Layer(name, node.op_type, OpClass.POOL, in_shapes, out_shape,
                     ops=math.prod(out_shape) * math.prod(kernel), onnx_nodes=(name,),
                     attrs={"kernel": kernel, "strides": list(attrs.get("strides", [1] * len(kernel))),
                            "pads": list(attrs.get("pads", [0] * 2 * len(kernel)))})

    _layer_averagepool = _layer_maxpool

    def _layer_globalaveragepool(self, node, name, attrs, in_shapes, out_shape) -> Layer:
        kernel = list(in_shapes[0][2:])
        return Layer(name, node.op_type, OpClass.POOL, in_shapes, out_shape, ops=math.prod(in_shapes[0]),
                     onnx_nodes=(name,), attrs={"kernel": kernel, "strides": kernel, "pads": [0] * 2 * len(kernel)})

    _layer_globalmaxpool = _layer_globalaveragepool

    def _layer_add(self, node, name, attrs, in_shapes, out_shape) -> Layer:
        return Layer(name, "Add", OpClass.ELTWISE, in_shapes, out_shape,
                     ops=math.prod(out_shape) * max(len(in_shapes) - 1, 1), onnx_nodes=(name,))

    def _layer_batchnormalization(self, node, name, attrs, in_shapes, out_shape) -> Layer:
        c = out_shape[1]
        return Layer(name, "BatchNormalization", OpClass.ELTWISE, in_shapes, out_shape, params=2 * c,
                     weight_elements=2 * c, ops=2 * math.prod(out_shape), onnx_nodes=(name,))

    # -- folding -----------------------------------------------------------------------------
    def _foldable_producer(self, tensor: str) -> str | None:
        """The Conv/Gemm layer producing ``tensor`` if ``tensor`` feeds only one node."""
        src = self.producer.get(tensor)
        if src is None or self.consumers.get(tensor, 0) != 1 or self.g.out_degree(src) != 0:
            return None
        layer = self.g.nodes[src]["layer"]
        if layer.op_class not in (OpClass.CONV, OpClass.DEPTHWISE_CONV, OpClass.FC):
            return None
        return src

    def _fold_batchnorm(self, node, name: str, data: list[str]) -> bool:
        """Conv → BN becomes one layer: weights W·γ/σ and bias β − μγ/σ (+ conv bias).

        ``params`` gains BN's scale and shift (2·C, trainable in the source framework);
        ``weight_elements`` gains a bias vector of C if the conv had none.
        """
        src = self._foldable_producer(data[0]) if data else None
        if src is None:
            return False
        layer = self.g.nodes[src]["layer"]
        c = layer.output_channels
        has_bias = layer.attrs.get("bias", False)
        attrs = {**layer.attrs, "bias": True, "folded_batchnorm": name}
        self.replace_layer(src, replace(layer, params=layer.params + 2 * c,
                                        weight_elements=layer.weight_elements + (0 if has_bias else c),
                                        onnx_nodes=layer.onnx_nodes + (name,), attrs=attrs))
        self.producer[node.output[0]] = src
        return True

    def _fold_bias(self, node, name: str, data: list[str]) -> bool:
        """MatMul/Conv → Add(constant bias) becomes one layer with a bias."""
        consts = [t for t in node.input if t in self.params]
        if len(data) != 1 or len(consts) != 1:
            return False
        src = self._foldable_producer(data[0])
        if src is None:
            return False
        layer = self.g.nodes[src]["layer"]
        bias = math.prod(self.shapes.get(consts[0], (layer.output_channels,)))
        self.replace_layer(src, replace(layer, params=layer.params + bias,
                                        weight_elements=layer.weight_elements + bias,
                                        onnx_nodes=layer.onnx_nodes + (name,),
                                        attrs={**layer.attrs, "bias": True}))
        self.producer[node.output[0]] = src
        return True

    def finish(self) -> LayerGraph:
        if self.g.number_of_nodes() == 0:
            raise InputError(self.source, "graph", "contains no layer that can be modelled",
                             "export a CNN with at least one compute node")
        return LayerGraph(self.name, self.g, dict(self.data_inputs), self.source)
