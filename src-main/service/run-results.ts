import type { AttackName, AttackStats, InputMargins, LipschitzSummary, ModelReading, RobustAccuracy, RunConfig, RunDetail, RunResults, RunSummary } from '../../src-preload/contract.js';
import { EPSILON_SLACK } from '../engine/attacks/types.js';
import { robustAccuracy } from '../engine/metrics/robust.js';
import { modelReading } from '../engine/onnx/reading.js';
import { fiveNumbers, histogram, mean } from '../engine/metrics/summary.js';
import type { ProjectStore } from '../store/project-store.js';
import type { AttackFinding, MarginColumns } from '../store/run-repo.js';
import { RecentlyUsed } from './recently-used.js';

const fixedEpsilonAttacks: readonly AttackName[] = ['apgd-ce', 'apgd-t'];

/** Results kept per project: the run page, the leaderboard and a report read the same finished run again and again. */
const RESULTS_KEPT = 16;
const resultsCache = new WeakMap<ProjectStore, RecentlyUsed<string, RunResults | null>>();

/**
 * A run with its derived results, composed from its stored rows (never stored as the only copy).
 * The results are recomputed whenever a batch lands (the done count), the status or the stored
 * summary changes: rows are only ever appended, and a deleted run's id is never reused.
 */
export function runDetail(store: ProjectStore, id: string): RunDetail {
  const detail = store.runs.get(id);
  const summary = store.runs.storedSummary(id);
  const key = JSON.stringify([id, detail.doneCount, detail.status, summary]);
  let kept = resultsCache.get(store);
  if (!kept) resultsCache.set(store, (kept = new RecentlyUsed(RESULTS_KEPT)));
  let results = kept.get(key);
  if (results === undefined) {
    const columns = store.runs.marginColumns(id, { withLogits: false });
    const findings = detail.config.attack ? store.runs.attackFindings(id, detail.config.attack.norm) : [];
    results = runResults(detail.config, columns, findings, summary?.equidistance ?? null, detail.labeled, store.runs.lipschitzMargins(id));
    kept.set(key, results);
  }
  return { ...detail, reading: runReading(store, id, detail.modelId), results, robustAccuracy: robustAtFirstEpsilon(results) };
}

/** How the model was read when the run was created, with what follows from it for the model's inputs; null on runs made before Brink recorded it. */
export function runReading(store: ProjectStore, id: string, modelId: string): ModelReading | null {
  const settings = store.runs.reading(id);
  return settings ? modelReading(settings, store.models.get(modelId).inputs) : null;
}

/** The run list's robust accuracy: at the run's first epsilon, correct and unbroken by every attack. */
export function robustAtFirstEpsilon(results: RunResults | null): RunSummary['robustAccuracy'] {
  const first = results?.robustness[0];
  return first ? { epsilon: first.epsilon, value: first.combined } : null;
}

/** "Within epsilon" as the attacks decide it, for margins stored from float32 points. */
export function slack(epsilon: number): number {
  return epsilon * (1 + EPSILON_SLACK);
}

/** `labeled` false: the dataset has no labels, so there is no accuracy and no robust accuracy to give. */
export function runResults(
  config: RunConfig,
  c: MarginColumns,
  findings: AttackFinding[],
  equidistance: RunResults['equidistance'],
  labeled: boolean,
  lipschitz: Float64Array | null = null,
): RunResults | null {
  const n = c.positions.length;
  if (n === 0) return null;
  const correct = c.correct.reduce((a, b) => a + b, 0);
  const stats = fiveNumbers(c.logitMargin);
  const attacks = attackResults(config, c, findings);
  return {
    evaluated: n,
    correct,
    accuracy: labeled ? correct / n : null,
    logitMargin: { ...stats, mean: mean(c.logitMargin) },
    histogram: histogram(c.logitMargin),
    equidistance,
    ...attacks,
    robustness: labeled ? attacks.robustness : [],
    lipschitz: config.lipschitz && lipschitz ? lipschitzSummary(config.lipschitz, lipschitz, c.inputMargin) : null,
  };
}

