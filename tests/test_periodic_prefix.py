"""``PeriodicProblem.prefix``: the first layers of a pipelined problem, for scaling studies."""
from __future__ import annotations

import pytest

from edgedse.analysis.pareto import period_latency_front
from edgedse.analysis.periodic_evaluator import evaluate_periodic
from edgedse.solvers.periodic_heuristics import pack


def test_prefix_keeps_the_first_layers_and_the_edges_among_them(resnet):
    """ResNet-18's first residual block: stem conv → max pool → conv1 → conv2 → add, and the skip from the pool
    to the add."""
    q = resnet.prefix(5)
    assert q.name == "resnet18_mpsoc4_periodic[:5]"
    assert [ly.layer for ly in q.layers] == ["/stem/stem.0/Conv", "/stem/stem.3/MaxPool",
                                             "/layers/layers.0/conv1/Conv", "/layers/layers.0/conv2/Conv",
                                             "/layers/layers.0/Add"]
    assert sorted(q.edges) == [(0, 1), (1, 2), (1, 4), (2, 3), (3, 4)]
    assert q.baseline.modes == resnet.baseline.modes[:5] and q.baseline.pes == resnet.baseline.pes[:5]
    assert q.pe_names == resnet.pe_names and q.weight_bytes == resnet.weight_bytes
    met = evaluate_periodic(q, pack(q, q.baseline))  # the cut baseline is a valid mapping of the prefix
    assert met.period >= q.lower_bound()
    whole = resnet.prefix(resnet.n_layers)
    assert whole.layers == resnet.layers and sorted(whole.edges) == sorted(resnet.edges)


@pytest.mark.parametrize("n", [0, 33])
def test_prefix_size_out_of_range_is_named(resnet, n):
    with pytest.raises(ValueError, match=r"1\.\.32 layers, not " + str(n)):
        resnet.prefix(n)


def test_vgg16_two_layer_front_is_certified(vgg):
    """VGG16's first two convolutions on NEURAghe: every point of the period × latency front is certified (its
    latency equals its proven bound, its period too) and evaluates to what it reports."""
    vgg2 = vgg.prefix(2)
    front = period_latency_front(vgg2, time_limit=10)
    assert len(front) >= 2
    assert all(q.certified and q.latency_gap == 0.0 and q.period_gap == 0.0 for q in front)
    for q in front:
        met = evaluate_periodic(vgg2, q.schedule)
        assert (met.period, met.latency) == (q.period, q.latency)
