"""Layer fusion (issue 6): Alwani et al.'s figures, exact methods vs each other and brute force, bad input."""
from __future__ import annotations

import itertools
import json

import networkx as nx
import pytest

from conftest import ROOT
from edgedse import api
from edgedse.errors import InfeasibleError, InputError
from edgedse.models.fusion import candidate_groups
from edgedse.models.solutions import Status
from edgedse.solvers.fusion import InvalidFusion, evaluate_fusion, solve_fusion

ARCH = ROOT / "instances" / "architectures" / "scalable_pe.yaml"
MODELS = ROOT / "instances" / "models"


def alwani(buffer_kib: float = 362.5):
    """VGGNet-E's first five convolutions (conv1_1 … conv3_1, with pool1 and pool2) on 224×224 input,
    32-bit data, feature maps only — the setting of Alwani et al., MICRO 2016."""
    return api.load_fusion_problem(MODELS / "vgg16.onnx", ARCH, buffer_kib=buffer_kib, bits=32,
                                   count_weights=False, layers=7)


def test_alwani_layer_by_layer_is_77_mib():
    p = alwani()
    assert [n.kind for n in p.nodes] == ["conv", "conv", "pool", "conv", "conv", "pool", "conv"]
    r = solve_fusion(p, "layerwise")
    # each conv reads its full input (pooling applied as the next layer reads) and writes its full output
    values = (3 * 224 * 224 + 64 * 224 * 224) + 2 * 64 * 224 * 224 + (64 * 224 * 224 + 128 * 112 * 112) \
        + 2 * 128 * 112 * 112 + (128 * 112 * 112 + 256 * 56 * 56)
    assert values == 20_220_928
    assert r.objective == values * 4
    assert r.objective / 2**20 == pytest.approx(77, rel=0.05)


def test_alwani_fused_is_3_6_mib_with_362_kib_on_chip():
    p = alwani()
    full = p.group_cost(tuple(range(7)), (1, 1))
    assert round(full.buffer_bytes / 1024) == 362  # the five-layer pyramid at a 1x1 output tile
    for method in ("dp", "milp", "cpsat"):
        r = solve_fusion(p, method)
        assert r.status == Status.OPTIMAL and len(r.solution) == 1
        assert r.objective == (3 * 224 * 224 + 256 * 56 * 56) * 4  # the input image plus conv3_1's output
        assert r.objective / 2**20 == pytest.approx(3.6, rel=0.05)
    layerwise = solve_fusion(p, "layerwise").objective
    assert 1 - r.objective / layerwise == pytest.approx(0.95, abs=0.01)  # Alwani: −95 %
    smaller = solve_fusion(alwani(300), "dp")  # the pyramid no longer fits: two groups
    assert len(smaller.solution) >= 2 and smaller.objective > r.objective


def all_chain_partitions(n):
    for cuts in itertools.product([0, 1], repeat=n - 1):
        groups, cur = [], [0]
        for i, c in enumerate(cuts, start=1):
            if c:
                groups.append(tuple(cur))
                cur = []
            cur.append(i)
        groups.append(tuple(cur))
        yield groups


@pytest.mark.parametrize("objective", ["traffic", "energy", "latency"])
def test_chain_exact_methods_match_brute_force(objective):
    p = api.load_fusion_problem(MODELS / "vgg16.onnx", ARCH, buffer_kib=96, layers=9)
    assert p.is_chain
    best = None
    for groups in all_chain_partitions(p.n):
        costs = [p.best_tile(g, objective) for g in groups]
        if all(c is not None for c in costs):
            v = sum(c.value(objective) for c in costs)
            best = v if best is None or v < best else best
    for method in ("dp", "milp", "cpsat"):
        r = solve_fusion(p, method, objective)
        assert r.status == Status.OPTIMAL and r.objective == pytest.approx(best, rel=1e-7)
    greedy = solve_fusion(p, "greedy", objective)
    assert greedy.objective >= best * (1 - 1e-9)


def exact_covers(p, candidates):
    """Every partition of the nodes into candidate groups (brute force by exact cover)."""
    by_first = {}
    order = {v: i for i, v in enumerate(nx.topological_sort(p.graph))}
    for g in candidates:
        by_first.setdefault(min(g, key=order.get), []).append(g)

    def rec(left, chosen):
        if not left:
            yield list(chosen)
            return
        v = min(left, key=order.get)
        for g in by_first.get(v, []):
            if set(g) <= left:
                yield from rec(left - set(g), chosen + [g])

    yield from rec(set(range(p.n)), [])


def test_dag_exact_methods_match_brute_force_on_resnet_blocks():
    p = api.load_fusion_problem(MODELS / "resnet18.onnx", ARCH, buffer_kib=192, layers=12, max_group=6)
    assert not p.is_chain
    best = None
    for part in exact_covers(p, candidate_groups(p)):
        try:
            evaluate_fusion(p, [(g, (1, 1)) for g in part])  # order and structure (tile checked below)
        except InvalidFusion as e:
            if e.kind != "buffer":
                continue
        costs = [p.best_tile(g) for g in part]
        if all(c is not None for c in costs):
            v = sum(c.offchip_bytes for c in costs)
            best = v if best is None or v < best else best
    assert best is not None and sum(1 for _ in exact_covers(p, candidate_groups(p))) > 100
    for method in ("milp", "cpsat"):
        r = solve_fusion(p, method)
        assert r.status == Status.OPTIMAL and r.objective == best
    assert solve_fusion(p, "greedy").objective >= best
    with pytest.raises(InputError, match="chains only"):
        solve_fusion(p, "dp")


