import type { Confusion, DetectionAtEpsilon, RunAnalysis, ScoreName, Screening } from '../../src-preload/contract';

/** One position of the threshold slider: flag a decision brittle when its logit margin is at most `logitMargin`. */
export type ThresholdEntry = Confusion & { logitMargin: number };

/** The detection block for the chosen epsilon: the one equal to it, else the nearest (the first of two equally near). */
export function detectionAt(detection: readonly DetectionAtEpsilon[], epsilon: number): DetectionAtEpsilon | null {
  let best: DetectionAtEpsilon | null = null;
  for (const entry of detection) {
    if (entry.epsilon === epsilon) return entry;
    if (best === null || Math.abs(entry.epsilon - epsilon) < Math.abs(best.epsilon - epsilon)) best = entry;
  }
  return best;
}

/** The detector's rates at one threshold. Positives are non-robust samples (input margin ≤ ε). */
export interface ThresholdRates {
  /** Flagged brittle among the non-robust: tp / (tp + fn); null without positives. */
  tpr: number | null;
  /** Flagged brittle among the robust: fp / (fp + tn); null without negatives. */
  fpr: number | null;
  /** Non-robust among the flagged: tp / (tp + fp); null when nothing is flagged. */
  precision: number | null;
  flagged: number;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

export function thresholdRates(confusion: Confusion): ThresholdRates {
  return {
    tpr: ratio(confusion.tp, confusion.tp + confusion.fn),
    fpr: ratio(confusion.fp, confusion.fp + confusion.tn),
    precision: ratio(confusion.tp, confusion.tp + confusion.fp),
    flagged: confusion.tp + confusion.fp,
  };
}

/** The slider's positions: the thresholds by increasing logit margin, so that moving right flags more decisions. */
export function sliderEntries(detection: DetectionAtEpsilon): ThresholdEntry[] {
  return [...detection.thresholds].sort((a, b) => a.logitMargin - b.logitMargin);
}

/**
 * The confusion counts when every sample with logit margin ≤ `threshold` is flagged brittle:
 * the entry with the largest logit margin not above it (the counts hold until the next
 * distinct margin); below every entry nothing is flagged.
 */
export function confusionAt(detection: DetectionAtEpsilon, threshold: number): ThresholdEntry {
  let best: ThresholdEntry | null = null;
  for (const entry of detection.thresholds) {
    if (entry.logitMargin <= threshold && (best === null || entry.logitMargin > best.logitMargin)) best = entry;
  }
  return best ?? { logitMargin: threshold, tp: 0, fp: 0, tn: detection.negatives, fn: detection.positives };
}

/** The slider position whose logit margin is nearest `threshold` (the lower one on a tie); -1 for no entries. */
export function positionOf(entries: readonly ThresholdEntry[], threshold: number): number {
  let best = -1;
  for (let i = 0; i < entries.length; i++) {
    if (best < 0 || Math.abs(entries[i].logitMargin - threshold) < Math.abs(entries[best].logitMargin - threshold)) best = i;
  }
  return best;
}

/** The position whose TPR is nearest `target`; on a tie, the lower FPR (then the lower threshold). */
export function positionNearestTpr(entries: readonly ThresholdEntry[], target: number): number {
  let best = -1;
  let bestGap = Infinity;
  let bestFpr = Infinity;
  entries.forEach((entry, i) => {
    const { tpr, fpr } = thresholdRates(entry);
    if (tpr === null) return;
    const gap = Math.abs(tpr - target);
    const f = fpr ?? 0;
    if (gap < bestGap - 1e-12 || (Math.abs(gap - bestGap) <= 1e-12 && f < bestFpr)) {
      best = i;
      bestGap = gap;
      bestFpr = f;
    }
  });
  return best < 0 && entries.length > 0 ? 0 : best;
}

/**
 * Where the slider starts: at the screening threshold when screening was calibrated at this
 * epsilon, else at the point nearest the usual 95 % TPR.
 */
export function initialPosition(entries: readonly ThresholdEntry[], epsilon: number, screening: Screening | null): number {
  if (screening !== null && screening.epsilon === epsilon) return positionOf(entries, screening.threshold);
  return positionNearestTpr(entries, 0.95);
}

/** The screening TPR target as the dashboard takes it, in percent; what the service accepts. */
export const TPR_TARGET_PERCENT = { min: 50, max: 99.9 } as const;

/**
 * A TPR target typed in percent ('90', '97.5') as a fraction, or why it cannot be one. The
 * service takes any rate in (0, 1); under 50 % a screening threshold flags fewer than half of
 * the brittle decisions, which no audit wants, and 100 % would flag every sample below the
 * largest non-robust margin.
 */
export function parseTprTarget(text: string): { ok: true; target: number } | { ok: false; message: string } {
  const value = Number(text.trim());
  const { min, max } = TPR_TARGET_PERCENT;
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    return { ok: false, message: `the TPR target is a percentage from ${min} to ${max}` };
  }
  return { ok: true, target: Math.round(value * 10) / 1000 };
}

/** A detection metric as one label: 'AUROC 0.913'; '—' for a missing value. */
export function formatMetric(name: string, value: number | null | undefined): string {
  return `${name} ${formatRate(value)}`;
}

/** A rate or area in [0, 1] to three decimals, as detection papers print them: 0.9126 -> '0.913'. */
export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

