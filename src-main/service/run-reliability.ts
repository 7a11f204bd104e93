/**
 * Evaluation reliability (DESIGN.md section 5; issue 10 item 6): signs that the attacks of a run
 * may have failed, so that its margins and robust accuracy are too optimistic. Modelled on
 * AutoAttack's checks (autoattack/checks.py: randomized model, probability outputs, zero
 * gradients, a second attack beating the first) and on the indicators of attack failure of
 * Pintor et al. 2022 (unavailable gradients, unstable predictions, unconstrained attack failure).
 *
 * Composed from the run's stored columns, its model's import analysis and what the worker
 * recorded; nothing here is stored. Each check is one line: pass, review, or not checked (with
 * the reason), a finding with its numbers, and what to do.
 */
import {
  marginAttacks,
  type AttackName,
  type ModelAnalysis,
  type ReliabilityCheck,
  type ReliabilityCheckId,
  type RunConfig,
} from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import { median } from '../engine/metrics/summary.js';
import type { ProjectStore } from '../store/project-store.js';
import type { AttackFinding, MarginColumns, WorkerReliabilityFacts } from '../store/run-repo.js';
import { slack } from './run-results.js';

/** Thresholds, each with the reason it has the value it has. */
export const RELIABILITY_LIMITS = {
  /** AutoAttack's check_randomized: normalised logit rows further apart than this mean a randomized model. */
  nondeterministic: 1e-4,
  /** AutoAttack's check_range_output uses 1e-5 on float32; float32 sums over many classes need a little more. */
  probabilityTolerance: 1e-4,
  /**
   * Unconstrained minimal-norm attacks should change almost every prediction (Pintor et al. 2022,
   * "unconstrained attack failure"); a few percent may run out of iterations on a robust model.
   */
  censoredShare: 0.05,
  /**
   * A minimal-norm margin within this relative excess over an ε at which APGD changed the
   * prediction is convergence noise: FAB extrapolates by 5% (eta 1.05) and DeepFool overshoots by
   * 2%, so their margins routinely sit a few percent beyond the boundary.
   */
  marginExcess: 0.1,
  /** Two attacks' norms on one sample further apart than this factor disagree. */
  disagreementRatio: 2,
  /** Disagreement on more than this share of the samples both attacks found is a review. */
  disagreementShare: 0.1,
} as const;

/** The ops whose gradient is zero almost everywhere, as the model's import analysis lists them. */
type ZeroGradientOps = ModelAnalysis['zeroGradientOps'];

/** Everything the checks read, so that composing them is pure. */
export interface ReliabilityInput {
  config: RunConfig;
  columns: MarginColumns;
  /** Every attack's verified findings in the run's norm (epsilon 0: the minimal-norm mode). */
  findings: AttackFinding[];
  /** Null when the model was analysed by a Brink that did not look for them. */
  zeroGradientOps: ZeroGradientOps | null;
  /** Per sample, position order (NaN where none); null when the worker recorded none. */
  gradientNorms: Float64Array | null;
  facts: WorkerReliabilityFacts;
}

export function readReliabilityInput(store: ProjectStore, id: string): ReliabilityInput {
  const run = store.runs.get(id);
  const analysis = store.models.get(run.modelId).analysis;
  return {
    config: run.config,
    columns: store.runs.marginColumns(id),
    findings: run.config.attack ? store.runs.attackFindings(id, run.config.attack.norm) : [],
    // Absent from the analyses an earlier Brink stored.
    zeroGradientOps: (analysis?.zeroGradientOps as ZeroGradientOps | undefined) ?? null,
    gradientNorms: store.runs.marginGradientNorms(id),
    facts: store.runs.reliabilityFacts(id),
  };
}

export function runReliability(store: ProjectStore, id: string): ReliabilityCheck[] {
  return reliabilityChecks(readReliabilityInput(store, id));
}

/**
 * The checks that apply to the run, in a fixed order: every check for attack runs; for a
 * forward-margins run only those about the model's outputs (determinism, probabilities).
 */
export function reliabilityChecks(input: ReliabilityInput): ReliabilityCheck[] {
  if (input.columns.positions.length === 0) return notYet(input);
  const outputs = [determinism(input.facts), probabilityOutputs(input.columns)];
  if (!input.config.attack) return outputs;
  return [
    zeroGradientOps(input.zeroGradientOps),
    zeroGradientSamples(input),
    ...outputs,
    censoredShare(input),
    fixedEpsilonBeatsMargins(input),
    attacksDisagree(input),
  ];
}

