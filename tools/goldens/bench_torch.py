#!/usr/bin/env python3
"""PyTorch CPU reference for Brink's gradient benchmark (issue 3, item 8).

Rebuilds the golden ResNet (tools/goldens/make_goldens.py, same seed, so the same weights as
src-main/engine/autodiff/goldens/resnet/model.onnx), checks its logits against the golden
logits.npy, then measures, at batch 128 on CPU in float32:
  (a) forward only, under torch.no_grad();
  (b) the input gradient of sum(V * logits) by autograd (x.requires_grad_(); parameters do
      not require grad, so autograd computes only what an input gradient needs, as Brink does).
Each: warm-up runs, then the median of --reps timed runs; images/s = batch / median seconds.

Prints one JSON line on stdout:
  {"forward_images_per_s": ..., "grad_images_per_s": ..., "threads": ..., "batch": 128, ...}
(extra keys: medians in ms, reps, the logit check, versions). Diagnostics go to stderr.

    /usr/bin/python3 tools/goldens/bench_torch.py [--threads N] [--batch 128] [--reps 10] [--warmup 3]

Exit status 2 if the rebuilt model's logits differ from the golden ones by more than 1e-4
(then the weights are not those of model.onnx and the comparison would be meaningless).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_goldens  # noqa: E402  (same folder)

MODEL = "resnet"


def timed(fn, warmup: int, reps: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None, help="intra-op threads (default: torch.get_num_threads())")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()

    model = make_goldens.build_model(MODEL)
    for p in model.parameters():
        p.requires_grad_(False)

    # Same weights as the golden model.onnx?
    gdir = make_goldens.OUT_DIR / MODEL
    gx = torch.from_numpy(np.load(gdir / "x.npy"))
    glogits = np.load(gdir / "logits.npy")
    with torch.no_grad():
        diff = float(np.max(np.abs(model(gx).numpy() - glogits)))
    print(f"bench_torch: {MODEL} logits vs {gdir.relative_to(make_goldens.REPO_ROOT)}/logits.npy: "
          f"max abs diff {diff:.3e}", file=sys.stderr)
    if not diff <= 1e-4:
        print("bench_torch: rebuilt weights do not match the golden model; run make_goldens.py", file=sys.stderr)
        return 2

    shape = tuple(np.load(gdir / "x.npy", mmap_mode="r").shape[1:])
    classes = glogits.shape[1]
    rs = np.random.RandomState(128)
    x = torch.from_numpy(rs.uniform(0.0, 1.0, size=(args.batch, *shape)).astype(np.float32))
    v = torch.from_numpy(rs.standard_normal(size=(args.batch, classes)).astype(np.float32))

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def grad() -> None:
        xr = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad((model(xr) * v).sum(), xr)
        assert g.shape == x.shape

    t_fwd = timed(forward, args.warmup, args.reps)
    t_grad = timed(grad, args.warmup, args.reps)
    fwd_s, grad_s = statistics.median(t_fwd), statistics.median(t_grad)
    out = {
        "forward_images_per_s": round(args.batch / fwd_s, 1),
        "grad_images_per_s": round(args.batch / grad_s, 1),
        "threads": threads,
        "batch": args.batch,
        "forward_ms_median": round(fwd_s * 1e3, 3),
        "grad_ms_median": round(grad_s * 1e3, 3),
        "forward_ms_min_max": [round(min(t_fwd) * 1e3, 3), round(max(t_fwd) * 1e3, 3)],
        "grad_ms_min_max": [round(min(t_grad) * 1e3, 3), round(max(t_grad) * 1e3, 3)],
        "reps": args.reps,
        "warmup": args.warmup,
        "model": MODEL,
        "input_shape": [args.batch, *shape],
        "logits_max_abs_diff_vs_golden": float(f"{diff:.3e}"),
        "torch_version": torch.__version__,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
