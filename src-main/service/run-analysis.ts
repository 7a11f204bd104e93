/**
 * A run's analysis (DESIGN.md section 5; issue 9): consistency, detection, robust accuracy,
 * Algorithm 1, other confidence scores, screening and per-class results, composed from the
 * run's stored columns. engine/metrics does the arithmetic; nothing here is stored as the only
 * copy, and every number can be recomputed from the rows at any time.
 *
 * Where Brink is stricter than the paper's code: a sample whose prediction no attack changed
 * within budget is censored (input margin +Infinity), never 0. It is robust at every epsilon and
 * ranks above every found margin in Kendall tau, tied with the other censored samples.
 */
import type {
  Algorithm1,
  AttackNorm,
  AttackStats,
  ClassAnalysis,
  Consistency,
  CurvePoint,
  DetectionAtEpsilon,
  FeatureConsistency,
  RobustAccuracyPoint,
  RunAnalysis,
  RunConfig,
  ScoreComparison,
  ScoreName,
  Screening,
} from '../../src-preload/contract.js';
import { marginAttacks } from '../../src-preload/contract.js';
import { algorithm1Study, calibrateThreshold, estimateRobustAccuracy } from '../engine/metrics/algorithm1.js';
import { binnedConsistency } from '../engine/metrics/binned.js';
import { bootstrapCi, bootstrapCis, gather } from '../engine/metrics/bootstrap.js';
import {
  aupr,
  auroc,
  averagePrecision,
  confusionAt,
  downsampleCurve,
  fprAtTprDet,
  fprAtTprMin,
  precisionRecallCurve,
  rocCurve,
  scoreOrder,
  thresholdCounts,
  type ScoreOrder,
  type ThresholdCounts,
} from '../engine/metrics/curves.js';
import { denseRanks, kendallTauB, pearson, spearman } from '../engine/metrics/rank.js';
import { robustAccuracy, robustAccuracyCurve } from '../engine/metrics/robust.js';
import { confidenceScoreNames, confidenceScores } from '../engine/metrics/scores.js';
import { censoredMedian, fiveNumbers, histogram, mean, median } from '../engine/metrics/summary.js';
import { UserError } from '../errors.js';
import type { ProjectStore } from '../store/project-store.js';
import type { AttackFinding, MarginColumns } from '../store/run-repo.js';
import { positionIndex, slack } from './run-results.js';

export interface AnalysisOptions {
  epsilons?: number[];
  withForward?: string;
  tprTarget?: number;
  /** Bootstrap resamples for every confidence interval. */
  resamples?: number;
  /** Every point of the ROC and PR curves and every threshold (for export), not at most 500. */
  fullCurves?: boolean;
  seed?: number;
  /** Every statistic over the correctly classified samples only (issue 10: margins are measured from the prediction). */
  correctOnly?: boolean;
}

export const ANALYSIS_DEFAULTS = { resamples: 200, seed: 0, tprTarget: 0.95, scatterLimit: 10_000, curvePoints: 500 } as const;

/** The epsilons every analysis of a norm shows besides the run's own (pixel units). */
export const defaultEpsilons: Record<AttackNorm, number[]> = {
  linf: [1, 2, 4, 8, 16].map((k) => k / 255),
  l2: [0.1, 0.25, 0.5, 1, 2],
  l1: [1, 2.5, 5, 10, 20],
};

/** Everything the analysis reads from the project, so that the composition itself is pure. */
export interface AnalysisInput {
  runId: string;
  config: RunConfig;
  columns: MarginColumns;
  findings: AttackFinding[];
  classNames: string[] | null;
  /** False on an unlabeled dataset: what needs labels (accuracy, robust accuracy, Algorithm 1, per class, signed margins) is left out. */
  labeled: boolean;
  /** ||h(x) - h(x_adv)||_inf per sample (NaN where none), when the run recorded it. */
  featureDistance: Float64Array | null;
  forward: { runId: string; columns: MarginColumns } | null;
}

