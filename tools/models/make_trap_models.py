#!/usr/bin/env python3
"""Build the small ONNX models that reproduce real-world export traps (issue 10).

One tiny CNN is trained on the bundled 1000-image Fashion-MNIST sample, then exported in
the shapes third-party exports come in:

  plain.onnx               logits, [batch, 1, 28, 28] (the twin the others are compared with)
  softmax.onnx             ends in Softmax: the file outputs probabilities
  logsoftmax.onnx          ends in LogSoftmax
  logsoftmax-reshape.onnx  LogSoftmax behind a Reshape
  round.onnx               quantises its input with Round: gradient zero almost everywhere
  fixed-batch.onnx         exported without dynamic axes: [1, 1, 28, 28], batch can be freed
  pinned-batch.onnx        reshapes to [1, -1]: runs at batch 1 only
  nhwc.onnx                takes [batch, 28, 28, 1] images (a Keras/tf2onnx layout)
  two-inputs.onnx          image and temperature, both fed: the second has no value in the file
  two-inputs-default.onnx  the same, with temperature = 1 stored as the input's initializer

Every model takes pixels in [0, 1] (no normalisation) and has 10 classes; together they
weigh a few tens of KB. manifest.json records each file's SHA-256 and the accuracy PyTorch
gives on the 1000 samples (they all share the same weights, so all but round.onnx agree).

Run from the repository root (Debian's PyTorch; nothing is downloaded):
    /usr/bin/python3 tools/models/make_trap_models.py
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "resources" / "samples"
OUT_DIR = REPO_ROOT / "src-main" / "engine" / "onnx" / "fixtures" / "traps"
SEED = 20251206
OPSET = 13
EPOCHS = 30


def read_idx_gz(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class TinyNet(nn.Module):
    """Conv(1->4, stride 2) - ReLU - MaxPool - Linear(196 -> 12) - ReLU - Linear(12 -> 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1)
        self.fc1 = nn.Linear(4 * 7 * 7, 12)
        self.head = nn.Linear(12, 10)

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(F.relu(self.conv(x)), 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.relu(self.fc1(torch.flatten(self.trunk(x), 1))))


class Softmax(nn.Module):
    def __init__(self, net: TinyNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x):
        return F.softmax(self.net(x), dim=1)


class LogSoftmax(Softmax):
    def forward(self, x):
        return F.log_softmax(self.net(x), dim=1)


class LogSoftmaxReshape(Softmax):
    def forward(self, x):
        return F.log_softmax(self.net(x), dim=1).reshape(-1, 10)


class Round(Softmax):
    """Input quantisation to 256 levels, a classic gradient-masking 'defence'."""

    def forward(self, x):
        return self.net(torch.round(x * 255) / 255)


class PinnedBatch(Softmax):
    """Flattens with a batch of 1 written into the Reshape: no other batch size can run."""

    def forward(self, x):
        net = self.net
        return net.head(F.relu(net.fc1(net.trunk(x).reshape(1, -1))))


class Nhwc(Softmax):
    def forward(self, x):
        return self.net(x.permute(0, 3, 1, 2))


class TwoInputs(Softmax):
    def forward(self, image, temperature):
        return self.net(image) / temperature


def train(x: torch.Tensor, y: torch.Tensor) -> TinyNet:
    net = TinyNet()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(SEED + 1)
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), 50):
            idx = order[start:start + 50]
            opt.zero_grad()
            F.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    return net.eval()


def export(module: nn.Module, args: tuple, path: Path, inputs: list[str], dynamic: bool = True) -> None:
    axes = {name: {0: "batch"} for name in inputs if name != "temperature"}
    axes["output"] = {0: "batch"}
    torch.onnx.export(
        module, args, str(path),
        opset_version=OPSET,
        do_constant_folding=True,
        input_names=inputs,
        output_names=["output"],
        dynamic_axes=axes if dynamic else None,
    )


def with_default_temperature(src: Path, dst: Path) -> None:
    """temperature stays a graph input, with 1.0 as its initializer (IR >= 4: an overridable default)."""
    m = onnx.load(str(src))
    m.graph.initializer.append(onnx.numpy_helper.from_array(np.ones(1, dtype=np.float32), "temperature"))
    onnx.save(m, str(dst))


def accuracy(module: nn.Module, x: torch.Tensor, y: torch.Tensor, nhwc: bool = False) -> float:
    with torch.no_grad():
        if nhwc:
            x = x.permute(0, 2, 3, 1)
        if isinstance(module, PinnedBatch):
            out = torch.cat([module(x[i:i + 1]) for i in range(len(x))])
        elif isinstance(module, TwoInputs):
            out = module(x, torch.ones(1))
        else:
            out = module(x)
    return float((out.argmax(1) == y).float().mean())


def main() -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    images = read_idx_gz(SAMPLES / "fmnist-test-1000-images-idx3-ubyte.gz")
    labels = read_idx_gz(SAMPLES / "fmnist-test-1000-labels-idx1-ubyte.gz")
    x = torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    net = train(x, y)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    one = torch.zeros(1, 1, 28, 28)
    models = {
        "plain.onnx": (net, (one,), ["input"], True),
        "softmax.onnx": (Softmax(net), (one,), ["input"], True),
        "logsoftmax.onnx": (LogSoftmax(net), (one,), ["input"], True),
        "logsoftmax-reshape.onnx": (LogSoftmaxReshape(net), (one,), ["input"], True),
        "round.onnx": (Round(net), (one,), ["input"], True),
        "fixed-batch.onnx": (net, (one,), ["input"], False),
        "pinned-batch.onnx": (PinnedBatch(net), (one,), ["input"], False),
        "nhwc.onnx": (Nhwc(net), (torch.zeros(1, 28, 28, 1),), ["input"], True),
        "two-inputs.onnx": (TwoInputs(net), (one, torch.ones(1)), ["image", "temperature"], True),
    }
    manifest = {}
    for name, (module, args, inputs, dynamic) in models.items():
        path = OUT_DIR / name
        export(module, args, path, inputs, dynamic)
        onnx.checker.check_model(onnx.load(str(path)))
        manifest[name] = accuracy(module, x, y, nhwc=name == "nhwc.onnx")
    with_default_temperature(OUT_DIR / "two-inputs.onnx", OUT_DIR / "two-inputs-default.onnx")
    manifest["two-inputs-default.onnx"] = manifest["two-inputs.onnx"]

    facts = {}
    for name in sorted(manifest):
        path = OUT_DIR / name
        m = onnx.load(str(path))
        facts[name] = {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "bytes": path.stat().st_size,
            "ops": [n.op_type for n in m.graph.node],
            "accuracy_1000": round(manifest[name], 4),
        }
        print(f"{name}: {facts[name]['bytes']} bytes, accuracy {manifest[name]:.3f}, ops {' '.join(facts[name]['ops'])}")
    (OUT_DIR / "manifest.json").write_text(json.dumps({"seed": SEED, "data": "resources/samples (1000 images)", "models": facts}, indent=2) + "\n")


if __name__ == "__main__":
    main()