/** Before the first batch is committed, every check but the model's own waits for results. */
function notYet(input: ReliabilityInput): ReliabilityCheck[] {
  const waiting = (id: ReliabilityCheckId) => check(id, 'not-checked', 'The run has no results yet.', 'Look again once its first batch is committed.');
  const outputs = [waiting('nondeterministic-forward'), waiting('probability-outputs')];
  if (!input.config.attack) return outputs;
  return [
    zeroGradientOps(input.zeroGradientOps),
    waiting('zero-gradient-samples'),
    ...outputs,
    waiting('censored-share'),
    waiting('fixed-epsilon-beats-margins'),
    waiting('attacks-disagree'),
  ];
}

const TITLES: Record<ReliabilityCheckId, string> = {
  'zero-gradient-ops': 'Zero-gradient ops',
  'zero-gradient-samples': 'Zero-gradient samples',
  'nondeterministic-forward': 'Deterministic forward pass',
  'probability-outputs': 'Logits, not probabilities',
  'censored-share': 'Censored share',
  'fixed-epsilon-beats-margins': 'APGD against minimal-norm margins',
  'attacks-disagree': 'Agreement between attacks',
};

// ---------- wording helpers ----------

const attackNames: Record<AttackName, string> = { fab: 'FAB', deepfool: 'DeepFool', fmn: 'FMN', 'apgd-ce': 'APGD-CE', 'apgd-t': 'APGD-T' };

