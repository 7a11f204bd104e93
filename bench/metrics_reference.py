#!/usr/bin/env python3
"""SciPy and scikit-learn references for Brink's metric benchmark (issue 9, item 7; bench/analysis.ts).

Loads float64 .npy files written by bench/analysis.ts from --dir and times, for each case named
on the command line:
  kendall:NAME   scipy.stats.kendalltau(NAME_kendall_x.npy, NAME_kendall_y.npy) (variant 'b', SciPy's default)
  auroc:NAME     sklearn.metrics.roc_auc_score(NAME_auroc_label.npy, NAME_auroc_score.npy) (labels 0.0 / 1.0)
Each case: one warm-up call, then --repeats timed calls (time.perf_counter); the median and the
fastest time in milliseconds go out with the value, as one JSON line on stdout:
  {"scipy": "...", "sklearn": "...", "numpy": "...",
   "cases": {"kendall:continuous": {"value": ..., "median_ms": ..., "min_ms": ...}, ...}}
Loading the files is outside the timing (Brink's side times its functions on arrays in memory).

    /usr/bin/python3 bench/metrics_reference.py --dir DIR [--repeats 3] kendall:continuous auroc:ties
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import scipy
import scipy.stats
import sklearn
import sklearn.metrics


def timed(fn, repeats: int) -> dict:
    fn()  # warm-up
    times = []
    value = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return {"value": float(value), "median_ms": statistics.median(times), "min_ms": min(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("cases", nargs="+", help="kendall:NAME or auroc:NAME")
    args = parser.parse_args()

    def load(name: str) -> np.ndarray:
        return np.load(os.path.join(args.dir, f"{name}.npy"))

    out = {}
    for case in args.cases:
        metric, _, name = case.partition(":")
        if metric == "kendall":
            x, y = load(f"{name}_kendall_x"), load(f"{name}_kendall_y")
            out[case] = timed(lambda: scipy.stats.kendalltau(x, y).statistic, args.repeats)
        elif metric == "auroc":
            y, score = load(f"{name}_auroc_label"), load(f"{name}_auroc_score")
            out[case] = timed(lambda: sklearn.metrics.roc_auc_score(y, score), args.repeats)
        else:
            raise SystemExit(f"unknown case {case!r}: expected kendall:NAME or auroc:NAME")
    print(json.dumps({"scipy": scipy.__version__, "sklearn": sklearn.__version__, "numpy": np.__version__, "cases": out}))


if __name__ == "__main__":
    main()
