#!/usr/bin/env python3
"""Train, export and document Brink's bundled sample models and dataset.

Produces, under resources/samples/:
  fmnist-cnn-standard.onnx   small CNN trained normally
  fmnist-cnn-robust.onnx     same architecture, PGD adversarially trained (l_inf, eps 0.1)
  fmnist-test-1000-{images-idx3,labels-idx1}-ubyte.gz
                             balanced 1000-image subset of the Fashion-MNIST test set
  fmnist-labels.txt          class names, one per line, in label order
  manifest.json              files, preprocessing, accuracies, provenance
  README.md                  human-readable summary of the above

Run from the repository root:
    /usr/bin/python3 tools/samples/train_samples.py

Requirements: torch (1.13 tested), onnx, numpy, and the Fashion-MNIST IDX files
(gzipped) in /usr/share/datasets/fashion-mnist (Debian), or another directory
given with --data-dir. Nothing is downloaded.

The run is deterministic: fixed seeds, a fixed thread count, deterministic
algorithms and explicit torch.Generator objects for every random draw.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import json
import platform
import struct
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = REPO_ROOT / "resources" / "samples"
DEFAULT_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

# Fashion-MNIST training-set statistics for pixels scaled to [0, 1]. The ONNX
# models expect (x - MEAN) / STD; the app folds this normalisation in itself,
# so it lives in the manifest rather than inside the graph.
MEAN = 0.2860
STD = 0.3530

SEED = 20240601
THREADS = 2
BATCH_SIZE = 128

STANDARD_EPOCHS = 5
STANDARD_LR = 1e-3

# Adversarial training: PGD in [0, 1] pixel space, l_inf.
ROBUST_EPS = 0.1
ROBUST_TRAIN_STEPS = 7
ROBUST_TRAIN_STEP_SIZE = 2.5 * ROBUST_EPS / ROBUST_TRAIN_STEPS
ROBUST_EPOCHS = 5
ROBUST_LR = 1e-3
ROBUST_LR_FINAL = 3e-4  # lower rate for the last epoch, to settle the weights

# Evaluation attack: stronger than the training attack, as is customary.
EVAL_STEPS = 20
EVAL_STEP_SIZE = 2.5 * ROBUST_EPS / EVAL_STEPS

SAMPLE_PER_CLASS = 100
OPSET = 13

FILES = {
    "standard": "fmnist-cnn-standard.onnx",
    "robust": "fmnist-cnn-robust.onnx",
    "images": "fmnist-test-1000-images-idx3-ubyte.gz",
    "labels": "fmnist-test-1000-labels-idx1-ubyte.gz",
    "names": "fmnist-labels.txt",
    "manifest": "manifest.json",
    "readme": "README.md",
}


def log(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------
# IDX reading and writing
# --------------------------------------------------------------------------

# IDX type codes we care about; the sample data is all uint8.
_IDX_UBYTE = 0x08


def read_idx_gz(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (big-endian header, uint8 payload)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != _IDX_UBYTE:
        raise ValueError(f"{path}: not a uint8 IDX file")
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    payload = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if payload.size != int(np.prod(dims)):
        raise ValueError(f"{path}: payload size does not match header {dims}")
    return payload.reshape(dims)


def write_idx_gz(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as gzipped IDX, byte-reproducibly.

    mtime=0 and an empty embedded filename keep the gzip header independent of
    when and where the file was written.
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, _IDX_UBYTE, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(header)
            gz.write(array.tobytes())


def balanced_subset_indices(labels: np.ndarray, per_class: int) -> np.ndarray:
    """First `per_class` indices of each class, returned in original test-set order."""
    picked = []
    for c in range(len(CLASS_NAMES)):
        idx = np.flatnonzero(labels == c)[:per_class]
        if idx.size != per_class:
            raise ValueError(f"class {c} has only {idx.size} examples")
        picked.append(idx)
    return np.sort(np.concatenate(picked))


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------


class SmallCNN(nn.Module):
    """Conv-Pool-Conv-Pool-FC(64)-FC(10) for 1x28x28 normalised inputs.

    The head is a plain nn.Linear so that it exports as a single Gemm whose
    input is the 64-d penultimate feature vector; Brink detects that pair.
    No BatchNorm or Dropout, so train/eval graphs are identical and the
    exported op set stays minimal.
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),  # exports as ONNX Flatten(axis=1): batch stays dynamic
            nn.Linear(32 * 7 * 7, 64),
            nn.ReLU(),
        )
        self.head = nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def normalise(x: torch.Tensor) -> torch.Tensor:
    return (x - MEAN) / STD


