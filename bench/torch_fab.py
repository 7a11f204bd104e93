#!/usr/bin/env python3
"""PyTorch CPU reference for Brink's attack benchmark (issue 5, item 8): FAB l_inf, untargeted,
one run from the clean point (no random start), in margin mode (no epsilon: the smallest
adversarial example seen is kept), on the sample CNN rebuilt by torch_forward.py.

The attack follows the semantics of AutoAttack's FAB (autoattack/fab_pt.py, attack_single_run),
which Brink's src-main/engine/attacks/fab.ts follows too, written batched in PyTorch:
  gradient    logits at x1 and the full Jacobian: with --jacobian loop (default) as AutoAttack
              gets it, one forward pass with autograd and one backward pass per class
              (retain_graph); with --jacobian replicate as Brink gets it, each row repeated once
              per class and one forward and backward pass over all the copies;
  projection  the closest linearised boundary in l_inf (|f_j - f_y| / ||g_j - g_y||_1), the
              l_inf projection of x1 and of the original onto it inside [0,1] (for both at once,
              as AutoAttack concatenates them), and the step mixing the two (alpha_max 0.1,
              eta 1.05), clipped to [0,1];
  forward     the prediction at the new point (torch.no_grad);
  rest        keeping the smallest adversarial example and the backward step (beta 0.9).
The projection is the water-filling solution written for this script (sort the breakpoints,
cumulative sums, one searchsorted per row), not AutoAttack's code: the same step, up to
rounding, as AutoAttack's projection_linf and Brink's fab-projections.ts.

Inputs are Brink's own: --x (float32 [n, 1, 28, 28] in [0,1], the pixels / 255 Brink attacks)
and --classes (int32 [n], Brink's predictions, the classes to leave). The model divides by
nothing: (x - 0.286) / 0.353 is applied in front of it, inside the gradient graph. Writes the
adversarial examples (the input where none was found) to --out as float32, so that Brink can
verify them with its own verification; prints one JSON line.

    /usr/bin/python3 bench/torch_fab.py --model resources/samples/fmnist-cnn-robust.onnx \
        --x X.npy --classes C.npy --out ADV.npy [--batch 100] [--steps 100] [--threads 1] \
        [--jacobian loop|replicate]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _threads_argument(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


# torch.set_num_threads does not reach the BLAS this torch build calls for Linear layers
# (BLAS_INFO=generic: OpenBLAS), which otherwise starts one thread per core: measured here with
# --threads 1, the process used 1.8-1.9 CPU-seconds per second of wall time. OpenBLAS reads its
# thread count when loaded, so it is set before numpy and torch are imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads_argument(sys.argv))
os.environ.setdefault("OMP_NUM_THREADS", _threads_argument(sys.argv))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from torch_forward import MEAN, STD, load_model  # noqa: E402


def project_linf(t: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Rows of the smallest-l_inf step d with w·(t + d) = b and t + d in [0,1] (t: [B, D] in the box).

    Moving every coordinate by min(lam, cap_i) towards the bound that closes the gap |w·t - b|
    (cap_i: its distance to that bound), lam solves G(lam) = sum_i |w_i| min(lam, cap_i) = gap.
    G is piecewise linear with kinks at the caps: after sorting them, G at the k-th kink is
    (sum of |w| cap below it) + cap_k * (sum of |w| from it on); the first kink where G reaches
    the gap brackets lam. Where no kink does, the hyperplane lies beyond the box and every
    coordinate takes its whole cap (AutoAttack's infeasible branch).
    """
    signed = (w * t).sum(1) - b
    sign = torch.where(signed >= 0, 1.0, -1.0)
    ws = w * sign[:, None]
    caps = torch.where(ws > 0, t, 1 - t)
    weights = ws.abs()
    gap = signed.abs()
    caps_sorted, order = caps.sort(dim=1)
    weights_sorted = weights.gather(1, order)
    weighted = weights_sorted * caps_sorted
    below = torch.cumsum(weighted, 1) - weighted  # sum of |w| cap over kinks before k
    from_here = weights_sorted.sum(1, keepdim=True) - (torch.cumsum(weights_sorted, 1) - weights_sorted)
    g_at_kinks = below + caps_sorted * from_here
    k = torch.searchsorted(g_at_kinks.contiguous(), gap[:, None].contiguous())  # first kink with G >= gap
    feasible = k[:, 0] < t.shape[1]
    kk = k.clamp_max(t.shape[1] - 1)
    lam = (gap[:, None] - below.gather(1, kk)) / from_here.gather(1, kk).clamp_min(1e-30)
    lam = torch.where(feasible[:, None], lam, torch.full_like(lam, float("inf")))
    lam = torch.where(gap[:, None] > 0, lam, torch.zeros_like(lam))
    step = torch.minimum(lam, caps)
    return torch.where(ws > 0, -step, step) * (ws != 0)