def test_resnet18_and_mobilenetv2_exact_agree_and_beat_layerwise():
    for model in ("resnet18", "mobilenetv2"):
        p = api.load_fusion_problem(MODELS / f"{model}.onnx", ARCH, buffer_kib=256)
        milp, cpsat = solve_fusion(p, "milp"), solve_fusion(p, "cpsat")
        assert milp.status == cpsat.status == Status.OPTIMAL
        assert milp.objective == pytest.approx(cpsat.objective, rel=1e-6)
        assert milp.objective <= solve_fusion(p, "greedy").objective
        assert milp.objective < solve_fusion(p, "layerwise").objective


def test_evaluator_rejects_bad_partitions():
    p = alwani()
    with pytest.raises(InvalidFusion, match="partition"):
        evaluate_fusion(p, [((0, 1), (1, 1))])
    with pytest.raises(InvalidFusion, match="buffer"):
        evaluate_fusion(p, [(tuple(range(7)), (56, 56))])
    with pytest.raises(InvalidFusion, match="connected"):
        evaluate_fusion(p, [((0, 2), (1, 1)), ((1,), (1, 1)), ((3, 4, 5, 6), (1, 1))])


def test_too_small_buffer_names_layer_and_minimum():
    with pytest.raises(InfeasibleError, match=r"layer /0/Conv needs at least [\d,]+ B") as e:
        solve_fusion(alwani(1), "milp")
    assert "--buffer-kib" in str(e.value)


def test_cli_fuse_json():
    from typer.testing import CliRunner

    from edgedse.cli import app

    out = CliRunner().invoke(app, ["fuse", str(MODELS / "vgg16.onnx"), "--arch", str(ARCH), "--buffer-kib", "362.5",
                                   "--bits", "32", "--no-weights", "--layers", "7", "--method", "cpsat", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    for key in ("status", "objective", "bound", "groups", "offchip_bytes", "layerwise_offchip_bytes", "wall_time_s"):
        assert key in doc
    assert doc["offchip_bytes"] == 3_813_376 and doc["layerwise_offchip_bytes"] == 80_883_712
    g = doc["groups"][0]
    assert g["layers"][0] == "/0/Conv" and g["tile"] == [1, 1] and g["buffer_bytes"] <= doc["buffer_bytes"]
    bad = CliRunner().invoke(app, ["fuse", str(MODELS / "resnet18.onnx"), "--arch", str(ARCH), "--method", "dp"])
    assert bad.exit_code != 0 and "chains only" in bad.output


def test_recompute_and_cache_modes_by_hand():
    """Two 3x3 stride-1 convolutions fused, 1x1 output tile: recompute re-reads and recomputes the halos,
    cache keeps them; with one tile covering the whole output both modes coincide."""
    cache = alwani()
    rec = api.load_fusion_problem(MODELS / "vgg16.onnx", ARCH, buffer_kib=362.5, bits=32, count_weights=False,
                                  layers=7, mode="recompute")
    g = (0, 1)
    c, r = cache.group_cost(g, (8, 8)), rec.group_cost(g, (8, 8))
    assert c.macs == sum(cache.nodes[v].macs for v in g)
    # recompute: conv1_2 computes 8x8 outputs per tile, conv1_1 the 10x10 its window needs, 28x28 tiles
    per_pixel = [cache.nodes[v].macs / (224 * 224) for v in g]
    assert r.macs == pytest.approx(28 * 28 * (10 * 10 * per_pixel[0] + 8 * 8 * per_pixel[1]))
    assert r.featuremap_bytes == (28 * 28 * 12 * 12 * 3 + 224 * 224 * 64) * 4  # 12x12 input windows per tile
    assert c.featuremap_bytes == (224 * 224 * 3 + 224 * 224 * 64) * 4
    whole_c, whole_r = cache.group_cost(g, (224, 224)), rec.group_cost(g, (224, 224))
    assert whole_c.offchip_bytes == whole_r.offchip_bytes and whole_c.macs == whole_r.macs


def test_layerwise_runs_a_pool_alone_when_pool_and_consumer_do_not_fit_together():
    from dataclasses import replace

    p = alwani()
    conv_alone = min(p.group_cost((3,), t).buffer_bytes for t in p.tiles((3,)))
    sub = replace(p, nodes=p.nodes[2:4], edges=((0, 1),), accel=replace(p.accel, capacity=conv_alone), meta={})
    assert sub.best_tile((0, 1)) is None and sub.best_tile((0,)) and sub.best_tile((1,))
    r = solve_fusion(sub, "layerwise")
    assert r.solution and [g for g, _ in r.solution] == [(0,), (1,)]