export function readAnalysisInput(store: ProjectStore, id: string, withForward?: string): AnalysisInput {
  const run = store.runs.get(id);
  const config = run.config;
  const columns = store.runs.marginColumns(id);
  let forward: AnalysisInput['forward'] = null;
  if (withForward) {
    const other = store.runs.get(withForward);
    if (other.modelId !== run.modelId) throw new UserError(`run ${withForward} audits another model (${other.modelName}); Algorithm 1 needs a forward run of ${run.modelName}`);
    if (other.status !== 'done') throw new UserError(`run ${withForward} is ${other.status}; Algorithm 1 needs a finished forward run`);
    forward = { runId: withForward, columns: store.runs.marginColumns(withForward) };
  }
  return {
    runId: id,
    config,
    columns,
    findings: config.attack ? store.runs.attackFindings(id, config.attack.norm) : [],
    classNames: store.models.get(run.modelId).labels,
    labeled: run.labeled,
    featureDistance: store.runs.featureDistances(id),
    forward,
  };
}

/** The epsilon grid: the requested one, else the run's epsilons and the norm's defaults, ascending. */
export function epsilonGrid(config: RunConfig, requested?: number[]): number[] {
  const norm = config.attack?.norm;
  const values = requested ?? [...(config.attack?.epsilons ?? []), ...(norm ? defaultEpsilons[norm] : [])];
  return [...new Set(values)].sort((a, b) => a - b);
}

export function auditEpsilonOf(config: RunConfig, grid: number[]): number {
  const first = config.attack?.epsilons[0];
  if (first !== undefined && grid.includes(first)) return first;
  return grid[Math.floor(grid.length / 2)] ?? 0;
}

export function analyzeRun(everySample: AnalysisInput, options: AnalysisOptions = {}): RunAnalysis {
  const started = performance.now();
  if (everySample.columns.positions.length === 0) throw new UserError(`run ${everySample.runId} has no results yet`);
  if (options.correctOnly && !everySample.labeled) throw new UserError(`run ${everySample.runId} is on an unlabeled dataset: no sample is known to be correct; show all samples`);
  const labeled = everySample.labeled;
  const input = options.correctOnly ? onlyCorrect(everySample) : everySample;
  const { config, columns: c } = input;
  const n = c.positions.length;
  if (n === 0) throw new UserError(`run ${input.runId} has no correctly classified sample: the correct-only view is empty; show all samples`);
  const resamples = options.resamples ?? ANALYSIS_DEFAULTS.resamples;
  const seed = options.seed ?? ANALYSIS_DEFAULTS.seed;
  const tprTarget = options.tprTarget ?? ANALYSIS_DEFAULTS.tprTarget;
  const epsilons = epsilonGrid(config, options.epsilons);
  const auditEpsilon = auditEpsilonOf(config, epsilons);
  const hasMargins = c.inputMargin.some((m) => !Number.isNaN(m));
  const correct = c.correct.reduce((a, b) => a + b, 0);
  const found = c.inputMargin.filter(Number.isFinite);
  const censored = c.inputMargin.filter((m) => m === Infinity).length;
  const order = scoreOrder(c.logitMargin.map((m) => -m));
  const curveLimit = options.fullCurves ? Infinity : ANALYSIS_DEFAULTS.curvePoints;
  const ctx: Context = { c, n, order, resamples, seed, curveLimit };

  const detection = hasMargins ? epsilons.map((epsilon) => detectionAt(ctx, epsilon)) : [];
  return {
    runId: input.runId,
    norm: config.attack?.norm ?? null,
    samples: n,
    labeled,
    correct,
    accuracy: labeled ? correct / n : null,
    censored,
    found: found.length,
    epsilons,
    auditEpsilon,
    logitMargin: { ...fiveNumbers(c.logitMargin), mean: mean(c.logitMargin), histogram: histogram(c.logitMargin) },
    inputMargin: found.length ? { ...fiveNumbers(found), histogram: histogram(found) } : null,
    medianInputMargin: hasMargins ? censoredMedian(c.inputMargin) : null,
    consistency: hasMargins ? consistency(ctx) : null,
    detection,
    robustAccuracy: labeled && config.attack ? robustPoints(ctx, input, epsilons, hasMargins) : [],
    robustCurve: labeled && hasMargins ? robustAccuracyCurve(c.correct, c.inputMargin) : [],
    algorithm1: labeled && hasMargins ? algorithm1(ctx, auditEpsilon, input.forward) : null,
    scores: hasMargins ? scoreComparison(ctx, auditEpsilon) : [],
    featureConsistency: hasMargins && input.featureDistance ? featureConsistency(c, input.featureDistance) : null,
    screening: hasMargins ? screening(ctx, auditEpsilon, tprTarget) : null,
    perClass: labeled ? perClass(ctx, auditEpsilon, hasMargins, input.classNames) : [],
    bootstrapResamples: resamples,
    computeMs: performance.now() - started,
    correctOnly: options.correctOnly === true,
    excluded: everySample.columns.positions.length - n,
    bestBy: countBestBy(c),
    attackStats: attackStats(config, input.findings),
    signedInputMargin: labeled && hasMargins ? signedMargins(c.inputMargin, c.correct) : null,
    signedLogitMargin: labeled ? signedMargins(c.logitMargin, c.correct)! : null,
  };
}

