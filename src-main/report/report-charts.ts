/** The report's charts, each drawn from one part of the run's analysis (the run page's dashboards, for print). */
import type { Algorithm1, Consistency, DetectionAtEpsilon, Histogram, RobustAccuracyPoint } from '../../src-preload/contract.js';
import { downsampleCurve } from '../engine/metrics/curves.js';
import { colors, plot, type Layer } from './svg-plot.js';

const percentAxis = (v: number) => `${Math.round(v * 100)}%`;

/** Print shows at most this many scatter points, evenly spaced in the analysis' own order; the sidecar has them all. */
export const PRINTED_SCATTER_POINTS = 2000;

export function robustAccuracyChart(curve: { epsilon: number; robustAccuracy: number }[], grid: RobustAccuracyPoint[], clean: number, norm: string): string {
  const maxEps = Math.max(...grid.map((p) => p.epsilon)) * 1.25;
  const shown = curve.filter((p) => p.epsilon <= maxEps);
  const last = shown.at(-1)?.robustAccuracy ?? clean;
  const line: [number, number][] = [[0, clean], ...shown.map((p): [number, number] => [p.epsilon, p.robustAccuracy]), [maxEps, last]];
  const layers: Layer[] = [
    { kind: 'line', points: line, step: true, color: colors.blue, label: 'from verified margins' },
    { kind: 'errors', bars: grid.filter((p) => p.ci).map((p) => ({ x: p.epsilon, low: p.ci![0], high: p.ci![1] })), color: colors.blue, label: '95% bootstrap CI' },
  ];
  const apgdCe = grid.filter((p) => p.apgdCe !== null).map((p): [number, number] => [p.epsilon, p.apgdCe!]);
  const apgdT = grid.filter((p) => p.apgdT !== null).map((p): [number, number] => [p.epsilon, p.apgdT!]);
  if (apgdCe.length) layers.push({ kind: 'points', points: apgdCe, color: colors.red, radius: 3.5, square: true, label: 'APGD-CE' });
  if (apgdT.length) layers.push({ kind: 'points', points: apgdT, color: colors.orange, radius: 3.5, label: 'APGD-T' });
  return plot({
    title: `Robust accuracy against the ${norm} budget ε`,
    x: { label: `ε (${norm}, pixel units in [0,1])`, min: 0, max: maxEps },
    y: { label: 'robust accuracy', min: 0, max: 1, format: percentAxis },
    layers,
  });
}

export function histogramChart(h: Histogram, label: string, color: string = colors.blue): string {
  const bins = h.counts.map((c, k) => ({ x0: h.edges[k], x1: h.edges[k + 1], y: c }));
  return plot({
    title: `Histogram of the ${label}`,
    height: 220,
    x: { label, min: h.edges[0], max: h.edges.at(-1)! },
    y: { label: 'samples', min: 0, max: Math.max(1, ...h.counts) * 1.05 },
    layers: [{ kind: 'bars', bins, color }],
  });
}

export function scatterChart(c: Consistency, norm: string): string {
  const pick = downsampleCurve(c.scatter.length, PRINTED_SCATTER_POINTS);
  const pts = Array.from(pick, (k) => c.scatter[k]);
  const xs = pts.map((p) => p.inputMargin).filter((v) => v > 0);
  const ys = pts.map((p) => p.logitMargin);
  const right: [number, number][] = pts.filter((p) => p.correct && p.inputMargin > 0).map((p) => [p.inputMargin, p.logitMargin]);
  const wrong: [number, number][] = pts.filter((p) => !p.correct && p.inputMargin > 0).map((p) => [p.inputMargin, p.logitMargin]);
  return plot({
    title: 'Logit margin against input margin, one point per sample with a verified margin',
    x: { label: `input margin (${norm}, log scale)`, min: Math.min(...xs), max: Math.max(...xs), log: true },
    y: { label: 'logit margin', min: Math.min(0, ...ys), max: Math.max(...ys) * 1.05 },
    layers: [
      { kind: 'points', points: right, color: colors.blue, radius: 1.6, opacity: 0.45, label: 'correct' },
      { kind: 'points', points: wrong, color: colors.red, radius: 1.8, opacity: 0.7, label: 'misclassified' },
    ],
  });
}

