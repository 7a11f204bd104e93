#!/usr/bin/env python3
"""PyTorch CPU reference for Brink's forward-margin benchmark (issue 4, item 10).

Rebuilds the sample CNN (tools/samples/train_samples.py, SmallCNN) and loads its weights from
the ONNX file's initializers, whose names are the PyTorch state_dict keys the exporter kept
(features.0.weight, ..., head.bias). One timed pass over the images does what the Brink worker
does per batch, in PyTorch under torch.no_grad():
  feed     uint8 pixels -> float32 / 255, then (x - 0.286) / 0.353 (Brink folds this into the graph);
  infer    logits = model(x);
  margins  prediction, logit margin f_i - max_{j != i} f_j, and the feature-space margins
           min_{j != i} (f_i - f_j) / ||w_i - w_j||_q for l_inf (q = 1) and l2 (q = 2).
The pairwise head distances are computed once, before timing, as the Brink worker does.
Batches are the natural ones (the last holds the remainder); Brink pads its last batch.

Warm-up passes, then the median of --repeats timed passes; images/s = images / median seconds.

With --brink-logits (a .npy of Brink's logits for the first samples, float32 [n, C]) the script
compares them with its own logits for the same samples and reports the largest absolute
difference; --brink-margins ([n, 3]: logit, feature l_inf, feature l2) likewise for margins.

Prints one JSON line on stdout; diagnostics go to stderr. Exit status 2 when the logits differ
by more than --tolerance (then the weights or the preprocessing are not Brink's, and the
throughput comparison would compare different computations).

    /usr/bin/python3 bench/torch_forward.py --model resources/samples/fmnist-cnn-standard.onnx \
        --images resources/samples/fmnist-test-1000-images-idx3-ubyte.gz [--threads 1] [--batch 128] \
        [--repeats 10] [--warmup 2] [--brink-logits L.npy] [--brink-margins M.npy]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import struct
import sys
import time

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

# The architecture, with its module names, and the normalisation come from the script that
# trained the sample models, so that the two cannot drift apart.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "samples"))
from train_samples import MEAN, STD, SmallCNN  # noqa: E402


def load_model(path: str) -> SmallCNN:
    """Weights from the ONNX initializers; strict loading fails on any missing or extra tensor."""
    proto = onnx.load(path)
    state = {init.name: torch.from_numpy(numpy_helper.to_array(init).copy()) for init in proto.graph.initializer}
    model = SmallCNN()
    model.load_state_dict(state, strict=True)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def read_idx_images(path: str) -> np.ndarray:
    """A gzipped uint8 IDX image file as [n, 1, H, W] uint8 (a writable copy: torch.from_numpy wants one)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08 or ndim != 3:
        raise ValueError(f"{path}: not a uint8 IDX image file")
    n, h, w = struct.unpack(">3I", data[4:16])
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 1, h, w).copy()


def pairwise_distances(weight: torch.Tensor) -> dict[str, torch.Tensor]:
    """||w_i - w_j||_q for the dual norms: l_inf margins divide by l1 distances, l2 by l2 (float64, as Brink)."""
    w = weight.double()
    diff = w[:, None, :] - w[None, :, :]
    return {"linf": diff.abs().sum(-1), "l2": diff.pow(2).sum(-1).sqrt()}


def margins(logits: torch.Tensor, distances: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """Prediction, logit margin and feature margins (l_inf, l2), all with respect to the prediction."""
    top = logits.topk(2, dim=1)
    pred = logits.argmax(dim=1)  # lowest index on ties, as Brink's argmax
    logit_margin = top.values[:, 0] - top.values[:, 1]
    gaps = (logits.gather(1, pred[:, None]) - logits).double()  # f_i - f_j, [B, C]
    own = torch.nn.functional.one_hot(pred, logits.shape[1]).bool()
    feature = []
    for norm in ("linf", "l2"):
        d = distances[norm][pred]  # row i of the distance matrix, [B, C]
        m = torch.where(d > 0, gaps / d, torch.full_like(gaps, float("inf")))
        feature.append(m.masked_fill(own, float("inf")).min(dim=1).values)
    return pred, logit_margin, feature[0], feature[1]


def one_pass(model: SmallCNN, images: np.ndarray, batch: int, distances: dict[str, torch.Tensor]) -> list[tuple[torch.Tensor, ...]]:
    """Feed, infer and compute margins for every image; returns the per-batch results (kept, like Brink's rows)."""
    out = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch):
            x = torch.from_numpy(images[start:start + batch]).float().div_(255.0)
            logits = model((x - MEAN) / STD)
            out.append((logits, *margins(logits, distances)))
    return out


def max_abs(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--brink-logits", help=".npy of Brink's logits for the first samples")
    ap.add_argument("--brink-margins", help=".npy of Brink's [logit, feature l_inf, feature l2] margins for the same samples")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model = load_model(args.model)
    images = read_idx_images(args.images)
    distances = pairwise_distances(model.head.weight)

    for _ in range(args.warmup):
        one_pass(model, images, args.batch, distances)
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        results = one_pass(model, images, args.batch, distances)
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)

    report: dict = {
        "images": int(images.shape[0]),
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "repeats": args.repeats,
        "median_ms": median * 1e3,
        "min_ms": min(times) * 1e3,
        "images_per_s": images.shape[0] / median,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
    }
    logits, _, logit_margin, feat_linf, feat_l2 = results[0]
    status = 0
    if args.brink_logits:
        brink = np.load(args.brink_logits)
        diff = max_abs(brink, logits[: brink.shape[0]].numpy())
        report["logits_max_abs_diff"] = diff
        report["logits_compared"] = int(brink.shape[0])
        if not diff < args.tolerance:
            print(f"torch_forward: logits differ from Brink's by {diff:.3e} (> {args.tolerance})", file=sys.stderr)
            status = 2
    if args.brink_margins:
        brink = np.load(args.brink_margins)
        n = brink.shape[0]
        ours = torch.stack([logit_margin[:n].double(), feat_linf[:n], feat_l2[:n]], dim=1).numpy()
        report["margins_max_abs_diff"] = max_abs(brink, ours)
    print(json.dumps(report))
    return status


if __name__ == "__main__":
    sys.exit(main())
