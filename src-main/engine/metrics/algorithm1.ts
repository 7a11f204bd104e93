/**
 * Algorithm 1 of Ngnawe et al. 2024 (arXiv:2406.18451): estimate robust accuracy from logit margins,
 * calibrating one threshold on a small subset whose input margins were attacked. Transcribed from the
 * authors' `SampleEfficientRobustAccuracy` (notebook/nbutils.py:376-419) as PAPER-METHODS.md
 * section 6 reads it, with two deliberate changes: fractions in float64 instead of float32
 * percentages, and subsets drawn from a seeded generator instead of numpy's unseeded global one.
 * Goldens: goldens/algorithm1.json (tools/goldens/make_metric_goldens_curves.py).
 */
import { mulberry32 } from '../random.js';
import { fprAtTprDet, scoreOrder, thresholdCounts } from './curves.js';
import { kendallTauB } from './rank.js';
import { robustAccuracy } from './robust.js';

/** The authors' grid for the detection TPR alpha ("tune over alpha >= 0.80" in the paper). */
export const ALGORITHM1_ALPHAS = [0.8, 0.825, 0.85, 0.875, 0.9, 0.925, 0.95, 0.99];

export interface MarginData {
  /** d_in per sample; +Infinity = censored (the attack failed), robust at every epsilon, never a positive. */
  inputMargin: ArrayLike<number>;
  /** d_out per sample (top-1 minus top-2 logit). */
  logitMargin: ArrayLike<number>;
  /** 1 when the prediction is the true label, else 0. */
  correct: ArrayLike<number>;
}

export interface Calibration {
  /** lambda: a sample is estimated robust when correct && d_out > lambda. */
  threshold: number;
  /** The alpha of ALGORITHM1_ALPHAS that was chosen. */
  alpha: number;
  /** FAB robust accuracy of the subset: mean(correct && d_in > epsilon). */
  subsetRobustAccuracy: number;
  /** The chosen estimate on the subset: mean(correct && d_out > lambda). */
  subsetEstimate: number;
}

export interface Algorithm1Size {
  /** Subset size. */
  n: number;
  /** Repeats requested; those whose subset held one class are left out of every array below. */
  repeats: number;
  /** Repeats left out because their subset held only robust or only non-robust samples. */
  oneClassRepeats: number;
  subsets: Uint32Array[];
  /** Estimated robust accuracy over ALL samples, one per kept repeat. */
  estimates: number[];
  /** lambda per kept repeat. */
  thresholds: number[];
  /** Chosen alpha per kept repeat. */
  alphas: number[];
  /** Kendall tau-b(d_in, d_out) on the subset, as the paper annotates Fig 10 (NaN when one side is constant). */
  subsetTaus: number[];
  /** |estimate - robustAccuracy(all samples)| per kept repeat. */
  absErrors: number[];
  /** Mean of absErrors; null with no kept repeat. */
  meanAbsError: number | null;
  /** Population standard deviation (numpy's default ddof=0) of absErrors; null with no kept repeat. */
  sdAbsError: number | null;
}

export interface Algorithm1Options {
  sizes?: number[];
  repeats?: number;
  seed?: number;
}

/** Non-robust, the detection's positive class, as the authors' `~(d_in > eps)`: NaN counts as non-robust. */
const nonRobust = (inputMargin: number, epsilon: number) => !(inputMargin > epsilon);

function checkData(data: MarginData): number {
  const n = data.correct.length;
  if (data.inputMargin.length !== n || data.logitMargin.length !== n) {
    throw new RangeError(`margin data of unequal lengths: ${n} correct, ${data.inputMargin.length} d_in, ${data.logitMargin.length} d_out`);
  }
  return n;
}

function gather(values: ArrayLike<number>, subset: ArrayLike<number>, map: (v: number) => number): Float64Array {
  const out = new Float64Array(subset.length);
  for (let j = 0; j < subset.length; j++) {
    const i = subset[j];
    if (!Number.isInteger(i) || i < 0 || i >= values.length) throw new RangeError(`subset index ${i} is outside 0..${values.length - 1}`);
    out[j] = map(values[i]);
  }
  return out;
}

/**
 * Lines 1-6 of Algorithm 1 on one subset. With score s = -d_out and positives d_in <= epsilon:
 * for each alpha, thr = the paper's FPR@alpha threshold (`fprAtTprDet`, first point of the lowest
 * det_curve TPR plateau >= alpha), estimate = mean(correct && !(s >= thr)); keep the alpha whose
 * estimate is nearest the subset's FAB robust accuracy mean(correct && d_in > epsilon).
 * Nearness is compared in integer counts with a strict "<", so an exact tie goes to the earliest
 * alpha, as the authors intended (their float32 percentages can break a symmetric tie).
 * lambda = -thr: !(-d_out >= thr) is exactly d_out > lambda, since negation is exact.
 * Null when the subset holds one class only (the authors' det_curve raises there).
 */
