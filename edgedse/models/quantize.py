"""Fake quantization per layer (thesis Eq. 3.2): symmetric, power-of-two scale, half-even rounding.

    Q = clip(round(X · 2^f), −2^{n−1}, 2^{n−1} − 1) · 2^{−f}

with ``n`` the bit-width and ``f`` the fraction length chosen per tensor to minimize the mean squared
error (the thesis' greedy search over the radix position; here exhaustive over a range, which finds
the same minimum). ``torch.round`` rounds half to even. A layer at ``n`` bits has its weights and
its input activations quantized to ``n`` bits (both MAC operands); biases stay in full precision
(the thesis keeps them at 16 bits). Activation fraction lengths come from the calibration set.
"""
from __future__ import annotations

from contextlib import contextmanager

FRACTION_RANGE = range(-16, 33)


def quantize(x, bits: int, frac: int):
    import torch

    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return torch.clamp(torch.round(x * 2.0 ** frac), lo, hi) * 2.0 ** (-frac)


def best_fraction(x, bits: int) -> int:
    """The fraction length ``f`` minimizing ‖Q(x) − x‖² (ties: the larger f)."""
    import torch

    best, best_err = 0, None
    with torch.no_grad():
        for f in FRACTION_RANGE:
            err = float(((quantize(x, bits, f) - x) ** 2).sum())
            if best_err is None or err <= best_err:
                best, best_err = f, err
    return best


def quantizable_layers(model) -> list[str]:
    """Names of the model's Conv2d and Linear modules, in definition order."""
    import torch.nn as nn

    return [n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def calibrate(model, x_calib, layers: list[str] | None = None) -> dict[str, object]:
    """The full-precision input activation of every layer on the calibration batch."""
    import torch

    layers = layers or quantizable_layers(model)
    mods = dict(model.named_modules())
    seen = {}
    hooks = [mods[n].register_forward_pre_hook(lambda m, a, n=n: seen.__setitem__(n, a[0].detach()))
             for n in layers]
    try:
        with torch.no_grad():
            model(x_calib)
    finally:
        for h in hooks:
            h.remove()
    return seen


class FakeQuantizer:
    """Applies a per-layer bit-width configuration to a model (weights and input activations), with
    fraction lengths fixed once from the calibration activations and the weights."""

    def __init__(self, model, x_calib, layers: list[str] | None = None) -> None:
        self.model = model
        self.layers = layers or quantizable_layers(model)
        self.modules = dict(model.named_modules())
        self._acts = calibrate(model, x_calib, self.layers)
        self._frac: dict[tuple[str, str, int], int] = {}

    def fraction(self, layer: str, what: str, bits: int) -> int:
        key = (layer, what, bits)
        if key not in self._frac:
            x = self.modules[layer].weight.detach() if what == "w" else self._acts[layer]
            self._frac[key] = best_fraction(x, bits)
        return self._frac[key]

    def weight_error(self, layer: str, bits: int) -> float:
        """‖Q(W) − W‖² of a layer's weights at ``bits``."""
        w = self.modules[layer].weight.detach()
        return float(((quantize(w, bits, self.fraction(layer, "w", bits)) - w) ** 2).sum())

    @contextmanager
    def applied(self, bits: dict[str, int]):
        """Within the block the model runs with ``bits[layer]`` for the listed layers (others full precision)."""
        import torch

        saved, hooks = {}, []
        try:
            with torch.no_grad():
                for name, b in bits.items():
                    mod = self.modules[name]
                    saved[name] = mod.weight.detach().clone()
                    mod.weight.copy_(quantize(mod.weight, b, self.fraction(name, "w", b)))
                    fa = self.fraction(name, "a", b)
                    hooks.append(mod.register_forward_pre_hook(
                        lambda m, a, b=b, fa=fa: (quantize(a[0], b, fa),) + tuple(a[1:])))
            yield self.model
        finally:
            for h in hooks:
                h.remove()
            with torch.no_grad():
                for name, w in saved.items():
                    self.modules[name].weight.copy_(w)