/** Per minimal-norm attack, the samples whose prediction it changed and the median norm; fixed-epsilon attacks have none. */
function attackStats(config: RunConfig, findings: AttackFinding[]): AttackStats[] {
  return (config.attack?.attacks ?? []).map((attack) => {
    if (!marginAttacks.includes(attack)) return { attack, found: null, medianNorm: null };
    const norms = findings.find((f) => f.attack === attack && f.epsilon === 0)?.norms ?? [];
    return { attack, found: norms.length, medianNorm: norms.length ? median(norms) : null };
  });
}

function countBestBy(c: MarginColumns): RunAnalysis['bestBy'] {
  const counts: RunAnalysis['bestBy'] = {};
  for (const attack of c.bestAttack) if (attack) counts[attack] = (counts[attack] ?? 0) + 1;
  return counts;
}

/** Rows k of the columns, in order. */
function pickRows(c: MarginColumns, rows: Uint32Array): MarginColumns {
  const logits = new Float32Array(rows.length * c.classes);
  rows.forEach((k, r) => logits.set(c.logits.subarray(k * c.classes, (k + 1) * c.classes), r * c.classes));
  return {
    positions: Uint32Array.from(rows, (k) => c.positions[k]),
    labels: Int32Array.from(rows, (k) => c.labels[k]),
    preds: Int32Array.from(rows, (k) => c.preds[k]),
    correct: Uint8Array.from(rows, (k) => c.correct[k]),
    logitMargin: gather(c.logitMargin, rows),
    inputMargin: gather(c.inputMargin, rows),
    featureMarginLinf: gather(c.featureMarginLinf, rows),
    featureMarginL2: gather(c.featureMarginL2, rows),
    bestAttack: Array.from(rows, (k) => c.bestAttack[k]),
    classes: c.classes,
    logits,
  };
}

function correctRows(c: MarginColumns): Uint32Array {
  const rows: number[] = [];
  c.correct.forEach((ok, k) => ok === 1 && rows.push(k));
  return Uint32Array.from(rows);
}

/**
 * The correct-only view: margins are distances to changing the model's prediction, so on a
 * misclassified sample the adversarial example may restore the true label. Every statistic of
 * the view is over the correct samples; the attacks' findings and the forward run follow.
 */
export function onlyCorrect(input: AnalysisInput): AnalysisInput {
  const rows = correctRows(input.columns);
  const kept = new Set(Array.from(rows, (k) => input.columns.positions[k]));
  const findings = input.findings.map((f) => {
    const keep = f.positions.map((p) => kept.has(p));
    return { ...f, positions: f.positions.filter((_, i) => keep[i]), norms: f.norms.filter((_, i) => keep[i]) };
  });
  const forward = input.forward && { runId: input.forward.runId, columns: pickRows(input.forward.columns, correctRows(input.forward.columns)) };
  return {
    ...input,
    columns: pickRows(input.columns, rows),
    findings,
    featureDistance: input.featureDistance && gather(input.featureDistance, rows),
    forward,
  };
}

/** Wu & Yu's signed margins over the samples with a finite margin; null when there is none. */
function signedMargins(margins: Float64Array, correct: Uint8Array): RunAnalysis['signedLogitMargin'] | null {
  const signed: number[] = [];
  let sumAbs = 0;
  margins.forEach((m, k) => {
    if (!Number.isFinite(m)) return;
    signed.push(correct[k] === 1 ? m : -m);
    sumAbs += Math.abs(m);
  });
  if (signed.length === 0) return null;
  let min = Infinity;
  let negative = 0;
  for (const v of signed) {
    if (v < min) min = v;
    if (v < 0) negative++;
  }
  return { samples: signed.length, negative, min, median: median(signed), meanAbs: sumAbs / signed.length };
}

