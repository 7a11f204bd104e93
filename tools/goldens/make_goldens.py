#!/usr/bin/env python3
"""Golden vector-Jacobian products for Brink's ONNX autodiff (issue 3, item 7).

Builds small classifiers with seeded random weights, exports each to ONNX
(input 'input', output 'logits', dynamic batch axis 'batch'), and writes the
input gradient of sum(V * logits) computed by PyTorch autograd in float64.

Run from the repository root:
    /usr/bin/python3 tools/goldens/make_goldens.py [--only NAME ...] [--check]

Writes, per model, into src-main/engine/autodiff/goldens/<name>/:
    model.onnx    the float32 model (onnx.checker passes, full_check)
    x.npy         float32 [4, ...]  inputs, uniform in [0, 1)
    v.npy         float32 [4, C]    cotangents, standard normal
    logits.npy    float32 [4, C]    logits of the float32 PyTorch model
    grad.npy      float32 [4, ...]  d(sum(V * logits))/dX, autograd in float64
    meta.json     opset, shapes, op histogram, versions, notes
and src-main/engine/autodiff/goldens/coverage.json (op -> models).

The run is deterministic: per-model seeds, one intra-op thread, numpy's
legacy RandomState for the data (its streams are frozen), and no timestamps in
any output. Running it twice gives identical bytes for every file.

`--check` regenerates everything in memory and compares with the files on
disk instead of writing (exit status 1 on any difference).

A few ONNX forms that torch 1.13's exporter never emits are produced by small,
function-preserving graph edits after export (each listed in the model's
meta.json "notes" and "surgery"): Dropout and Identity nodes, a Conv with
asymmetric explicit pads and one with auto_pad=SAME_UPPER (a zero Pad folded
into the Conv), AveragePool with count_include_pad=1 (the exporter writes an
explicit zero Pad instead), and Size (the exporter writes ReduceProd(Shape(x))
for numel). In convzoo (opset 13) the exporter's constant shape arithmetic
(the ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast chain that computes
F.pad's pads) is folded to constants; convzoo_op17 keeps it as exported.
"""

from __future__ import annotations

import argparse
import collections
import copy
import io
import json
import sys
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import onnx.numpy_helper
import onnx.shape_inference
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = REPO_ROOT / "src-main" / "engine" / "autodiff" / "goldens"

BATCH = 4

# Every op of issue 3, item 4. coverage.json maps each to the models that hold it.
REQUIRED_OPS = [
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    "BatchNormalization", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Neg", "Relu",
    "LeakyRelu", "PRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
    "Softplus", "Softmax", "LogSoftmax", "Erf", "Gelu", "Exp", "Log", "Sqrt", "Pow", "Abs",
    "Clip", "Min", "Max", "Where", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose",
    "Concat", "Split", "Slice", "Pad", "Gather", "Expand", "Tile", "ReduceMean", "ReduceSum",
    "ReduceMax", "LayerNormalization", "Dropout", "Identity", "Cast", "Resize", "Shape",
    "Size", "ConstantOfShape", "Range",
]

# Why an op of the list is in no model (filled in only if it really is absent).
ABSENT_REASONS = {
    "Gelu": "ONNX Gelu exists only from opset 20; torch 1.13 exports at most opset 17 and "
            "onnx 1.12 knows opsets up to 17, so F.gelu is exported as its Erf form "
            "(Div, Erf, Add, Mul, Mul) in vit and mlp.",
}


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

class MLP(nn.Module):
    """Flatten + Gemm + a wide set of elementwise ops, every branch feeding the head."""

    def __init__(self, in_features: int = 64, hidden: int = 24, classes: int = 10):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.bn = nn.BatchNorm1d(hidden)  # BatchNormalization on a [B, C] input
        self.head = nn.Linear(hidden * 8, classes)
        self.drop = nn.Dropout(0.5)  # removed by the exporter in eval mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, 1)                       # Flatten
        h = self.fc1(x)                               # Gemm
        h = h.to(self.fc1.weight.dtype)               # Cast (float -> float, on the gradient path)
        a = torch.relu(self.bn(self.fc2(h)))          # Gemm, BatchNormalization (2-D), Relu
        ab = torch.abs(h)                             # Abs
        pos = torch.sqrt(h * h + 1.0)                 # Mul, Add, Sqrt (of something >= 1)
        b1 = torch.sigmoid(h) - torch.tanh(h)         # Sigmoid, Tanh, Sub
        b2 = F.leaky_relu(h, 0.1) + F.elu(h) * F.selu(h)          # LeakyRelu, Elu, Selu
        b3 = F.softplus(h) / (1.0 + ab)               # Softplus, Div
        b4 = F.hardsigmoid(h) * F.hardswish(h)        # HardSigmoid (HardSwish -> HardSigmoid*Mul at opset 13)
        b5 = torch.clamp(h, -0.5, 0.75) + torch.pow(h, 3) * 0.1 + torch.pow(pos, torch.tanh(h))  # Clip, Pow (both forms)
        b6 = torch.exp(-ab) + torch.log(1.0 + h * h) + torch.erf(h)  # Neg, Exp, Log, Erf
        b7 = torch.minimum(b1, b3) + torch.maximum(b2, b4)         # Min, Max
        b8 = torch.where(h > 0, b5, b6) + F.gelu(h)   # Greater, Where, Gelu (Erf form)
        f = torch.cat([a, b1, b2, b3, b4 + b5, b6, b7, b8], dim=1)  # Concat
        return self.head(self.drop(f))