/** A logit margin to three significant digits, with a true minus sign: 1.2345 -> '1.23', 0.04257 -> '0.0426', -0.5 -> '−0.500'. */
export function formatLogitMargin(value: number): string {
  if (Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  const text = magnitude < 1e-3 || magnitude >= 1e4 ? magnitude.toExponential(2) : magnitude >= 100 ? magnitude.toFixed(0) : magnitude.toPrecision(3);
  return value < 0 ? `−${text}` : text;
}

/** The epsilons with detection results, ascending, for the AUROC / AUPR against ε chart. */
export function detectionSeries(detection: readonly DetectionAtEpsilon[]): { epsilon: number; auroc: number | null; aupr: number | null }[] {
  return detection
    .filter((entry) => entry.skipped === null)
    .map(({ epsilon, auroc, aupr }) => ({ epsilon, auroc, aupr }))
    .sort((a, b) => a.epsilon - b.epsilon);
}

const scoreLabels: Record<ScoreName, { label: string; detail: string }> = {
  'logit-margin': { label: 'logit margin', detail: 'f_i − max_{j≠i} f_j: the paper’s detector' },
  'probability-margin': { label: 'probability margin', detail: 'p_(1) − p_(2) of the softmax' },
  'max-probability': { label: 'max probability', detail: 'max softmax probability (MSP)' },
  entropy: { label: 'negative entropy', detail: 'Σ p log p of the softmax' },
  energy: { label: '−energy (logsumexp)', detail: 'logsumexp of the logits, the negated energy score' },
  'doctor-alpha': { label: 'DOCTOR α', detail: 'Granese et al. 2021: −(1 − Σp²)/Σp²' },
  'doctor-beta': { label: 'DOCTOR β', detail: 'Granese et al. 2021: −(1 − max p)/max p' },
  'feature-margin-linf': { label: 'feature-space margin (ℓ∞)', detail: 'min_j (f_i − f_j)/‖w_i − w_j‖₁, the dual norm of ℓ∞' },
  'feature-margin-l2': { label: 'feature-space margin (ℓ2)', detail: 'min_j (f_i − f_j)/‖w_i − w_j‖₂' },
};

/** How the score table names a confidence score, and what it computes (for the cell's title). */
export function scoreLabel(name: ScoreName): { label: string; detail: string } {
  return scoreLabels[name] ?? { label: name, detail: name };
}

/** matplotlib's boxplot statistics (cbook.boxplot_stats, whis = 1.5), as the paper's Fig. 10 draws them. */
export interface BoxStats {
  n: number;
  mean: number;
  q1: number;
  median: number;
  q3: number;
  /** The smallest value not below q1 − 1.5·IQR (q1 when there is none below q1). */
  whiskerLow: number;
  /** The largest value not above q3 + 1.5·IQR (q3 when there is none above q3). */
  whiskerHigh: number;
  /** Values beyond the whiskers (the paper hides them: showfliers=False; Brink draws every repeat as a dot). */
  outliers: number[];
}

/** numpy.percentile's default 'linear' method: the value at rank (n − 1)·p of the sorted values, interpolated. */
export function percentileLinear(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (sorted.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = rank - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  // numpy's _lerp interpolates from the nearer end, which decides the last bit.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

export function boxStats(values: readonly number[]): BoxStats | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  const q1 = percentileLinear(sorted, 0.25);
  const median = percentileLinear(sorted, 0.5);
  const q3 = percentileLinear(sorted, 0.75);
  const iqr = q3 - q1;
  // As cbook.boxplot_stats: the extremes of the values on each side of the fences, clamped to the box.
  const belowHigh = sorted.filter((v) => v <= q3 + 1.5 * iqr);
  const aboveLow = sorted.filter((v) => v >= q1 - 1.5 * iqr);
  const whiskerHigh = belowHigh.length === 0 || belowHigh[belowHigh.length - 1] < q3 ? q3 : belowHigh[belowHigh.length - 1];
  const whiskerLow = aboveLow.length === 0 || aboveLow[0] > q1 ? q1 : aboveLow[0];
  return {
    n: sorted.length,
    mean: finite.reduce((sum, v) => sum + v, 0) / finite.length,
    q1,
    median,
    q3,
    whiskerLow,
    whiskerHigh,
    outliers: sorted.filter((v) => v < whiskerLow || v > whiskerHigh),
  };
}

/** The Algorithm 1 panel's rows: box statistics of each subset size's absolute errors. */
export function algorithm1Boxes(algorithm1: NonNullable<RunAnalysis['algorithm1']>): { n: number; repeats: number; used: number; stats: BoxStats | null; absErrors: number[] }[] {
  return [...algorithm1.sizes]
    .sort((a, b) => a.n - b.n)
    .map((size) => ({ n: size.n, repeats: size.repeats, used: size.absErrors.length, stats: boxStats(size.absErrors), absErrors: size.absErrors }));
}

export const THRESHOLD_TABLE_HEADER = ['logit_margin_at_most', 'tp', 'fp', 'tn', 'fn', 'tpr', 'fpr', 'precision'];

/** One row per distinct threshold: flagged brittle when the logit margin is at most it; every ROC and PR point follows from these counts. */
export function thresholdTable(detection: DetectionAtEpsilon): (number | null)[][] {
  return detection.thresholds.map((t) => {
    const rates = thresholdRates(t);
    return [t.logitMargin, t.tp, t.fp, t.tn, t.fn, rates.tpr, rates.fpr, rates.precision];
  });
}