function share(count: number, total: number): string {
  return `${count} of ${total} (${total ? ((100 * count) / total).toFixed(1) : '0.0'}%)`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function number(v: number): string {
  return v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(1);
}

function check(id: ReliabilityCheckId, status: ReliabilityCheck['status'], finding: string, action: string): ReliabilityCheck {
  return { id, status, title: TITLES[id], finding, action };
}

// ---------- the checks ----------

function zeroGradientOps(ops: ZeroGradientOps | null): ReliabilityCheck {
  if (ops === null) {
    return check('zero-gradient-ops', 'not-checked', 'The model was imported by an earlier Brink, which did not look for ops whose gradient is zero almost everywhere.', 'Import the model again to have its graph checked.');
  }
  if (ops.length === 0) {
    return check('zero-gradient-ops', 'pass', 'No op between the input and the logits has a gradient that is zero almost everywhere.', 'Gradients reach the input: gradient attacks apply.');
  }
  const list = ops.map((o) => `${o.op} (${plural(o.nodes.length, 'node')})`).join(', ');
  return check(
    'zero-gradient-ops',
    'review',
    `${list} between the input and the logits: differentiable, but the gradient is zero almost everywhere.`,
    'Gradient attacks cannot be trusted on this model: read margins and robust accuracy as optimistic, or audit a copy with these ops replaced by a differentiable approximation (BPDA).',
  );
}

function zeroGradientSamples(input: ReliabilityInput): ReliabilityCheck {
  const norms = input.gradientNorms;
  if (!norms) {
    return check('zero-gradient-samples', 'not-checked', 'The run recorded no input gradients (made by an earlier Brink).', 'Run the audit again to record the gradient of the logit margin at each sample.');
  }
  let recorded = 0;
  let zero = 0;
  let zeroCensored = 0;
  norms.forEach((g, k) => {
    if (Number.isNaN(g)) return;
    recorded++;
    if (g === 0) {
      zero++;
      if (input.columns.inputMargin[k] === Infinity) zeroCensored++;
    }
  });
  if (zero === 0) {
    return check('zero-gradient-samples', 'pass', `The input gradient of the logit margin is non-zero at all ${recorded} samples.`, 'Gradient attacks have a direction to follow from every sample.');
  }
  return check(
    'zero-gradient-samples',
    'review',
    `${share(zero, recorded)} samples have an input gradient of exactly zero at x (${zeroCensored} of them censored).`,
    'Gradient attacks start blind there: their margins or censoring reflect gradient masking, not robustness; check those samples with another attack.',
  );
}

function determinism(facts: WorkerReliabilityFacts): ReliabilityCheck {
  const d = facts.determinism;
  if (!d) {
    return check('nondeterministic-forward', 'not-checked', 'The run did not compare two forward passes (made by an earlier Brink).', 'Run the audit again to check that the model gives the same logits twice.');
  }
  if (d.predictionsChanged === 0 && d.maxNormalizedDiff <= RELIABILITY_LIMITS.nondeterministic) {
    const same = d.maxAbsDiff === 0 ? 'identical logits' : `logits within ${number(d.maxAbsDiff)}`;
    return check('nondeterministic-forward', 'pass', `Two passes of the first batch (${d.samples} samples) gave ${same}.`, 'The model is deterministic: one attack per sample measures it.');
  }
  return check(
    'nondeterministic-forward',
    'review',
    `Two passes of the first batch (${d.samples} samples) differ: ${plural(d.predictionsChanged, 'prediction')} changed, normalised logits up to ${number(d.maxNormalizedDiff)} apart.`,
    'The model is randomized (noise or dropout at inference): export it in evaluation mode, or evaluate it with expectation over transformation (EoT).',
  );
}

function probabilityOutputs(c: MarginColumns): ReliabilityCheck {
  const n = c.positions.length;
  if (n === 0) return check('probability-outputs', 'not-checked', 'The run has no results yet.', 'Look again once the first batch is committed.');
  const tol = RELIABILITY_LIMITS.probabilityTolerance;
  let rows = 0;
  for (let k = 0; k < n; k++) {
    let sum = 0;
    let ok = true;
    for (let j = 0; j < c.classes && ok; j++) {
      const p = c.logits[k * c.classes + j];
      ok = p >= -tol && p <= 1 + tol;
      sum += p;
    }
    if (ok && Math.abs(sum - 1) <= tol) rows++;
  }
  if (rows < n) {
    const finding = rows === 0 ? `None of the ${n} output rows is a probability distribution (non-negative, summing to 1).` : `${share(rows, n)} output rows look like probability distributions, but not all of them.`;
    return check('probability-outputs', 'pass', finding, 'The outputs are logits, as margins need.');
  }
  return check(
    'probability-outputs',
    'review',
    `Every one of the ${n} output rows is non-negative and sums to 1: the outputs look like probabilities.`,
    'Margins here are differences of probabilities: use the input of the final Softmax as the logits (model page), or export the model without it.',
  );
}

/** Samples a minimal-norm attack ran on: a verified margin or censored. */
function attacked(c: MarginColumns): number {
  let count = 0;
  for (const m of c.inputMargin) if (!Number.isNaN(m)) count++;
  return count;
}

function ranMarginAttacks(config: RunConfig): AttackName[] {
  return config.attack?.attacks.filter((a) => marginAttacks.includes(a)) ?? [];
}

function censoredShare(input: ReliabilityInput): ReliabilityCheck {
  if (ranMarginAttacks(input.config).length === 0) {
    return check('censored-share', 'not-checked', 'No minimal-norm attack ran, so no sample has a margin to find.', 'Add FAB, DeepFool or FMN to measure margins.');
  }
  const total = attacked(input.columns);
  const censored = input.columns.inputMargin.filter((m) => m === Infinity).length;
  const limit = RELIABILITY_LIMITS.censoredShare;
  const finding = `${share(censored, total)} attacked samples are censored: no attack changed their prediction within budget`;
  if (total === 0 || censored / total <= limit) {
    return check('censored-share', 'pass', `${finding}; at most ${limit * 100}% is expected of unconstrained attacks.`, 'Censored samples count as robust at every ε and rank above every found margin.');
  }
  return check(
    'censored-share',
    'review',
    `${finding}; more than ${limit * 100}% suggests the attacks failed rather than that the model is robust.`,
    'Raise iterations or restarts, or add FAB or FMN; until then robust accuracy from margins counts these samples as robust at every ε.',
  );
}

/** The smallest verified norm any minimal-norm attack found per position (Infinity where none). */
function minimalNormBest(findings: AttackFinding[]): Map<number, number> {
  const best = new Map<number, number>();
  for (const f of findings) {
    if (f.epsilon !== 0 || !marginAttacks.includes(f.attack)) continue;
    f.positions.forEach((p, i) => best.set(p, Math.min(best.get(p) ?? Infinity, f.norms[i])));
  }
  return best;
}

function fixedEpsilonBeatsMargins(input: ReliabilityInput): ReliabilityCheck {
  const attacks = input.config.attack?.attacks ?? [];
  const fixed = attacks.filter((a) => !marginAttacks.includes(a));
  if (fixed.length === 0 || ranMarginAttacks(input.config).length === 0) {
    return check('fixed-epsilon-beats-margins',
      'not-checked',
      fixed.length === 0 ? 'No fixed-ε attack (APGD) ran to cross-check the margins.' : 'No minimal-norm attack ran, so there are no margins to cross-check.',
      'Run APGD-CE at the audit ε with FAB or FMN to have the margins cross-checked.',
    );
  }
  const c = input.columns;
  const row = new Map(Array.from(c.positions, (p, k) => [p, k]));
  const best = minimalNormBest(input.findings);
  const excess = RELIABILITY_LIMITS.marginExcess;
  const beaten = new Set<number>();
  let censored = 0;
  let checked = 0;
  let close = 0;
  let closest = 0;
  let worst: { attack: AttackName; epsilon: number; count: number } | null = null;
  for (const f of input.findings) {
    if (f.epsilon === 0 || marginAttacks.includes(f.attack)) continue;
    let count = 0;
    for (const p of f.positions) {
      const k = row.get(p);
      // On a misclassified sample APGD moves away from the label, not from the prediction: not comparable.
      if (k === undefined || c.correct[k] !== 1) continue;
      checked++;
      const margin = best.get(p) ?? Infinity;
      if (margin <= slack(f.epsilon)) continue;
      if (margin <= f.epsilon * (1 + excess)) {
        close++;
        closest = Math.max(closest, margin / f.epsilon - 1);
        continue;
      }
      count++;
      if (!beaten.has(p) && margin === Infinity) censored++;
      beaten.add(p);
    }
    if (count > (worst?.count ?? 0)) worst = { attack: f.attack, epsilon: f.epsilon, count };
  }
  if (!worst) {
    const near = close ? `; on ${close} the margin was at most ${(100 * closest).toFixed(1)}% larger than ε, within the ${excess * 100}% the attacks' overshoot explains` : '';
    return check('fixed-epsilon-beats-margins',
      'pass',
      `Wherever APGD changed a correct prediction within ε (${plural(checked, 'case')}), the minimal-norm attacks found a margin within that ε too${near}.`,
      'The minimal-norm attacks converge as far as APGD can tell.',
    );
  }
  return check(
    'fixed-epsilon-beats-margins',
    'review',
    `APGD changed the prediction of ${plural(beaten.size, 'correct sample')} within ε where the minimal-norm attacks reported a margin over ${excess * 100}% larger (${censored} censored); most at ${attackNames[worst.attack]} ${formatEpsilon(worst.epsilon)}: ${worst.count}.`,
    'The minimal-norm attacks under-converge: raise their iterations or restarts. Brink already takes APGD\'s points as these samples\' margins, but other margins may be too large as well.',
  );
}

function attacksDisagree(input: ReliabilityInput): ReliabilityCheck {
  const ran = ranMarginAttacks(input.config);
  if (ran.length < 2) {
    return check('attacks-disagree', 'not-checked', `${ran.length === 0 ? 'No' : 'One'} minimal-norm attack ran: nothing to compare.`, 'Run two of FAB, DeepFool and FMN to see whether the margins depend on the attack.');
  }
  const byPosition = new Map<number, number[]>();
  for (const f of input.findings) {
    if (f.epsilon !== 0 || !ran.includes(f.attack)) continue;
    f.positions.forEach((p, i) => byPosition.set(p, [...(byPosition.get(p) ?? []), f.norms[i]]));
  }
  const ratios: number[] = [];
  let alone = 0;
  for (const norms of byPosition.values()) {
    if (norms.length < ran.length) alone++;
    if (norms.length >= 2) ratios.push(Math.max(...norms) / Math.max(Math.min(...norms), Number.MIN_VALUE));
  }
  const limit = RELIABILITY_LIMITS.disagreementRatio;
  const apart = ratios.filter((r) => r > limit).length;
  const names = ran.map((a) => attackNames[a]).join(', ');
  if (ratios.length === 0) {
    return check('attacks-disagree', 'not-checked', `No sample was found by two of ${names}: nothing to compare.`, 'Raise the attacks\' iterations so that they find the same samples.');
  }
  const finding = `${names}: ${ratios.length} samples found by two or more; norms more than ${limit}x apart on ${share(apart, ratios.length)}, median ratio ${median(ratios).toFixed(2)}; ${alone} found by some attacks only.`;
  if (apart / ratios.length <= RELIABILITY_LIMITS.disagreementShare) {
    return check('attacks-disagree', 'pass', finding, 'The attacks agree: each margin is the smallest verified norm among them.');
  }
  return check(
    'attacks-disagree',
    'review',
    finding,
    'Margins depend on the attack: the larger ones are loose bounds. Raise the weaker attack\'s iterations, and see which attack gives the best margin most often (attack table).',
  );
}
