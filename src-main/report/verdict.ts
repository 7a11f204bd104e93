/**
 * The verdict (REPORT.md section 6, item 2): explicit rules over numbers the analysis computed,
 * with thresholds the auditor sets. The drop follows AI Verify's reading of robustness (accuracy
 * lost under attack) but is said in percentage points, and a reliability check to review caps
 * the verdict: a number from attacks that may have failed cannot pass.
 */
import type { ReliabilityCheck, RunAnalysis, VerdictThresholds } from '../../src-preload/contract.js';
import { epsilon, normNames, percent, points } from './format.js';
import type { Verdict, VerdictLevel } from './report-data.js';

/** Robust accuracy at the audit epsilon: correct and unbroken by every attack where the run attacked there, else from the margins. */
export function auditRobustAccuracy(a: Pick<RunAnalysis, 'robustAccuracy' | 'auditEpsilon'>): { value: number; ci: [number, number] | null; source: 'every attack' | 'margins' } | null {
  const point = a.robustAccuracy.find((p) => p.epsilon === a.auditEpsilon);
  if (!point) return null;
  if (point.combined !== null) return { value: point.combined, ci: point.ci, source: 'every attack' };
  if (point.fromMargins !== null) return { value: point.fromMargins, ci: point.ci, source: 'margins' };
  return null;
}

const levelWords: Record<VerdictLevel, string> = { pass: 'PASS', review: 'REVIEW', fail: 'FAIL', 'not-assessed': 'NOT ASSESSED' };

export function verdictWord(level: VerdictLevel): string {
  return levelWords[level];
}

export function decideVerdict(a: RunAnalysis, reliability: ReliabilityCheck[], t: VerdictThresholds): Verdict {
  const reviews = reliability.filter((c) => c.status === 'review').length;
  const rule = `Pass when clean minus robust accuracy at the audit ε is at most ${points(t.passDrop)} and no reliability check asks for review; review up to ${points(t.reviewDrop)} or with any check to review; fail beyond.`;
  const robust = auditRobustAccuracy(a);
  if (a.accuracy === null) {
    return {
      level: 'not-assessed',
      sentence:
        'Verdict: NOT ASSESSED. The dataset is unlabeled, so no accuracy and no robust accuracy can be stated; the margins, their consistency and the detection of brittle decisions are reported.',
      rule,
      drop: null,
      reliabilityReviews: reviews,
    };
  }
  if (!a.norm || !robust) {
    return {
      level: 'not-assessed',
      sentence: 'Verdict: NOT ASSESSED. The audited run attacked no sample, so it measures no robustness: it gives predictions and logit margins only.',
      rule,
      drop: null,
      reliabilityReviews: reviews,
    };
  }
  const drop = a.accuracy - robust.value;
  let level: VerdictLevel = drop <= t.passDrop ? 'pass' : drop <= t.reviewDrop ? 'review' : 'fail';
  if (level === 'pass' && reviews > 0) level = 'review';
  const limit = drop <= t.passDrop ? `within the ${points(t.passDrop)} limit` : drop <= t.reviewDrop ? `above the ${points(t.passDrop)} pass limit` : `above the ${points(t.reviewDrop)} review limit`;
  const caveat = reviews > 0 ? ` ${reviews} reliability check${reviews === 1 ? '' : 's'} ask${reviews === 1 ? 's' : ''} for review.` : '';
  const sentence =
    `Verdict: ${levelWords[level]}. Under ${normNames[a.norm]} perturbations of at most ε = ${epsilon(a.auditEpsilon)}, robust accuracy is ${percent(robust.value)} ` +
    `against a clean accuracy of ${percent(a.accuracy)} on ${a.samples} samples: a drop of ${points(drop)}, ${limit}.${caveat}`;
  return { level, sentence, rule, drop, reliabilityReviews: reviews };
}
