#!/usr/bin/env python3
"""Build a small 100-class CNN as ONNX, for the many-class defaults of issue 11.

Above 10 classes Brink runs FAB in its targeted form over the top 9 classes and DeepFool over
10 candidates, as AutoAttack's standard version does; a test needs a model with many classes
that is still fast on CPU. Random weights (seeded) are enough: what matters is the class count.

  cnn-100.onnx  [batch, 3, 16, 16] pixels in [0, 1] -> Conv(3->4, 3x3) -> ReLU -> MaxPool(4)
                -> Flatten -> Gemm(64 -> 100) logits; a few tens of KB

Run from the repository root (Debian's PyTorch; nothing is downloaded):
    /usr/bin/python3 tools/models/make_many_class_model.py
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT = REPO_ROOT / "src-main" / "engine" / "onnx" / "fixtures" / "many-classes" / "cnn-100.onnx"
SEED = 11


def main() -> None:
    torch.manual_seed(SEED)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(), nn.Linear(64, 100)
    ).eval()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        torch.rand(2, 3, 16, 16),
        str(OUT),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
    )
    print(f"wrote {OUT.relative_to(REPO_ROOT)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
