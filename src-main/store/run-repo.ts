import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type {
  AttackName,
  AttackStats,
  Equidistance,
  InputMargins,
  RobustAccuracy,
  ProviderAttempt,
  RunConfig,
  RunDetail,
  RunResults,
  RunSampleRow,
  RunStatus,
  RunSummary,
  SampleFilter,
  SampleSortKey,
} from '../../src-preload/contract.js';
import { EPSILON_SLACK } from '../engine/attacks/types.js';
import { fiveNumbers } from '../engine/margins/margins.js';
import { UserError } from '../errors.js';
import type { Sqlite } from './sqlite.js';

/** One attack's verified outcome on one sample; epsilon 0 is the unconstrained (margin) mode. */
export interface AttackOutcome {
  attack: AttackName;
  epsilon: number;
  found: boolean;
  linf: number | null;
  l2: number | null;
  l1: number | null;
  iterations: number;
}

/** The best verified adversarial of the margin attacks, in the run's norm. */
export interface BestAdversarial {
  found: boolean;
  margin: number | null;
  attack: AttackName | null;
  linf: number | null;
  l2: number | null;
  l1: number | null;
  example: Float32Array | null;
  /** The logits of the verifying forward pass at the example. */
  logits: Float32Array | null;
}

export interface SampleResult {
  position: number;
  index: number;
  label: number;
  pred: number;
  logits: Float32Array;
  logitMargin: number;
  featureMarginLinf: number | null;
  featureMarginL2: number | null;
  best?: BestAdversarial;
  outcomes?: AttackOutcome[];
}

/** What a run stores once, besides its per-sample rows; recomputable from the model. */
export interface RunSummaryData {
  equidistance: Equidistance | null;
}

interface RunRow {
  id: string;
  kind: 'forward-margins' | 'attacks';
  model_id: string;
  dataset_id: string;
  config_json: string;
  status: RunStatus;
  sample_count: number;
  provider: string | null;
  provider_attempts_json: string | null;
  error: string | null;
  summary_json: string | null;
  app_version: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  active_ms: number;
  model_name: string;
  dataset_name: string;
  done_count: number;
}

const sortColumns: Record<SampleSortKey, string> = {
  position: 'position',
  index: 'sample_index',
  label: 'label',
  pred: 'pred',
  correct: 'correct',
  logitMargin: 'logit_margin',
  featureMarginLinf: 'feature_margin_linf',
  featureMarginL2: 'feature_margin_l2',
  inputMargin: 'input_margin',
};

const filterClauses: Record<SampleFilter, string> = {
  all: '1',
  found: 'margin_found = 1',
  censored: 'margin_found = 0',
  wrong: 'correct = 0',
};

const SAMPLE_COLUMNS = `position, sample_index, label, pred, correct, logit_margin, feature_margin_linf, feature_margin_l2,
  input_margin, margin_found, best_attack, adv_linf, adv_l2, adv_l1`;

interface SampleRowData {
  position: number;
  sample_index: number;
  label: number;
  pred: number;
  correct: number;
  logit_margin: number;
  feature_margin_linf: number | null;
  feature_margin_l2: number | null;
  input_margin: number | null;
  margin_found: number | null;
  best_attack: AttackName | null;
  adv_linf: number | null;
  adv_l2: number | null;
  adv_l1: number | null;
}

function sampleRow(r: SampleRowData): RunSampleRow {
  return {
    position: r.position,
    index: r.sample_index,
    label: r.label,
    pred: r.pred,
    correct: r.correct === 1,
    logitMargin: r.logit_margin,
    featureMarginLinf: r.feature_margin_linf,
    featureMarginL2: r.feature_margin_l2,
    inputMargin: r.input_margin,
    marginFound: r.margin_found === null ? null : r.margin_found === 1,
    bestAttack: r.best_attack,
    advLinf: r.adv_linf,
    advL2: r.adv_l2,
    advL1: r.adv_l1,
  };
}

const HISTOGRAM_BINS = 30;

export class RunRepo {
  constructor(private readonly db: Sqlite) {}