class LeNet(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)   # overlapping windows, ceil_mode
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.AvgPool2d(2, count_include_pad=False)  # (True would add a no-op zero Pad)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, classes)
        self.drop = nn.Dropout(0.25)  # removed by the exporter; re-inserted as an ONNX Dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(F.relu(self.conv1(x)))        # 1x28x28 -> 6x24x24 -> 6x12x12
        x = self.pool2(F.relu(self.conv2(x)))        # -> 16x8x8 -> 16x4x4
        x = torch.flatten(x, 1)
        x = self.drop(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.down is None else self.down(x)
        return F.relu(y + s)


class ResNet(nn.Module):
    """CIFAR-sized ResNet (3x32x32 -> 10): stem conv+BN+ReLU+MaxPool(3,2,1), stages 16/32/64 x 2 blocks."""

    def __init__(self, classes: int = 10, widths: tuple[int, ...] = (16, 32, 64), blocks: int = 2):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        layers = []
        cin = widths[0]
        for i, w in enumerate(widths):
            for j in range(blocks):
                layers.append(BasicBlock(cin, w, stride=2 if (i > 0 and j == 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, split_qkv: bool, alibi: bool):
        super().__init__()
        self.heads = heads
        self.alibi = alibi
        # ALiBi-style distance penalty per head (a constant buffer, not trained).
        self.register_buffer("slopes", torch.tensor([2.0 ** -(i + 1) for i in range(heads)]).view(1, heads, 1, 1))
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.split_qkv = split_qkv

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        b, n, c = t.shape                             # Shape, Gather (dynamic batch)
        qkv = self.qkv(t).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        if self.split_qkv:
            q, k, v = qkv.unbind(0)                   # Split + Squeeze
            att = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        else:
            q, k, v = qkv[0], qkv[1], qkv[2]          # Gather (constant scalar index)
            att = torch.matmul(q, k.transpose(-2, -1)) / (1.0 / self.scale)
        if self.alibi:
            pos = torch.arange(n)                     # Range (limit from Shape: no gradient)
            dist = (pos.unsqueeze(0) - pos.unsqueeze(1)).to(att.dtype).abs()  # Unsqueeze, Sub, Cast, Abs
            att = att - self.slopes * dist
        att = torch.softmax(att, dim=-1)              # Softmax
        o = torch.matmul(att, v).transpose(1, 2).reshape(b, n, c)
        return self.proj(o)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int, split_qkv: bool):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, split_qkv, alibi=not split_qkv)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        t = t + self.drop(self.attn(self.ln1(t)))
        return t + self.drop(self.fc2(F.gelu(self.fc1(self.ln2(t)))))


class ViT(nn.Module):
    def __init__(self, img: int = 16, patch: int = 4, dim: int = 32, depth: int = 2, heads: int = 4,
                 mlp: int = 64, classes: int = 10):
        super().__init__()
        n = (img // patch) ** 2
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, n + 1, dim) * 0.5)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp, split_qkv=(i % 2 == 1)) for i in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        t = self.patch(x).flatten(2).transpose(1, 2)  # Conv, Reshape, Transpose
        t = torch.cat([self.cls.expand(b, -1, -1), t], dim=1) + self.pos   # Expand, Concat
        for blk in self.blocks:
            t = blk(t)
        return self.head(self.norm(t).mean(dim=1))    # LayerNormalization, ReduceMean, Gemm


