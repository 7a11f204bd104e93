/**
 * One renderer per section of the report: each takes the document model and returns the
 * section's HTML. Numbers are formatted here, never computed; a section without data says what
 * is missing and why (ReportData.missing).
 */
import { marginAttacks, type AttackName, type ReliabilityCheck } from '../../src-preload/contract.js';
import { classCounts, epsilon, count, fixed, interval, LISTED_CLASSES, normNames, num, percent } from './format.js';
import { notesHtml } from './markdown.js';
import { algorithm1Chart, aurocChart, binnedChart, histogramChart, PRINTED_SCATTER_POINTS, prChart, robustAccuracyChart, rocChart, scatterChart } from './report-charts.js';
import type { Gallery, ReportData, SectionId } from './report-data.js';
import { colors } from './svg-plot.js';
import { verdictWord } from './verdict.js';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const sectionTitles: Record<SectionId, string> = {
  verdict: 'Verdict and executive summary',
  scope: 'Scope and threat model',
  method: 'Method',
  reliability: 'Evaluation reliability',
  'robust-accuracy': 'Robust accuracy',
  'input-margins': 'Input margins',
  consistency: 'Margin consistency',
  detection: 'Brittle-decision detection',
  'pseudo-margin': 'Pseudo-margin',
  families: 'Perturbation families',
  comparison: 'Model comparison',
  'sample-efficiency': 'Sample efficiency (Algorithm 1)',
  'per-class': 'Per-class breakdown',
  galleries: 'Example galleries',
  limitations: 'Limitations and auditor notes',
  provenance: 'Appendix A: configuration and provenance',
  tables: 'Appendix B: full tables',
  glossary: 'Glossary',
};

