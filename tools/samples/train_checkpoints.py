#!/usr/bin/env python3
"""Train the sample CNN once more and keep ONNX checkpoints along the way.

Produces, under resources/samples/checkpoints/:
  fmnist-cnn-epoch-<N>.onnx   the sample CNN architecture (train_samples.SmallCNN)
                              after N epochs, for N in CHECKPOINT_EPOCHS
  manifest.json               files, epochs, accuracies, SHA-256, provenance

Brink imports these as one checkpoint series (ordered by the number in each
name) to follow the minimum and average margins through training (Wu and Yu,
"Understanding Adversarial Robustness: The Trade-off between Minimum and
Average Margin", 2019).

Run from the repository root:
    /usr/bin/python3 tools/samples/train_checkpoints.py

Each epoch sees a fixed seeded subset of EPOCH_SAMPLES training images rather
than all 60k, so that the early checkpoints differ visibly and the whole run
takes a few minutes on one CPU core. Same data, preprocessing, seeds policy
and export as train_samples.py; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_samples as samples  # noqa: E402  (the sibling script: same model, data and export)

OUT_DIR = samples.REPO_ROOT / "resources" / "samples" / "checkpoints"
SEED = samples.SEED + 10
THREADS = 1
EPOCH_SAMPLES = 6000
LR = 1e-3
CHECKPOINT_EPOCHS = (1, 2, 4, 8)


def train_epoch(model, opt, x, y, gen) -> float:
    model.train()
    subset = torch.randperm(len(x), generator=gen)[:EPOCH_SAMPLES]
    loss_sum = 0.0
    for start in range(0, EPOCH_SAMPLES, samples.BATCH_SIZE):
        idx = subset[start:start + samples.BATCH_SIZE]
        loss = F.cross_entropy(samples.logits_from_pixels(model, x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
    return loss_sum / EPOCH_SAMPLES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=samples.DEFAULT_DATA_DIR)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)

    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    d = args.data_dir
    train_x = samples.read_idx_gz(d / "train-images-idx3-ubyte.gz")
    train_y = samples.read_idx_gz(d / "train-labels-idx1-ubyte.gz")
    test_x = samples.read_idx_gz(d / "t10k-images-idx3-ubyte.gz")
    test_y = samples.read_idx_gz(d / "t10k-labels-idx1-ubyte.gz")
    xtr = torch.from_numpy(train_x.astype(np.float32) / 255.0).unsqueeze(1)
    ytr = torch.from_numpy(train_y.astype(np.int64))
    xte = torch.from_numpy(test_x.astype(np.float32) / 255.0).unsqueeze(1)
    yte = torch.from_numpy(test_y.astype(np.int64))

    model = samples.SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(SEED + 1)
    checkpoints = []
    t0 = time.time()
    for epoch in range(1, max(CHECKPOINT_EPOCHS) + 1):
        loss = train_epoch(model, opt, xtr, ytr, gen)
        samples.log(f"epoch {epoch}: loss {loss:.4f} ({time.time() - t0:.0f}s)")
        if epoch not in CHECKPOINT_EPOCHS:
            continue
        name = f"fmnist-cnn-epoch-{epoch}.onnx"
        path = out / name
        samples.export_onnx(model, path)
        samples.verify_onnx(path, model, xte[:37])
        accuracy = samples.clean_accuracy(model, xte, yte)
        samples.log(f"  {name}: clean accuracy (10k test) {accuracy:.4f}")
        checkpoints.append({
            "file": name,
            "epoch": epoch,
            "images_seen": epoch * EPOCH_SAMPLES,
            "clean_accuracy_test10k": round(accuracy, 4),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "size_bytes": path.stat().st_size,
        })

    manifest = {
        "architecture": "train_samples.SmallCNN (same as fmnist-cnn-standard)",
        "mean": [samples.MEAN],
        "std": [samples.STD],
        "labels": "../" + samples.FILES["names"],
        "training": (f"Adam lr {LR}, batch {samples.BATCH_SIZE}, each epoch a seeded random "
                     f"subset of {EPOCH_SAMPLES} of the 60k Fashion-MNIST training images"),
        "checkpoints": checkpoints,
        "generated_by": "tools/samples/train_checkpoints.py",
        "seed": SEED,
        "torch_version": torch.__version__,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    samples.log(f"done in {time.time() - t0:.0f}s; outputs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