class ConvZoo(nn.Module):
    """Convolution and tensor-manipulation variety pack, 3x16x16 -> 10."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.prelu = nn.PReLU(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)                 # depthwise
        self.conv_a = nn.Conv2d(8, 8, 3, stride=2)                        # after asymmetric zero pad
        self.conv_g = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2)  # grouped + dilated
        self.bn_g = nn.BatchNorm2d(8)
        self.pool_b = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
        # ceil_mode windows that run past the padded input: (18 + 2 - 3) % 2 != 0
        self.pool_c = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.mpool_c = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.up_near = nn.Upsample(scale_factor=2, mode="nearest")
        self.conv_s = nn.Conv2d(8, 8, 3, stride=2)                        # after SAME_UPPER-shaped pad
        self.mpool_d = nn.MaxPool2d(2)
        self.convt = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.conv_e = nn.Conv2d(3, 4, 3, stride=4, padding=1)
        self.up_lin = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.gmp = nn.AdaptiveMaxPool2d(1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(52 + 8 + 4 + 1, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = x[:, [2, 0, 1]]                                               # Gather (constant indices)
        s = self.prelu(self.stem(g))                                      # Conv, PRelu        8x16x16
        # a: depthwise, asymmetric zero pad (folded into the Conv), strided
        a = F.pad(self.dw(s), (1, 0, 0, 1))                               # 8x17x17
        a = F.hardswish(self.conv_a(a))                                   # 8x8x8 (HardSwish from opset 14)
        # b: grouped dilated conv, reflect pad, AveragePool ceil_mode + count_include_pad, Slice
        b = torch.relu(self.bn_g(self.conv_g(s)))                         # BatchNormalization, 8x16x16
        b = F.pad(b, (1, 1, 1, 1), mode="reflect")                        # 8x18x18
        b = self.pool_b(b)[:, :, 2:, 2:]                                  # 8x10x10 (last window overhangs) -> 8x8x8
        # c: replicate pad, AveragePool ceil_mode without pad counting, MaxPool ceil_mode,
        #    nearest Resize, strided Slice
        c = F.pad(s, (1, 1, 2, 0), mode="replicate")                      # 8x18x18
        c = self.mpool_c(self.pool_c(c))                                  # 8x10x10 -> 8x5x5 (both overhang)
        c = self.up_near(torch.tanh(c))[:, :, 1:-1, 1:-1]                # 8x10x10 -> 8x8x8
        # d: SAME_UPPER-shaped zero pad (becomes auto_pad), MaxPool, ConvTranspose
        d = self.conv_s(F.pad(s, (0, 1, 0, 1)))                           # 8x8x8
        d = self.convt(self.mpool_d(d))                                   # 8x4x4 -> 8x8x8
        # e: constant pad with a non-zero value, strided conv, bilinear Resize, Tile
        e = F.pad(x, (2, 1, 1, 2), mode="constant", value=0.5)            # 3x19x19
        e = self.up_lin(self.conv_e(e))                                   # 4x5x5 -> 4x10x10
        e = e[:, :, ::2, 1::2].repeat(1, 2, 2, 2)[:, :, :8, :8]           # Slice (steps), Tile: 8x8x8
        h = torch.cat([a, b, c, d, e], dim=1)                             # Concat 40x8x8 (+ Identity)
        p, q, r = torch.split(h, [12, 20, 8], dim=1)                      # Split
        p = torch.softmax(p, dim=1)                                       # Softmax over channels
        q = torch.log_softmax(q, dim=3)                                   # LogSoftmax over width
        m = q.mean(dim=1, keepdim=True).expand(-1, 12, -1, -1)            # ReduceMean, Expand
        u = p * m + q.sum(dim=2, keepdim=True)[:, :12] - q.amax(dim=3, keepdim=True)[:, 8:]  # ReduceSum, ReduceMax
        r = F.elu(r)
        # numel per sample, computed at run time from the dynamic shape (Size after surgery, Cast)
        per_sample = (r.numel() // r.shape[0]) / 512.0
        r = r * per_sample
        ones = torch.ones_like(r[:, :1])                                  # ConstantOfShape(Shape(...))
        w = torch.cat([u, r, ones], dim=1)                                # 12+8+1 = 21 channels
        f1 = self.gmp(w).squeeze(3).squeeze(2)                            # GlobalMaxPool, Squeeze  [B,21]
        f2 = torch.flatten(self.gap(torch.cat([u, h], dim=1)), 1)         # GlobalAveragePool       [B,52]
        f3 = w.amax(dim=(2, 3))[:, 1:5].unsqueeze(1).squeeze(1)           # ReduceMax, Unsqueeze    [B,4]
        f = torch.cat([f2, f1[:, :8], f3, f1[:, 20:21]], dim=1)           # 52+8+4+1 = 65
        return self.head(f)


# --------------------------------------------------------------------------
# Graph surgery (function-preserving edits for forms torch never exports)
# --------------------------------------------------------------------------

def _consumers(graph: onnx.GraphProto, name: str) -> list[onnx.NodeProto]:
    return [n for n in graph.node if name in n.input]


def _const_value(graph: onnx.GraphProto, name: str) -> np.ndarray | None:
    for init in graph.initializer:
        if init.name == name:
            return onnx.numpy_helper.to_array(init)
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            for a in n.attribute:
                if a.name == "value":
                    return onnx.numpy_helper.to_array(a.t)
    return None


def _drop_unused(graph: onnx.GraphProto) -> None:
    """Remove Constant nodes and initializers nobody reads, and stale value_info."""
    while True:
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        dead = [n for n in graph.node if n.op_type == "Constant" and n.output[0] not in used]
        if not dead:
            break
        for n in dead:
            graph.node.remove(n)
    used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)
    produced = {o for n in graph.node for o in n.output}
    for vi in [v for v in graph.value_info if v.name not in produced]:
        graph.value_info.remove(vi)


def _shapes(model: onnx.ModelProto) -> dict[str, list]:
    inferred = onnx.shape_inference.infer_shapes(model)
    out = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        dims = vi.type.tensor_type.shape.dim
        out[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return out


def insert_after(model: onnx.ModelProto, op_type: str, after: Callable[[onnx.NodeProto, onnx.GraphProto], bool],
                 node_op: str, extra_inputs: list[tuple[str, np.ndarray]] = ()) -> str:
    """Insert `node_op(x, *extra)` right after the first node of type op_type matching `after`."""
    g = model.graph
    idx, src = next((i, n) for i, n in enumerate(g.node) if n.op_type == op_type and after(n, g))
    old = src.output[0]
    new = f"{old}_{node_op.lower()}"
    for n in _consumers(g, old):
        for k, name in enumerate(n.input):
            if name == old:
                n.input[k] = new
    inputs = [old]
    for name, value in extra_inputs:
        g.initializer.append(onnx.numpy_helper.from_array(value, name))
        inputs.append(name)
    g.node.insert(idx + 1, onnx.helper.make_node(node_op, inputs, [new], name=f"/{node_op}_inserted"))
    return f"inserted {node_op} after {src.name} ({op_type})"


_FOLDABLE = {"ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Cast", "Unsqueeze", "Squeeze",
             "Gather", "Mul", "Add", "Sub", "Div", "Equal", "Where"}


def _eval_const(n: onnx.NodeProto, ins: list[np.ndarray | None], opset: int) -> np.ndarray:
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
    op = n.op_type
    if op == "ConstantOfShape":
        value = onnx.numpy_helper.to_array(attrs["value"]) if "value" in attrs else np.zeros(1, np.float32)
        return np.full(tuple(int(d) for d in ins[0]), value.reshape(-1)[0], dtype=value.dtype)
    if op == "Concat":
        return np.concatenate(ins, axis=attrs["axis"])
    if op == "Reshape":
        shape = [int(d) if d != 0 else ins[0].shape[i] for i, d in enumerate(ins[1])]
        return ins[0].reshape(shape)
    if op == "Slice":
        data, starts, ends = ins[0], ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else np.arange(len(starts))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else np.ones(len(starts), np.int64)
        idx = [slice(None)] * data.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            idx[int(ax)] = slice(int(st), int(en), int(sp))
        return data[tuple(idx)]
    if op == "Transpose":
        return np.transpose(ins[0], attrs.get("perm"))
    if op == "Cast":
        return ins[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[attrs["to"]])
    if op == "Unsqueeze":
        axes = attrs["axes"] if opset < 13 else ins[1]
        out = ins[0]
        for ax in sorted(int(a) % (out.ndim + len(axes)) for a in axes):
            out = np.expand_dims(out, ax)
        return out
    if op == "Squeeze":
        axes = attrs.get("axes") if opset < 13 else (ins[1] if len(ins) > 1 else None)
        return np.squeeze(ins[0], axis=None if axes is None else tuple(int(a) for a in axes))
    if op == "Gather":
        return np.take(ins[0], ins[1], axis=attrs.get("axis", 0))
    if op in ("Mul", "Add", "Sub"):
        return {"Mul": np.multiply, "Add": np.add, "Sub": np.subtract}[op](ins[0], ins[1]).astype(ins[0].dtype)
    if op == "Div":
        if np.issubdtype(ins[0].dtype, np.integer):
            return np.trunc(ins[0] / ins[1]).astype(ins[0].dtype)
        return (ins[0] / ins[1]).astype(ins[0].dtype)
    if op == "Equal":
        return np.equal(ins[0], ins[1])
    if op == "Where":
        return np.where(ins[0], ins[1], ins[2])
    raise KeyError(op)


def fold_constants(model: onnx.ModelProto) -> list[str]:
    """Evaluate nodes whose inputs are all constants (shape arithmetic the exporter leaves behind,
    e.g. the ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast chain that computes F.pad's pads)
    and replace them by Constant nodes. The x-dependent graph is untouched."""
    g = model.graph
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    const = {i.name: onnx.numpy_helper.to_array(i) for i in g.initializer}
    folded = collections.Counter()
    for i, n in enumerate(list(g.node)):
        if n.op_type == "Constant":
            const[n.output[0]] = _const_value(g, n.output[0])
            continue
        if n.op_type not in _FOLDABLE or len(n.output) != 1:
            continue
        if not all(name == "" or name in const for name in n.input):
            continue
        value = _eval_const(n, [const[name] if name else None for name in n.input], opset)
        const[n.output[0]] = value
        pos = list(g.node).index(n)
        g.node.remove(n)
        g.node.insert(pos, onnx.helper.make_node(
            "Constant", [], [n.output[0]], name=n.name + "_folded",
            value=onnx.numpy_helper.from_array(np.asarray(value), n.output[0])))
        folded[n.op_type] += 1
    _remove_dead_nodes(g)
    return [f"folded constant subgraphs (no x dependence): " + ", ".join(f"{k} x{v}" for k, v in sorted(folded.items()))]


def fold_zero_pads_into_conv(model: onnx.ModelProto) -> list[str]:
    """Pad(constant 0, spatial only) -> Conv(no pads)  becomes  Conv(pads) or Conv(auto_pad=SAME_UPPER);
    Pad(constant 0) -> AveragePool(no pads)  becomes  AveragePool(pads, count_include_pad=1)."""
    g = model.graph
    shapes = _shapes(model)
    notes = []
    for pad in [n for n in g.node if n.op_type == "Pad"]:
        mode = next((a.s.decode() for a in pad.attribute if a.name == "mode"), "constant")
        if mode != "constant":
            continue
        pads = _const_value(g, pad.input[1])
        value = _const_value(g, pad.input[2]) if len(pad.input) > 2 and pad.input[2] else np.zeros(())
        if pads is None or value is None or float(np.asarray(value).reshape(-1)[0]) != 0.0:
            continue
        cons = _consumers(g, pad.output[0])
        if len(cons) != 1 or cons[0].op_type not in ("Conv", "AveragePool") or cons[0].input[0] != pad.output[0]:
            continue
        conv = cons[0]
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in conv.attribute}
        if any(attrs.get("pads", [0])) or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            continue
        pads = [int(p) for p in pads]
        rank = len(pads) // 2
        if pads[0] or pads[1] or pads[rank] or pads[rank + 1]:
            continue  # pads batch or channel: not a Conv pad
        begin, end = pads[2:rank], pads[rank + 2:]
        if conv.op_type == "AveragePool":
            # torch writes AvgPool(count_include_pad=True, padding=p) as Pad(0) + AveragePool(pads 0);
            # the ONNX form of the same thing is AveragePool(pads=p, count_include_pad=1).
            if attrs.get("count_include_pad", 0):
                continue
            for a in [a for a in conv.attribute if a.name in ("pads", "count_include_pad")]:
                conv.attribute.remove(a)
            conv.attribute.append(onnx.helper.make_attribute("pads", begin + end))
            conv.attribute.append(onnx.helper.make_attribute("count_include_pad", 1))
            conv.input[0] = pad.input[0]
            g.node.remove(pad)
            notes.append(f"folded zero Pad {pad.name} into {conv.name} as pads={begin + end}, count_include_pad=1")
            continue
        in_shape = shapes.get(pad.input[0])
        kernel = attrs["kernel_shape"]
        strides = attrs.get("strides", [1] * len(kernel))
        dil = attrs.get("dilations", [1] * len(kernel))
        same_upper = None
        if in_shape and all(d is not None for d in in_shape[2:]):
            same_upper = []
            for d, k, s, dl in zip(in_shape[2:], kernel, strides, dil):
                total = max((-(-d // s) - 1) * s + (k - 1) * dl + 1 - d, 0)
                same_upper += [total // 2]
            same_upper = same_upper + [
                max((-(-d // s) - 1) * s + (k - 1) * dl + 1 - d, 0) - b
                for d, k, s, dl, b in zip(in_shape[2:], kernel, strides, dil, same_upper)]
        for a in [a for a in conv.attribute if a.name in ("pads", "auto_pad")]:
            conv.attribute.remove(a)
        if same_upper is not None and same_upper == begin + end:
            conv.attribute.append(onnx.helper.make_attribute("auto_pad", "SAME_UPPER"))
            notes.append(f"folded zero Pad {pad.name} {begin + end} into {conv.name} as auto_pad=SAME_UPPER")
        else:
            conv.attribute.append(onnx.helper.make_attribute("pads", begin + end))
            notes.append(f"folded zero Pad {pad.name} into {conv.name} as asymmetric pads={begin + end}")
        conv.input[0] = pad.input[0]
        g.node.remove(pad)
    _drop_unused(g)
    return notes


def full_maxpool_to_global(model: onnx.ModelProto) -> list[str]:
    """MaxPool whose window is the whole (known) spatial extent, no pads  ->  GlobalMaxPool."""
    g = model.graph
    shapes = _shapes(model)
    notes = []
    for i, n in enumerate(list(g.node)):
        if n.op_type != "MaxPool" or len(n.output) != 1:
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        shp = shapes.get(n.input[0])
        if not shp or any(attrs.get("pads", [0])) or attrs.get("ceil_mode", 0):
            continue
        if list(attrs["kernel_shape"]) == shp[2:] and list(attrs.get("strides", [1])) in (shp[2:], [1] * len(shp[2:])):
            new = onnx.helper.make_node("GlobalMaxPool", [n.input[0]], [n.output[0]],
                                        name=n.name.replace("MaxPool", "GlobalMaxPool"))
            g.node.remove(n)
            g.node.insert(i, new)
            notes.append(f"replaced {n.name} (kernel {shp[2:]} = input size) by GlobalMaxPool")
    return notes


def numel_to_size(model: onnx.ModelProto) -> list[str]:
    """ReduceProd(Shape(t), keepdims=0) over the whole shape  ->  Size(t)."""
    g = model.graph
    notes = []
    for i, n in enumerate(list(g.node)):
        if n.op_type != "ReduceProd":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        src = next((m for m in g.node if n.input[0] in m.output), None)
        if src is None or src.op_type != "Shape" or attrs.get("keepdims", 1) != 0 or "axes" in attrs:
            continue
        if len(src.attribute):
            continue  # Shape with start/end
        new = onnx.helper.make_node("Size", [src.input[0]], [n.output[0]], name=n.name.replace("ReduceProd", "Size"))
        g.node.remove(n)
        g.node.insert(i, new)
        notes.append(f"replaced {n.name}(Shape) by Size")
    _remove_dead_nodes(g)
    return notes


def _remove_dead_nodes(g: onnx.GraphProto) -> None:
    while True:
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    _drop_unused(g)


# --------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------

def _surgery_lenet(m: onnx.ModelProto) -> list[str]:
    # nn.Dropout sits after the Flatten; the exporter drops it in eval mode. Put an
    # inference-mode ONNX Dropout back (opset 13 form with an explicit ratio input).
    return [insert_after(m, "Flatten", lambda n, g: True, "Dropout",
                         [("dropout_ratio", np.array(0.25, dtype=np.float32))])]


def _surgery_convzoo(m: onnx.ModelProto, fold: bool) -> list[str]:
    notes = []
    if fold:
        notes += fold_constants(m)
        notes += fold_zero_pads_into_conv(m)
    notes += full_maxpool_to_global(m)
    notes += numel_to_size(m)
    # Identity on the data path: the Concat of the five branches (the one the Split reads).
    notes.append(insert_after(m, "Concat", lambda n, g: any(c.op_type == "Split" for c in _consumers(g, n.output[0])),
                              "Identity"))
    notes.append(insert_after(m, "Split", lambda n, g: True, "Dropout"))  # Dropout with no ratio input
    return notes


SPECS = {
    # name: (builder, seed, opset, input shape without batch, classes, surgery)
    "mlp": (MLP, 1001, 13, (1, 8, 8), 10, None),
    "lenet": (LeNet, 1002, 13, (1, 28, 28), 10, _surgery_lenet),
    "lenet_op17": (LeNet, 1002, 17, (1, 28, 28), 10, _surgery_lenet),
    "resnet": (ResNet, 1003, 13, (3, 32, 32), 10, None),
    "vit": (ViT, 1004, 17, (3, 16, 16), 10, None),
    # convzoo: exporter's pad arithmetic folded, zero Pads folded into Conv pads / auto_pad.
    # convzoo_op17: the pad arithmetic left as exported (Pad reads computed pads), no Conv pad folding.
    "convzoo": (ConvZoo, 1005, 13, (3, 16, 16), 10, lambda m: _surgery_convzoo(m, fold=True)),
    "convzoo_op17": (ConvZoo, 1005, 17, (3, 16, 16), 10, lambda m: _surgery_convzoo(m, fold=False)),
}


def _randomize_batchnorm(model: nn.Module, gen: torch.Generator) -> None:
    """Non-trivial eval-mode statistics and affine parameters for every BatchNorm."""
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            c = mod.num_features
            with torch.no_grad():
                mod.running_mean.copy_(torch.rand(c, generator=gen) * 0.4 - 0.2)
                mod.running_var.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)
                mod.weight.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)
                mod.bias.copy_(torch.rand(c, generator=gen) * 0.4 - 0.2)


def _randomize_affine(model: nn.Module, gen: torch.Generator) -> None:
    """PReLU slopes and LayerNorm scale/shift away from their defaults (LayerNorm's default
    ones/zeros would also make the exporter share them through Identity nodes)."""
    for mod in model.modules():
        with torch.no_grad():
            if isinstance(mod, nn.PReLU):
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) * 0.5)
            elif isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(torch.rand(mod.weight.shape, generator=gen) * 1.0 + 0.5)
                mod.bias.copy_(torch.rand(mod.bias.shape, generator=gen) * 0.4 - 0.2)


def build_model(name: str) -> nn.Module:
    """The float32 eval-mode model `name`, with its deterministic seeded weights."""
    builder, seed, _opset, _shape, _classes, _surgery = SPECS[name]
    torch.manual_seed(seed)
    model = builder()
    gen = torch.Generator().manual_seed(seed + 7)
    _randomize_batchnorm(model, gen)
    _randomize_affine(model, gen)
    return model.float().eval()


def make_data(name: str, attempt: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X uniform in [0, 1) and V standard normal, float32; `attempt` picks another draw."""
    _builder, seed, _opset, shape, classes, _surgery = SPECS[name]
    rs = np.random.RandomState(seed + 7919 * attempt)
    x = rs.uniform(0.0, 1.0, size=(BATCH, *shape)).astype(np.float32)
    v = rs.standard_normal(size=(BATCH, classes)).astype(np.float32)
    return x, v


def _vjp64(m64: nn.Module, x: np.ndarray, v: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    x64 = torch.from_numpy(np.asarray(x, dtype=np.float64)).requires_grad_(True)
    y64 = m64(x64)
    (g,) = torch.autograd.grad((y64 * torch.from_numpy(v).double()).sum(), x64)
    return y64.detach(), g


KINK_EPS = 1e-5       # perturbation of x used to probe for nearby kinks
KINK_MAX_MOVE = 1e-3  # largest accepted relative move of the gradient under that perturbation
KINK_PROBES = 5
MAX_ATTEMPTS = 20


def kink_move(m64: nn.Module, x: np.ndarray, v: np.ndarray, grad64: torch.Tensor, seed: int) -> float:
    """Largest relative change of the float64 gradient when x moves by up to KINK_EPS.

    Smooth models move it by about KINK_EPS; piecewise-linear ones (ReLU, MaxPool) not at all
    unless a kink (ReLU at 0, a MaxPool/Max tie, a Clip bound) lies within reach, in which
    case another engine's float32 rounding might pick the other branch there."""
    rs = np.random.RandomState(seed)
    moves = []
    for _ in range(KINK_PROBES):
        _, gp = _vjp64(m64, x.astype(np.float64) + rs.uniform(-KINK_EPS, KINK_EPS, size=x.shape), v)
        moves.append(float((gp - grad64).abs().max() / grad64.abs().max()))
    return max(moves)


def export_onnx(model: nn.Module, name: str) -> tuple[onnx.ModelProto, list[str]]:
    _builder, _seed, opset, shape, _classes, surgery = SPECS[name]
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, torch.zeros(2, *shape), buf, opset_version=opset,
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            # PRESERVE on an eval-mode model: the eval-only peephole pass, which
            # folds BatchNormalization into the preceding Conv, is skipped.
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=True,
        )
    m = onnx.load_from_string(buf.getvalue())
    notes = surgery(m) if surgery else []
    onnx.checker.check_model(m, full_check=True)
    return m, notes


def histogram(m: onnx.ModelProto) -> dict[str, int]:
    c = collections.Counter(n.op_type for n in m.graph.node)
    return dict(sorted(c.items()))


def npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def rel_err(a: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - ref.astype(np.float64))) / np.max(np.abs(ref)))