interface Context {
  c: MarginColumns;
  n: number;
  /** The detection score -logit margin, sorted once for every epsilon and every subset of labels. */
  order: ScoreOrder;
  resamples: number;
  seed: number;
  curveLimit: number;
}

function finiteOrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || Number.isNaN(value) ? null : value;
}

/** Non-robust at epsilon (the positive class): a verified margin within epsilon; censored samples never are. */
export function positivesAt(inputMargin: ArrayLike<number>, epsilon: number): Uint8Array {
  const limit = slack(epsilon);
  return Uint8Array.from(inputMargin as ArrayLike<number>, (m) => (m <= limit ? 1 : 0));
}

function consistency(ctx: Context): Consistency {
  const { c, n } = ctx;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const tau = kendallTauB(c.inputMargin, c.logitMargin);
  // Tau depends on the order only: resampling dense ranks gives the same interval faster than raw values.
  const rx = denseRanks(c.inputMargin).ranks;
  const ry = denseRanks(c.logitMargin).ranks;
  const ci = bootstrapCi(n, (idx) => kendallTauB(gather(rx, idx, x), gather(ry, idx, y)), { resamples: ctx.resamples, seed: ctx.seed });
  const found: number[] = [];
  for (let k = 0; k < n; k++) if (Number.isFinite(c.inputMargin[k])) found.push(k);
  const fx = Float64Array.from(found, (k) => c.inputMargin[k]);
  const fy = Float64Array.from(found, (k) => c.logitMargin[k]);
  const binned = found.length >= 3 ? binnedConsistency(fx, fy) : { bins: [], kept: 0 };
  const shown = downsampleCurve(found.length, ANALYSIS_DEFAULTS.scatterLimit);
  return {
    samples: n,
    kendallTau: finiteOrNull(tau),
    kendallTauCi: ci,
    spearman: finiteOrNull(spearman(c.inputMargin, c.logitMargin)),
    pearson: found.length >= 2 ? finiteOrNull(pearson(fx, fy)) : null,
    pearsonSamples: found.length,
    binned: binned.bins,
    binnedSamples: binned.kept,
    scatter: Array.from(shown, (s) => {
      const k = found[s];
      return { position: c.positions[k], inputMargin: c.inputMargin[k], logitMargin: c.logitMargin[k], correct: c.correct[k] === 1 };
    }),
    scatterTotal: found.length,
  };
}

function skipReason(counts: ThresholdCounts, epsilon: number): string | null {
  if (counts.positives === 0) return `no sample has a verified input margin within ${epsilon.toPrecision(4)}: every decision is robust there`;
  if (counts.negatives === 0) return `every sample has an input margin within ${epsilon.toPrecision(4)}: no robust decision to tell apart`;
  return null;
}

/** Logit-margin threshold of a score threshold t: flagged when -d_out >= t, i.e. d_out <= -t. */
function marginOf(threshold: number): number | null {
  return Number.isFinite(threshold) ? -threshold : null;
}

function pickPoints(n: number, limit: number): ArrayLike<number> {
  return Number.isFinite(limit) ? downsampleCurve(n, limit) : Uint32Array.from({ length: n }, (_, k) => k);
}

function points(xs: Float64Array, ys: Float64Array, thresholds: Float64Array, limit: number): CurvePoint[] {
  const pick = pickPoints(xs.length, limit);
  return Array.from(pick, (k) => ({ x: xs[k], y: ys[k], logitMargin: k < thresholds.length ? marginOf(thresholds[k]) : null }));
}

