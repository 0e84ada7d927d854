"""A precision study: a model, its calibration data, its measured sensitivities and the
:class:`~edgedse.models.precision.PrecisionProblem` they define on an architecture.

``model`` is ``digits-cnn`` (trained in-process on scikit-learn's digits), a model-zoo name (``resnet18``,
``mobilenetv2``, … — fixed random weights and a random calibration batch: a cost study whose sensitivities
are those of an untrained network), or an ONNX path (cost only: no weights to perturb, the loss table is
zero and ``--minimize loss`` / ``--max-loss`` are refused).

Layer costs come from the ONNX layer graph (the PyTorch models are exported to ONNX in memory), so every
source is costed by the same importer; sensitivities come from fake quantization of the PyTorch modules
named by the ONNX nodes (``/layer1/0/conv1/Conv`` ↔ ``layer1.0.conv1``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgedse.errors import InputError
from edgedse.models.precision import (PrecisionProblem, bit_options, check_ties, cost_tables, precision_layers,
                                      residual_ties)

LOSS_KINDS = ("kl", "mse", "acc", "hessian")


@dataclass
class PrecisionStudy:
    problem: PrecisionProblem
    quantizer: object = None           # FakeQuantizer, None for cost-only studies
    x_calib: object = None
    y_calib: object = None
    x_test: object = None
    y_test: object = None
    sensitivity: object = None

    def measure(self, choice) -> dict:
        """Measured KL (calibration set, nats), accuracy on the calibration set and on the test set (if any)."""
        from edgedse.analysis.sensitivity import measure_config

        if self.quantizer is None:
            raise InputError(self.problem.source, "model", "has no weights to measure (cost-only ONNX study)",
                             "use digits-cnn or a model-zoo name for measured accuracy")
        bits = {self.problem.layers[i].module: self.problem.bits[c] for i, c in enumerate(choice)}
        out = measure_config(self.quantizer, bits, self.x_calib, self.y_calib)
        if self.x_test is not None:
            out["test_accuracy"] = measure_config(self.quantizer, bits, self.x_test, self.y_test)["accuracy"]
        return out


def layer_graph_of_module(module, example):
    """The layer graph of a PyTorch module: exported to ONNX in memory (TorchScript exporter, whose node
    names carry the module scope) and read by the same importer as ONNX files."""
    import io

    import onnx
    import torch

    from edgedse.models.onnx_import import model_to_layer_graph

    import warnings

    buf = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter names nodes by module scope, which we rely on
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, (example,), buf, opset_version=13, dynamo=False,
                          training=torch.onnx.TrainingMode.EVAL, do_constant_folding=False)
    return model_to_layer_graph(onnx.load_from_string(buf.getvalue()), source="<in-memory export>", name="model")


def precision_study(model: str, arch, *, pe: str | None = None, bits: list[int] | None = None, loss: str = "kl",
                    ties: list[list[str]] | None = None, auto_ties: bool = True, seed: int = 0,
                    calib_batch: int = 8) -> PrecisionStudy:
    """Build the study (see the module docstring). ``arch``: an Architecture or a path to its YAML."""
    import torch

    from edgedse.analysis.sensitivity import measure_sensitivity
    from edgedse.models.architecture import Architecture, load_architecture
    from edgedse.models.quantize import FakeQuantizer

    if loss not in LOSS_KINDS:
        raise InputError("--loss", loss, "is not a loss proxy", f"use one of {', '.join(LOSS_KINDS)}")
    if not isinstance(arch, Architecture):
        arch = load_architecture(arch)
    torch.set_num_threads(1)
    data = {}
    module = None
    if model == "digits-cnn":
        from edgedse.models.digits import digits_cnn

        module, d = digits_cnn(seed)
        data = dict(x_calib=d.x_calib, y_calib=d.y_calib, x_test=d.x_test, y_test=d.y_test)
        lg = layer_graph_of_module(module, d.x_calib[:1])
        name = "digits-cnn"
    elif Path(model).suffix.lower() == ".onnx":
        from edgedse.models.onnx_import import load_onnx

        lg = load_onnx(model)
        name = Path(model).stem
    else:
        from edgedse.models import zoo

        if model not in zoo.ZOO:
            raise InputError("MODEL", model, "is neither digits-cnn, a model-zoo name nor an .onnx file",
                             f"use digits-cnn, an ONNX path or one of {', '.join(sorted(zoo.ZOO))}")
        module, shape = zoo.build(model, seed)
        gen = torch.Generator().manual_seed(seed)
        data = dict(x_calib=torch.randn((calib_batch, *shape[1:]), generator=gen))
        lg = layer_graph_of_module(module, data["x_calib"][:1])
        name = model
    layers = precision_layers(lg)
    if module is not None:
        from dataclasses import replace

        from edgedse.models.precision import module_path

        layers = [replace(ly, module=module_path(module, ly.name) or ly.module) for ly in layers]
    pe_kind, options = bit_options(arch, pe)
    if bits:
        unknown = [b for b in bits if b not in options]
        if unknown:
            raise InputError(arch.name, pe_kind, f"does not list bit-width(s) {unknown}",
                             f"use a subset of {list(options)}")
        options = tuple(sorted(bits, reverse=True))
    tables = cost_tables(layers, arch, pe_kind, options)
    tie_names = [list(t) for t in (ties or [])] + (residual_ties(lg, [ly.name for ly in layers]) if auto_ties else [])
    tie_idx = check_ties(name, tie_names, layers)
    quantizer = sens = None
    loss_table = np.zeros((len(layers), len(options)))
    if module is not None:
        quantizer = FakeQuantizer(module, data["x_calib"], [ly.module for ly in layers])
        sens = measure_sensitivity(quantizer, data["x_calib"], options, data.get("y_calib"),
                                   hessian=loss == "hessian", seed=seed)
        source = {"kl": sens.kl, "mse": sens.mse, "acc": sens.acc_drop, "hessian": sens.hessian}[loss]
        if loss == "acc" and not source:
            raise InputError("--loss", "acc", "needs labels", "use kl (no labels needed) for this model")
        for i, ly in enumerate(layers):
            for j, b in enumerate(options):
                loss_table[i, j] = max(0.0, source[ly.module, b])
    fixed = int(sum(np.ceil(16 * ly.biases / 8) for ly in layers))  # biases at 16 bit, as in the thesis
    problem = PrecisionProblem(name=name, layers=tuple(layers), bits=options, loss=loss_table,
                               energy=tables["energy"], latency=tables["latency"], weight=tables["weight"],
                               act=tables["act"], im2col=tables["im2col"], ops4=tables["ops4"], fixed_memory=fixed,
                               ties=tie_idx, loss_kind=loss if module is not None else "none", pe=pe_kind,
                               source=str(model))
    return PrecisionStudy(problem, quantizer, sensitivity=sens, **data)