def make_one(name: str) -> tuple[dict[str, bytes], dict]:
    _builder, seed, opset, shape, classes, _surgery = SPECS[name]
    model = build_model(name)
    m, surgery_notes = export_onnx(model, name)
    m64 = copy.deepcopy(model).double()
    # Draw (X, V); redraw while a kink lies within KINK_EPS of X (deterministic: the attempt
    # number is recorded in meta.json).
    for attempt in range(MAX_ATTEMPTS):
        x, v = make_data(name, attempt)
        y64, grad64 = _vjp64(m64, x, v)
        move = kink_move(m64, x, v, grad64, seed + 99 + attempt)
        if move <= KINK_MAX_MOVE:
            break
    else:
        raise RuntimeError(f"{name}: no draw without a kink within {KINK_EPS} after {MAX_ATTEMPTS} attempts")
    grad = grad64.numpy().astype(np.float32)

    with torch.no_grad():
        logits32 = model(torch.from_numpy(x)).numpy()
    assert logits32.shape == (BATCH, classes), logits32.shape

    # float32 autograd, for reference: the error floor a float32 engine can hope for.
    x32 = torch.from_numpy(x).requires_grad_(True)
    (grad32,) = torch.autograd.grad((model(x32) * torch.from_numpy(v)).sum(), x32)

    hist = histogram(m)
    notes = [
        "grad = d(sum(v * logits))/dx by torch.autograd on the float64 copy of the model; "
        "logits from the float32 model; model.onnx is the float32 model.",
    ]
    if any(isinstance(mm, nn.Dropout) for mm in model.modules()):
        notes.append("nn.Dropout in eval mode is removed by the exporter (aten::dropout with train=False "
                     "exports as nothing).")
    if "Gelu" not in hist and any(n.op_type == "Erf" for n in m.graph.node) and name in ("mlp", "vit"):
        notes.append("F.gelu is exported in its Erf form (Div, Erf, Add, Mul, Mul): ONNX Gelu needs opset 20.")
    if opset < 14 and name in ("mlp", "convzoo"):
        notes.append("F.hardswish is exported as HardSigmoid + Mul at opset 13 (ONNX HardSwish needs opset 14).")
    if name in ("mlp",):
        notes.append("torch.pow(h, 3) gives Pow with a constant exponent; torch.pow(pos, tanh(h)) gives Pow "
                     "with both inputs depending on x.")
    if name == "resnet":
        notes.append("Exported with training=TrainingMode.PRESERVE on the eval-mode model so that BatchNormalization "
                     "stays a separate node: with the default TrainingMode.EVAL, torch 1.13 folds each BatchNorm "
                     "into the preceding Conv. BatchNorm running statistics and affine parameters are random.")
    if name == "vit":
        notes.append("LayerNormalization is a single op at opset 17. Block 0 takes q, k, v with Gather (constant "
                     "scalar index) and adds an ALiBi-style distance penalty built from Range(0, n) with n read "
                     "by Shape at run time (Range/Sub/Cast/Abs, no gradient); block 1 takes them with Split + "
                     "Squeeze (unbind). The cls token is Expand-ed to the run-time batch. Attention MatMuls are "
                     "4-D batched; the Linear layers on [B, N, C] are MatMul + Add, the head on [B, C] is Gemm.")
    if name.startswith("convzoo"):
        notes.append("nn.AdaptiveMaxPool2d(1) exports as GlobalMaxPool only where the exporter does not know "
                     "the spatial size (here its input is a Concat with a ConstantOfShape of a run-time shape); "
                     "with a known size it writes MaxPool(kernel = size), which full_maxpool_to_global() would "
                     "turn into GlobalMaxPool. AvgPool with count_include_pad=True and padding "
                     "is exported as an explicit zero Pad + AveragePool(pads 0)"
                     + ("; convzoo folds it into AveragePool(pads, count_include_pad=1)." if name == "convzoo" else
                        "; left in that form here."))
    meta = {
        "name": name,
        "opset": opset,
        "input_name": "input",
        "output_name": "logits",
        "input_shape": [BATCH, *shape],
        "classes": classes,
        "seed": seed,
        "op_histogram": hist,
        "surgery": surgery_notes,
        "notes": notes,
        "torch_version": torch.__version__,
        "onnx_version": onnx.__version__,
        "numpy_version": np.__version__,
        "ir_version": m.ir_version,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "float32_autograd_grad_rel_err": float(f"{rel_err(grad32.numpy(), grad):.3e}"),
        "float64_logits_vs_float32_max_abs": float(f"{np.max(np.abs(y64.numpy() - logits32)):.3e}"),
        "data_attempt": attempt,
        "grad_rel_move_under_1e-5_perturbation": float(f"{move:.3e}"),
        "logits_max_abs": float(f"{np.abs(logits32).max():.4g}"),
        "grad_max_abs": float(f"{np.abs(grad).max():.4g}"),
        "grad_zero_fraction": float(f"{np.mean(grad == 0):.4g}"),
        "tolerance": "relative error max|g - grad| / max|grad| <= 1e-4",
    }
    files = {
        "model.onnx": m.SerializeToString(),
        "x.npy": npy_bytes(x),
        "v.npy": npy_bytes(v),
        "logits.npy": npy_bytes(logits32.astype(np.float32)),
        "grad.npy": npy_bytes(grad),
        "meta.json": (json.dumps(meta, indent=2) + "\n").encode(),
    }
    return files, meta


