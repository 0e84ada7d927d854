"""Per-layer, per-bit-width sensitivity of a network to fake quantization (one layer at a time).

For each layer ``i`` and bit-width ``b`` (all other layers at full precision), on a calibration batch:

* ``kl``   mean KL divergence D(p_fp ‖ p_q) of the softmax outputs (nats; needs no labels);
* ``mse``  mean squared error of the logits;
* ``acc_drop``  full-precision accuracy minus quantized accuracy (fraction; only with labels);
* ``hessian`` (optional, HAWQ-style)  Tr(H_i) / |W_i| · ‖Q(W_i) − W_i‖², with the Hessian trace of the loss
  w.r.t. the layer's weights by Hutchinson's estimator (Rademacher probes, fixed seed); the loss is the
  cross-entropy to the labels, or to the full-precision predictions without labels.

``measure_config`` evaluates a whole configuration (every layer at its bits) the same way — the
"measured" values a precision solution is checked against.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sensitivity:
    layers: list[str]
    bits: list[int]
    kl: dict = field(default_factory=dict)          # (layer, bits) -> nats
    mse: dict = field(default_factory=dict)         # (layer, bits) -> logits MSE
    acc_drop: dict = field(default_factory=dict)    # (layer, bits) -> fraction (empty without labels)
    hessian: dict = field(default_factory=dict)     # (layer, bits) -> Tr(H)/|W| · ‖ΔW‖² (empty unless asked)
    base_accuracy: float | None = None


def _kl(p_logits, q_logits) -> float:
    import torch.nn.functional as F

    lp, lq = F.log_softmax(p_logits, 1), F.log_softmax(q_logits, 1)
    return float((lp.exp() * (lp - lq)).sum(1).mean())


def _acc(logits, y) -> float:
    return float((logits.argmax(1) == y).float().mean())


def measure_config(quantizer, bits: dict[str, int], x, y=None, reference=None) -> dict:
    """``{"kl", "mse", "accuracy"}`` of the model with every listed layer at its bits (accuracy None
    without labels). ``reference`` = full-precision logits of ``x`` (computed if not given)."""
    import torch

    with torch.no_grad():
        ref = quantizer.model(x) if reference is None else reference
        with quantizer.applied(bits) as m:
            out = m(x)
    return {"kl": _kl(ref, out), "mse": float(((ref - out) ** 2).mean()),
            "accuracy": None if y is None else _acc(out, y)}


def hessian_traces(model, layers: list[str], x, y=None, *, probes: int = 16, seed: int = 0) -> dict[str, float]:
    """Hutchinson estimate of Tr(∇²_W loss) per layer (mean over ``probes`` Rademacher vectors)."""
    import torch
    import torch.nn.functional as F

    mods = dict(model.named_modules())
    params = [mods[n].weight for n in layers]
    with torch.no_grad():
        target = model(x).argmax(1) if y is None else y
    loss = F.cross_entropy(model(x), target)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    gen = torch.Generator().manual_seed(seed)
    traces = [0.0] * len(layers)
    for _ in range(probes):
        vs = [torch.randint(0, 2, p.shape, generator=gen).float() * 2 - 1 for p in params]
        hv = torch.autograd.grad(grads, params, grad_outputs=vs, retain_graph=True)
        for i, (v, h) in enumerate(zip(vs, hv)):
            traces[i] += float((v * h).sum()) / probes
    return dict(zip(layers, traces))


def measure_sensitivity(quantizer, x, bit_options, y=None, *, hessian: bool = False, seed: int = 0) -> Sensitivity:
    """The table of the module docstring for every layer of ``quantizer`` and every bit-width."""
    import torch

    with torch.no_grad():
        ref = quantizer.model(x)
    out = Sensitivity(list(quantizer.layers), sorted(bit_options, reverse=True),
                      base_accuracy=None if y is None else _acc(ref, y))
    for layer in quantizer.layers:
        for b in out.bits:
            met = measure_config(quantizer, {layer: b}, x, y, reference=ref)
            out.kl[layer, b] = met["kl"]
            out.mse[layer, b] = met["mse"]
            if y is not None:
                out.acc_drop[layer, b] = out.base_accuracy - met["accuracy"]
    if hessian:
        traces = hessian_traces(quantizer.model, quantizer.layers, x, y, seed=seed)
        for layer in quantizer.layers:
            n = quantizer.modules[layer].weight.numel()
            for b in out.bits:
                out.hessian[layer, b] = traces[layer] / n * quantizer.weight_error(layer, b)
    return out
