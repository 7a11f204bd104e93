#!/usr/bin/env python3
"""A classifier whose weights exceed protobuf's 2 GB limit, saved with ONNX external data, and
the gradient PyTorch-free numpy computes for it: the check that Brink reads, stores, audits and
differentiates such models (issue 3, item 1). Not used by the tests (it writes 2.2 GB).

    /usr/bin/python3 tools/large-model/make_large_model.py --out DIR [--hidden 700000]

Model: x [n, 1, 28, 28] -> Flatten -> Gemm (W1 [hidden, 784], transB) -> Relu -> Gemm
(W2 [10, hidden], transB) -> logits [n, 10], opset 17. With hidden = 700000, W1 alone holds
548.8 M float32 values (2.2 GB). Writes DIR/model.onnx (graph only), DIR/weights.bin (every
initializer), and DIR/x.npy (2 images in [0, 1]), DIR/v.npy (cotangents [2, 10]) and
DIR/grad.npy: d(sum v * logits)/dx in float64 from the float32 weights, written as float32.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FEATURES = 784
CLASSES = 10
CHUNK = 50_000  # rows of W1 at a time, so that float64 copies stay small


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--hidden", type=int, default=700_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)

    w1 = np.empty((args.hidden, FEATURES), dtype=np.float32)
    for start in range(0, args.hidden, CHUNK):
        stop = min(start + CHUNK, args.hidden)
        w1[start:stop] = rng.standard_normal((stop - start, FEATURES), dtype=np.float32) / np.float32(np.sqrt(FEATURES))
    b1 = (rng.standard_normal(args.hidden, dtype=np.float32) * np.float32(0.1)).astype(np.float32)
    w2 = (rng.standard_normal((CLASSES, args.hidden), dtype=np.float32) / np.float32(np.sqrt(args.hidden))).astype(np.float32)
    b2 = np.zeros(CLASSES, dtype=np.float32)

    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["x"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "W1", "b1"], ["hidden"], transB=1),
            helper.make_node("Relu", ["hidden"], ["features"]),
            helper.make_node("Gemm", ["features", "W2", "b2"], ["logits"], transB=1),
        ],
        "large_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", CLASSES])],
        [numpy_helper.from_array(a, name) for name, a in [("W1", w1), ("b1", b1), ("W2", w2), ("b2", b2)]],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="brink-tools")
    model.ir_version = 8
    # make_model keeps the tensors in memory; saving moves every initializer to weights.bin.
    onnx.save_model(model, os.path.join(args.out, "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)

    x = rng.uniform(0, 1, (2, 1, 28, 28)).astype(np.float32)
    v = rng.uniform(-1, 1, (2, CLASSES)).astype(np.float32)
    flat = x.reshape(2, FEATURES).astype(np.float64)
    upstream = v.astype(np.float64) @ w2.astype(np.float64)  # [2, hidden]
    grad = np.zeros((2, FEATURES))
    for start in range(0, args.hidden, CHUNK):
        stop = min(start + CHUNK, args.hidden)
        block = w1[start:stop].astype(np.float64)
        pre = flat @ block.T + b1[start:stop]
        grad += (upstream[:, start:stop] * (pre > 0)) @ block
    np.save(os.path.join(args.out, "x.npy"), x)
    np.save(os.path.join(args.out, "v.npy"), v)
    np.save(os.path.join(args.out, "grad.npy"), grad.reshape(x.shape).astype(np.float32))
    size = os.path.getsize(os.path.join(args.out, "weights.bin"))
    print(f"wrote {args.out}/model.onnx with {size / 2**30:.2f} GiB of external data in weights.bin")


if __name__ == "__main__":
    main()
