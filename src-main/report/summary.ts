/**
 * The executive summary's cards, sentences and recommendations, and the generated limitations:
 * each one reads numbers the analysis computed and says what follows from them.
 */
import type { ReliabilityCheck, RunAnalysis, VerdictThresholds } from '../../src-preload/contract.js';
import { count, epsilon, fixed, interval, normNames, num, percent, points } from './format.js';
import type { Kpi } from './report-data.js';
import { auditRobustAccuracy } from './verdict.js';

function auditDetection(a: RunAnalysis) {
  return a.detection.find((d) => d.epsilon === a.auditEpsilon) ?? null;
}

export function kpis(a: RunAnalysis): Kpi[] {
  const cards: Kpi[] = [{ label: 'Clean accuracy', value: percent(a.accuracy), detail: `${count(a.correct)} of ${count(a.samples)} samples` }];
  const robust = auditRobustAccuracy(a);
  if (a.norm && robust) cards.push({ label: `Robust accuracy at ${epsilon(a.auditEpsilon)}`, value: percent(robust.value), detail: `${interval(robust.ci)}; ${robust.source}` });
  if (a.inputMargin && a.norm) cards.push({ label: `Median input margin (${normNames[a.norm]})`, value: num(a.inputMargin.median), detail: `over ${count(a.found)} verified margins; ${count(a.censored)} censored` });
  const c = a.consistency;
  if (c) cards.push({ label: 'Kendall τ (input vs logit margin)', value: fixed(c.kendallTau, 3), detail: `${interval(c.kendallTauCi, (v) => v.toFixed(3))}; n = ${count(c.samples)}` });
  const d = auditDetection(a);
  if (d && !d.skipped) {
    cards.push({ label: `AUROC at ${epsilon(a.auditEpsilon)}`, value: fixed(d.auroc, 3), detail: `logit margin as brittleness detector; FPR@95 ${percent(d.fprAt95Tpr)}` });
    cards.push({ label: 'Brittle decisions', value: percent(d.positives / a.samples), detail: `${count(d.positives)} samples with a verified margin ≤ ε` });
  }
  if (a.norm) cards.push({ label: 'Margins backed by a verified adversarial', value: percent(a.found / a.samples), detail: `${count(a.found)} of ${count(a.samples)}` });
  return cards;
}

export function findings(a: RunAnalysis, t: VerdictThresholds): string[] {
  const out: string[] = [];
  const robust = auditRobustAccuracy(a);
  if (a.norm && robust && a.accuracy !== null) {
    out.push(`An attacker allowed ${normNames[a.norm]} changes of at most ${epsilon(a.auditEpsilon)} per input brings accuracy from ${percent(a.accuracy)} down to ${percent(robust.value)}: ${points(a.accuracy - robust.value)} of the samples lose their correct decision.`);
  }
  const tau = a.consistency?.kendallTau;
  if (tau !== null && tau !== undefined) {
    out.push(
      tau >= t.consistentTau
        ? `The logit margin ranks samples much as their distance to the decision boundary does (Kendall τ = ${tau.toFixed(3)} ≥ ${t.consistentTau}): the model's own confidence margin is a usable robustness signal.`
        : `The logit margin ranks samples unlike their distance to the decision boundary (Kendall τ = ${tau.toFixed(3)} < ${t.consistentTau}): the model's confidence is not a robustness signal.`,
    );
  }
  const d = auditDetection(a);
  if (d && d.auroc !== null) {
    out.push(`Flagging small logit margins separates brittle from robust decisions at ${epsilon(a.auditEpsilon)} with AUROC ${d.auroc.toFixed(3)}; catching 95% of the brittle ones flags ${percent(d.fprAt95Tpr)} of the robust ones too.`);
  }
  if (!a.norm) out.push('This run computed predictions and logit margins only: no attack ran, so no robustness figure can be stated.');
  if (a.accuracy === null) out.push('The dataset is unlabeled: margins are measured from the model\'s own predictions, and no accuracy or robust accuracy can be stated.');
  return out;
}

export function recommendations(a: RunAnalysis, reliability: ReliabilityCheck[], t: VerdictThresholds): string[] {
  const out: string[] = [];
  for (const c of reliability) if (c.status === 'review') out.push(`${c.title}: ${c.action}`);
  const tau = a.consistency?.kendallTau;
  if (tau !== null && tau !== undefined && a.screening) {
    if (tau >= t.consistentTau) {
      out.push(`Screen inputs in deployment by their logit margin: flag a decision when its margin is at most ${num(a.screening.threshold)} (catches ${percent(a.screening.tpr)} of brittle decisions at ${epsilon(a.screening.epsilon)}, flags ${percent(a.screening.fpr)} of robust ones).`);
    } else {
      out.push('Do not use the model\'s confidence to screen for brittle inputs; a learned pseudo-margin or attacks per input are needed.');
    }
  }
  const robust = auditRobustAccuracy(a);
  if (robust && a.accuracy !== null && a.accuracy - robust.value > t.reviewDrop) out.push('Consider adversarial training or input preprocessing defenses, then audit again with the same settings.');
  if (!a.norm) out.push('Run minimal-norm attacks (FAB, DeepFool or FMN) on this model to measure its robustness.');
  return out;
}

export function limitations(a: RunAnalysis): string[] {
  const out = [
    'White-box gradient attacks only: transfer, query-based and adaptive attacks against defenses were not run; corruptions and spatial changes are out of scope.',
    `Every figure is over the ${count(a.samples)} evaluated samples; intervals are 95% percentile bootstraps over ${a.bootstrapResamples} resamples.`,
  ];
  if (a.norm) {
    out.push('Input margins are upper bounds: each is the smallest verified adversarial perturbation the attacks found, and a stronger attack may find a smaller one.');
    if (a.censored > 0) out.push(`${count(a.censored)} samples are censored: no attack changed their prediction within budget. They count as robust at every ε, which is optimistic if the attacks under-converged.`);
    out.push(`The audit ε (${epsilon(a.auditEpsilon)}) is the run's first; conclusions at other budgets follow from the curves, not from the verdict.`);
  }
  return out;
}