const attackTitles: Record<AttackName, string> = { fab: 'FAB', deepfool: 'DeepFool', fmn: 'FMN', 'apgd-ce': 'APGD-CE', 'apgd-t': 'APGD-T' };

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function facts(pairs: [string, string][]): string {
  return `<dl class="facts">${pairs.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}

function howToRead(text: string): string {
  return `<p class="how">How to read: ${text}</p>`;
}

function missingNotes(d: ReportData, section: SectionId): string {
  return d.missing
    .filter((m) => m.section === section)
    .map((m) => `<p class="missing"><strong>Not in this report: ${esc(m.what)}.</strong> Why: ${esc(m.reason)}.</p>`)
    .join('');
}

function className(d: ReportData, label: number): string {
  const name = d.analysis.perClass.find((c) => c.label === label)?.name ?? d.dataset.classNames?.[label] ?? null;
  return name ? `${esc(name)} (${label})` : String(label);
}

function verdictSection(d: ReportData): string {
  const v = d.verdict;
  return `
    <div class="verdict ${v.level}"><span class="badge">${verdictWord(v.level)}</span><p class="verdict-sentence">${esc(v.sentence)}</p></div>
    <p class="rule">Rule: ${esc(v.rule)}</p>
    <div class="kpis">${d.kpis.map((k) => `<div class="kpi"><div class="kpi-label">${esc(k.label)}</div><div class="kpi-value">${esc(k.value)}</div><div class="kpi-detail">${esc(k.detail)}</div></div>`).join('')}</div>
    <h3>What it means</h3><ul>${d.findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
    <h3>Recommendations</h3>${d.recommendations.length ? `<ul>${d.recommendations.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '<p>No action follows from the numbers: keep the audit settings for the next model version.</p>'}`;
}

function subsetText(d: ReportData): string {
  const s = d.run.config.subset;
  if (s.mode === 'all') return `all ${count(d.dataset.count)} samples`;
  if (s.mode === 'first') return `the first ${count(s.count)} of ${count(d.dataset.count)} samples`;
  return `${count(s.count)} of ${count(d.dataset.count)} samples drawn at random (seed ${s.seed}), not stratified`;
}

function scopeSection(d: ReportData): string {
  const a = d.run.config.attack;
  const pre = d.run.preprocessing ?? { ...d.model.preprocessing, confirmed: d.model.preprocessingConfirmed };
  const classes = d.dataset.classNames ?? d.analysis.perClass.map((c) => c.name ?? String(c.label));
  return (
    facts([
      ['Task', `image classification, ${d.model.classCount ?? d.analysis.perClass.length} classes`],
      ['Classes', classes.length > LISTED_CLASSES ? `${esc(classes.slice(0, LISTED_CLASSES).join(', '))}, … and ${count(classes.length - LISTED_CLASSES)} more (every class in Appendix B and the sidecar JSON)` : esc(classes.join(', '))],
      ['Data', `${esc(d.dataset.name)} (${d.dataset.format}, ${d.dataset.shape.join('×')} per sample); evaluated: ${subsetText(d)}; ${count(d.analysis.samples)} with results`],
      ['Threat model', a ? `white-box, ${normNames[a.norm]} perturbations, untargeted change of the model's prediction` : 'none: the run attacked no sample'],
      ['Budgets ε', a ? a.epsilons.map(epsilon).join(', ') || 'none given' : '–'],
      ['ε grid of the analysis', d.analysis.epsilons.length ? d.analysis.epsilons.map(epsilon).join(', ') : '–'],
      ['Audit ε', a ? epsilon(d.analysis.auditEpsilon) : '–'],
      ['Pixel range and normalisation', `every ε and margin is in [0,1] pixel units; the model's own scaling (range ${pre.valueRange.join('–')}, mean ${pre.mean.join(', ')}, std ${pre.std.join(', ')}) is folded into the graph Brink attacks${pre.confirmed ? '' : ' (not confirmed by the auditor)'}`],
      ['Out of scope', 'common corruptions, spatial transformations, transfer and query-based black-box attacks, adaptive attacks against defenses'],
    ]) + missingNotes(d, 'scope')
  );
}

function methodSection(d: ReportData): string {
  const a = d.run.config.attack;
  const rows = (a?.attacks ?? []).map((name) => {
    const stats = d.analysis.attackStats.find((s) => s.attack === name);
    return [
      attackTitles[name],
      marginAttacks.includes(name) ? 'minimal norm' : 'fixed ε',
      a!.iterations === null ? 'default' : String(a!.iterations),
      String(a!.restarts),
      a!.targeted === null ? 'default' : String(a!.targeted),
      stats?.found === null || stats?.found === undefined ? '–' : count(stats.found),
      num(stats?.medianNorm ?? null),
      count(d.analysis.bestBy[name] ?? 0),
    ];
  });
  return `
    ${a ? table(['Attack', 'Kind', 'Iterations', 'Restarts', 'Targets', 'Found', 'Median norm', 'Best margin on'], rows) : '<p>No attack ran: the run computed predictions and logit margins in one forward pass per sample.</p>'}
    <ul class="defs">
      <li><strong>Input margin</strong>: for each sample, the smallest ${a ? normNames[a.norm] : ''} norm among the verified adversarial examples of all minimal-norm attacks (the pointwise minimum over attacks, as AutoAttack reports its worst case).</li>
      <li><strong>Verification</strong>: every adversarial example is run again in a fresh forward pass; it counts only if the prediction changed and every pixel lies in [0,1].</li>
      <li><strong>Censoring</strong>: a sample no attack could move within budget is censored: its margin exceeds every found one, never 0. It is robust at every ε and ties above all found margins in Kendall τ.</li>
      <li><strong>Logit margin</strong>: f_i(x) − max_{j≠i} f_j(x), i the predicted class, read ${d.model.reading.logits === 'before-softmax' ? 'at the input of the final Softmax' : "at the model's output"}.</li>
      <li><strong>Robust accuracy at ε</strong>: share of samples correctly classified with an input margin above ε and, where APGD ran at ε, not broken by it.</li>
      <li><strong>Consistency</strong>: Kendall τ-b between input and logit margins (ties handled), with a ${d.analysis.bootstrapResamples}-resample percentile bootstrap interval (seed ${d.analysis.algorithm1?.seed ?? 0}); Spearman and Pearson beside it.</li>
      <li><strong>Detection</strong>: positives are samples with a verified margin ≤ ε; the score is −logit margin; AUROC, AUPR (trapezoid), average precision and FPR at 95% TPR.</li>
      <li><strong>Algorithm 1</strong> (Ngnawe et al. 2024): a logit-margin threshold calibrated on a small attacked subset estimates robust accuracy from one forward pass per sample.</li>
    </ul>`;
}

function reliabilityRow(c: ReliabilityCheck): string[] {
  const word = c.status === 'pass' ? 'pass' : c.status === 'review' ? 'review' : 'not checked';
  return [`<span class="status ${c.status}">${word}</span>`, esc(c.title), esc(c.finding), esc(c.action)];
}

function reliabilitySection(d: ReportData): string {
  const reviews = d.reliability.filter((c) => c.status === 'review').length;
  const status = reviews ? `<p class="status-line review">Status: review (${reviews} of ${d.reliability.length} checks).</p>` : '<p class="status-line pass">Status: reliable: no check asks for review.</p>';
  return status + howToRead('each line is a sign that attacks can fail (AutoAttack\'s checks; Pintor et al. 2022); "review" means the margins and robust accuracy may be too optimistic.') + table(['Status', 'Check', 'Finding', 'What to do'], d.reliability.map(reliabilityRow), 'wide');
}

function robustSection(d: ReportData): string {
  const a = d.analysis;
  if (!a.norm || a.robustAccuracy.length === 0 || a.accuracy === null) return missingNotes(d, 'robust-accuracy');
  const chart = a.robustCurve.length ? robustAccuracyChart(a.robustCurve, a.robustAccuracy, a.accuracy, normNames[a.norm]) : '';
  const rows = a.robustAccuracy.map((p) => [epsilon(p.epsilon), percent(p.fromMargins), p.ci ? `${percent(p.ci[0])} – ${percent(p.ci[1])}` : '–', percent(p.apgdCe), percent(p.apgdT), percent(p.combined), count(a.samples)]);
  return `${chart ? `<figure>${chart}<figcaption>Robust accuracy from verified margins (step curve) with bootstrap intervals at the grid's ε and APGD's points; clean accuracy ${percent(a.accuracy)} at ε = 0.</figcaption></figure>` : ''}
    ${howToRead('the curve is the share of samples still correct when an attacker may change each input by up to ε; where APGD points sit below the curve, the minimal-norm attacks missed adversarials.')}
    ${table(['ε', 'From margins', '95% CI', 'APGD-CE', 'APGD-T', 'Every attack', 'n'], rows)}
    <p class="note">Censored samples (${count(a.censored)}) count as robust at every ε.</p>${missingNotes(d, 'robust-accuracy')}`;
}

function marginsSection(d: ReportData): string {
  const a = d.analysis;
  const logit = `<figure>${histogramChart(a.logitMargin.histogram, 'logit margin', colors.green)}<figcaption>Logit margins of all ${count(a.samples)} samples.</figcaption></figure>`;
  const q = (f: { min: number; q1: number; median: number; q3: number; max: number }) => [num(f.min), num(f.q1), num(f.median), num(f.q3), num(f.max)];
  const rows = [['Logit margin', ...q(a.logitMargin), count(a.samples)]];
  let input = '';
  if (a.inputMargin && a.norm) {
    input = `<figure>${histogramChart(a.inputMargin.histogram, `input margin (${normNames[a.norm]})`)}<figcaption>Verified input margins of ${count(a.found)} samples; ${count(a.censored)} censored samples are not drawn.</figcaption></figure>`;
    rows.unshift([`Input margin (${normNames[a.norm]})`, ...q(a.inputMargin), count(a.found)]);
  }
  const signed = a.signedInputMargin
    ? `<p>Signed margins (Wu &amp; Yu): minimum ${num(a.signedInputMargin.min)}, average |margin| ${num(a.signedInputMargin.meanAbs)}, ${count(a.signedInputMargin.negative)} misclassified samples with a margin.</p>`
    : '';
  return `${input}${logit}${howToRead('a margin is how far a decision is from changing: mass near zero means many decisions an attacker can flip cheaply.')}${table(['Margin', 'Min', 'Q1', 'Median', 'Q3', 'Max', 'n'], rows)}${signed}${missingNotes(d, 'input-margins')}`;
}

function consistencySection(d: ReportData): string {
  const c = d.analysis.consistency;
  if (!c || !d.analysis.norm) return missingNotes(d, 'consistency');
  const n = normNames[d.analysis.norm];
  const drawn = Math.min(c.scatter.length, PRINTED_SCATTER_POINTS);
  const perClass = d.analysis.perClass.length > LISTED_CLASSES ? perClassTauSummary(d) : table(['Class', 'n', 'Kendall τ'], d.analysis.perClass.map((k) => [className(d, k.label), count(k.samples), fixed(k.kendallTau, 3)]));
  const feature = d.analysis.featureConsistency
    ? `<p>Feature-space consistency: Kendall τ between the input margin and how far the adversarial moved the penultimate features is ${fixed(d.analysis.featureConsistency.kendallTau, 3)} (n = ${count(d.analysis.featureConsistency.samples)}).</p>`
    : '';
  return `
    ${facts([
      ['Kendall τ-b', `${fixed(c.kendallTau, 3)} (${interval(c.kendallTauCi, (v) => v.toFixed(3))}), n = ${count(c.samples)}`],
      ['Spearman ρ', fixed(c.spearman, 3)],
      ['Pearson r', `${fixed(c.pearson, 3)} over ${count(c.pearsonSamples)} verified margins`],
    ])}
    <figure>${scatterChart(c, n)}<figcaption>${count(drawn)} of ${count(c.scatterTotal)} samples with a verified margin drawn (evenly spaced); the sidecar JSON has the analysis' points.</figcaption></figure>
    ${c.binned.length ? `<figure>${binnedChart(c, n)}<figcaption>Binned medians over ${count(c.binnedSamples)} samples (input margins trimmed to their 5–95% range).</figcaption></figure>` : ''}
    ${howToRead('points rising to the right mean the model is more confident where it is more robust: then its logit margin can stand in for the expensive input margin.')}
    <h3>Per class</h3>${perClass}${feature}${missingNotes(d, 'consistency')}`;
}

/** Many classes: the spread of the per-class τ in a sentence; every class's τ is in Appendix B's table. */
function perClassTauSummary(d: ReportData): string {
  const known = d.analysis.perClass.filter((k) => k.kendallTau !== null).sort((x, y) => x.kendallTau! - y.kendallTau! || x.label - y.label);
  if (known.length === 0) return `<p>No class has enough samples with a verified margin for a Kendall τ of its own (${count(d.analysis.perClass.length)} classes).</p>`;
  const median = known[known.length >> 1].kendallTau!;
  return `<p>Over the ${count(known.length)} of ${count(d.analysis.perClass.length)} classes with a τ of their own, it ranges from ${fixed(known[0].kendallTau, 3)} (${className(d, known[0].label)}) to ${fixed(known.at(-1)!.kendallTau, 3)} (${className(d, known.at(-1)!.label)}), median ${fixed(median, 3)}; every class's τ is in Appendix B.</p>`;
}

function detectionSection(d: ReportData): string {
  const a = d.analysis;
  const at = a.detection.find((x) => x.epsilon === a.auditEpsilon);
  if (!a.norm || !at) return missingNotes(d, 'detection');
  const rows = a.detection.map((x) => [epsilon(x.epsilon), count(x.positives), count(x.negatives), fixed(x.auroc), fixed(x.aupr), fixed(x.ap), percent(x.fprAt95Tpr), x.skipped ? esc(x.skipped) : '']);
  const curves = at.skipped ? `<p class="missing">At the audit ε: ${esc(at.skipped)}.</p>` : `<div class="pair"><figure>${rocChart(at)}<figcaption>ROC at ε = ${epsilon(at.epsilon)}: AUROC ${fixed(at.auroc)}.</figcaption></figure><figure>${prChart(at)}<figcaption>Precision-recall at ε = ${epsilon(at.epsilon)}: AUPR ${fixed(at.aupr)}; dashed: share of brittle samples.</figcaption></figure></div>`;
  const s = a.screening;
  const screening = s
    ? `<div class="keep"><h3>Screening threshold</h3><p>Flag a decision as brittle when its logit margin is at most <strong>${num(s.threshold)}</strong>: at ε = ${epsilon(s.epsilon)} it catches ${percent(s.tpr)} of the brittle decisions (target ${percent(s.tprTarget)}) and flags ${percent(s.fpr)} of the robust ones.</p>${table(['', 'Brittle', 'Robust'], [['Flagged', count(s.confusion.tp), count(s.confusion.fp)], ['Not flagged', count(s.confusion.fn), count(s.confusion.tn)]])}</div>`
    : '<p class="missing">No screening threshold: at the audit ε one class of samples is empty.</p>';
  const scores = a.scores.length
    ? `<h3>Other confidence scores at ε = ${epsilon(a.auditEpsilon)}</h3>${table(['Score', 'Kendall τ', 'AUROC', 'AUPR', 'FPR@95'], a.scores.map((x) => [`${esc(x.name)}${x.best ? ' (best)' : ''}`, fixed(x.kendallTau), fixed(x.auroc), fixed(x.aupr), percent(x.fprAt95Tpr)]))}`
    : '';
  const overEps = a.detection.filter((x) => x.auroc !== null).length >= 2 ? `<figure>${aurocChart(a.detection, normNames[a.norm])}<figcaption>Detection quality over the ε grid.</figcaption></figure>` : '';
  return `${curves}${howToRead('a curve near the top-left (ROC) or top (PR) means small logit margins pick out the brittle decisions well.')}${overEps}${table(['ε', 'Brittle', 'Robust', 'AUROC', 'AUPR', 'AP', 'FPR@95', 'Skipped'], rows)}${screening}${scores}${missingNotes(d, 'detection')}`;
}

function pseudoMarginSection(d: ReportData): string {
  const pm = d.pseudoMargin;
  if (!pm.trained) return `<p>${esc(pm.reason)}</p>`;
  const row = (label: string, f: { kendallTau: number | null; auroc: number | null; aupr: number | null; fprAt95Tpr: number | null }) => [label, fixed(f.kendallTau), fixed(f.auroc), fixed(f.aupr), percent(f.fprAt95Tpr)];
  return `${howToRead('a pseudo-margin is a small network that estimates each input margin from one forward pass; it helps only where it ranks held-out samples better than the logit margin does, which its verdict says, either way.')}
    ${pm.networks
      .map(
        (n) => `<h3>Pseudo-margin ${esc(n.id)} (${esc(n.input)}, ${n.variant === 'code' ? "the authors' network" : "the paper's network"}, seed ${n.seed})</h3>
      <p>Learned from run ${esc(n.runId)}; figures on its ${count(n.samples)} held-out samples at the audit ε. ${esc(n.verdict)}</p>
      ${table(['Score', 'Kendall τ', 'AUROC', 'AUPR', 'FPR@95'], [row('Pseudo-margin', n.pseudoMargin), row('Logit margin', n.logitMargin)])}`,
      )
      .join('')}`;
}

function familiesSection(d: ReportData): string {
  const f = d.families;
  if (!f) return missingNotes(d, 'families');
  const param = (v: number | null) => (v === null ? 'over half censored' : num(v));
  const rows = f.families.map((x) => [
    `${esc(x.title)} <span class="note">(${esc(x.parameter)})</span>`,
    `${count(x.found)} of ${count(x.samples)}`,
    count(x.censored),
    param(x.medianParameter),
    fixed(x.kendallTau),
    num(x.detection.thresholdParameter),
    fixed(x.detection.auroc),
    percent(x.detection.fprAt95Tpr),
  ]);
  const corruptions = f.families.filter((x) => x.severities);
  const severityTable = corruptions.length
    ? `<h3>Accuracy under corruption (${esc(f.severityTable)} severities)</h3>
      <p>Mean corruption accuracy ${percent(f.meanCorruptionAccuracy)} over ${corruptions.length} corruption${corruptions.length === 1 ? '' : 's'} × 5 severities; clean accuracy ${percent(f.cleanAccuracy)}.</p>
      ${table(['Corruption', 'Severity 1', 'Severity 2', 'Severity 3', 'Severity 4', 'Severity 5'], corruptions.map((x) => [esc(x.title), ...x.severities!.map((s) => `${percent(s.accuracy)} <span class="note">${num(s.parameter)}</span>`)]))}`
    : '';
  return `${howToRead("each family's margin is the smallest strength of that perturbation, on its own parameter, that changed the prediction, re-checked by a fresh forward pass; censored samples kept their prediction across the whole range. τ: the logit margin against the family margin; AUROC and FPR@95: the logit margin as a detector of samples changed at the threshold.")}
    ${table(['Family', 'Changed', 'Censored', 'Median margin', 'Kendall τ', 'Threshold', 'AUROC', 'FPR@95'], rows)}${severityTable}`;
}

function comparisonSection(d: ReportData): string {
  const c = d.comparison;
  if (!c) return `<p>No other model was audited on the same samples (the same dataset and subset): there is nothing to compare this model with. An audit group (the run form's Also audit, \`audit --models\`) audits several models on the same samples.</p>`;
  const families = c.families.filter((f) => c.rows.some((r) => r.margins.some((m) => m.family === f.family)));
  const median = (r: (typeof c.rows)[number], family: string) => {
    const m = r.margins.find((x) => x.family === family);
    return m ? (m.medianParameter === null ? 'beyond' : num(m.medianParameter)) : '–';
  };
  const main = c.rows.map((r) => [
    `${r.modelId === d.model.id ? '<strong>' : ''}${esc(r.modelName)}${r.modelId === d.model.id ? '</strong>' : ''} <span class="note">${esc(r.modelSha256.slice(0, 12))}</span>`,
    percent(r.cleanAccuracy),
    r.attack ? `${percent(r.attack.robustAccuracy)} <span class="note">${normNames[r.attack.norm]} ε ${epsilon(r.attack.epsilon)}</span>` : '–',
    fixed(r.attack?.kendallTau),
    fixed(r.attack?.auroc),
    percent(r.attack?.fprAt95Tpr),
    r.meanCorruptionAccuracy ? percent(r.meanCorruptionAccuracy.value) : '–',
  ]);
  const margins = c.rows.map((r) => [esc(r.modelName), ...families.map((f) => median(r, f.family))]);
  return `${howToRead('every row is one model on the same samples as this audit, from its own finished runs; the model this report audits is in bold.')}
    ${table(['Model', 'Clean acc.', 'Robust acc.', 'Kendall τ', 'AUROC', 'FPR@95', 'Mean corr. acc.'], main)}
    <h3>Median margin per family</h3>
    <p class="note">Each family on its own unit; "beyond": over half the samples kept their prediction across the family's range.</p>
    ${table(['Model', ...families.map((f) => `${esc(f.title)} <span class="note">(${esc(f.unit)})</span>`)], margins)}`;
}

function efficiencySection(d: ReportData): string {
  const a1 = d.analysis.algorithm1;
  if (!a1) return missingNotes(d, 'sample-efficiency');
  const rows = a1.sizes.map((s) => [count(s.n), String(s.estimates.length), percent(s.meanAbsError), percent(s.sdAbsError)]);
  const fwd = a1.withForward
    ? `<p>Calibrated on this run (threshold ${num(a1.withForward.threshold)}), Algorithm 1 estimates the robust accuracy of forward run ${esc(a1.withForward.runId)} over ${count(a1.withForward.samples)} samples at <strong>${percent(a1.withForward.estimate)}</strong> (its clean accuracy: ${percent(a1.withForward.accuracy)}), with one forward pass per sample instead of an attack.</p>`
    : '';
  return `<figure>${algorithm1Chart(a1)}<figcaption>Each dot: one random subset (seed ${a1.seed}); reference robust accuracy ${percent(a1.robustAccuracy)} at ε = ${epsilon(a1.epsilon)} over all ${count(d.analysis.samples)} samples.</figcaption></figure>
    ${howToRead('the error of estimating robust accuracy from a small attacked subset plus the logit margin; small errors at small n mean most of the attack cost can be saved.')}
    ${table(['Subset size n', 'Repeats', 'Mean abs. error', 'SD'], rows)}${fwd}${missingNotes(d, 'sample-efficiency')}`;
}

/** Classes in each of the many-class section's two tables (most and least affected). */
const EXTREME_CLASSES = 10;

function perClassTable(d: ReportData, classes: ReportData['analysis']['perClass']): string {
  const a = d.analysis;
  const rows = classes.map((c) => [className(d, c.label), count(c.samples), percent(c.accuracy), percent(c.robustAccuracy), num(c.medianInputMargin), count(c.censored), fixed(c.kendallTau), fixed(c.auroc)]);
  return table(['Class', 'n', 'Accuracy', `Robust at ${a.norm ? epsilon(a.auditEpsilon) : 'ε'}`, 'Median margin', 'Censored', 'Kendall τ', 'AUROC'], rows);
}

function perClassSection(d: ReportData): string {
  const a = d.analysis;
  const ranked = a.perClass.filter((c) => c.robustAccuracy !== null).sort((x, y) => x.robustAccuracy! - y.robustAccuracy! || x.label - y.label);
  const extremes = ranked.length >= 2
    ? `<p>Most affected class: <strong>${className(d, ranked[0].label)}</strong> (robust accuracy ${percent(ranked[0].robustAccuracy)}); least affected: <strong>${className(d, ranked.at(-1)!.label)}</strong> (${percent(ranked.at(-1)!.robustAccuracy)}), at ε = ${epsilon(a.auditEpsilon)}.</p>`
    : '';
  if (a.perClass.length <= LISTED_CLASSES) return `${extremes}${perClassTable(d, a.perClass)}${missingNotes(d, 'per-class')}`;
  const shown = Math.min(EXTREME_CLASSES, ranked.length >> 1);
  const tables = shown
    ? `<h3>The ${shown} most affected classes</h3>${perClassTable(d, ranked.slice(0, shown))}<h3>The ${shown} least affected classes</h3>${perClassTable(d, ranked.slice(-shown).reverse())}`
    : '';
  return `${extremes}${tables}<p>${count(a.perClass.length)} classes: every one of them is in Appendix B's per-class table.</p>${missingNotes(d, 'per-class')}`;
}

function galleryHtml(d: ReportData, g: Gallery): string {
  const body = g.tiles.length
    ? `<div class="tiles">${g.tiles
        .map(
          (t) => `<div class="tile"><div class="imgs"><figure><img src="${t.original}" alt="original sample ${t.index}"/><figcaption>original</figcaption></figure>${
            t.adversarial ? `<figure><img src="${t.adversarial}" alt="adversarial example"/><figcaption>adversarial</figcaption></figure>` : ''
          }${t.perturbation ? `<figure><img src="${t.perturbation}" alt="perturbation"/><figcaption>perturbation ×${num(t.amplification)}</figcaption></figure>` : ''}</div>
          <div class="caption">#${t.index}: true ${className(d, t.label)}; predicted ${className(d, t.pred)} (${percent(t.confidence)})${t.adversarialPred !== null ? ` → ${className(d, t.adversarialPred)} (${percent(t.adversarialConfidence)})` : ''}<br/>input margin ${t.inputMargin === null ? 'censored' : num(t.inputMargin)}; logit margin ${num(t.logitMargin)}${t.attack ? `; by ${attackTitles[t.attack]}` : ''}</div></div>`,
        )
        .join('')}</div>`
    : `<p class="missing">${esc(g.empty ?? 'No sample qualifies.')}</p>`;
  return `<div class="gallery"><h3>${esc(g.title)}</h3><p class="note">${esc(g.rule)}</p>${body}</div>`;
}

function galleriesSection(d: ReportData): string {
  const thumbnails = d.galleries.some((g) => g.tiles.some((t) => t.original.startsWith('data:image/jpeg')));
  const note = thumbnails ? '<p class="note">Images of more than 64×64 pixels are printed as JPEG thumbnails (quality 85, at most 256 pixels a side); the exact images and adversarial examples are in the project file.</p>' : '';
  return note + d.galleries.map((g) => galleryHtml(d, g)).join('');
}

function limitationsSection(d: ReportData): string {
  const notes = d.settings.notes.trim() ? `<div class="notes">${notesHtml(d.settings.notes)}</div>` : '<p>The auditor added no notes.</p>';
  return `<ul>${d.limitations.map((l) => `<li>${esc(l)}</li>`).join('')}</ul><h3>Auditor's notes</h3>${notes}`;
}