function detectionAt(ctx: Context, epsilon: number): DetectionAtEpsilon {
  const counts = thresholdCounts(ctx.order, positivesAt(ctx.c.inputMargin, epsilon));
  const skipped = skipReason(counts, epsilon);
  const base = { epsilon, positives: counts.positives, negatives: counts.negatives, skipped };
  if (skipped) return { ...base, auroc: null, aupr: null, ap: null, fprAt95Tpr: null, fprAt95TprMin: null, roc: [], pr: [], thresholds: [] };
  const roc = rocCurve(counts)!;
  const pr = precisionRecallCurve(counts)!;
  const pick = pickPoints(counts.thresholds.length, ctx.curveLimit);
  return {
    ...base,
    auroc: auroc(counts),
    aupr: aupr(counts),
    ap: averagePrecision(counts),
    fprAt95Tpr: fprAtTprDet(counts, 0.95)?.fpr ?? null,
    fprAt95TprMin: fprAtTprMin(counts, 0.95)?.fpr ?? null,
    roc: points(roc.fpr, roc.tpr, roc.thresholds, ctx.curveLimit),
    pr: points(pr.recall, pr.precision, pr.thresholds, ctx.curveLimit),
    thresholds: Array.from(pick, (k) => ({
      logitMargin: -counts.thresholds[k],
      tp: counts.tps[k],
      fp: counts.fps[k],
      fn: counts.positives - counts.tps[k],
      tn: counts.negatives - counts.fps[k],
    })),
  };
}

/** Correct and not broken by a fixed-epsilon attack at exactly this epsilon; null when it did not run there. */
function fixedEpsilonAccuracy(c: MarginColumns, at: Map<number, number>, findings: AttackFinding[], config: RunConfig, attack: 'apgd-ce' | 'apgd-t', epsilon: number): number | null {
  if (!config.attack?.attacks.includes(attack) || !config.attack.epsilons.includes(epsilon)) return null;
  const alive = Uint8Array.from(c.correct);
  for (const p of findings.find((f) => f.attack === attack && f.epsilon === epsilon)?.positions ?? []) alive[at.get(p)!] = 0;
  return alive.reduce((a, b) => a + b, 0) / c.positions.length;
}

/** Robust accuracy at every epsilon of the grid; the intervals share one set of bootstrap resamples. */
function robustPoints(ctx: Context, input: AnalysisInput, epsilons: number[], hasMargins: boolean): RobustAccuracyPoint[] {
  const { c, n } = ctx;
  const robust = epsilons.map((epsilon) => {
    const limit = slack(epsilon);
    return Uint8Array.from(c.correct, (ok, k) => (ok === 1 && !(c.inputMargin[k] <= limit) ? 1 : 0));
  });
  const share = (flags: Uint8Array) => (idx: Uint32Array) => {
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += flags[idx[i]];
    return s / idx.length;
  };
  // Row of each stored position, built once for every epsilon's fixed-epsilon findings.
  const at = positionIndex(c);
  const cis = hasMargins ? bootstrapCis(n, robust.map(share), { resamples: ctx.resamples, seed: ctx.seed }) : epsilons.map(() => null);
  return epsilons.map((epsilon, k) => ({
    epsilon,
    fromMargins: hasMargins ? robustAccuracy(c.correct, c.inputMargin, slack(epsilon)) : null,
    ci: cis[k],
    apgdCe: fixedEpsilonAccuracy(c, at, input.findings, input.config, 'apgd-ce', epsilon),
    apgdT: fixedEpsilonAccuracy(c, at, input.findings, input.config, 'apgd-t', epsilon),
    combined: combinedAccuracy(c, at, input, robust[k], epsilon),
  }));
}

/** Robust from the margins and unbroken by every fixed-epsilon attack at this epsilon; null where the run did not attack at it. */
function combinedAccuracy(c: MarginColumns, at: Map<number, number>, input: AnalysisInput, robust: Uint8Array, epsilon: number): number | null {
  if (!input.config.attack?.epsilons.includes(epsilon)) return null;
  const alive = Uint8Array.from(robust);
  for (const f of input.findings) {
    if (f.epsilon !== epsilon || (f.attack !== 'apgd-ce' && f.attack !== 'apgd-t')) continue;
    for (const p of f.positions) alive[at.get(p)!] = 0;
  }
  return alive.reduce((a, b) => a + b, 0) / c.positions.length;
}

