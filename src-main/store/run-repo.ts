import type {
  Equidistance,
  ProviderAttempt,
  RunConfig,
  RunDetail,
  RunResults,
  RunSampleRow,
  RunStatus,
  RunSummary,
  SampleSortKey,
} from '../../src-preload/contract.js';
import { fiveNumbers } from '../engine/margins/margins.js';
import { UserError } from '../errors.js';
import type { Sqlite } from './sqlite.js';

export interface SampleResult {
  position: number;
  index: number;
  label: number;
  pred: number;
  logits: Float32Array;
  logitMargin: number;
  featureMarginLinf: number | null;
  featureMarginL2: number | null;
}

/** What a run stores once, besides its per-sample rows; recomputable from the model. */
export interface RunSummaryData {
  equidistance: Equidistance | null;
}

interface RunRow {
  id: string;
  kind: 'forward-margins';
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
};

const HISTOGRAM_BINS = 30;

export class RunRepo {
  constructor(private readonly db: Sqlite) {}

  create(run: { id: string; config: RunConfig; sampleCount: number; appVersion: string }): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, kind, model_id, dataset_id, config_json, status, sample_count, app_version, created_at)
         VALUES (?, 'forward-margins', ?, ?, ?, 'queued', ?, ?, ?)`,
      )
      .run(run.id, run.config.modelId, run.config.datasetId, JSON.stringify(run.config), run.sampleCount, run.appVersion, new Date().toISOString());
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
      results: this.results(id, row.summary_json ? (JSON.parse(row.summary_json) as RunSummaryData) : null),
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
      `INSERT INTO run_samples (run_id, position, sample_index, label, pred, correct, logits, logit_margin, feature_margin_linf, feature_margin_l2)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const r of rows) {
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
        );
      }
    })();
  }

  samples(id: string, options: { offset: number; limit: number; sort?: SampleSortKey; descending?: boolean }): { total: number; rows: RunSampleRow[] } {
    this.row(id);
    const column = sortColumns[options.sort ?? 'position'];
    const direction = options.descending ? 'DESC' : 'ASC';
    const total = this.db.prepare('SELECT count(*) FROM run_samples WHERE run_id = ?').pluck().get(id) as number;
    const rows = this.db
      .prepare(
        `SELECT position, sample_index, label, pred, correct, logit_margin, feature_margin_linf, feature_margin_l2
         FROM run_samples WHERE run_id = ? ORDER BY ${column} ${direction} NULLS LAST, position LIMIT ? OFFSET ?`,
      )
      .all(id, options.limit, options.offset) as {
      position: number;
      sample_index: number;
      label: number;
      pred: number;
      correct: number;
      logit_margin: number;
      feature_margin_linf: number | null;
      feature_margin_l2: number | null;
    }[];
    return {
      total,
      rows: rows.map((r) => ({
        position: r.position,
        index: r.sample_index,
        label: r.label,
        pred: r.pred,
        correct: r.correct === 1,
        logitMargin: r.logit_margin,
        featureMarginLinf: r.feature_margin_linf,
        featureMarginL2: r.feature_margin_l2,
      })),
    };
  }

  /** Every stored result, in run order, with logits: for export. */
  *allSamples(id: string): Generator<SampleResult & { correct: boolean }> {
    const rows = this.db
      .prepare(
        `SELECT position, sample_index, label, pred, correct, logits, logit_margin, feature_margin_linf, feature_margin_l2
         FROM run_samples WHERE run_id = ? ORDER BY position`,
      )
      .iterate(id) as IterableIterator<{
      position: number;
      sample_index: number;
      label: number;
      pred: number;
      correct: number;
      logits: Buffer;
      logit_margin: number;
      feature_margin_linf: number | null;
      feature_margin_l2: number | null;
    }>;
    for (const r of rows) {
      yield {
        position: r.position,
        index: r.sample_index,
        label: r.label,
        pred: r.pred,
        correct: r.correct === 1,
        logits: new Float32Array(r.logits.buffer.slice(r.logits.byteOffset, r.logits.byteOffset + r.logits.byteLength)),
        logitMargin: r.logit_margin,
        featureMarginLinf: r.feature_margin_linf,
        featureMarginL2: r.feature_margin_l2,
      };
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
  private results(id: string, stored: RunSummaryData | null): RunResults | null {
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
    };
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

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}
