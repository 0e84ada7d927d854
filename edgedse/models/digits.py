"""``digits-cnn``: a small CNN trained in-process on scikit-learn's bundled digits (1,797 8×8 images).

Nothing is downloaded: the data ships with scikit-learn; training takes seconds on one CPU thread and the
weights are cached under the user cache directory (``$EDGEDSE_CACHE`` or ``~/.cache/edgedse``), keyed by a
hash of the architecture, the seed, the epochs and the torch version.

Split (fixed, stratified by the seed): 1,197 training images, of which the first 256 form the
calibration set (as the thesis' calibration subset of the training set), and 600 test images.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ARCH_SPEC = "conv1:1-16-3 conv2:16-32-3 pool2 conv3:32-32-3 fc1:512-64 fc2:64-10 relu"


@dataclass
class DigitsData:
    x_train: object      # torch tensors, (N, 1, 8, 8) float32 scaled to [0, 1]
    y_train: object
    x_calib: object
    y_calib: object
    x_test: object
    y_test: object


def cache_dir() -> Path:
    return Path(os.environ.get("EDGEDSE_CACHE", Path.home() / ".cache" / "edgedse"))


def build_digits_cnn():
    """The network (layer names are the module names: conv1, conv2, conv3, fc1, fc2)."""
    import torch.nn as nn

    class DigitsCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.conv3 = nn.Conv2d(32, 32, 3, padding=1)
            self.fc1 = nn.Linear(512, 64)
            self.fc2 = nn.Linear(64, 10)
            self.relu = nn.ReLU()
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.pool(self.relu(self.conv2(x)))
            x = self.relu(self.conv3(x))
            x = self.relu(self.fc1(x.flatten(1)))
            return self.fc2(x)

    return DigitsCNN()


def load_digits_data(seed: int = 0) -> DigitsData:
    import torch
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(d.target, dtype=torch.long)
    order = np.random.default_rng(seed).permutation(len(y))
    tr, te = order[:1197], order[1197:]
    return DigitsData(x[tr], y[tr], x[tr[:256]], y[tr[:256]], x[te], y[te])


def digits_cnn(seed: int = 0, epochs: int = 40, *, cache: bool = True):
    """``(model, data)``: the trained network in eval mode and its data split; cached by hash."""
    import torch

    torch.set_num_threads(1)
    data = load_digits_data(seed)
    key = hashlib.sha256(f"{ARCH_SPEC}|{seed}|{epochs}|{torch.__version__}".encode()).hexdigest()[:16]
    path = cache_dir() / f"digits_cnn_{key}.pt"
    torch.manual_seed(seed)
    model = build_digits_cnn()
    if cache and path.is_file():
        model.load_state_dict(torch.load(path, weights_only=True))
    else:
        _train(model, data, epochs, seed)
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            torch.save(model.state_dict(), tmp)
            tmp.replace(path)
    return model.eval(), data


def _train(model, data: DigitsData, epochs: int, seed: int) -> None:
    import torch

    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(data.y_train)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(n, generator=g).split(64):
            opt.zero_grad()
            loss_fn(model(data.x_train[idx]), data.y_train[idx]).backward()
            opt.step()
    model.eval()


def accuracy(model, x, y) -> float:
    import torch

    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())