function provenanceSection(d: ReportData, sidecarSha: string | null): string {
  const m = d.model;
  const r = d.run;
  const e = d.environment;
  const files: string[][] = [];
  files.push(['Sidecar JSON (every number of this report)', sidecarSha ? `<code class="hash">${sidecarSha}</code>` : 'written when the PDF is exported']);
  files.push(['Per-sample CSV', d.samplesCsv ? `${esc(d.samplesCsv.fileName)} (${count(d.samplesCsv.rows)} rows)<br/><code class="hash">${d.samplesCsv.sha256}</code>` : 'written when the PDF is exported']);
  return `
    <h3>Model</h3>${facts([
      ['Name and file', `${esc(m.name)} (${esc(m.fileName)}, ${count(m.byteSize)} bytes)`],
      ['SHA-256', `<code class="hash">${m.sha256}</code>`],
      ['ONNX', `IR ${m.irVersion}; opsets ${m.opsets.map((o) => `${esc(o.domain || 'ai.onnx')} ${o.version}`).join(', ')}; producer ${esc(m.producer || 'not named')}`],
      ['Graph', `${count(m.nodeCount)} nodes, ${count(m.parameterCount)} parameters; inputs ${m.inputs.map((i) => `${esc(i.name)} [${(i.shape ?? ['?']).join(', ')}]`).join('; ')}`],
      ['Reading', `image input ${esc(m.reading.imageInput ?? 'none')}, ${m.reading.layout}, logits ${m.reading.logits === 'before-softmax' ? 'before the final Softmax' : 'at the output'}`],
      ['Linear head', m.head ? `${m.head.features} features → ${m.head.classes} classes` : `not detected: ${esc(m.headReason ?? 'no reason recorded')}`],
      ['Ops without useful gradients', m.zeroGradientOps === null ? 'not checked' : m.zeroGradientOps.length ? esc(m.zeroGradientOps.map((o) => `${o.op} (${o.nodes})`).join(', ')) : 'none'],
    ])}
    <h3>Dataset</h3>${facts([
      ['Name and source', `${esc(d.dataset.name)} (${esc(d.dataset.sourceName)}, ${d.dataset.format})`],
      ['SHA-256', `<code class="hash">${d.dataset.sha256}</code>`],
      ['Samples', `${count(d.dataset.count)} of ${d.dataset.shape.join('×')} ${d.dataset.dtype}; ${classCounts(d.dataset.classCounts)}`],
    ])}
    <h3>Run</h3>${facts([
      ['Run', `${esc(r.id)}${r.name ? ` (${esc(r.name)})` : ''}, ${r.kind}, ${r.status}: ${count(r.doneCount)} of ${count(r.sampleCount)} samples`],
      ['Made by', `Brink ${esc(r.appVersion)}; execution provider ${esc(r.provider ?? 'not recorded')}${r.providerAttempts.filter((p) => !p.ok).map((p) => `; ${esc(p.provider)} refused: ${esc(p.reason ?? '')}`).join('')}`],
      ['Times', `created ${r.createdAt}; started ${r.startedAt ?? '–'}; finished ${r.finishedAt ?? '–'}; ${(r.activeMs / 1000).toFixed(1)} s running`],
      ['Seeds', `attacks ${r.config.attack?.seed ?? '–'}; subset ${r.config.subset.mode === 'random' ? r.config.subset.seed : 'none (not random)'}; analysis bootstrap and Algorithm 1 ${d.analysis.algorithm1?.seed ?? 0}`],
      ['Settings (canonical JSON)', `<code class="json">${esc(r.configJson)}</code>`],
      ['Reproduce', `<code class="cmd">${esc(r.command)}</code>`],
    ])}
    <h3>This report</h3>${facts([
      ['Made with', `Brink ${esc(e.brinkVersion)}, onnxruntime-node ${esc(e.onnxruntimeVersion ?? 'unknown')}, Node ${esc(e.nodeVersion)}`],
      ['Machine', `${esc(e.os)}; ${esc(e.cpu)}`],
      ['Printed with', e.printer ? esc(e.printer) : 'not known in this preview: no Electron or Chromium was found to print it'],
      ['Recorded time', d.createdAt],
      ['Runs reported', esc(d.settings.runIds.join(', '))],
      ['Verdict thresholds', `pass up to ${percent(d.settings.thresholds.passDrop)} lost, review up to ${percent(d.settings.thresholds.reviewDrop)}; logit-margin screening recommended from Kendall τ ≥ ${d.settings.thresholds.consistentTau}`],
    ])}
    ${missingNotes(d, 'provenance')}${table(['File', 'SHA-256'], files)}`;
}