export function calibrateThreshold(data: MarginData, subset: ArrayLike<number>, epsilon: number): Calibration | null {
  checkData(data);
  const score = gather(data.logitMargin, subset, (d) => -d);
  const positive = gather(data.inputMargin, subset, (d) => (nonRobust(d, epsilon) ? 1 : 0));
  const correct = gather(data.correct, subset, (c) => c);
  const counts = thresholdCounts(scoreOrder(score), positive);
  if (counts.positives === 0 || counts.negatives === 0) return null;
  let reference = 0;
  for (let j = 0; j < subset.length; j++) if (correct[j] === 1 && positive[j] === 0) reference++;
  let best: { gap: number; alpha: number; scoreThreshold: number; count: number } | null = null;
  for (const alpha of ALGORITHM1_ALPHAS) {
    const scoreThreshold = fprAtTprDet(counts, alpha)!.threshold;
    let count = 0;
    for (let j = 0; j < subset.length; j++) if (correct[j] === 1 && !(score[j] >= scoreThreshold)) count++;
    const gap = Math.abs(reference - count);
    if (best === null || gap < best.gap) best = { gap, alpha, scoreThreshold, count };
  }
  return {
    threshold: -best!.scoreThreshold + 0, // + 0: a threshold of -0 reads as 0
    alpha: best!.alpha,
    subsetRobustAccuracy: reference / subset.length,
    subsetEstimate: best!.count / subset.length,
  };
}

/**
 * Line 7 of Algorithm 1: A_r = mean(correct && d_out > lambda) over every sample given (the authors
 * include the calibration subset). NaN for no samples; RangeError on a NaN margin, which the
 * calibration could not have ranked either.
 */
export function estimateRobustAccuracy(logitMargin: ArrayLike<number>, correct: ArrayLike<number>, lambda: number): number {
  if (logitMargin.length !== correct.length) throw new RangeError(`${logitMargin.length} logit margins for ${correct.length} correctness flags`);
  let robust = 0;
  for (let i = 0; i < correct.length; i++) {
    if (Number.isNaN(logitMargin[i])) throw new RangeError(`logit margin ${i} is NaN`);
    if (correct[i] === 1 && logitMargin[i] > lambda) robust++;
  }
  return robust / correct.length;
}

/**
 * `size` distinct indices of 0..n-1, uniformly without replacement: the first `size` steps of a
 * Fisher-Yates shuffle, in the order drawn. `rng` returns uniforms in [0, 1) (`mulberry32`).
 */
export function drawSubset(n: number, size: number, rng: () => number): Uint32Array {
  if (!Number.isInteger(size) || size < 0 || size > n) throw new RangeError(`cannot draw ${size} of ${n} samples without replacement`);
  const pool = new Uint32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const picked = pool[j];
    pool[j] = pool[i];
    pool[i] = picked;
  }
  return pool.slice(0, size);
}

const meanOf = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

/** numpy's np.std default (ddof = 0): the paper reports spread of the repeats it ran, not an estimate. */
const populationSd = (values: number[]) => {
  const m = meanOf(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / values.length);
};

/**
 * Each size its own stream, so that the subsets of one size do not change when other sizes are
 * added or skipped.
 */
const streamFor = (seed: number, size: number) => mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) + size) >>> 0);

function studySize(data: MarginData, epsilon: number, size: number, repeats: number, seed: number, truth: number): Algorithm1Size {
  const n = data.correct.length;
  const rng = streamFor(seed, size);
  const out: Algorithm1Size = {
    n: size, repeats, oneClassRepeats: 0, subsets: [], estimates: [], thresholds: [], alphas: [], subsetTaus: [], absErrors: [],
    meanAbsError: null, sdAbsError: null,
  };
  for (let r = 0; r < repeats; r++) {
    const subset = drawSubset(n, size, rng);
    const calibration = calibrateThreshold(data, subset, epsilon);
    if (calibration === null) {
      out.oneClassRepeats++;
      continue;
    }
    const estimate = estimateRobustAccuracy(data.logitMargin, data.correct, calibration.threshold);
    out.subsets.push(subset);
    out.estimates.push(estimate);
    out.thresholds.push(calibration.threshold);
    out.alphas.push(calibration.alpha);
    out.subsetTaus.push(kendallTauB(gather(data.inputMargin, subset, (d) => d), gather(data.logitMargin, subset, (d) => d)));
    out.absErrors.push(Math.abs(estimate - truth));
  }
  if (out.absErrors.length > 0) {
    out.meanAbsError = meanOf(out.absErrors);
    out.sdAbsError = populationSd(out.absErrors);
  }
  return out;
}

/**
 * The paper's Fig 10 study: for each subset size, `repeats` seeded subsets, each calibrated with
 * `calibrateThreshold` and applied to ALL samples (subset included), with the absolute error against
 * the FAB robust accuracy of all samples, robustAccuracy(correct, inputMargin, epsilon). (The paper
 * measures the error against RobustBench's AutoAttack accuracy instead.)
 * - Sizes larger than the data are skipped (a size equal to it is kept), so data smaller than every
 *   size gives an empty result.
 * - Repeats whose subset holds one class cannot be calibrated; they are counted in `oneClassRepeats`
 *   and left out of the arrays, which then hold fewer than `repeats` entries.
 * - The spread is numpy's default population standard deviation (ddof = 0).
 * Deterministic for a given seed; the subsets are returned so that a reference transcription can be
 * run on exactly the same samples.
 */
export function algorithm1Study(data: MarginData, epsilon: number, options: Algorithm1Options = {}): Algorithm1Size[] {
  const n = checkData(data);
  const { sizes = [50, 100, 200, 300, 500, 1000], repeats = 10, seed = 0 } = options;
  const truth = robustAccuracy(data.correct, data.inputMargin, epsilon);
  return sizes.filter((size) => size <= n).map((size) => studySize(data, epsilon, size, repeats, seed, truth));
}
