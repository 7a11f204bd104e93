#!/usr/bin/env python3
"""Golden values for Brink's binary-classifier curves and Algorithm 1 (src-main/engine/metrics).

Run from the repository root:
    /usr/bin/python3 tools/goldens/make_metric_goldens_curves.py [--check]

Writes
    src-main/engine/metrics/goldens/curves.json      scikit-learn curves and summaries on fixed cases
    src-main/engine/metrics/goldens/algorithm1.json  the authors' SampleEfficientRobustAccuracy on fixed subsets

curves.json: per case the labels y (1 = positive) and the scores s, and from scikit-learn: roc_curve with
drop_intermediate True and False, precision_recall_curve, det_curve, roc_auc_score, auc(recall, precision)
(the paper's AUPR), average_precision_score, the paper's get_FPR_at_TPR (ngnawejonas/margin-consistency
notebook/scoreslib.py:176-181, copied verbatim below) and the textbook minimum FPR at a target TPR.
One-class cases store null for everything that needs both classes (scikit-learn raises or warns there).

Two deliberate departures from the scikit-learn installed here (Debian's 1.2.1), both to follow the
current scikit-learn: roc_curve's first threshold is +inf (1.3 and later) instead of max(score) + 1.
Nothing else differs: precision_recall_curve and det_curve in 1.2.1 already return every distinct threshold
(their later drop_intermediate parameters default to False) and do not stop at the first full recall.

algorithm1.json: data (d_in with some +inf censored samples, d_out with ties, correct) and subsets drawn
here with numpy's legacy RandomState, and for each subset the authors' procedure (notebook/nbutils.py:376-419)
in float64 fractions rather than float32 percentages: subset robust accuracy, chosen alpha, threshold
thr* on the score -d_out (Brink's lambda = -thr*), subset estimate and the estimate over all samples.
The alpha search compares integer counts |c_ref - c_alpha| (the intended comparison: float rounding of
|a/n - b/n| can break an exact symmetric tie); `floatAlphaAgrees` records whether the literal float64
comparison picks the same alpha.

Floats are written as Python repr (shortest round-trip) strings in JSON numbers; infinities and NaN are
written as the strings "Infinity", "-Infinity", "NaN". The output is deterministic; --check compares
with the files on disk instead of writing (exit status 1 on any difference).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.metrics import auc, average_precision_score, det_curve, precision_recall_curve, roc_auc_score, roc_curve

OUT = Path("src-main/engine/metrics/goldens")
TARGETS = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0]
ALPHAS = [0.8, 0.825, 0.85, 0.875, 0.9, 0.925, 0.95, 0.99]


def num(x):
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def arr(a):
    return [num(x) for x in np.asarray(a, dtype=np.float64)]


def get_FPR_at_TPR(y_true, y_score, alpha):
    # Verbatim logic of the paper's scoreslib.py:176-181.
    fpr, fnr, thr = det_curve(y_true, y_score)
    tpr = 1 - fnr
    i = np.argmin(tpr[tpr >= alpha])
    return fpr[i], tpr[i], thr[i]


def textbook_fpr_at_tpr(y, s, alpha):
    """min FPR over thresholds with TPR >= alpha, TPR computed as 1 - (P - tps)/P like the paper."""
    fpr, _, thr = roc_curve(y, s, drop_intermediate=False)
    thr = thr.copy()
    thr[0] = np.inf
    p = int(np.sum(y == 1))
    tps = np.r_[0, [np.sum((y == 1) & (s >= t)) for t in thr[1:]]]
    tpr = 1 - (p - tps) / p
    i = int(np.flatnonzero(tpr >= alpha)[0])
    return fpr[i], tpr[i], thr[i]


def roc(y, s, drop):
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=drop)
    thr = thr.copy()
    thr[0] = np.inf  # scikit-learn >= 1.3
    return {"fpr": arr(fpr), "tpr": arr(tpr), "thresholds": arr(thr)}


def curve_case(name, y, s):
    y = np.asarray(y, dtype=np.int64)
    s = np.asarray(s, dtype=np.float64)
    both = len(np.unique(y)) == 2
    has_pos = bool(np.any(y == 1))
    case = {"name": name, "y": [int(v) for v in y], "s": arr(s)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case["rocDrop"] = roc(y, s, True) if both else None
        case["rocAll"] = roc(y, s, False) if both else None
        if has_pos:
            p, r, t = precision_recall_curve(y, s)
            case["pr"] = {"precision": arr(p), "recall": arr(r), "thresholds": arr(t)}
            case["aupr"] = num(auc(r, p))
            case["averagePrecision"] = num(average_precision_score(y, s))
        else:
            case["pr"] = case["aupr"] = case["averagePrecision"] = None
    if both:
        fpr, fnr, t = det_curve(y, s)
        case["det"] = {"fpr": arr(fpr), "fnr": arr(fnr), "thresholds": arr(t)}
        case["auroc"] = num(roc_auc_score(y, s))
        case["fprAtTprDet"] = [dict(zip(("fpr", "tpr", "threshold"), map(num, get_FPR_at_TPR(y, s, a)))) for a in TARGETS]
        case["fprAtTprMin"] = [dict(zip(("fpr", "tpr", "threshold"), map(num, textbook_fpr_at_tpr(y, s, a)))) for a in TARGETS]
    else:
        case["det"] = case["auroc"] = case["fprAtTprDet"] = case["fprAtTprMin"] = None
    case["targets"] = TARGETS
    return case


def curve_cases():
    rng = np.random.RandomState(20240618)
    cases = [
        curve_case("tiny n=2, one of each, separated", [0, 1], [0.1, 0.9]),
        curve_case("tiny n=2, one of each, tied", [1, 0], [0.5, 0.5]),
        curve_case("tiny n=3, inverted", [1, 0, 0], [0.0, 1.0, 2.0]),
        curve_case("sklearn docstring example", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]),
        curve_case("constant scores", [1, 0, 1, 1, 0, 0, 1], [3.0] * 7),
        curve_case("negative and zero scores (-d_out with d_out = 0 ties)", [1, 1, 0, 0, 1, 0], [-0.0, 0.0, -1.5, -0.25, -0.25, -3.0]),
        curve_case("all positive", [1, 1, 1], [0.2, 0.1, 0.2]),
        curve_case("all negative", [0, 0, 0, 0], [1.0, 2.0, 2.0, 3.0]),
        curve_case("P=20: TPR 0.95 reached exactly at 19/20", [1] * 20 + [0] * 10, list(range(20)) + [5.5, 10.5, 15.5, 0.5, 1.5, 2.5, 3.5, 4.5, 18.5, 19.5]),
    ]
    # TPR plateaus: several negatives between consecutive positive scores, so the paper's point (largest
    # FPR on the plateau) and the textbook point (smallest) differ.
    s = np.r_[np.arange(10, 0, -1.0), np.repeat(np.arange(10, 0, -1.0) - 0.5, 3)]
    y = np.r_[np.ones(10), np.zeros(30)]
    cases.append(curve_case("TPR plateaus of three negatives", y, s))
    for k in range(12):
        n = int(rng.randint(4, 60))
        levels = int(rng.randint(2, 6))
        y = rng.randint(0, 2, n)
        s = rng.randint(0, levels, n).astype(np.float64) + 0.5 * y * rng.randint(0, 2, n)
        cases.append(curve_case(f"heavy ties #{k}: n={n}, {levels} score levels", y, s))
    for k in range(6):
        n = int(rng.randint(30, 200))
        y = (rng.rand(n) < rng.uniform(0.2, 0.8)).astype(np.int64)
        s = rng.randint(0, 12, n) + rng.randint(0, 6, n) * y
        cases.append(curve_case(f"ties, 12-17 integer levels: n={n}", y, s.astype(np.float64)))
    for k in range(6):
        n = int(rng.randint(100, 400))
        y = (rng.rand(n) < rng.uniform(0.1, 0.9)).astype(np.int64)
        s = np.round(rng.randn(n) + 1.2 * y, 1)
        cases.append(curve_case(f"random, rounded to 0.1: n={n}", y, s))
    n = 2000
    y = (rng.rand(n) < 0.4).astype(np.int64)
    s = rng.randn(n) + y
    cases.append(curve_case("continuous, no ties, n=2000", y, s))
    return cases


def sample_efficient(d_in, d_out, correct, eps, idx):
    """The authors' SampleEfficientRobustAccuracy on a given subset, in float64 fractions."""
    pos = d_in[idx] <= eps
    if len(np.unique(pos)) != 2:
        return None  # det_curve raises: one class in the subset
    c_ref = int(np.sum(correct[idx] & ~pos))
    rob_sub = np.mean(correct[idx] & ~pos)
    best_count, best_float = None, np.inf
    thr_star = alpha_star = c_star = alpha_float = None
    for a in ALPHAS:
        thr = get_FPR_at_TPR(pos, -d_out[idx], a)[-1]
        hit = correct[idx] & ~(-d_out[idx] >= thr)
        c = int(np.sum(hit))
        if best_count is None or abs(c_ref - c) < best_count:
            best_count, thr_star, alpha_star, c_star = abs(c_ref - c), thr, a, c
        if abs(rob_sub - np.mean(hit)) < best_float:
            best_float, alpha_float = abs(rob_sub - np.mean(hit)), a
    a_r = np.mean(correct & ~(-d_out >= thr_star))
    return {
        "threshold": num(-thr_star),
        "scoreThreshold": num(thr_star),
        "alpha": alpha_star,
        "subsetRobustAccuracy": num(c_ref / len(idx)),
        "subsetEstimate": num(c_star / len(idx)),
        "estimate": num(a_r),
        "floatAlphaAgrees": alpha_float == alpha_star,
    }