  create(run: { id: string; config: RunConfig; sampleCount: number; appVersion: string }): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, kind, model_id, dataset_id, config_json, status, sample_count, app_version, created_at)
         VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
      )
      .run(run.id, run.config.attack ? 'attacks' : 'forward-margins', run.config.modelId, run.config.datasetId, JSON.stringify(run.config), run.sampleCount, run.appVersion, new Date().toISOString());
  }

  list(): RunSummary[] {
    return (this.db.prepare(`${SELECT_RUN} ORDER BY r.created_at DESC, r.id`).all() as RunRow[]).map(summary);
  }

  summary(id: string): RunSummary {
    return summary(this.row(id));
  }

  get(id: string): RunDetail {
    const row = this.row(id);
    const log = this.db.prepare('SELECT at, line FROM run_log WHERE run_id = ? ORDER BY rowid DESC LIMIT 200').all(id) as { at: string; line: string }[];
    return {
      ...summary(row),
      config: JSON.parse(row.config_json) as RunConfig,
      providerAttempts: row.provider_attempts_json ? (JSON.parse(row.provider_attempts_json) as ProviderAttempt[]) : [],
      appVersion: row.app_version,
      results: this.results(id, JSON.parse(row.config_json) as RunConfig, row.summary_json ? (JSON.parse(row.summary_json) as RunSummaryData) : null),
      log: log.reverse(),
    };
  }

  config(id: string): RunConfig {
    return JSON.parse(this.row(id).config_json) as RunConfig;
  }

  setStatus(id: string, status: RunStatus, changes: { error?: string | null } = {}): void {
    const now = new Date().toISOString();
    const finished = status === 'done' || status === 'failed' || status === 'cancelled' ? now : null;
    this.db
      .prepare(
        `UPDATE runs SET status = ?, error = CASE WHEN ? THEN ? ELSE error END,
           started_at = CASE WHEN ? = 'running' AND started_at IS NULL THEN ? ELSE started_at END,
           finished_at = ? WHERE id = ?`,
      )
      .run(status, changes.error !== undefined ? 1 : 0, changes.error ?? null, status, now, finished, id);
  }

  setProvider(id: string, provider: string, attempts: ProviderAttempt[]): void {
    this.db.prepare('UPDATE runs SET provider = ?, provider_attempts_json = ? WHERE id = ?').run(provider, JSON.stringify(attempts), id);
  }

  setSummary(id: string, data: RunSummaryData): void {
    this.db.prepare('UPDATE runs SET summary_json = ? WHERE id = ?').run(JSON.stringify(data), id);
  }

  addActiveTime(id: string, ms: number): void {
    this.db.prepare('UPDATE runs SET active_ms = active_ms + ? WHERE id = ?').run(Math.max(0, Math.round(ms)), id);
  }

  log(id: string, line: string): { at: string; line: string } {
    const at = new Date().toISOString();
    this.db.prepare('INSERT INTO run_log (run_id, at, line) VALUES (?, ?, ?)').run(id, at, line);
    return { at, line };
  }

  /** Positions already computed, so that a resumed run does only the rest. */
  donePositions(id: string): Set<number> {
    return new Set((this.db.prepare('SELECT position FROM run_samples WHERE run_id = ?').pluck().all(id) as number[]));
  }

  /** One batch, one transaction: a crash loses at most the batch in flight. */
  insertBatch(id: string, rows: SampleResult[]): void {
    const insert = this.db.prepare(
      `INSERT INTO run_samples (run_id, position, sample_index, label, pred, correct, logits, logit_margin, feature_margin_linf, feature_margin_l2,
         input_margin, margin_found, best_attack, adv_linf, adv_l2, adv_l1, adversarial, adversarial_logits)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const outcome = this.db.prepare(
      'INSERT INTO run_attack_samples (run_id, position, attack, epsilon, found, linf, l2, l1, iterations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const r of rows) {
        const best = r.best;
        insert.run(
          id,
          r.position,
          r.index,
          r.label,
          r.pred,
          r.pred === r.label ? 1 : 0,
          Buffer.from(r.logits.buffer, r.logits.byteOffset, r.logits.byteLength),
          r.logitMargin,
          finiteOrNull(r.featureMarginLinf),
          finiteOrNull(r.featureMarginL2),
          best?.margin ?? null,
          best ? (best.found ? 1 : 0) : null,
          best?.attack ?? null,
          best?.linf ?? null,
          best?.l2 ?? null,
          best?.l1 ?? null,
          best?.example ? deflateRawSync(new Uint8Array(best.example.buffer, best.example.byteOffset, best.example.byteLength)) : null,
          best?.logits ? Buffer.from(best.logits.buffer, best.logits.byteOffset, best.logits.byteLength) : null,
        );
        for (const o of r.outcomes ?? []) {
          outcome.run(id, r.position, o.attack, o.epsilon, o.found ? 1 : 0, o.linf, o.l2, o.l1, o.iterations);
        }
      }
    })();
  }

  /** The stored adversarial example of one sample and its logits, or null when none was found. */
  adversarial(id: string, position: number): { example: Float32Array; logits: Float32Array } | null {
    const row = this.db.prepare('SELECT adversarial, adversarial_logits FROM run_samples WHERE run_id = ? AND position = ?').get(id, position) as
      | { adversarial: Buffer | null; adversarial_logits: Buffer | null }
      | undefined;
    if (!row?.adversarial || !row.adversarial_logits) return null;
    const bytes = inflateRawSync(row.adversarial);
    const logits = row.adversarial_logits;
    return {
      example: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      logits: new Float32Array(logits.buffer.slice(logits.byteOffset, logits.byteOffset + logits.byteLength)),
    };
  }

  sample(id: string, position: number): { row: RunSampleRow; logits: Float32Array } {
    const r = this.db.prepare(`SELECT ${SAMPLE_COLUMNS}, logits FROM run_samples WHERE run_id = ? AND position = ?`).get(id, position) as
      | (SampleRowData & { logits: Buffer })
      | undefined;
    if (!r) throw new UserError(`run ${id} has no result for sample position ${position}`);
    return { row: sampleRow(r), logits: new Float32Array(r.logits.buffer.slice(r.logits.byteOffset, r.logits.byteOffset + r.logits.byteLength)) };
  }

  samples(
    id: string,
    options: { offset: number; limit: number; sort?: SampleSortKey; descending?: boolean; filter?: SampleFilter; maxInputMargin?: number },
  ): { total: number; rows: RunSampleRow[] } {
    this.row(id);
    const column = sortColumns[options.sort ?? 'position'];
    const direction = options.descending ? 'DESC' : 'ASC';
    const where = ['run_id = ?', filterClauses[options.filter ?? 'all']];
    const params: (string | number)[] = [id];
    if (options.maxInputMargin !== undefined) {
      where.push('margin_found = 1 AND input_margin <= ?');
      params.push(options.maxInputMargin);
    }
    const condition = where.join(' AND ');
    const total = this.db.prepare(`SELECT count(*) FROM run_samples WHERE ${condition}`).pluck().get(...params) as number;
    const rows = this.db
      .prepare(`SELECT ${SAMPLE_COLUMNS} FROM run_samples WHERE ${condition} ORDER BY ${column} ${direction} NULLS LAST, position LIMIT ? OFFSET ?`)
      .all(...params, options.limit, options.offset) as SampleRowData[];
    return { total, rows: rows.map(sampleRow) };
  }

  /** Every stored result, in run order, with logits: for export. */
  *allSamples(id: string): Generator<RunSampleRow & { logits: Float32Array }> {
    const rows = this.db.prepare(`SELECT ${SAMPLE_COLUMNS}, logits FROM run_samples WHERE run_id = ? ORDER BY position`).iterate(id) as IterableIterator<
      SampleRowData & { logits: Buffer }
    >;
    for (const r of rows) {
      yield { ...sampleRow(r), logits: new Float32Array(r.logits.buffer.slice(r.logits.byteOffset, r.logits.byteOffset + r.logits.byteLength)) };
    }
  }

  /** Runs left 'running' by a process that is gone: called when a project is opened. */
  markOrphansInterrupted(): number {
    return this.db.prepare("UPDATE runs SET status = 'interrupted' WHERE status = 'running'").run().changes;
  }

  remove(id: string): void {
    if (this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes === 0) throw new UserError(`no run ${id} in this project`);
  }

  private row(id: string): RunRow {
    const row = this.db.prepare(`${SELECT_RUN} WHERE r.id = ?`).get(id) as RunRow | undefined;
    if (!row) throw new UserError(`no run ${id} in this project`);
    return row;
  }

  /** Summaries are derived from the per-sample rows on demand, never stored as the only copy. */
  private results(id: string, config: RunConfig, stored: RunSummaryData | null): RunResults | null {
    const margins = this.db.prepare('SELECT logit_margin FROM run_samples WHERE run_id = ?').pluck().all(id) as number[];
    if (margins.length === 0) return null;
    const correct = this.db.prepare('SELECT count(*) FROM run_samples WHERE run_id = ? AND correct = 1').pluck().get(id) as number;
    const stats = fiveNumbers(margins);
    return {
      evaluated: margins.length,
      correct,
      accuracy: correct / margins.length,
      logitMargin: { ...stats, mean: margins.reduce((a, b) => a + b, 0) / margins.length },
      histogram: histogram(margins, stats.min, stats.max),
      equidistance: stored?.equidistance ?? null,
      ...this.attackResults(id, config, margins.length),
    };
  }

  private attackResults(id: string, config: RunConfig, evaluated: number): Pick<RunResults, 'inputMargins' | 'attacks' | 'robustness'> {
    const settings = config.attack;
    if (!settings) return { inputMargins: null, attacks: [], robustness: [] };
    const normColumn = { linf: 'linf', l2: 'l2', l1: 'l1' }[settings.norm];
    const runsMargins = settings.attacks.some((a) => a === 'fab' || a === 'deepfool' || a === 'fmn');
    let inputMargins: InputMargins | null = null;
    if (runsMargins) {
      const found = this.db.prepare('SELECT input_margin FROM run_samples WHERE run_id = ? AND margin_found = 1').pluck().all(id) as number[];
      const censored = this.db.prepare('SELECT count(*) FROM run_samples WHERE run_id = ? AND margin_found = 0').pluck().get(id) as number;
      const bestBy = Object.fromEntries(
        (this.db.prepare('SELECT best_attack, count(*) AS n FROM run_samples WHERE run_id = ? AND margin_found = 1 GROUP BY best_attack').all(id) as {
          best_attack: AttackName;
          n: number;
        }[]).map((r) => [r.best_attack, r.n]),
      );
      const five = found.length ? fiveNumbers(found) : null;
      inputMargins = { norm: settings.norm, found: found.length, censored, median: five?.median ?? null, min: five?.min ?? null, max: five?.max ?? null, bestBy };
    }
    const attacks: AttackStats[] = settings.attacks.map((attack) => {
      if (attack === 'apgd-ce' || attack === 'apgd-t') return { attack, found: null, medianNorm: null };
      const norms = this.db
        .prepare(`SELECT ${normColumn} FROM run_attack_samples WHERE run_id = ? AND attack = ? AND epsilon = 0 AND found = 1`)
        .pluck()
        .all(id, attack) as number[];
      return { attack, found: norms.length, medianNorm: norms.length ? fiveNumbers(norms).median : null };
    });
    const robustness: RobustAccuracy[] = settings.epsilons.map((epsilon) => {
      const fromMargins = runsMargins
        ? (this.db.prepare('SELECT count(*) FROM run_samples WHERE run_id = ? AND correct = 1 AND NOT (margin_found = 1 AND input_margin <= ?)').pluck().get(id, slack(epsilon)) as number) /
          evaluated
        : null;
      const byAttack: Partial<Record<AttackName, number>> = {};
      for (const attack of settings.attacks.filter((a) => a === 'apgd-ce' || a === 'apgd-t')) {
        const broken = this.db
          .prepare(
            `SELECT count(*) FROM run_samples s JOIN run_attack_samples a ON a.run_id = s.run_id AND a.position = s.position
             WHERE s.run_id = ? AND s.correct = 1 AND a.attack = ? AND a.epsilon = ? AND a.found = 1`,
          )
          .pluck()
          .get(id, attack, epsilon) as number;
        byAttack[attack] = ((this.db.prepare('SELECT count(*) FROM run_samples WHERE run_id = ? AND correct = 1').pluck().get(id) as number) - broken) / evaluated;
      }
      const combinedRobust = this.db
        .prepare(
          `SELECT count(*) FROM run_samples s WHERE s.run_id = ? AND s.correct = 1
             AND NOT (s.margin_found = 1 AND s.input_margin <= ?)
             AND NOT EXISTS (SELECT 1 FROM run_attack_samples a WHERE a.run_id = s.run_id AND a.position = s.position AND a.epsilon = ? AND a.found = 1)`,
        )
        .pluck()
        .get(id, slack(epsilon), epsilon) as number;
      return { epsilon, fromMargins, byAttack, combined: combinedRobust / evaluated };
    });
    return { inputMargins, attacks, robustness };
  }
}

const SELECT_RUN = `
  SELECT r.*, m.name AS model_name, d.name AS dataset_name,
         (SELECT count(*) FROM run_samples s WHERE s.run_id = r.id) AS done_count
  FROM runs r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id`;

function summary(row: RunRow): RunSummary {
  return {
    id: row.id,
    kind: row.kind,
    modelId: row.model_id,
    modelName: row.model_name,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    status: row.status,
    sampleCount: row.sample_count,
    doneCount: row.done_count,
    provider: row.provider,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    activeMs: row.active_ms,
  };
}

function histogram(values: number[], min: number, max: number): { edges: number[]; counts: number[] } {
  const width = max > min ? (max - min) / HISTOGRAM_BINS : 1;
  const bins = max > min ? HISTOGRAM_BINS : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  return { edges: Array.from({ length: bins + 1 }, (_, k) => min + k * width), counts };
}

/** "Within epsilon" as the attacks decide it (EPSILON_SLACK), for margins stored from float32 points. */
function slack(epsilon: number): number {
  return epsilon * (1 + EPSILON_SLACK);
}

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}