function algorithm1(ctx: Context, epsilon: number, forward: AnalysisInput['forward']): Algorithm1 | null {
  const { c } = ctx;
  const data = { inputMargin: c.inputMargin, logitMargin: c.logitMargin, correct: c.correct };
  const limit = slack(epsilon);
  const positives = positivesAt(c.inputMargin, epsilon).reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === ctx.n) return null;
  const study = algorithm1Study(data, limit, { seed: ctx.seed });
  let withForward: Algorithm1['withForward'] = null;
  if (forward) {
    const all = Uint32Array.from({ length: ctx.n }, (_, k) => k);
    const calibrated = calibrateThreshold(data, all, limit);
    const f = forward.columns;
    if (calibrated && f.positions.length) {
      withForward = {
        runId: forward.runId,
        samples: f.positions.length,
        threshold: calibrated.threshold,
        alpha: calibrated.alpha,
        estimate: estimateRobustAccuracy(f.logitMargin, f.correct, calibrated.threshold),
        subsetRobustAccuracy: calibrated.subsetRobustAccuracy,
        accuracy: f.correct.reduce((a, b) => a + b, 0) / f.positions.length,
      };
    }
  }
  return {
    epsilon,
    robustAccuracy: robustAccuracy(c.correct, c.inputMargin, limit),
    seed: ctx.seed,
    sizes: study.map((s) => ({
      n: s.n,
      repeats: s.repeats,
      estimates: s.estimates,
      thresholds: s.thresholds,
      absErrors: s.absErrors,
      meanAbsError: s.meanAbsError,
      sdAbsError: s.sdAbsError,
    })),
    withForward,
  };
}

/** Every confidence score the run's rows give, each oriented so that higher = more confident. */
function scoreVectors(c: MarginColumns): [ScoreName, Float64Array][] {
  const scores = confidenceScores(c.logits, c.classes);
  const vectors: [ScoreName, Float64Array][] = confidenceScoreNames.map((name) => [name, scores[name]]);
  if (!c.featureMarginLinf.some(Number.isNaN)) vectors.push(['feature-margin-linf', c.featureMarginLinf]);
  if (!c.featureMarginL2.some(Number.isNaN)) vectors.push(['feature-margin-l2', c.featureMarginL2]);
  return vectors;
}

function scoreComparison(ctx: Context, epsilon: number): ScoreComparison[] {
  const positives = positivesAt(ctx.c.inputMargin, epsilon);
  const rows = scoreVectors(ctx.c).map(([name, score]): ScoreComparison => {
    const counts = thresholdCounts(scoreOrder(score.map((s) => -s)), positives);
    return {
      name,
      kendallTau: finiteOrNull(kendallTauB(ctx.c.inputMargin, score)),
      auroc: auroc(counts),
      aupr: aupr(counts),
      fprAt95Tpr: fprAtTprDet(counts, 0.95)?.fpr ?? null,
      best: false,
    };
  });
  const best = Math.max(...rows.map((r) => r.auroc ?? -Infinity));
  for (const r of rows) r.best = r.auroc !== null && r.auroc === best;
  return rows;
}

function featureConsistency(c: MarginColumns, distance: Float64Array): FeatureConsistency | null {
  const kept: number[] = [];
  for (let k = 0; k < distance.length; k++) if (Number.isFinite(distance[k]) && Number.isFinite(c.inputMargin[k])) kept.push(k);
  if (kept.length < 3) return null;
  const x = Float64Array.from(kept, (k) => c.inputMargin[k]);
  const y = Float64Array.from(kept, (k) => distance[k]);
  return { samples: kept.length, kendallTau: finiteOrNull(kendallTauB(x, y)), binned: binnedConsistency(x, y).bins };
}

function screening(ctx: Context, epsilon: number, tprTarget: number): Screening | null {
  const counts = thresholdCounts(ctx.order, positivesAt(ctx.c.inputMargin, epsilon));
  if (skipReason(counts, epsilon)) return null;
  const point = fprAtTprMin(counts, tprTarget);
  if (!point) return null;
  return { epsilon, tprTarget, threshold: -point.threshold, tpr: point.tpr, fpr: point.fpr, confusion: confusionAt(counts, point.threshold) };
}

