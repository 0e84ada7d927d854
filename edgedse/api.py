"""The public Python API that the CLI, scripts and notebooks share.

>>> from edgedse import api
>>> report = api.inspect_model("instances/models/lenet.onnx")
>>> report["totals"]["params"]
145578
"""
from __future__ import annotations

from pathlib import Path

from edgedse.models.architecture import Architecture, load_architecture
from edgedse.models.dnn import LayerGraph
from edgedse.models.onnx_import import load_onnx

__all__ = ["load_onnx", "load_architecture", "inspect_model", "Architecture", "LayerGraph"]


def inspect_model(path: str | Path, *, bits: int = 16, with_pisdf: bool = False) -> dict:
    """Layers, shapes, parameters and MACs of an ONNX model as a JSON-ready dict.

    ``{"model", "layers": [{"name", "op", "op_class", "params", "macs", "ops", "input_shape",
    "output_shape", ...}], "edges", "totals": {"params", "macs", "ops", "layers"}}``; with
    ``with_pisdf`` also a summary of its AOW PiSDF model (actors, FIFOs, firings of one iteration).
    """
    lg = load_onnx(path)
    report = lg.to_dict()
    report["bits"] = bits
    for layer, entry in zip(lg.layers(), report["layers"]):
        entry["weight_bytes"] = layer.weight_bytes(bits)
        entry["output_bytes"] = layer.output_bytes(bits)
    if with_pisdf:
        from edgedse.models.aow import dnn_to_pisdf

        g = dnn_to_pisdf(lg, bits)
        dag = g.resolve().expand()
        report["pisdf"] = {"actors": len(g.actors), "edges": len(g.edges), "parameters": len(g.parameters),
                           "dag_tasks": dag.number_of_nodes(), "dag_edges": dag.number_of_edges()}
    return report
