"""DNN layer graph → PiSDF following the AOW pattern (ALOHA D3 §6.2, Fig. 15).

For every layer ``n`` with ``F_n`` output channels ("numOfFilters") and aggregation parameter ``a_n``
(its allowed values are the divisors of ``F_n``):

* ``Broadcast_n`` fires once; it gathers the producers' outputs and hands the input activations to
  every firing of ``CalculateLayer_n`` (memory reuse: one copy, read by all firings);
* ``ReadWeights_n`` (layers with weights) fires ``F_n / a_n`` times, each providing ``a_n`` filters;
* ``CalculateLayer_n`` fires ``F_n / a_n`` times, each computing ``a_n`` output channels.

Edges (token sizes in bytes at ``bits`` per element):

* ``CalculateLayer_p → Broadcast_n``: prod 1, cons ``F_p / a_p``; a token is ``a_p`` channels of p's output.
* ``Broadcast_n → CalculateLayer_n``: prod ``F_n / a_n``, cons 1; a token is the input one firing reads:
  the whole input for dense layers (conv, fc), ``a_n / F_n`` of it for channel-wise layers
  (depthwise conv, pooling, element-wise, activation).
* ``ReadWeights_n → CalculateLayer_n``: prod 1, cons 1; a token is ``a_n / F_n`` of the layer's weights.

Larger ``a_n`` means fewer, heavier firings. Layers without channel parallelism (Flatten, Concat,
Softmax) have ``F_n = 1``. The graph input is an ``Input`` actor and the network outputs feed ``Output``.
"""
from __future__ import annotations

import math

from edgedse.models.dataflow import Actor, Edge, PiSDFGraph
from edgedse.models.dnn import LayerGraph, OpClass, merge_into_producers, to_bytes

CHANNEL_PARALLEL = {OpClass.CONV, OpClass.DEPTHWISE_CONV, OpClass.FC, OpClass.POOL, OpClass.ELTWISE,
                    OpClass.ACTIVATION}
CHANNEL_WISE = {OpClass.DEPTHWISE_CONV, OpClass.POOL, OpClass.ELTWISE, OpClass.ACTIVATION}


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def actor_names(index: int) -> tuple[str, str, str]:
    return f"Broadcast_{index}", f"ReadWeights_{index}", f"CalculateLayer_{index}"


def dnn_to_pisdf(lg: LayerGraph, bits: int = 16, *, merge_activations: bool = True,
                 max_firings: int | None = None) -> PiSDFGraph:
    """Build the AOW PiSDF graph of a layer graph.

    Args:
        lg: the layer graph (activations are merged into their producers first when
            ``merge_activations``, as accelerators run Conv+ReLU as one operation).
        bits: bits per activation and weight element (token sizes in bytes).
        max_firings: if given, aggregation values below ``F / max_firings`` are not offered (keeps the
            expanded DAG small); the default value of every ``a_n`` is ``F_n`` (one firing per layer).

    Each actor's ``data`` holds ``layer`` (name), ``F`` and ``param`` (its aggregation parameter name),
    so costs can scale a firing's work by ``a / F``.
    """
    if merge_activations:
        lg = merge_into_producers(lg)
    g = PiSDFGraph(name=lg.name)
    layers = lg.layers()
    index = {layer.name: i for i, layer in enumerate(layers)}
    g.add_actor(Actor("Input", kind="Input", data={"bytes": sum(
        to_bytes(math.prod(shape), bits) for shape in lg.inputs.values())}))
    for i, layer in enumerate(layers):
        f = layer.output_channels if layer.op_class in CHANNEL_PARALLEL else 1
        allowed = [d for d in divisors(f) if max_firings is None or f // d <= max_firings]
        param = f"a_{i}"
        g.add_parameter(param, allowed, default=f)
        meta = {"layer": layer.name, "F": f, "param": param, "index": i}
        bc, rw, calc = actor_names(i)
        g.add_actor(Actor(bc, kind="Broadcast", layer=layer.name, data=meta))
        g.add_actor(Actor(calc, kind="CalculateLayer", layer=layer.name, data=meta))
        firings = f"{f} // {param}"
        in_bytes = layer.input_bytes(bits)
        token_in = f"({in_bytes} * {param}) // {f}" if layer.op_class in CHANNEL_WISE else in_bytes
        g.add_edge(Edge(bc, calc, prod=firings, cons=1, token_bytes=token_in))
        if layer.weight_elements:
            g.add_actor(Actor(rw, kind="ReadWeights", layer=layer.name, data=meta))
            g.add_edge(Edge(rw, calc, prod=1, cons=1,
                            token_bytes=f"({layer.weight_bytes(bits)} * {param}) // {f}"))
    for i, layer in enumerate(layers):
        bc = actor_names(i)[0]
        for src in lg.graph.nodes[layer.name].get("graph_inputs", []):
            g.add_edge(Edge("Input", bc, prod=1, cons=1, token_bytes=to_bytes(math.prod(lg.inputs[src]), bits)))
        for pred in lg.graph.predecessors(layer.name):
            j = index[pred]
            pl = layers[j]
            fp, pp = g.actors[actor_names(j)[2]].data["F"], f"a_{j}"
            g.add_edge(Edge(actor_names(j)[2], bc, prod=1, cons=f"{fp} // {pp}",
                            token_bytes=f"({pl.output_bytes(bits)} * {pp}) // {fp}"))
    sinks = [i for i, layer in enumerate(layers) if lg.graph.out_degree(layer.name) == 0]
    g.add_actor(Actor("Output", kind="Output"))
    for i in sinks:
        f, p = g.actors[actor_names(i)[2]].data["F"], f"a_{i}"
        g.add_edge(Edge(actor_names(i)[2], "Output", prod=1, cons=f"{f} // {p}",
                        token_bytes=f"({layers[i].output_bytes(bits)} * {p}) // {f}"))
    return g