function perClass(ctx: Context, epsilon: number, hasMargins: boolean, classNames: string[] | null): ClassAnalysis[] {
  const { c } = ctx;
  const byLabel = new Map<number, number[]>();
  c.labels.forEach((label, k) => {
    const rows = byLabel.get(label);
    if (rows) rows.push(k);
    else byLabel.set(label, [k]);
  });
  return [...byLabel.entries()]
    .sort(([a], [b]) => a - b)
    .map(([label, rows]) => {
      const idx = Uint32Array.from(rows);
      const correct = Uint8Array.from(rows, (k) => c.correct[k]);
      const inputMargin = gather(c.inputMargin, idx);
      const logitMargin = gather(c.logitMargin, idx);
      const found = inputMargin.filter(Number.isFinite);
      const counts = hasMargins ? thresholdCounts(scoreOrder(logitMargin.map((m) => -m)), positivesAt(inputMargin, epsilon)) : null;
      return {
        label,
        name: classNames?.[label] ?? null,
        samples: rows.length,
        accuracy: correct.reduce((a, b) => a + b, 0) / rows.length,
        robustAccuracy: hasMargins ? robustAccuracy(correct, inputMargin, slack(epsilon)) : null,
        medianInputMargin: found.length ? median(found) : null,
        censored: inputMargin.filter((m) => m === Infinity).length,
        kendallTau: hasMargins ? finiteOrNull(kendallTauB(inputMargin, logitMargin)) : null,
        auroc: counts ? auroc(counts) : null,
      };
    });
}

/**
 * The analysis's screening threshold of one run, for screening new inputs: at `epsilon` (default
 * the audit epsilon, as the analysis chooses it) for a target TPR (default 0.95), computed by
 * the same function as RunAnalysis.screening. Throws, with the reason, where it has none.
 */
export function runScreening(
  store: ProjectStore,
  id: string,
  options: { epsilon?: number; tprTarget?: number; score?: ScoreColumn } = {},
): { screening: Screening; samples: number; censored: number; norm: AttackNorm } {
  const input = readAnalysisInput(store, id);
  const { config, runId } = input;
  const c = options.score ? scoredColumns(input.columns, options.score) : input.columns;
  const norm = config.attack?.norm;
  if (!norm || !c.inputMargin.some((m) => !Number.isNaN(m))) throw new UserError(`run ${runId} has no input margins: calibrate on a run with a minimal-norm attack (FAB, DeepFool, FMN)`);
  const epsilon = options.epsilon ?? auditEpsilonOf(config, epsilonGrid(config));
  const tprTarget = options.tprTarget ?? ANALYSIS_DEFAULTS.tprTarget;
  const order = scoreOrder(c.logitMargin.map((m) => -m));
  const ctx: Context = { c, n: c.positions.length, order, resamples: 0, seed: ANALYSIS_DEFAULTS.seed, curveLimit: 0 };
  const found = screening(ctx, epsilon, tprTarget);
  if (!found) {
    const reason = skipReason(thresholdCounts(order, positivesAt(c.inputMargin, epsilon)), epsilon) ?? `no threshold reaches a TPR of ${tprTarget}`;
    throw new UserError(`run ${runId} gives no screening threshold at ${epsilon.toPrecision(4)}: ${reason}`);
  }
  return { screening: found, samples: ctx.n, censored: c.inputMargin.filter((m) => m === Infinity).length, norm };
}

/**
 * Another score than the logit margin for a screening threshold (a learned pseudo-margin): one
 * value per listed position, small meaning brittle. Only the listed positions are counted, so
 * that a pseudo-margin is calibrated on samples it did not learn from.
 */
export interface ScoreColumn {
  positions: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** The run's columns at the score's positions, the score standing where the logit margin stands. */
function scoredColumns(c: MarginColumns, score: ScoreColumn): MarginColumns {
  const at = new Map<number, number>();
  c.positions.forEach((p, k) => at.set(p, k));
  const rows = Uint32Array.from(score.positions, (p) => {
    const k = at.get(p);
    if (k === undefined) throw new UserError(`the score names sample position ${p}, which the run does not hold`);
    return k;
  });
  return { ...pickRows(c, rows), logitMargin: Float64Array.from(score.values) };
}

/** The analysis of a run in a project, with the forward run for Algorithm 1's workflow when named. */
export function runAnalysis(store: ProjectStore, id: string, options: AnalysisOptions = {}): RunAnalysis {
  return analyzeRun(readAnalysisInput(store, id, options.withForward), options);
}