/** The estimates' spread, how many hit the cap, and how many lie at or below their sample's verified attack margin. */
function lipschitzSummary(settings: LipschitzSummary['settings'], estimates: Float64Array, inputMargin: Float64Array): LipschitzSummary {
  const known = estimates.filter((v) => !Number.isNaN(v));
  const five = known.length ? fiveNumbers(known) : null;
  let bracketed = 0;
  let ordered = 0;
  estimates.forEach((estimate, k) => {
    if (Number.isNaN(estimate) || !Number.isFinite(inputMargin[k])) return;
    bracketed++;
    if (estimate <= inputMargin[k]) ordered++;
  });
  return {
    settings,
    estimated: known.length,
    capped: known.filter((v) => v >= settings.radius).length,
    median: five?.median ?? null,
    min: five?.min ?? null,
    max: five?.max ?? null,
    bracketed,
    ordered,
  };
}

function attackResults(config: RunConfig, c: MarginColumns, findings: AttackFinding[]): Pick<RunResults, 'inputMargins' | 'attacks' | 'robustness'> {
  const settings = config.attack;
  if (!settings) return { inputMargins: null, attacks: [], robustness: [] };
  const n = c.positions.length;
  const runsMargins = settings.attacks.some((a) => !fixedEpsilonAttacks.includes(a));
  const attacks: AttackStats[] = settings.attacks.map((attack) => {
    if (fixedEpsilonAttacks.includes(attack)) return { attack, found: null, medianNorm: null };
    const norms = findings.find((f) => f.attack === attack && f.epsilon === 0)?.norms ?? [];
    return { attack, found: norms.length, medianNorm: norms.length ? fiveNumbers(norms).median : null };
  });
  const at = positionIndex(c);
  const robustness: RobustAccuracy[] = settings.epsilons.map((epsilon) => {
    const byAttack: Partial<Record<AttackName, number>> = {};
    const broken = new Uint8Array(n);
    for (const attack of settings.attacks.filter((a) => fixedEpsilonAttacks.includes(a))) {
      const positions = findings.find((f) => f.attack === attack && f.epsilon === epsilon)?.positions ?? [];
      const alive = Uint8Array.from(c.correct);
      for (const p of positions) {
        alive[at.get(p)!] = 0;
        broken[at.get(p)!] = 1;
      }
      byAttack[attack] = alive.reduce((a, b) => a + b, 0) / n;
    }
    let combined = 0;
    for (let k = 0; k < n; k++) if (c.correct[k] && !broken[k] && !(c.inputMargin[k] <= slack(epsilon))) combined++;
    return { epsilon, fromMargins: runsMargins ? robustAccuracy(c.correct, c.inputMargin, slack(epsilon)) : null, byAttack, combined: combined / n };
  });
  return { inputMargins: runsMargins ? inputMargins(settings.norm, c) : null, attacks, robustness };
}

function inputMargins(norm: InputMargins['norm'], c: MarginColumns): InputMargins {
  const found = c.inputMargin.filter(Number.isFinite);
  const bestBy: Partial<Record<AttackName, number>> = {};
  for (const attack of c.bestAttack) if (attack) bestBy[attack] = (bestBy[attack] ?? 0) + 1;
  const five = found.length ? fiveNumbers(found) : null;
  return {
    norm,
    found: found.length,
    censored: c.inputMargin.filter((m) => m === Infinity).length,
    median: five?.median ?? null,
    min: five?.min ?? null,
    max: five?.max ?? null,
    bestBy,
  };
}

/** Row of each stored position in the columns. */
export function positionIndex(c: MarginColumns): Map<number, number> {
  return new Map(Array.from(c.positions, (p, k) => [p, k]));
}
