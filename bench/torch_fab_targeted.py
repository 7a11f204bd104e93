#!/usr/bin/env python3
"""PyTorch CPU reference for Brink's ResNet-18 benchmark (issue 11, item 7): FAB-T l_inf, AutoAttack's
targeted FAB, on the random-weight ResNet-18 of tools/models/export_resnet18.py, in margin mode (no
epsilon: the smallest adversarial example seen is kept).

The model is rebuilt from the same code and seed as the ONNX file Brink audits (export_resnet18.py's
resnet18() after torch.manual_seed(SEED)): the exporter folds batch norm into the convolutions, so the
ONNX initializers cannot be loaded back by name. That the weights are the same is checked, not
assumed: with --brink-logits the script compares its clean logits with Brink's and exits with status 2
when they differ by more than --tolerance.

FAB-T as AutoAttack runs it (autoattack/fab_pt.py, attack_single_run with is_targeted, and
fab_base.py's perturb): the targets are the classes ranked 2nd to (K+1)th by the clean logits; for
each target, one run from the clean point (no random start) of --iters steps on the difference
f_target - f_pred and its gradient (one forward and one backward pass per step: AutoAttack's
get_diff_logits_grads_batch_targeted), the l_inf projection of x1 and of the original onto the
linearised boundary, the step mixing the two (alpha_max 0.1, eta 1.05), the prediction at the new
point and, where it left the class, the smallest example kept and the backward step (beta 0.9).
AutoAttack drops a point once a target fooled it within epsilon; in margin mode there is no epsilon,
so every target runs on every point and the smallest adversarial example over the targets is kept,
as Brink's margin mode does. The projection is torch_fab.py's.

Inputs: --images (an .npz with x: uint8 [n, 3, 224, 224], the pixels Brink imported; attacked as
x / 255) and --classes (int32 [n]: Brink's predictions, the classes to leave). Prints one JSON line.

    /usr/bin/python3 bench/torch_fab_targeted.py --images D.npz --classes C.npy [--targeted 9] \
        [--iters 10] [--threads 2] [--brink-logits L.npy] [--tolerance 1e-3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

# The projection is shared with the untargeted reference; the model and its seed with the exporter.
from torch_fab import project_linf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "models"))
from export_resnet18 import SEED, resnet18  # noqa: E402


def fab_targeted_linf(model: torch.nn.Module, x0: torch.Tensor, y: torch.Tensor, target: torch.Tensor, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One targeted FAB l_inf run on a batch; returns the kept adversarial examples and their l_inf norms (inf: none)."""
    alpha_max, eta, beta = 0.1, 1.05, 0.9
    n = x0.shape[0]
    shape = x0.shape
    rows = torch.arange(n)
    x0f = x0.reshape(n, -1)
    x1f = x0f.clone()
    best = torch.full((n,), float("inf"))
    adv = x0f.clone()
    for _ in range(steps):
        xg = x1f.clone().requires_grad_()
        with torch.enable_grad():
            logits = model(xg.reshape(shape))
            diff = logits[rows, target] - logits[rows, y]
            (g,) = torch.autograd.grad(diff.sum(), xg)
        with torch.no_grad():
            df = diff.detach()
            w = g
            b = -df + (w * x1f).sum(1)
            d = project_linf(torch.cat((x1f, x0f)), torch.cat((w, w)), torch.cat((b, b)))
            a = d.abs().amax(1, keepdim=True).clamp_min(1e-8)
            alpha = (a[:n] / (a[:n] + a[n:])).clamp(0.0, alpha_max)
            x1f = ((x1f + eta * d[:n]) * (1 - alpha) + (x0f + eta * d[n:]) * alpha).clamp(0.0, 1.0)
            is_adv = model(x1f.reshape(shape)).argmax(1) != y
            size = (x1f - x0f).abs().amax(1)
            better = is_adv & (size < best)
            adv[better] = x1f[better]
            best[better] = size[better]
            x1f[is_adv] = x0f[is_adv] + (x1f[is_adv] - x0f[is_adv]) * beta
    return adv.reshape(shape), best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--targeted", type=int, default=9, help="target classes: the top K other than the prediction (AutoAttack: 9)")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--brink-logits")
    ap.add_argument("--tolerance", type=float, default=1e-3)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    model = resnet18().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.from_numpy(np.load(args.images)["x"]).float() / 255
    y = torch.from_numpy(np.load(args.classes).astype(np.int64))

    with torch.no_grad():
        clean = model(x)
    logit_diff = None
    if args.brink_logits:
        logit_diff = float((clean - torch.from_numpy(np.load(args.brink_logits))).abs().max())
        if logit_diff > args.tolerance:
            print(f"torch_fab_targeted.py: logits differ from Brink's by {logit_diff:.3g} (> {args.tolerance}): not the same weights", file=sys.stderr)
            return 2
    # AutoAttack's targets: output.sort()[1][:, -target_class] for target_class in 2..K+1.
    order = clean.sort(dim=1)[1]
    targets = [order[:, -k] for k in range(2, args.targeted + 2)]

    # Warm-up outside the timing (first-call allocations), as the timed worker has loaded its model too.
    fab_targeted_linf(model, x, y, targets[0], 1)

    best = torch.full((x.shape[0],), float("inf"))
    adv = x.clone()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for target in targets:
        a, norms = fab_targeted_linf(model, x, y, target, args.iters)
        better = norms < best
        adv[better] = a[better]
        best[better] = norms[better]
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0

    # PyTorch's own check of what it kept: a fresh forward pass at each example.
    with torch.no_grad():
        checked = (model(adv).argmax(1) != y) & torch.isfinite(best)
    kept = best[checked]
    print(json.dumps({
        "samples": int(x.shape[0]),
        "targets": args.targeted,
        "iters": args.iters,
        "wall_s": wall,
        "cpu_s": cpu,
        "found": int(checked.sum()),
        "median_linf": float(np.median(kept.numpy())) if kept.numel() else None,
        "prediction_mismatches": int((clean.argmax(1) != y).sum()),
        "max_logit_diff": logit_diff,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
