"""Shared fixtures: paths of bundled instances, and small ONNX graphs built by hand."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "instances" / "models"
ARCHS = ROOT / "instances" / "architectures"
VGG = ROOT / "instances" / "vgg16_neuraghe.yaml"                 # the pipelined instances (issue 4)
RESNET = ROOT / "instances" / "resnet18_mpsoc4_periodic.yaml"


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def vgg():
    """VGG16 on NEURAghe as a PeriodicProblem, read once (tests derive variants with ``replace``)."""
    from edgedse.formats.periodic_yaml import read_periodic_instance

    return read_periodic_instance(VGG)


@pytest.fixture(scope="session")
def resnet():
    """ResNet-18 on mpsoc4 as a PeriodicProblem, read once."""
    from edgedse.formats.periodic_yaml import read_periodic_instance

    return read_periodic_instance(RESNET)


def make_onnx(nodes, inputs, outputs, initializers=(), opset=13):
    """Build a small ONNX model from helper-made nodes and value infos."""
    from onnx import helper

    graph = helper.make_graph(list(nodes), "g", list(inputs), list(outputs), initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
