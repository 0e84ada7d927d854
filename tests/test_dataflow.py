"""PiSDF/SDF: rate expressions, balance equations, repetition vector, DAG expansion, AOW pattern."""
from __future__ import annotations

import networkx as nx
import pytest

from conftest import MODELS
from edgedse import InputError, load_onnx
from edgedse.models.aow import dnn_to_pisdf
from edgedse.models.dataflow import Actor, Edge, PiSDFGraph, evaluate
from edgedse.models.dnn import merge_layers, split_layer


def _chain(prod, cons, delay=0):
    return _graph("t", "AB", Edge("A", "B", prod, cons, token_bytes=4, delay=delay))


def test_expressions():
    assert evaluate("F / a", {"F": 64, "a": 8}) == 8
    assert evaluate("(3 * a) // 2 + 1", {"a": 5}) == 8
    with pytest.raises(InputError, match="not a whole number"):
        evaluate("F / a", {"F": 64, "a": 6})
    with pytest.raises(InputError, match="unknown parameter"):
        evaluate("F / b", {"F": 64})
    with pytest.raises(InputError, match="not an integer expression"):
        evaluate("__import__('os')", {})


def test_repetition_vector_and_expansion_by_hand():
    # A produces 2, B consumes 3: q = (3, 2). B0 reads tokens 0..2 = A0 (0,1) + A1 (2); B1 reads 3..5 = A1 + A2.
    sdf = _chain(2, 3).resolve()
    assert sdf.repetition_vector() == {"A": 3, "B": 2}
    dag = sdf.expand()
    assert sorted(dag.edges(data="bytes")) == [(("A", 0), ("B", 0), 8), (("A", 1), ("B", 0), 4),
                                              (("A", 1), ("B", 1), 4), (("A", 2), ("B", 1), 8)]


def test_delay_tokens_come_from_previous_iteration():
    # 1:1 with one initial token: B0 eats the delay token, B1 depends on A0, B2 on A1
    dag = _chain(1, 1, delay=1).resolve().expand()
    assert sorted((u[1], v[1]) for u, v in dag.edges) == []  # q = (1,1): B0 consumes the initial token only
    g2 = _chain(1, 3, delay=1)
    dag2 = g2.resolve().expand()  # q = (3,1): B0 reads the delay token + A0, A1
    assert sorted(u for u, _ in dag2.in_edges(("B", 0))) == [("A", 0), ("A", 1)]


def _graph(name, actors, *edges):
    g = PiSDFGraph(name)
    for a in actors:
        g.add_actor(Actor(a))
    for e in edges:
        g.add_edge(e)
    return g


def test_inconsistent_edge_is_named():
    g = _graph("cyc", "ABC", Edge("A", "B", 1, 1), Edge("B", "C", 2, 1), Edge("A", "C", 1, 1, name="bad_fifo"))
    with pytest.raises(InputError, match="bad_fifo.*inconsistent"):
        g.resolve().repetition_vector()


def test_deadlock_loop_without_delay():
    g = _graph("loop", "AB", Edge("A", "B", 1, 1), Edge("B", "A", 1, 1))
    with pytest.raises(InputError, match="deadlocks"):
        g.resolve().expand()
    g.edges[1] = Edge("B", "A", 1, 1, delay=1)
    assert nx.is_directed_acyclic_graph(g.resolve().expand())


def test_parameters_resolve_rates():
    g = PiSDFGraph("p")
    for a in "AB":
        g.add_actor(Actor(a))
    g.add_parameter("a", [1, 2, 4, 8], default=8)
    g.add_edge(Edge("A", "B", prod="8 / a", cons=1, token_bytes="100 * a"))
    assert g.resolve().repetition_vector() == {"A": 1, "B": 1}
    sdf = g.resolve({"a": 2})
    assert sdf.repetition_vector() == {"A": 1, "B": 4}
    assert sum(b for *_, b in sdf.expand().edges(data="bytes")) == 800
    with pytest.raises(InputError, match="not allowed"):
        g.resolve({"a": 3})


def test_aow_pattern_on_lenet():
    lg = load_onnx(MODELS / "lenet.onnx")
    g = dnn_to_pisdf(lg, bits=16)
    # activations merged into producers: conv, pool ×3, flatten, fc, fc (ReLU after fc1 merged)
    calcs = [a for a in g.actors.values() if a.kind == "CalculateLayer"]
    assert len(calcs) == 9
    assert len([a for a in g.actors.values() if a.kind == "ReadWeights"]) == 5
    conv2 = next(a for a in calcs if a.layer == "/3/Conv")
    param = conv2.data["param"]
    assert g.parameters[param].values == (1, 2, 4, 8, 16, 32)
    sdf = g.resolve({param: 4})
    q = sdf.repetition_vector()
    assert q[conv2.name] == 32 // 4 and q[conv2.name.replace("CalculateLayer", "ReadWeights")] == 8
    dag = sdf.expand()
    # every firing of conv2 reads the whole 32×16×16 input at 16 bits from its Broadcast
    bc = conv2.name.replace("CalculateLayer", "Broadcast")
    assert {d["bytes"] for u, v, d in dag.edges(data=True) if u == (bc, 0)} == {32 * 16 * 16 * 2}
    # the data conv2 sends to the next layer (pool) over one iteration is its whole output
    out = sum(d["bytes"] for u, v, d in dag.edges(data=True) if u[0] == conv2.name and v[0].startswith("Broad"))
    assert out == 32 * 16 * 16 * 2


def test_split_and_merge_preserve_work():
    lg = load_onnx(MODELS / "lenet.onnx")
    split = split_layer(lg, "/3/Conv", 4)
    assert split.total_macs == lg.total_macs and split.total_params == lg.total_params
    assert len(split) == len(lg) + 4  # 4 blocks + concat replace 1 layer
    merged = merge_layers(lg, ["/0/Conv", "/1/Relu", "/2/MaxPool"])
    block = merged.layer("/0/Conv+/1/Relu+/2/MaxPool")
    assert block.output_shape == (1, 32, 16, 16) and block.macs == lg.layer("/0/Conv").macs
    assert len(merged) == len(lg) - 2
    with pytest.raises(InputError, match="do not divide"):
        split_layer(lg, "/3/Conv", 5)
    with pytest.raises(InputError, match="not a linear chain"):
        merge_layers(lg, ["/0/Conv", "/2/MaxPool"])
