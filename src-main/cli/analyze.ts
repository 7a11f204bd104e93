import type { ReliabilityCheck, RunAnalysis, SignedMargins } from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import { withService } from './audit.js';

export interface AnalyzeOptions {
  run: string;
  eps?: number[];
  withForward?: string;
  tpr?: number;
  curves?: boolean;
  correctOnly?: boolean;
  json?: boolean;
}

const CENSORED_POLICY =
  'a sample whose prediction no attack changed within budget is censored: robust at every epsilon and ranked above every found margin in Kendall tau (the paper counts it as margin 0; Brink never does)';

/** `brink analyze`: the run's analysis through the service, so that the CLI and the GUI show the same numbers. */
export async function analyze(file: string, opts: AnalyzeOptions): Promise<void> {
  await withService(file, async (service) => {
    const analysis = await service.invoke('run.analysis', {
      id: opts.run,
      epsilons: opts.eps,
      withForward: opts.withForward,
      tprTarget: opts.tpr,
      fullCurves: opts.curves,
      correctOnly: opts.correctOnly,
    });
    const reliability = await service.invoke('run.reliability', { id: opts.run });
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ ...analysisJson(analysis, opts.curves ?? false), reliability })}\n`
        : `${analysisText(analysis)}\n\n${reliabilityText(reliability)}\n`,
    );
  });
}

/** The `--json` object: snake_case keys, proportions as fractions in [0, 1], epsilons in pixel units. */
export function analysisJson(a: RunAnalysis, curves: boolean): Record<string, unknown> {
  const c = a.consistency;
  return {
    run: a.runId,
    norm: a.norm,
    samples: a.samples,
    correct: a.correct,
    accuracy: a.accuracy,
    found: a.found,
    censored: a.censored,
    censored_policy: CENSORED_POLICY,
    correct_only: a.correctOnly,
    excluded_misclassified: a.excluded,
    signed_input_margin: a.signedInputMargin && signedJson(a.signedInputMargin),
    signed_logit_margin: a.signedLogitMargin && signedJson(a.signedLogitMargin),
    epsilons: a.epsilons,
    audit_epsilon: a.auditEpsilon,
    bootstrap_resamples: a.bootstrapResamples,
    consistency: c && {
      kendall_tau: c.kendallTau,
      kendall_tau_ci: c.kendallTauCi,
      spearman: c.spearman,
      pearson: c.pearson,
      pearson_samples: c.pearsonSamples,
      binned: c.binned,
    },
    detection: a.detection.map((d) => ({
      epsilon: d.epsilon,
      positives: d.positives,
      negatives: d.negatives,
      skipped: d.skipped,
      auroc: d.auroc,
      aupr: d.aupr,
      ap: d.ap,
      fpr_at_95_tpr: d.fprAt95Tpr,
      fpr_at_95_tpr_min: d.fprAt95TprMin,
      ...(curves ? { roc: d.roc, pr: d.pr, thresholds: d.thresholds } : {}),
    })),
    robust_accuracy: a.robustAccuracy.map((r) => ({ epsilon: r.epsilon, from_margins: r.fromMargins, ci: r.ci, apgd_ce: r.apgdCe, apgd_t: r.apgdT })),
    algorithm1: (a.algorithm1?.sizes ?? []).map((s) => ({
      n: s.n,
      repeats: s.repeats,
      mean_abs_error: s.meanAbsError,
      sd_abs_error: s.sdAbsError,
      estimates: s.estimates,
      thresholds: s.thresholds,
    })),
    algorithm1_epsilon: a.algorithm1?.epsilon ?? null,
    algorithm1_reference: a.algorithm1?.robustAccuracy ?? null,
    with_forward: a.algorithm1?.withForward
      ? {
          run: a.algorithm1.withForward.runId,
          samples: a.algorithm1.withForward.samples,
          threshold: a.algorithm1.withForward.threshold,
          alpha: a.algorithm1.withForward.alpha,
          estimate: a.algorithm1.withForward.estimate,
          subset_robust_accuracy: a.algorithm1.withForward.subsetRobustAccuracy,
          accuracy: a.algorithm1.withForward.accuracy,
        }
      : null,
    scores: a.scores.map((s) => ({ name: s.name, kendall_tau: s.kendallTau, auroc: s.auroc, aupr: s.aupr, fpr_at_95_tpr: s.fprAt95Tpr, best: s.best })),
    feature_consistency: a.featureConsistency && { samples: a.featureConsistency.samples, kendall_tau: a.featureConsistency.kendallTau },
    screening: a.screening && {
      epsilon: a.screening.epsilon,
      tpr_target: a.screening.tprTarget,
      threshold: a.screening.threshold,
      tpr: a.screening.tpr,
      fpr: a.screening.fpr,
      ...a.screening.confusion,
    },
    per_class: a.perClass.map((k) => ({
      label: k.label,
      name: k.name,
      samples: k.samples,
      accuracy: k.accuracy,
      robust_accuracy: k.robustAccuracy,
      median_input_margin: k.medianInputMargin,
      censored: k.censored,
      kendall_tau: k.kendallTau,
      auroc: k.auroc,
    })),
  };
}

const fixed = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '-' : v.toFixed(digits));
const percent = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(100 * v).toFixed(1)}%`);
const interval = (ci: [number, number] | null | undefined, f: (v: number) => string) => (ci ? ` [${f(ci[0])}, ${f(ci[1])}]` : '');

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => `  ${cells.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]) : cell.padStart(widths[k]))).join('  ')}`;
  return [line(header), ...rows.map(line)];
}

function signedJson(s: SignedMargins): Record<string, number> {
  return { samples: s.samples, negative: s.negative, min: s.min, median: s.median, mean_abs: s.meanAbs };
}