def logits_from_pixels(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Attacks and accuracy work in [0, 1] pixel space; the network sees normalised input."""
    return model(normalise(x))


# --------------------------------------------------------------------------
# Attack, training, evaluation
# --------------------------------------------------------------------------


def pgd_attack(model, x, y, eps, steps, step_size, gen: torch.Generator):
    """l_inf PGD with a uniform random start, projected to the eps-ball and to [0, 1]."""
    was_training = model.training
    model.eval()  # no BN/Dropout, but keep the attack independent of mode anyway
    delta = (torch.rand(x.shape, generator=gen) * 2 - 1) * eps
    x_adv = (x + delta).clamp(0, 1)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(logits_from_pixels(model, x_adv), y)
        (grad,) = torch.autograd.grad(loss, x_adv)
        with torch.no_grad():
            x_adv = x_adv + step_size * grad.sign()
            x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    model.train(was_training)
    return x_adv.detach()


def batches(n: int, gen: torch.Generator | None):
    order = torch.randperm(n, generator=gen) if gen is not None else torch.arange(n)
    for start in range(0, n, BATCH_SIZE):
        yield order[start:start + BATCH_SIZE]


def train_standard(model, x_train, y_train, gen) -> str:
    opt = torch.optim.Adam(model.parameters(), lr=STANDARD_LR)
    model.train()
    for epoch in range(STANDARD_EPOCHS):
        t0, total, correct, loss_sum = time.time(), 0, 0, 0.0
        for idx in batches(len(x_train), gen):
            xb, yb = x_train[idx], y_train[idx]
            logits = logits_from_pixels(model, xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
            total += len(idx)
        log(f"  standard epoch {epoch + 1}/{STANDARD_EPOCHS}: loss {loss_sum / total:.4f} "
            f"train acc {correct / total:.4f} ({time.time() - t0:.0f}s)")
    return (f"Adam lr {STANDARD_LR}, batch {BATCH_SIZE}, {STANDARD_EPOCHS} epochs on the "
            f"60k Fashion-MNIST training set, no augmentation")


def train_robust(model, x_train, y_train, gen) -> str:
    """PGD adversarial training (Madry et al.), training on adversarial examples only.

    `model` is expected to be warm-started from the standard model: on two CPU
    cores this buys the clean-accuracy epochs for free and lets the PGD epochs
    concentrate on robustness.
    """
    opt = torch.optim.Adam(model.parameters(), lr=ROBUST_LR)
    model.train()
    for epoch in range(ROBUST_EPOCHS):
        if epoch == ROBUST_EPOCHS - 1:
            for group in opt.param_groups:
                group["lr"] = ROBUST_LR_FINAL
        t0, total, correct, loss_sum = time.time(), 0, 0, 0.0
        for idx in batches(len(x_train), gen):
            xb, yb = x_train[idx], y_train[idx]
            x_adv = pgd_attack(model, xb, yb, ROBUST_EPS, ROBUST_TRAIN_STEPS,
                               ROBUST_TRAIN_STEP_SIZE, gen)
            logits = logits_from_pixels(model, x_adv)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == yb).sum().item()
            total += len(idx)
        log(f"  robust epoch {epoch + 1}/{ROBUST_EPOCHS}: adv loss {loss_sum / total:.4f} "
            f"adv train acc {correct / total:.4f} ({time.time() - t0:.0f}s)")
    return (f"warm-started from fmnist-cnn-standard, then {ROBUST_EPOCHS} epochs of PGD "
            f"adversarial training on the 60k training set (l_inf eps {ROBUST_EPS} in [0,1] "
            f"pixel space, {ROBUST_TRAIN_STEPS} steps of size {ROBUST_TRAIN_STEP_SIZE:.4f}, "
            f"random start, loss on adversarial examples only), Adam lr {ROBUST_LR} "
            f"({ROBUST_LR_FINAL} in the last epoch), batch {BATCH_SIZE}")


@torch.no_grad()
def clean_accuracy(model, x, y) -> float:
    model.eval()
    correct = 0
    for idx in batches(len(x), None):
        correct += (logits_from_pixels(model, x[idx]).argmax(1) == y[idx]).sum().item()
    return correct / len(x)


def pgd_accuracy(model, x, y, gen) -> float:
    model.eval()
    correct = 0
    for idx in batches(len(x), None):
        x_adv = pgd_attack(model, x[idx], y[idx], ROBUST_EPS, EVAL_STEPS, EVAL_STEP_SIZE, gen)
        with torch.no_grad():
            correct += (logits_from_pixels(model, x_adv).argmax(1) == y[idx]).sum().item()
    return correct / len(x)


# --------------------------------------------------------------------------
# ONNX export and verification
# --------------------------------------------------------------------------


def export_onnx(model: nn.Module, path: Path) -> None:
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(
        model, dummy, str(path),
        export_params=True,
        opset_version=OPSET,
        do_constant_folding=True,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )


def _im2col_conv(x, w, b, pads, strides, dilations, group):
    """Naive but exact NCHW convolution used only to cross-check the export."""
    if group != 1 or any(d != 1 for d in dilations):
        raise NotImplementedError("only group=1, dilation=1 convolutions are supported")
    pt, pl, pb, pr = pads[0], pads[1], pads[2], pads[3]
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    sh, sw = strides
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    cols = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    cols = cols[:, :, ::sh, ::sw][:, :, :oh, :ow]  # n, c, oh, ow, kh, kw
    out = np.einsum("nchwij,mcij->nmhw", cols, w, optimize=True)
    return out + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def run_onnx_numpy(model_proto: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """Evaluate the exported graph with numpy.

    onnx 1.12 has no onnx.reference and onnxruntime is not available here, so
    this tiny interpreter covers exactly the ops the exporter emits for
    SmallCNN and refuses anything else, which also pins the expected op set.
    """
    g = model_proto.graph
    env = {init.name: onnx.numpy_helper.to_array(init) for init in g.initializer}
    env[g.input[0].name] = x
    for node in g.node:
        a = {attr.name: onnx.helper.get_attribute_value(attr) for attr in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            k = ins[1].shape[2:]
            out = _im2col_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                               a.get("pads", [0, 0, 0, 0]), a.get("strides", [1, 1]),
                               a.get("dilations", [1, 1]), a.get("group", 1))
            assert list(a.get("kernel_shape", k)) == list(k)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "MaxPool":
            kh, kw = a["kernel_shape"]
            sh, sw = a.get("strides", [1, 1])
            if any(a.get("pads", [0, 0, 0, 0])) or (kh, kw) != (sh, sw):
                raise NotImplementedError("only non-overlapping unpadded MaxPool is supported")
            n, c, h, w = ins[0].shape
            oh, ow = h // kh, w // kw
            out = ins[0][:, :, :oh * kh, :ow * kw].reshape(n, c, oh, kh, ow, kw).max(axis=(3, 5))
        elif op == "Flatten":
            axis = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif op == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            out = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                out = out + a.get("beta", 1.0) * ins[2]
        else:
            raise NotImplementedError(f"unexpected op in export: {op}")
        env[node.output[0]] = out.astype(np.float32)
    return env[g.output[0].name]


def verify_onnx(path: Path, model: nn.Module, x_probe: torch.Tensor) -> dict:
    """Check the file structurally and numerically; return facts for the manifest."""
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(proto, strict_mode=True)

    def dims(value_info):
        return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]

    in_dims, out_dims = dims(inferred.graph.input[0]), dims(inferred.graph.output[0])
    assert inferred.graph.input[0].name == "input" and inferred.graph.output[0].name == "logits"
    assert in_dims == ["batch", 1, 28, 28], in_dims
    assert out_dims == ["batch", 10], out_dims

    # An odd batch size that differs from the export dummy exercises the dynamic axis.
    model.eval()
    xn = normalise(x_probe)
    with torch.no_grad():
        ref = model(xn).numpy()
    got = run_onnx_numpy(proto, xn.numpy())
    max_diff = float(np.abs(ref - got).max())
    if max_diff > 1e-4 or not np.array_equal(ref.argmax(1), got.argmax(1)):
        raise AssertionError(f"{path.name}: ONNX output differs from PyTorch (max |diff| {max_diff})")

    # Penultimate features + linear head: the final node must be a Gemm 64 -> 10
    # fed by a Relu, whose output is the 64-d feature vector.
    last = proto.graph.node[-1]
    weights = {i.name: i for i in proto.graph.initializer}
    assert last.op_type == "Gemm" and last.output[0] == "logits"
    assert list(weights[last.input[1]].dims) == [10, 64], weights[last.input[1]].dims

    ops: list[str] = []
    for node in proto.graph.node:
        if node.op_type not in ops:
            ops.append(node.op_type)
    return {
        "opset": [{"domain": o.domain or "ai.onnx", "version": o.version} for o in proto.opset_import],
        "ir_version": proto.ir_version,
        "ops": ops,
        "node_count": len(proto.graph.node),
        "parameters": int(sum(np.prod(i.dims) for i in proto.graph.initializer)),
        "penultimate_tensor": last.input[0],
        "max_abs_diff_vs_torch": max_diff,
    }


# --------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_readme(manifest: dict, path: Path) -> None:
    ds = manifest["dataset"]
    rows = []
    for m in manifest["models"]:
        rows.append(
            f"| `{m['file']}` | {m['clean_accuracy_test10k']:.2%} | "
            f"{m['clean_accuracy_sample1000']:.2%} | {m['pgd20_accuracy_eps0.1_sample1000']:.2%} | "
            f"{m['size_bytes'] / 1024:.0f} KiB |"
        )
    text = f"""# Brink sample models and data

Generated by `{manifest['generated_by']}`; do not edit by hand. Regenerate from the
repository root with:

    /usr/bin/python3 tools/samples/train_samples.py

(Needs torch, onnx and numpy, and the Fashion-MNIST IDX files in
`/usr/share/datasets/fashion-mnist`; pass `--data-dir` for another location.
The run is seeded and deterministic and takes about 10-15 minutes on two CPU cores.)

## Files

- `fmnist-cnn-standard.onnx`: small CNN (2 conv + 2 linear layers,
  {manifest['models'][0]['parameters']:,} parameters) trained normally.
- `fmnist-cnn-robust.onnx`: the same architecture, adversarially trained with
  l_inf PGD at eps {ROBUST_EPS} (pixel scale [0, 1]).
- `{ds['images']}` / `{ds['labels']}`: {ds['count']} Fashion-MNIST test images
  and labels in standard gzipped IDX format (uint8, 28x28). {ds['indices_rule']}
- `fmnist-labels.txt`: class names, one per line, line *i* = label *i*.
- `manifest.json`: machine-readable version of all of this, with SHA-256 hashes.

## Model interface

- Input `input`: float32 `[batch, 1, 28, 28]`, **normalised**:
  `(pixel / 255 - {MEAN:.4f}) / {STD:.4f}`. Mean and std are recorded in the manifest
  rather than baked into the graph.
- Output `logits`: float32 `[batch, 10]` (raw scores, no softmax).
- ONNX opset {OPSET}; ops: {', '.join(manifest['models'][0]['onnx']['ops'])}.
  The last node is a `Gemm` (64 -> 10) whose input is the 64-d penultimate
  feature vector (post-ReLU).

## Accuracy

PGD-20: l_inf, eps {ROBUST_EPS} in [0, 1] pixel space, step {EVAL_STEP_SIZE:.4f},
random start, one restart, cross-entropy loss.

| Model | Clean, 10k test | Clean, 1000 sample | PGD-20 eps {ROBUST_EPS}, 1000 sample | Size |
|---|---|---|---|---|
{chr(10).join(rows)}

## Training

- Standard: {manifest['models'][0]['training']}.
- Robust: {manifest['models'][1]['training']}.

Fashion-MNIST is (c) Zalando SE, released under the MIT licence.
"""
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)

    t_start = time.time()
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)

    # --- data ------------------------------------------------------------
    d = args.data_dir
    train_x = read_idx_gz(d / "train-images-idx3-ubyte.gz")
    train_y = read_idx_gz(d / "train-labels-idx1-ubyte.gz")
    test_x = read_idx_gz(d / "t10k-images-idx3-ubyte.gz")
    test_y = read_idx_gz(d / "t10k-labels-idx1-ubyte.gz")
    assert train_x.shape == (60000, 28, 28) and test_x.shape == (10000, 28, 28)

    def to_tensors(x, y):
        return (torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1),
                torch.from_numpy(y.astype(np.int64)))

    xtr, ytr = to_tensors(train_x, train_y)
    xte, yte = to_tensors(test_x, test_y)

    sample_idx = balanced_subset_indices(test_y, SAMPLE_PER_CLASS)
    write_idx_gz(out / FILES["images"], test_x[sample_idx])
    write_idx_gz(out / FILES["labels"], test_y[sample_idx])
    # Round-trip so a writer bug cannot slip through silently.
    assert np.array_equal(read_idx_gz(out / FILES["images"]), test_x[sample_idx])
    assert np.array_equal(read_idx_gz(out / FILES["labels"]), test_y[sample_idx])
    (out / FILES["names"]).write_text("\n".join(CLASS_NAMES) + "\n", encoding="utf-8")
    xs, ys = xte[sample_idx], yte[sample_idx]
    log(f"sample: {len(sample_idx)} images, first indices {sample_idx[:5].tolist()}, "
        f"last {sample_idx[-1]}")

    # --- training ----------------------------------------------------------
    # Separate generators so the robust run does not depend on how many random
    # numbers the standard run happened to consume.
    log("training fmnist-cnn-standard")
    standard = SmallCNN()
    standard_desc = train_standard(standard, xtr, ytr, torch.Generator().manual_seed(SEED + 1))

    log("training fmnist-cnn-robust")
    robust = copy.deepcopy(standard)
    robust_desc = train_robust(robust, xtr, ytr, torch.Generator().manual_seed(SEED + 2))

    # --- export, verify, evaluate -------------------------------------------
    probe = xte[:37]
    models_meta = []
    for key, name, model, desc in [
        ("standard", "fmnist-cnn-standard", standard, standard_desc),
        ("robust", "fmnist-cnn-robust", robust, robust_desc),
    ]:
        path = out / FILES[key]
        export_onnx(model, path)
        onnx_facts = verify_onnx(path, model, probe)
        acc10k = clean_accuracy(model, xte, yte)
        acc1k = clean_accuracy(model, xs, ys)
        pgd1k = pgd_accuracy(model, xs, ys, torch.Generator().manual_seed(SEED + 3))
        log(f"{name}: clean 10k {acc10k:.4f}, clean 1k {acc1k:.4f}, PGD-20 1k {pgd1k:.4f}, "
            f"{path.stat().st_size} bytes, ops {onnx_facts['ops']}, "
            f"max |onnx - torch| {onnx_facts['max_abs_diff_vs_torch']:.2e}")
        models_meta.append({
            "name": name,
            "file": FILES[key],
            "sha256": sha256(path),
            "size_bytes": path.stat().st_size,
            "input": {"name": "input", "shape": ["batch", 1, 28, 28], "layout": "NCHW",
                      "pixel_range": [0, 1]},
            "output": {"name": "logits", "shape": ["batch", 10]},
            "mean": [MEAN],
            "std": [STD],
            "labels": FILES["names"],
            "num_classes": len(CLASS_NAMES),
            "parameters": onnx_facts["parameters"],
            "clean_accuracy_test10k": round(acc10k, 4),
            "clean_accuracy_sample1000": round(acc1k, 4),
            "pgd20_accuracy_eps0.1_sample1000": round(pgd1k, 4),
            "pgd_eval": {"norm": "linf", "eps": ROBUST_EPS, "steps": EVAL_STEPS,
                         "step_size": round(EVAL_STEP_SIZE, 6), "random_start": True,
                         "restarts": 1, "space": "pixel [0,1]"},
            "training": desc,
            "onnx": {k: onnx_facts[k] for k in ("opset", "ir_version", "ops", "node_count",
                                                "penultimate_tensor")},
        })

    manifest = {
        "dataset": {
            "name": "fmnist-test-1000",
            "images": FILES["images"],
            "labels": FILES["labels"],
            "images_sha256": sha256(out / FILES["images"]),
            "labels_sha256": sha256(out / FILES["labels"]),
            "format": "IDX (gzip), uint8, images [1000, 28, 28], labels [1000]",
            "count": int(len(sample_idx)),
            "per_class": SAMPLE_PER_CLASS,
            "class_names": FILES["names"],
            "source": "Fashion-MNIST test set (t10k), Zalando Research, MIT licence",
            "indices_rule": (f"The first {SAMPLE_PER_CLASS} test images of each class, "
                             "kept in their original test-set order."),
        },
        "models": models_meta,
        "generated_by": "tools/samples/train_samples.py",
        "seed": SEED,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
    }
    (out / FILES["manifest"]).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    write_readme(manifest, out / FILES["readme"])
    log(f"done in {time.time() - t_start:.0f}s; outputs in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