function tablesSection(d: ReportData): string {
  const a = d.analysis;
  const detection = a.detection.map((x) => [epsilon(x.epsilon), count(x.positives), count(x.negatives), fixed(x.auroc, 4), fixed(x.aupr, 4), fixed(x.ap, 4), fixed(x.fprAt95Tpr, 4), fixed(x.fprAt95TprMin, 4)]);
  const robust = a.robustAccuracy.map((p) => [epsilon(p.epsilon), fixed(p.fromMargins, 4), p.ci ? `${fixed(p.ci[0], 4)} – ${fixed(p.ci[1], 4)}` : '–', fixed(p.apgdCe, 4), fixed(p.apgdT, 4), fixed(p.combined, 4)]);
  return `
    <h3>Detection over ε</h3>${detection.length ? table(['ε', 'Brittle', 'Robust', 'AUROC', 'AUPR', 'AP', 'FPR@95 (det)', 'FPR@95 (min)'], detection) : '<p class="missing">No detection: no input margins.</p>'}
    <h3>Robust accuracy over ε</h3>${robust.length ? table(['ε', 'From margins', '95% CI', 'APGD-CE', 'APGD-T', 'Every attack'], robust) : '<p class="missing">No robust accuracy: no attack ran.</p>'}
    ${a.perClass.length > LISTED_CLASSES ? `<h3>Per class</h3>${perClassTable(d, a.perClass)}` : ''}
    <h3>Sections with missing parts</h3>${table(['Section', 'What', 'Why'], d.missing.map((m) => [sectionTitles[m.section], esc(m.what), esc(m.reason)]))}`;
}

