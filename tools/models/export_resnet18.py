#!/usr/bin/env python3
"""Export a ResNet-18 (1000 classes, 224x224) with random weights to ONNX.

For by-hand checks of issue 11 (real-size models audited within a memory budget):
the structure is what costs memory and time, so random weights (seeded) are enough and nothing
is downloaded. The file weighs ~45 MB: it is written where asked (a temporary folder), never
committed. Then, for example:

    npm run brink -- project create /tmp/r18/p.brink
    npm run brink -- model add /tmp/r18/p.brink /tmp/r18/resnet18.onnx
    npm run brink -- dataset add /tmp/r18/p.brink /tmp/r18/images.npy
    npm run brink -- audit /tmp/r18/p.brink --model M --dataset D --attack fab --limit 8 --memory 4

With --images N it also writes N random 224x224 RGB images as uint8 NPY
([N, 3, 224, 224]) and their labels ([N] int64) beside it.

    /usr/bin/python3 tools/models/export_resnet18.py OUT_DIR [--images 8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

SEED = 18


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock: two 3x3 convs with batch norm, and a 1x1 projection when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) if stride != 1 or cin != cout else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def resnet18(classes: int = 1000) -> nn.Module:
    """torchvision.models.resnet18's structure (torchvision is not installed here), with its weight init."""
    layers: list[nn.Module] = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--images", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    model = resnet18().eval()
    path = args.out / "resnet18.onnx"
    torch.onnx.export(
        model,
        torch.rand(1, 3, 224, 224),
        str(path),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
    )
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    if args.images:
        rng = np.random.default_rng(SEED)
        np.save(args.out / "images.npy", rng.integers(0, 256, size=(args.images, 3, 224, 224), dtype=np.uint8))
        np.save(args.out / "labels.npy", rng.integers(0, 1000, size=(args.images,), dtype=np.int64))
        print(f"wrote {args.images} images to {args.out / 'images.npy'}")


if __name__ == "__main__":
    main()
