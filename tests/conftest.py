"""Shared fixtures: paths of bundled instances, and small ONNX graphs built by hand."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "instances" / "models"
ARCHS = ROOT / "instances" / "architectures"


@pytest.fixture
def root() -> Path:
    return ROOT


def make_onnx(nodes, inputs, outputs, initializers=(), opset=13):
    """Build a small ONNX model from helper-made nodes and value infos."""
    import onnx
    from onnx import helper

    graph = helper.make_graph(list(nodes), "g", list(inputs), list(outputs), initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