const glossary: [string, string][] = [
  ['Input margin', 'the norm of the smallest perturbation found that changes the model\'s prediction, backed by a verified adversarial example; an upper bound on the true distance to the decision boundary.'],
  ['Logit margin', 'the predicted class\'s logit minus the largest other logit: the model\'s own confidence gap, free to compute.'],
  ['Censored', 'no attack changed the prediction within its budget: the margin is larger than anything found, never counted as 0.'],
  ['Robust accuracy at ε', 'share of samples correctly classified whose prediction no perturbation of norm ≤ ε (found by the attacks) changes.'],
  ['Kendall τ-b', 'rank correlation in [−1, 1] corrected for ties: 1 means both margins order the samples identically.'],
  ['AUROC', 'probability that a random brittle sample has a smaller logit margin than a random robust one (0.5 is chance).'],
  ['AUPR / AP', 'area under the precision-recall curve (trapezoid) / scikit-learn\'s average precision.'],
  ['FPR@95', 'share of robust samples flagged when the threshold catches 95% of the brittle ones.'],
  ['Percentage points', 'the difference of two percentages: 80% to 60% is a drop of 20 percentage points.'],
  ['Algorithm 1', 'estimates robust accuracy from a small attacked subset and one forward pass per remaining sample (Ngnawe et al. 2024).'],
];

