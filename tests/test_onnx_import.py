"""ONNX import: published parameter/MAC counts, hand-computed layers, folding, and clear errors."""
from __future__ import annotations

import pytest
from onnx import TensorProto, helper, numpy_helper
import numpy as np

from conftest import MODELS, make_onnx
from edgedse import InputError, load_onnx
from edgedse.models.dnn import OpClass
from edgedse.models.onnx_import import model_to_layer_graph

# (params, MACs of conv + fully connected layers, relative MAC tolerance) — published values
PUBLISHED = {
    "vgg16": (138_357_544, 15.47e9, 0.005),
    "resnet18": (11_689_512, 1.814e9, 0.005),
    "mobilenetv2": (3_504_872, 0.30e9, 0.01),
    "alexnet": (61_100_840, 0.714e9, 0.005),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_zoo_matches_published_counts(name):
    params, macs, tol = PUBLISHED[name]
    lg = load_onnx(MODELS / f"{name}.onnx")
    assert lg.total_params == params
    assert abs(lg.total_macs - macs) / macs < tol


def test_lenet_matches_aloha_table1_by_hand():
    lg = load_onnx(MODELS / "lenet.onnx")
    convs = [l for l in lg.layers() if l.op == "Conv"]
    # (Cin, Cout, image size) of Table 1; MACs = H·W·Cout·Cin·5·5 with "same" padding
    for layer, (cin, cout, hw) in zip(convs, [(3, 32, 32), (32, 32, 16), (32, 64, 8)]):
        assert layer.input_shapes[0] == (1, cin, hw, hw)
        assert layer.output_shape == (1, cout, hw, hw)
        assert layer.macs == hw * hw * cout * cin * 25
        assert layer.params == cout * cin * 25 + cout
    assert lg.total_params == 145_578


def test_paq_networks_shapes():
    ic, kws, fer = (load_onnx(MODELS / f"{n}.onnx") for n in ("ic", "kws", "fer"))
    assert [l.output_shape for l in ic.layers() if l.op == "Conv"] == [(1, 32, 32, 32), (1, 32, 10, 10), (1, 64, 3, 3)]
    assert ic.layers()[-1].output_shape == (1, 10)
    kconv = [l for l in kws.layers() if l.op == "Conv"]
    assert kconv[0].macs == 32 * 40 * 64 * 1 * 20 * 8 and kconv[1].output_shape == (1, 64, 32, 13)
    assert [l.output_shape[1] for l in kws.layers() if l.op_class == OpClass.FC] == [32, 128, 12]
    fconv = [l for l in fer.layers() if l.op == "Conv"]
    assert [l.output_shape[1] for l in fconv] == [32] * 3 + [64] * 3 + [128] * 3
    assert fer.layers()[-1].output_shape == (1, 7)


def test_batchnorm_is_folded_and_counted_like_torch():
    lg = load_onnx(MODELS / "resnet18.onnx")
    assert not [l for l in lg.layers() if l.op == "BatchNormalization"]
    stem = lg.layers()[0]
    assert len(stem.onnx_nodes) == 2 and stem.onnx_nodes[1].endswith("BatchNormalization")
    # conv 64·3·7·7 without bias, BN γ and β (2·64) as trainable params; deployment weights add one bias
    assert stem.params == 64 * 3 * 49 + 2 * 64
    assert stem.weight_elements == 64 * 3 * 49 + 64
    adds = [l for l in lg.layers() if l.op == "Add"]
    assert len(adds) == 8 and all(len(l.input_shapes) == 2 for l in adds)


def test_depthwise_and_grouped_convolutions():
    lg = load_onnx(MODELS / "mobilenetv2.onnx")
    dw = [l for l in lg.layers() if l.op_class == OpClass.DEPTHWISE_CONV]
    assert len(dw) == 17
    first = dw[0]  # 32 channels, 3×3, 112×112
    assert first.macs == 112 * 112 * 32 * 9
    # a grouped (not depthwise) convolution: 8 → 16 channels in 2 groups, 3×3 on 4×4, pads 1
    w = numpy_helper.from_array(np.zeros((16, 4, 3, 3), np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="gconv", group=2, pads=[1, 1, 1, 1])
    m = make_onnx([node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 4, 4])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    layer = model_to_layer_graph(m).layer("gconv")
    assert layer.op_class == OpClass.CONV and layer.attrs["group"] == 2
    assert layer.macs == 4 * 4 * 16 * 4 * 9 and layer.params == 16 * 4 * 9


def _fc_model(extra_nodes=(), opset=13, op="Gemm"):
    w = numpy_helper.from_array(np.zeros((10, 4) if op == "Gemm" else (4, 10), np.float32), "w")
    b = numpy_helper.from_array(np.zeros(10, np.float32), "b")
    if op == "Gemm":
        fc = helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1)
        nodes = [fc]
    else:
        nodes = [helper.make_node("MatMul", ["x", "w"], ["m"], name="fc"),
                 helper.make_node("Add", ["m", "b"], ["h"], name="bias")]
    nodes += [helper.make_node("Identity", ["h"], ["i"], name="id"),
              helper.make_node("Softmax", ["i"], ["y"], name="sm")] + list(extra_nodes)
    return make_onnx(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                     [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w, b], opset)


@pytest.mark.parametrize("op", ["Gemm", "MatMul"])
def test_fully_connected_bias_and_pass_through(op):
    lg = model_to_layer_graph(_fc_model(op=op))
    assert [l.name for l in lg.layers()] == ["fc", "sm"]  # Identity is a pass-through, bias folded
    fc = lg.layer("fc")
    assert fc.op_class == OpClass.FC and fc.params == 50 and fc.macs == 40
    assert list(lg.graph.edges) == [("fc", "sm")]


def test_unknown_op_names_node_and_type():
    bad = helper.make_node("LSTM", ["y", "w"], ["z"], name="my_lstm")
    with pytest.raises(InputError, match=r"my_lstm.*LSTM.*cannot be modelled"):
        model_to_layer_graph(_fc_model([bad]))


def test_old_opset_rejected():
    with pytest.raises(InputError, match="opset 9 is below 11"):
        model_to_layer_graph(_fc_model(opset=9))


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_onnx(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\x01 definitely not protobuf")
    with pytest.raises(InputError, match="not a readable ONNX model"):
        load_onnx(bad)


def test_byte_sizes_at_bit_widths():
    lg = load_onnx(MODELS / "lenet.onnx")
    conv1 = lg.layers()[0]
    assert conv1.output_bytes(16) == 32 * 32 * 32 * 2
    assert conv1.output_bytes(4) == 32 * 32 * 32 // 2
    assert conv1.weight_bytes(8) == 2432