def algorithm1_dataset(name, rng, n, eps, censored, noise, tie_decimals):
    # d_out grows with d_in plus exponential noise: consistent enough that the chosen alpha varies
    # between subsets (with a weakly consistent d_out every subset picks alpha = 0.8).
    correct = rng.rand(n) < 0.8
    d_in = rng.exponential(1.5 * eps, n)
    d_in[rng.rand(n) < censored] = np.inf
    d_out = np.round(np.clip(d_in, 0, 4 * eps) / eps * 0.5 + rng.exponential(noise, n), tie_decimals)
    d_out[rng.rand(n) < 0.02] = 0.0  # tied top-2 logits
    subsets, results = [], []
    for size in [2, 5, 20, 50, 100, 300]:
        for _ in range(6):
            idx = rng.choice(n, size, replace=False)
            subsets.append([int(i) for i in idx])
            results.append(sample_efficient(d_in, d_out, correct, eps, idx))
    return {
        "name": name,
        "epsilon": eps,
        "inputMargin": arr(d_in),
        "logitMargin": arr(d_out),
        "correct": [int(c) for c in correct],
        "robustAccuracy": num(np.mean(correct & ~(d_in <= eps))),
        "subsets": subsets,
        "expected": results,
    }


def algorithm1_goldens():
    rng = np.random.RandomState(8255)
    return {
        "alphas": ALPHAS,
        "datasets": [
            algorithm1_dataset("n=1000, eps=8/255, 10% censored, d_out to 2 decimals", rng, 1000, 8 / 255, 0.1, 0.1, 2),
            algorithm1_dataset("n=600, eps=0.05, 2% censored, d_out to 1 decimal", rng, 600, 0.05, 0.02, 0.05, 1),
        ],
    }


def render(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    args = parser.parse_args()
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__, "script": "tools/goldens/make_metric_goldens_curves.py"}
    files = {
        "curves.json": render({"meta": meta, "cases": curve_cases()}),
        "algorithm1.json": render({"meta": meta, **algorithm1_goldens()}),
    }
    failed = False
    for name, text in files.items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                print(f"{path}: differs from a fresh run", file=sys.stderr)
                failed = True
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path} ({len(text)} bytes)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
