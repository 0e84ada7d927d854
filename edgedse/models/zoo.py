"""The model zoo: CNNs defined in PyTorch in this repository and exported to ONNX.

torchvision cannot be installed here, so the ImageNet networks are written out to match torchvision's
definitions layer for layer (parameter counts are asserted by the tests):

* ``lenet`` — the ALOHA paper's Table 1 (CF'19): Conv 3→32 5×5 on 32×32, Conv 32→32 5×5 on 16×16,
  Conv 32→64 5×5 on 8×8. The table gives no padding or pooling; we use "same" padding and 2×2 max
  pooling (which produce exactly the listed 32/16/8 image sizes), and the classifier of Caffe's
  ``cifar10_quick`` (FC 1024→64, ReLU, FC 64→10).
* ``alexnet``, ``vgg16``, ``resnet18``, ``mobilenetv2`` — torchvision-equivalent, 224×224 input.
  AlexNet and VGG16's ``AdaptiveAvgPool2d`` is the identity at 224×224 and is left out.
* ``ic``, ``kws``, ``fer`` — the three PaQ networks of the thesis' Table 2.3. The source gives no
  strides or padding: every convolution uses stride 1 and "same" padding; every max pooling uses a
  stride equal to its kernel (PyTorch's default, non-overlapping windows) and no padding. KWS' second
  pooling, listed as MaxPool(1,1), is the identity and is left out.

ImageNet-size models are exported structure-only (``export_params=False``: weights become typed graph
inputs) to keep git small; the small models carry their (random, seeded) weights.

Run ``python -m edgedse.models.zoo [OUT_DIR]`` (or ``edgedse zoo``) to rebuild ``instances/models/``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

#: models written with weights (small) vs structure only (ImageNet-size)
WITH_WEIGHTS = {"lenet", "ic"}
IMAGE_SIZE = 224


def _nn():
    import torch
    from torch import nn
    return torch, nn


def lenet():
    _, nn = _nn()
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    ), (1, 3, 32, 32)


def alexnet():
    _, nn = _nn()
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, 1000),
    ), (1, 3, IMAGE_SIZE, IMAGE_SIZE)


def vgg16():
    _, nn = _nn()
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    layers += [nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
               nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(), nn.Linear(4096, 1000)]
    return nn.Sequential(*layers), (1, 3, IMAGE_SIZE, IMAGE_SIZE)


def resnet18():
    torch, nn = _nn()

    class BasicBlock(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet18(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                      nn.MaxPool2d(3, 2, 1))
            blocks, c = [], 64
            for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
                blocks += [BasicBlock(c, cout, stride), BasicBlock(cout, cout, 1)]
                c = cout
            self.layers = nn.Sequential(*blocks)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.pool(self.layers(self.stem(x)))
            return self.fc(torch.flatten(x, 1))

    return ResNet18(), (1, 3, IMAGE_SIZE, IMAGE_SIZE)


def mobilenetv2():
    torch, nn = _nn()

    def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, relu: bool = True):
        layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        return layers + [nn.ReLU6()] if relu else layers

    class InvertedResidual(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
            super().__init__()
            hidden = cin * expand
            layers = conv_bn(cin, hidden, 1) if expand != 1 else []
            layers += conv_bn(hidden, hidden, 3, stride, groups=hidden)
            layers += conv_bn(hidden, cout, 1, relu=False)
            self.body = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            return x + self.body(x) if self.residual else self.body(x)

    class MobileNetV2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers, c = conv_bn(3, 32, 3, 2), 32
            for t, cout, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                                  (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
                for i in range(n):
                    layers.append(InvertedResidual(c, cout, s if i == 0 else 1, t))
                    c = cout
            layers += conv_bn(c, 1280, 1)
            self.features = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

        def forward(self, x):
            return self.classifier(torch.flatten(self.pool(self.features(x)), 1))

    return MobileNetV2(), (1, 3, IMAGE_SIZE, IMAGE_SIZE)


def ic():
    _, nn = _nn()
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(3),
        nn.Conv2d(32, 32, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(3),
        nn.Conv2d(32, 64, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(3),
        nn.Flatten(), nn.Linear(64 * 1 * 1, 10),
    ), (1, 3, 32, 32)


def kws():
    _, nn = _nn()
    return nn.Sequential(
        nn.Conv2d(1, 64, (20, 8), padding="same"), nn.ReLU(), nn.MaxPool2d((1, 3)),
        nn.Conv2d(64, 64, (10, 4), padding="same"), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * 32 * 13, 32), nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 12),
    ), (1, 1, 32, 40)


def fer():
    _, nn = _nn()
    layers, c = [], 1
    for width in (32, 64, 128):
        for _ in range(3):
            layers += [nn.Conv2d(c, width, 3, padding="same"), nn.ReLU()]
            c = width
        layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(128 * 6 * 6, 7)]
    return nn.Sequential(*layers), (1, 1, 48, 48)


ZOO: dict[str, Callable] = {"lenet": lenet, "alexnet": alexnet, "vgg16": vgg16, "resnet18": resnet18,
                            "mobilenetv2": mobilenetv2, "ic": ic, "kws": kws, "fer": fer}


def build(name: str, seed: int = 0):
    """Instantiate zoo model ``name`` in eval mode with seeded weights; returns (module, input_shape)."""
    torch, _ = _nn()
    torch.manual_seed(seed)
    module, shape = ZOO[name]()
    return module.eval(), shape


def export(name: str, out_dir: str | Path, *, seed: int = 0, opset: int = 13) -> Path:
    """Export zoo model ``name`` to ``out_dir/NAME.onnx``; weights are kept only for small models."""
    torch, _ = _nn()
    torch.set_num_threads(1)
    module, shape = build(name, seed)
    path = Path(out_dir) / f"{name}.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    keep = name in WITH_WEIGHTS
    torch.onnx.export(module, (torch.zeros(shape),), str(path), input_names=["input"], output_names=["logits"],
                      opset_version=opset, export_params=keep, do_constant_folding=keep,
                      training=torch.onnx.TrainingMode.EVAL, dynamo=False)
    return path


def export_all(out_dir: str | Path, names: list[str] | None = None) -> list[Path]:
    return [export(n, out_dir) for n in (names or list(ZOO))]


if __name__ == "__main__":  # pragma: no cover - a build script
    import sys

    target = sys.argv[1] if len(sys.argv) > 1 else "instances/models"
    for p in export_all(target):
        print(p, p.stat().st_size, "bytes")