export function binnedChart(c: Consistency, norm: string): string {
  const xs = c.binned.map((b) => b.x);
  return plot({
    title: 'Binned medians of the normalised logit margin against the input margin, with standard errors',
    height: 240,
    x: { label: `input margin (${norm}), bin median`, min: Math.min(...xs), max: Math.max(...xs) },
    y: { label: 'normalised logit margin', min: 0, max: 1 },
    layers: [
      { kind: 'line', points: c.binned.map((b): [number, number] => [b.x, b.y]), color: colors.blue, label: 'bin median' },
      { kind: 'errors', bars: c.binned.filter((b) => b.sem !== null).map((b) => ({ x: b.x, low: b.y - b.sem!, high: b.y + b.sem! })), color: colors.grey, label: '± standard error' },
    ],
  });
}

export function rocChart(d: DetectionAtEpsilon): string {
  return plot({
    title: 'ROC curve of the logit margin as a detector of brittle decisions',
    width: 310,
    height: 260,
    x: { label: 'false-positive rate', min: 0, max: 1 },
    y: { label: 'true-positive rate', min: 0, max: 1 },
    layers: [{ kind: 'diagonal', color: colors.grey }, { kind: 'line', points: d.roc.map((p): [number, number] => [p.x, p.y]), color: colors.blue }],
  });
}

export function prChart(d: DetectionAtEpsilon): string {
  const base = d.positives / (d.positives + d.negatives);
  return plot({
    title: 'Precision-recall curve of the logit margin as a detector of brittle decisions',
    width: 310,
    height: 260,
    x: { label: 'recall', min: 0, max: 1 },
    y: { label: 'precision', min: 0, max: 1 },
    layers: [
      { kind: 'line', points: [[0, base], [1, base]], color: colors.grey, dash: true },
      { kind: 'line', points: d.pr.map((p): [number, number] => [p.x, p.y]), color: colors.blue },
    ],
  });
}

export function aurocChart(detection: DetectionAtEpsilon[], norm: string): string {
  const kept = detection.filter((d) => d.auroc !== null);
  const xs = kept.map((d) => d.epsilon);
  return plot({
    title: 'AUROC and FPR at 95% TPR over ε',
    height: 230,
    x: { label: `ε (${norm})`, min: Math.min(...xs), max: Math.max(...xs), log: Math.max(...xs) / Math.min(...xs) > 20 },
    y: { label: 'AUROC / FPR@95', min: 0, max: 1 },
    layers: [
      { kind: 'line', points: kept.map((d): [number, number] => [d.epsilon, d.auroc!]), color: colors.blue, label: 'AUROC' },
      { kind: 'points', points: kept.map((d): [number, number] => [d.epsilon, d.auroc!]), color: colors.blue, radius: 2.5 },
      { kind: 'line', points: kept.filter((d) => d.fprAt95Tpr !== null).map((d): [number, number] => [d.epsilon, d.fprAt95Tpr!]), color: colors.red, dash: true, label: 'FPR@95' },
    ],
  });
}

export function algorithm1Chart(a: Algorithm1): string {
  const sizes = a.sizes.filter((s) => s.meanAbsError !== null);
  const all = sizes.flatMap((s) => s.absErrors);
  return plot({
    title: "Algorithm 1: absolute error of the estimated robust accuracy against the subset size",
    height: 240,
    x: { label: 'calibration subset size n (log scale)', min: Math.min(...sizes.map((s) => s.n)) * 0.8, max: Math.max(...sizes.map((s) => s.n)) * 1.25, log: true },
    y: { label: 'absolute error', min: 0, max: Math.max(0.01, ...all) * 1.1, format: percentAxis },
    layers: [
      { kind: 'points', points: sizes.flatMap((s) => s.absErrors.map((e): [number, number] => [s.n, e])), color: colors.sky, radius: 2, opacity: 0.6, label: 'one subset' },
      { kind: 'line', points: sizes.map((s): [number, number] => [s.n, s.meanAbsError!]), color: colors.blue, label: 'mean' },
      { kind: 'errors', bars: sizes.filter((s) => s.sdAbsError !== null).map((s) => ({ x: s.n, low: Math.max(0, s.meanAbsError! - s.sdAbsError!), high: s.meanAbsError! + s.sdAbsError! })), color: colors.blue, label: '± one SD' },
    ],
  });
}
