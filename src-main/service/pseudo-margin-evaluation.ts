/**
 * A pseudo-margin beside the logit margin on the held-out samples (the paper's Table 2 and
 * Fig. 7): Kendall tau-b against the input margin, then AUROC, AUPR and FPR@95 of the
 * brittle-decision detector at the audit epsilon, and the binned consistency curve. Every
 * number comes from engine/metrics, as in the run's analysis.
 */
import type { AttackNorm, HeldOutScore, PseudoMarginInput, PseudoMarginValidation } from '../../src-preload/contract.js';
import { binnedConsistency } from '../engine/metrics/binned.js';
import { aupr, auroc, downsampleCurve, fprAtTprDet, rocCurve, scoreOrder, thresholdCounts } from '../engine/metrics/curves.js';
import { kendallTauB } from '../engine/metrics/rank.js';
import { positivesAt } from './run-analysis.js';

const ROC_POINTS = 200;

export interface HeldOutSamples {
  /** +Infinity where censored. */
  inputMargin: Float64Array;
  logitMargin: Float64Array;
  /** The pseudo-margin network's estimate of each sample's input margin. */
  pseudoMargin: Float64Array;
}

const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

/** One score's held-out metrics: a larger score means a larger margin, so the detector flags small ones. */
export function heldOutScore(inputMargin: Float64Array, score: Float64Array, positive: Uint8Array): HeldOutScore {
  const counts = thresholdCounts(scoreOrder(score.map((s) => -s)), positive);
  const found: number[] = [];
  for (let k = 0; k < inputMargin.length; k++) if (Number.isFinite(inputMargin[k])) found.push(k);
  const binned = found.length >= 3 ? binnedConsistency(Float64Array.from(found, (k) => inputMargin[k]), Float64Array.from(found, (k) => score[k])).bins : [];
  const roc = rocCurve(counts);
  return {
    kendallTau: finite(kendallTauB(inputMargin, score)),
    auroc: auroc(counts),
    aupr: aupr(counts),
    fprAt95Tpr: fprAtTprDet(counts, 0.95)?.fpr ?? null,
    binned,
    roc: roc ? Array.from(downsampleCurve(roc.fpr.length, ROC_POINTS), (k) => ({ x: roc.fpr[k], y: roc.tpr[k] })) : [],
  };
}

const tauText = (tau: number | null) => (tau === null ? 'undefined' : tau.toFixed(3));

export function compareOnHeldOut(
  samples: HeldOutSamples,
  context: { epsilon: number; norm: AttackNorm; trainingSamples: number; finalLoss: number; other: { input: PseudoMarginInput; kendallTau: number | null } | null },
): PseudoMarginValidation {
  const positive = positivesAt(samples.inputMargin, context.epsilon);
  const positives = positive.reduce((a, b) => a + b, 0);
  const pseudoMargin = heldOutScore(samples.inputMargin, samples.pseudoMargin, positive);
  const logitMargin = heldOutScore(samples.inputMargin, samples.logitMargin, positive);
  const better = pseudoMargin.kendallTau !== null && (logitMargin.kendallTau === null || pseudoMargin.kendallTau > logitMargin.kendallTau);
  const taus = `held-out Kendall tau ${tauText(pseudoMargin.kendallTau)} against the logit margin's ${tauText(logitMargin.kendallTau)} on ${samples.inputMargin.length} samples`;
  return {
    samples: samples.inputMargin.length,
    censored: samples.inputMargin.filter((m) => m === Infinity).length,
    trainingSamples: context.trainingSamples,
    epsilon: context.epsilon,
    norm: context.norm,
    positives,
    negatives: samples.inputMargin.length - positives,
    pseudoMargin,
    logitMargin,
    better,
    verdict: better ? `Better than the logit margin: ${taus}.` : `Not better than the logit margin: ${taus}; screen with the logit margin instead.`,
    finalLoss: context.finalLoss,
    other: context.other,
  };
}