def coverage(metas: dict[str, dict]) -> dict:
    table = {op: [n for n, meta in metas.items() if op in meta["op_histogram"]] for op in REQUIRED_OPS}
    absent = {op: ABSENT_REASONS.get(op, "no model contains it") for op, ms in table.items() if not ms}
    extra = sorted({op for meta in metas.values() for op in meta["op_histogram"]} - set(REQUIRED_OPS))
    return {
        "required_ops": table,
        "absent": absent,
        "other_ops_present": {op: [n for n, meta in metas.items() if op in meta["op_histogram"]] for op in extra},
        "models": {n: {"opset": meta["opset"], "input_shape": meta["input_shape"], "surgery": meta["surgery"]}
                   for n, meta in metas.items()},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=sorted(SPECS), help="subset of models (coverage.json is "
                    "written only for a full run)")
    ap.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    names = args.only or list(SPECS)
    metas: dict[str, dict] = {}
    outputs: dict[Path, bytes] = {}
    for name in names:
        files, meta = make_one(name)
        metas[name] = meta
        for fname, data in files.items():
            outputs[OUT_DIR / name / fname] = data
        print(f"{name}: opset {meta['opset']}, {meta['parameters']} params, "
              f"{len(files['model.onnx'])} bytes onnx, f32-autograd rel err {meta['float32_autograd_grad_rel_err']}")
        print("   ops: " + ", ".join(f"{k}:{v}" for k, v in meta["op_histogram"].items()))
        for s in meta["surgery"]:
            print("   surgery: " + s)
    if not args.only:
        cov = coverage(metas)
        outputs[OUT_DIR / "coverage.json"] = (json.dumps(cov, indent=2) + "\n").encode()
        print("coverage (required op -> models):")
        for op, ms in cov["required_ops"].items():
            print(f"   {op:20s} {', '.join(ms) if ms else '-- ABSENT: ' + cov['absent'][op]}")

    if args.check:
        bad = [str(p.relative_to(REPO_ROOT)) for p, data in outputs.items()
               if not p.exists() or p.read_bytes() != data]
        print("check: " + ("all files identical" if not bad else "DIFFERENT: " + ", ".join(bad)))
        return 1 if bad else 0
    for p, data in outputs.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    total = sum(len(d) for d in outputs.values())
    print(f"wrote {len(outputs)} files, {total} bytes, under {OUT_DIR.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