def jacobian(model, x: torch.Tensor, classes: int, replicate: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits [n, C] and the Jacobian [n, C, D] of the logits at the rows of x ([n, D]).

    loop (AutoAttack's get_diff_logits_grads_batch): one forward pass with autograd, then one
    backward pass per class with a one-hot cotangent, keeping the graph between them.
    replicate (what Brink's jacobian() does): every row repeated once per class, one forward and
    one backward pass over n * C rows with one-hot cotangents.
    """
    if replicate:
        c = classes
        xr = x.repeat_interleave(c, 0).requires_grad_()
        with torch.enable_grad():
            out = model(xr)
            (g,) = torch.autograd.grad(out, xr, grad_outputs=torch.eye(c).repeat(x.shape[0], 1))
        return out.detach()[::c], g.reshape(x.shape[0], c, -1)
    xg = x.clone().requires_grad_()
    with torch.enable_grad():
        logits = model(xg)
        c = logits.shape[1]
        mask = torch.zeros_like(logits)
        jac = []
        for j in range(c):
            mask[:, j] = 1.0
            (g,) = torch.autograd.grad(logits, xg, grad_outputs=mask, retain_graph=j < c - 1)
            mask[:, j] = 0.0
            jac.append(g)
    return logits.detach(), torch.stack(jac, 1)


def fab_linf(net: torch.nn.Module, x0: torch.Tensor, y: torch.Tensor, steps: int, times: dict[str, float], replicate: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """One untargeted FAB l_inf run on a batch; returns the kept adversarial examples and their l_inf norms (inf: none)."""
    alpha_max, eta, beta = 0.1, 1.05, 0.9
    n = x0.shape[0]
    shape = x0.shape
    rows = torch.arange(n)
    x0f = x0.reshape(n, -1)
    x1f = x0f.clone()
    best = torch.full((n,), float("inf"))
    adv = x0f.clone()

    def model(x: torch.Tensor) -> torch.Tensor:
        return net((x.reshape(-1, *shape[1:]) - MEAN) / STD)

    for _ in range(steps):
        t0 = time.perf_counter()
        logits, dg = jacobian(model, x1f, net.head.out_features, replicate)
        t1 = time.perf_counter()
        with torch.no_grad():
            f = logits
            df = f - f[rows, y][:, None]
            dg = dg - dg[rows, y][:, None]
            df[rows, y] = 1e10
            dist = df.abs() / (1e-12 + dg.abs().sum(-1))
            j = dist.argmin(1)
            w = dg[rows, j]
            b = -df[rows, j] + (w * x1f).sum(1)
            d = project_linf(torch.cat((x1f, x0f)), torch.cat((w, w)), torch.cat((b, b)))
            a = d.abs().amax(1, keepdim=True).clamp_min(1e-8)
            alpha = (a[:n] / (a[:n] + a[n:])).clamp(0.0, alpha_max)
            x1f = ((x1f + eta * d[:n]) * (1 - alpha) + (x0f + eta * d[n:]) * alpha).clamp(0.0, 1.0)
        t2 = time.perf_counter()
        with torch.no_grad():
            pred = model(x1f).argmax(1)
        t3 = time.perf_counter()
        is_adv = pred != y
        size = (x1f - x0f).abs().amax(1)
        better = is_adv & (size < best)
        adv[better] = x1f[better]
        best[better] = size[better]
        x1f[is_adv] = x0f[is_adv] + (x1f[is_adv] - x0f[is_adv]) * beta
        t4 = time.perf_counter()
        times["gradient"] += t1 - t0
        times["projection"] += t2 - t1
        times["forward"] += t3 - t2
        times["rest"] += t4 - t3
    return adv.reshape(shape), best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--x", required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--jacobian", choices=("loop", "replicate"), default="loop")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    net = load_model(args.model)
    x = torch.from_numpy(np.load(args.x))
    classes = torch.from_numpy(np.load(args.classes).astype(np.int64))
    with torch.no_grad():
        own = torch.cat([net((x[s:s + args.batch] - MEAN) / STD).argmax(1) for s in range(0, x.shape[0], args.batch)])
    # Warm-up outside the timing (first-call allocations), as Brink's side does.
    replicate = args.jacobian == "replicate"
    fab_linf(net, x[: args.batch], classes[: args.batch], 1, {"gradient": 0.0, "projection": 0.0, "forward": 0.0, "rest": 0.0}, replicate)

    times = {"gradient": 0.0, "projection": 0.0, "forward": 0.0, "rest": 0.0}
    advs, norms = [], []
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for s in range(0, x.shape[0], args.batch):
        adv, best = fab_linf(net, x[s:s + args.batch], classes[s:s + args.batch], args.steps, times, replicate)
        advs.append(adv)
        norms.append(best)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    np.save(args.out, torch.cat(advs).numpy().astype(np.float32))
    found = torch.cat(norms)
    ok = found[torch.isfinite(found)]
    print(json.dumps({
        "samples": int(x.shape[0]),
        "wall_s": wall,
        "cpu_s": cpu,
        **{f"{k}_s": v for k, v in times.items()},
        "found": int(ok.numel()),
        "median_linf": float(np.median(ok.numpy())) if ok.numel() else None,
        "prediction_mismatches": int((own != classes).sum()),
        "threads": torch.get_num_threads(),
        "jacobian": args.jacobian,
        "torch": torch.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