function signedText(name: string, s: SignedMargins): string {
  return `  signed ${name} (+d correct, -d misclassified; Wu & Yu): min ${s.min.toPrecision(4)}, median ${s.median.toPrecision(4)}, mean |d| ${s.meanAbs.toPrecision(4)} over ${s.samples} samples, ${s.negative} negative`;
}

/** The compact readable form. */
export function analysisText(a: RunAnalysis): string {
  const lines = [
    a.correctOnly
      ? `run ${a.runId}: correct-only view, ${a.samples} correctly classified samples (${a.excluded} misclassified left out)${a.norm ? `, norm ${a.norm}` : ''}`
      : `run ${a.runId}: ${a.samples} samples, ${a.accuracy === null ? 'unlabeled (no accuracy)' : `accuracy ${percent(a.accuracy)}`}${a.norm ? `, norm ${a.norm}` : ''}`,
    `  input margins: ${a.found} verified, ${a.censored} censored (${CENSORED_POLICY})`,
    '  margins are distances to changing the model\'s prediction: on a misclassified sample the adversarial example may restore the true label (--correct-only leaves those out)',
    ...(a.signedLogitMargin ? [signedText('logit margin', a.signedLogitMargin)] : []),
  ];
  if (a.signedInputMargin) lines.push(signedText('input margin', a.signedInputMargin));
  const c = a.consistency;
  if (c) {
    lines.push(
      `  margin consistency: Kendall tau-b ${fixed(c.kendallTau)}${interval(c.kendallTauCi, (v) => v.toFixed(3))} (95% bootstrap, ${a.bootstrapResamples} resamples), Spearman ${fixed(c.spearman)}, Pearson ${fixed(c.pearson)} (${c.pearsonSamples} verified margins)`,
    );
  }
  if (a.detection.length) {
    lines.push('', 'Detection of non-robust samples (input margin <= epsilon) by -logit margin:');
    lines.push(
      ...table(
        ['epsilon', 'positives', 'AUROC', 'AUPR', 'AP', 'FPR@95 (det)', 'FPR@95 (min)'],
        a.detection.map((d) =>
          d.skipped
            ? [formatEpsilon(d.epsilon), String(d.positives), 'skipped', '', '', '', '']
            : [formatEpsilon(d.epsilon), String(d.positives), fixed(d.auroc), fixed(d.aupr), fixed(d.ap), fixed(d.fprAt95Tpr), fixed(d.fprAt95TprMin)],
        ),
      ),
    );
  }
  if (a.robustAccuracy.length) {
    lines.push('', 'Robust accuracy:');
    lines.push(
      ...table(
        ['epsilon', 'from margins', '95% CI', 'APGD-CE', 'APGD-T'],
        a.robustAccuracy.map((r) => [formatEpsilon(r.epsilon), percent(r.fromMargins), r.ci ? `${percent(r.ci[0])}-${percent(r.ci[1])}` : '-', percent(r.apgdCe), percent(r.apgdT)]),
      ),
    );
  }
  if (a.algorithm1) {
    lines.push('', `Algorithm 1 at ${formatEpsilon(a.algorithm1.epsilon)} (reference robust accuracy ${percent(a.algorithm1.robustAccuracy)}, seed ${a.algorithm1.seed}):`);
    lines.push(
      ...table(
        ['subset n', 'repeats', 'mean |error|', 'sd |error|'],
        a.algorithm1.sizes.map((s) => [String(s.n), String(s.estimates.length), percent(s.meanAbsError), percent(s.sdAbsError)]),
      ),
    );
    const f = a.algorithm1.withForward;
    if (f) lines.push(`  whole dataset (${f.samples} samples of run ${f.runId}): estimated robust accuracy ${percent(f.estimate)} with logit-margin threshold ${f.threshold.toFixed(4)} (alpha ${f.alpha})`);
  }
  if (a.scores.length) {
    lines.push('', `Confidence scores as brittleness detectors at ${formatEpsilon(a.auditEpsilon)}:`);
    lines.push(...table(['score', 'tau', 'AUROC', 'AUPR', 'FPR@95'], a.scores.map((s) => [`${s.name}${s.best ? ' *' : ''}`, fixed(s.kendallTau), fixed(s.auroc), fixed(s.aupr), fixed(s.fprAt95Tpr)])));
  }
  if (a.screening) {
    const s = a.screening;
    lines.push('', `Screening at ${formatEpsilon(s.epsilon)}: flag when logit margin <= ${s.threshold.toFixed(4)} (TPR ${percent(s.tpr)}, FPR ${percent(s.fpr)}; tp ${s.confusion.tp}, fp ${s.confusion.fp}, tn ${s.confusion.tn}, fn ${s.confusion.fn})`);
  }
  return lines.join('\n');
}

const statusWord: Record<ReliabilityCheck['status'], string> = { pass: 'pass', review: 'REVIEW', 'not-checked': 'not checked' };

/** The evaluation-reliability lines, as the run page lists them: status, finding, what to do. */
export function reliabilityText(checks: ReliabilityCheck[]): string {
  const review = checks.filter((c) => c.status === 'review').length;
  const lines = [`Evaluation reliability: ${review === 0 ? 'nothing to review' : `${review} to review`} (${checks.length} checks)`];
  const width = Math.max(...checks.map((c) => statusWord[c.status].length));
  for (const c of checks) {
    lines.push(`  ${statusWord[c.status].padEnd(width)}  ${c.title}: ${c.finding}`);
    lines.push(`  ${''.padEnd(width)}  -> ${c.action}`);
  }
  return lines.join('\n');
}