function glossarySection(): string {
  return `<dl class="glossary">${glossary.map(([k, v]) => `<dt>${k}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
    <p class="note">References: Ngnawe et al., Detecting Brittle Decisions for Free (2024); Croce &amp; Hein, FAB (2020) and AutoAttack (2020); Moosavi-Dezfooli et al., DeepFool (2016); Pintor et al., FMN (2021) and indicators of attack failure (2022); Wu &amp; Yu, minimum and average margins (2019).</p>`;
}

export function renderSection(id: SectionId, d: ReportData, sidecarSha: string | null): string {
  switch (id) {
    case 'verdict': return verdictSection(d);
    case 'scope': return scopeSection(d);
    case 'method': return methodSection(d);
    case 'reliability': return reliabilitySection(d);
    case 'robust-accuracy': return robustSection(d);
    case 'input-margins': return marginsSection(d);
    case 'consistency': return consistencySection(d);
    case 'detection': return detectionSection(d);
    case 'pseudo-margin': return pseudoMarginSection(d);
    case 'families': return familiesSection(d);
    case 'comparison': return comparisonSection(d);
    case 'sample-efficiency': return efficiencySection(d);
    case 'per-class': return perClassSection(d);
    case 'galleries': return galleriesSection(d);
    case 'limitations': return limitationsSection(d);
    case 'provenance': return provenanceSection(d, sidecarSha);
    case 'tables': return tablesSection(d);
    case 'glossary': return glossarySection();
  }
}

