#!/usr/bin/env python3
"""Golden values for Brink's pure metrics (src-main/engine/metrics: rank, summary, binned, scores).

Run from the repository root:
    /usr/bin/python3 tools/goldens/make_metric_goldens_rank.py [--check]

Writes src-main/engine/metrics/goldens/rank.json with, per section, a list of cases:
    kendall     scipy.stats.kendalltau(x, y) (variant 'b'), with +inf entries and heavy ties
    spearman    scipy.stats.spearmanr(x, y).statistic
    pearson     scipy.stats.pearsonr(x, y).statistic (finite input only)
    rankdata    scipy.stats.rankdata(x, 'average')
    quantile    numpy.percentile(x, q) ('linear') and numpy.median, numpy.mean
    histogram   numpy.histogram(x, bins, range) on non-constant finite input
    binned      the paper's binned consistency pipeline (PAPER-METHODS.md section 5,
                nbutils.py `lq2` + `plx`), transcribed below in float64 numpy, with fixed
                edges [0, 0.15] (Fig. 2) and range edges (Fig. 7)
    scores      confidence scores from scipy.special softmax, logsumexp and entropy, each
                oriented higher = more confident (see scores.ts)

Floats are written as Python's repr (json round-trips float64 exactly). NaN, inf and -inf are
written as the strings "NaN", "Infinity" and "-Infinity" (allow_nan=False guards the rest); the
tests decode them. The data come from numpy's legacy RandomState (its streams are frozen), so the
output is the same bytes on every run. `--check` compares with the file on disk instead of
writing (exit status 1 on any difference).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.special
import scipy.stats

OUT = Path(__file__).resolve().parents[2] / 'src-main' / 'engine' / 'metrics' / 'goldens' / 'rank.json'


def enc(value):
    """Floats as repr-exact JSON numbers; the non-finite ones as strings."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [enc(v) for v in value]
    if isinstance(value, dict):
        return {k: enc(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    v = float(value)
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    return v


def pair_cases(rng: np.random.RandomState, with_inf: bool):
    """(name, x, y) pairs: continuous, tie-heavy, tiny, constant, correlated, and with +inf."""
    cases = []
    for n in (2, 3, 5, 10, 50, 1000):
        cases.append((f'continuous n={n}', rng.randn(n), rng.randn(n)))
    for n in (2, 3, 7, 40, 300, 1200):
        cases.append((f'ties from 3 integers n={n}', rng.randint(0, 3, n).astype(float), rng.randint(0, 3, n).astype(float)))
    for n in (20, 1000):
        x = rng.randint(0, 5, n).astype(float)
        cases.append((f'correlated ties n={n}', x, x + rng.randint(0, 3, n)))
        z = rng.randn(n)
        cases.append((f'anti-correlated n={n}', z, -2 * z + 0.3 * rng.randn(n)))
    cases.append(('identical n=30', np.arange(30.0), np.arange(30.0)))
    cases.append(('reversed n=30', np.arange(30.0), -np.arange(30.0)))
    cases.append(('constant x', np.full(12, 1.5), rng.randn(12)))
    cases.append(('constant y', rng.randn(12), np.full(12, -2.0)))
    cases.append(('signed zeros tie', np.array([0.0, -0.0, 1.0, 2.0, -0.0]), np.array([1.0, 2.0, 3.0, 1.0, 0.0])))
    if with_inf:
        for n in (4, 60, 1000):
            score = np.abs(rng.randn(n))
            margin = 0.02 * score + 0.01 * rng.rand(n)
            margin[rng.rand(n) < 0.2] = np.inf
            cases.append((f'censored margins as +inf n={n}', score, margin))
        x = rng.randint(0, 4, 200).astype(float)
        x[rng.rand(200) < 0.3] = np.inf
        y = rng.randint(0, 4, 200).astype(float)
        y[rng.rand(200) < 0.1] = -np.inf
        cases.append(('ties with +inf and -inf n=200', x, y))
        cases.append(('all +inf in y', rng.randn(8), np.full(8, np.inf)))
    return cases


def rank_sections(rng):
    kendall, spearman, pearson, rankdata = [], [], [], []
    for name, x, y in pair_cases(rng, with_inf=True):
        tau = scipy.stats.kendalltau(x, y).statistic
        kendall.append({'name': name, 'x': x, 'y': y, 'tau': tau})
        # SciPy 1.10 detects NaN by np.isnan(np.sum(a)), so +inf and -inf together read as NaN
        # and spearmanr/rankdata return NaN: no reference for such cases (kendalltau checks
        # x and y apart, and no case has both signs within one side).
        both = np.concatenate([x, y])
        if not (np.isposinf(both).any() and np.isneginf(both).any()):
            spearman.append({'name': name, 'x': x, 'y': y, 'rho': scipy.stats.spearmanr(x, y).statistic})
    for name, x, y in pair_cases(rng, with_inf=False):
        r = scipy.stats.pearsonr(x, y).statistic
        pearson.append({'name': name, 'x': x, 'y': y, 'r': r})
    for name, values in (
        ('distinct', rng.randn(15)),
        ('ties', rng.randint(0, 4, 40).astype(float)),
        ('with +inf (censored) ties', np.array([np.inf, 1.0, 2.0, 1.0, np.inf, 0.0])),
        ('with -inf', np.array([-np.inf, 1.0, -np.inf, 0.5])),
        ('one value', np.array([3.0])),
    ):
        rankdata.append({'name': name, 'values': values, 'ranks': scipy.stats.rankdata(values, 'average')})
    return {'kendall': kendall, 'spearman': spearman, 'pearson': pearson, 'rankdata': rankdata}


QS = [0, 5, 10, 25, 33.3, 50, 66.7, 75, 90, 95, 97.5, 100]


def summary_sections(rng):
    quantile = []
    for name, values in (
        ('one value', np.array([4.25])),
        ('two values', np.array([1.0, 3.0])),
        ('four values', np.array([4.0, 1.0, 3.0, 2.0])),
        ('normal n=101', rng.randn(101)),
        ('ties n=64', rng.randint(0, 5, 64).astype(float)),
        ('exponential n=1000', rng.exponential(0.05, 1000)),
        ('constant n=9', np.full(9, 7.5)),
    ):
        quantile.append({
            'name': name, 'values': values, 'q': QS,
            'percentile': np.percentile(values, QS),
            'median': np.median(values), 'mean': np.mean(values),
        })
    histogram = []
    for name, values, bins, rng_ in (
        ('normal, 30 bins', rng.randn(500), 30, None),
        ('ties on edges, 4 bins', np.array([0.0, 1, 1, 2, 3, 4, 4, 4]), 4, None),
        ('uniform, 7 bins', rng.rand(333), 7, None),
        ('range wider than data', rng.rand(100), 10, (-0.5, 1.5)),
        ('range cutting the data', rng.randn(200), 8, (-1.0, 1.0)),
        ('tenths, values on edges, 10 bins', np.round(rng.rand(200), 1), 10, (0.0, 1.0)),
    ):
        counts, edges = np.histogram(values, bins=bins, range=rng_)
        histogram.append({'name': name, 'values': values, 'bins': bins, 'range': rng_, 'edges': edges, 'counts': counts})
    return {'quantile': quantile, 'histogram': histogram}


def paper_binned(X, Y, trim, bins, edges):
    """nbutils.py `lq2` then `plx`, as PAPER-METHODS.md section 5 describes them, in float64."""
    keep = (X > np.percentile(X, trim[0])) & (X < np.percentile(X, trim[1]))
    X, Y = X[keep], Y[keep]
    if X.size == 0:
        return {'bins': [], 'kept': 0}
    span = Y.max() - Y.min()
    Y = (Y - Y.min()) / span if span > 0 else np.zeros_like(Y)
    lo, hi = (X.min(), X.max()) if edges == 'range' else edges
    bin_edges = np.linspace(lo, hi, bins + 1)
    which = np.digitize(X, bin_edges)
    out = []
    for b in range(1, bins + 1):
        m = which == b
        n = int(m.sum())
        if n == 0:
            continue
        sem = np.std(Y[m], ddof=1) / np.sqrt(n) if n > 1 else None
        out.append({'x': np.median(X[m]), 'y': np.median(Y[m]), 'sem': sem, 'n': n})
    return {'bins': out, 'kept': int(X.size)}


def binned_section(rng):
    cases = []
    for name, n, trim, bins, edges in (
        ('Fig. 2: n=1000, edges [0, 0.15]', 1000, (5, 95), 20, (0.0, 0.15)),
        ('Fig. 7: n=1000, range edges, 15 bins', 1000, (5, 95), 15, 'range'),
        ('small n=40, range edges, 20 bins', 40, (5, 95), 20, 'range'),
        ('n=300, trim [10, 90], 8 bins', 300, (10, 90), 8, 'range'),
    ):
        X = rng.exponential(0.05, n)
        Y = 3 * X + 0.05 * rng.randn(n)
        cases.append({'name': name, 'x': X, 'y': Y, 'trim': trim, 'bins': bins, 'edges': edges,
                      'result': paper_binned(X, Y, trim, bins, edges)})
    # Ties at the percentiles (grid values) and a constant score.
    X = rng.randint(0, 30, 500) / 200.0
    Y = rng.rand(500)
    cases.append({'name': 'x on a grid (ties at the percentiles), edges [0, 0.15]', 'x': X, 'y': Y, 'trim': (5, 95), 'bins': 20,
                  'edges': (0.0, 0.15), 'result': paper_binned(X, Y, (5, 95), 20, (0.0, 0.15))})
    X = rng.exponential(0.05, 200)
    Y = np.full(200, 2.5)
    cases.append({'name': 'constant y normalises to 0', 'x': X, 'y': Y, 'trim': (5, 95), 'bins': 10, 'edges': 'range',
                  'result': paper_binned(X, Y, (5, 95), 10, 'range')})
    return {'binned': cases}


def scores_of(logits):
    p = scipy.special.softmax(logits, axis=1)
    top2 = np.sort(logits, axis=1)[:, ::-1]
    ptop2 = np.sort(p, axis=1)[:, ::-1]
    pmax = p.max(axis=1)
    g = (p ** 2).sum(axis=1)
    return {
        'logit-margin': top2[:, 0] - top2[:, 1],
        'probability-margin': ptop2[:, 0] - ptop2[:, 1],
        'max-probability': pmax,
        'entropy': -scipy.stats.entropy(p, axis=1),
        'energy': scipy.special.logsumexp(logits, axis=1),
        'doctor-alpha': -(1 - g) / g,
        'doctor-beta': -(1 - pmax) / pmax,
    }


def scores_section(rng):
    cases = []
    for name, logits in (
        ('10 classes, normal logits', rng.randn(50, 10) * 3),
        ('2 classes', rng.randn(20, 2) * 5),
        ('100 classes', rng.randn(8, 100) * 2),
        ('top two tied', np.array([[1.0, 3.0, 3.0, -1.0], [0.0, 0.0, 0.0, 0.0]])),
        ('large spread (near one-hot)', np.array([[40.0, 0.0, -10.0], [-300.0, 20.0, 19.0], [1000.0, 0.0, 999.5]])),
        ('underflowing classes (0 log 0)', np.array([[0.0, -800.0, -900.0, 1.0]])),
    ):
        cases.append({'name': name, 'classes': logits.shape[1], 'logits': logits.ravel(), 'scores': scores_of(logits)})
    return {'scores': cases}


def build() -> str:
    # Constant inputs are cases on purpose; SciPy's warning about them is expected.
    warnings.filterwarnings('ignore', category=scipy.stats.ConstantInputWarning)
    rng = np.random.RandomState(20240618)
    doc = {
        'generator': 'tools/goldens/make_metric_goldens_rank.py',
        'versions': {'numpy': np.__version__, 'scipy': scipy.__version__},
        **rank_sections(rng),
        **summary_sections(rng),
        **binned_section(rng),
        **scores_section(rng),
    }
    return json.dumps(enc(doc), allow_nan=False, separators=(',', ':')) + '\n'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='compare with the file on disk instead of writing')
    args = parser.parse_args()
    text = build()
    if args.check:
        same = OUT.exists() and OUT.read_text() == text
        print(f'{OUT}: {"unchanged" if same else "DIFFERS"}')
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f'wrote {OUT} ({len(text)} bytes)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
