import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type {
  AttackName,
  AttackNorm,
  Equidistance,
  FamilyMargin,
  MarginFamilyName,
  ProviderAttempt,
  RunConfig,
  RunDetail,
  RunPlan,
  RunPreprocessing,
  RunSampleRow,
  RunStatus,
  RunSummary,
  Screening,
  SampleFilter,
  SampleSortKey,
} from '../../src-preload/contract.js';
import type { ReadingSettings } from '../engine/onnx/reading.js';
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
  /** ||h(x) - h(x_adv)|| of the penultimate features h (the paper's "feature dist"); null without a linear head. */
  featureDistanceLinf: number | null;
  featureDistanceL2: number | null;
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
  /** ||grad_x of the logit margin at x|| in the dual norm of the run's norm (attack runs; see migrations Part C). */
  marginGradientNorm?: number | null;
  /** The sample's margin in each perturbation family the run measures. */
  families?: FamilyMargin[];
  /** The Lipschitz estimate of the margin (runs with Lipschitz settings). */
  lipschitzMargin?: number | null;
}

/** What the worker checked once per run for the reliability checks (service/run-reliability). */
export interface WorkerReliabilityFacts {
  /** The run's first batch through the forward session twice (AutoAttack's check_randomized). */
  determinism?: {
    samples: number;
    /** Largest ||a/||a|| - b/||b|| ||_2 over the batch's logit rows, as AutoAttack measures it. */
    maxNormalizedDiff: number;
    maxAbsDiff: number;
    predictionsChanged: number;
  };
}

/** What a run stores once, besides its per-sample rows; recomputable from the model. */
export interface RunSummaryData {
  equidistance: Equidistance | null;
  /** The logit-margin threshold calibrated at the audit epsilon, for screening new inputs. */
  screening?: Screening;
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
  running_since: string | null;
  audit_group: string | null;
  name: string | null;
  notes: string;
  model_name: string;
  dataset_name: string;
  done_count: number;
  preprocessing_json: string | null;
  reading_json: string | null;
  model_preprocessing_json: string;
  model_reading_json: string | null;
  accuracy: number | null;
  labeled: 0 | 1;
}

/** What a run left 'running' by a host that is gone says on the next open. */
export const ORPHAN_CAUSE = 'Brink stopped while this run was running (the app or command quit, crashed or was killed); resume to continue from the last committed batch';

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
  signedInputMargin: 'CASE WHEN correct = 1 THEN input_margin ELSE -input_margin END',
  lipschitzMargin: 'lipschitz_margin',
};

const filterClauses: Record<SampleFilter, string> = {
  all: '1',
  found: 'margin_found = 1',
  censored: 'margin_found = 0',
  wrong: 'correct = 0',
};

const SAMPLE_COLUMNS = `position, sample_index, label, pred, correct, logit_margin, feature_margin_linf, feature_margin_l2,
  input_margin, margin_found, best_attack, adv_linf, adv_l2, adv_l1, lipschitz_margin`;

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
  lipschitz_margin: number | null;
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
    lipschitzMargin: r.lipschitz_margin,
  };
}

export class RunRepo {
  constructor(private readonly db: Sqlite) {}

  /** Records the model's preprocessing as it is now (and whether it was confirmed): the run keeps it, whatever the model gets later. */
  create(run: { id: string; config: RunConfig; sampleCount: number; appVersion: string; auditGroup?: string | null }): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, kind, model_id, dataset_id, config_json, status, sample_count, app_version, created_at, audit_group, preprocessing_json, reading_json)
         VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?,
           (SELECT json_set(preprocessing_json, '$.confirmed', json(CASE preprocessing_confirmed WHEN 1 THEN 'true' ELSE 'false' END)) FROM models WHERE id = ?),
           (SELECT reading_json FROM models WHERE id = ?))`,
      )
      .run(
        run.id,
        run.config.attack ? 'attacks' : 'forward-margins',
        run.config.modelId,
        run.config.datasetId,
        JSON.stringify(run.config),
        run.sampleCount,
        run.appVersion,
        new Date().toISOString(),
        run.auditGroup ?? null,
        run.config.modelId,
        run.config.modelId,
      );
  }

  /** How the model was read when the run was created (image input, layout, logits, batch); null for runs made before Brink recorded it. */
  reading(id: string): ReadingSettings | null {
    const json = this.own(id).reading_json;
    return json ? (JSON.parse(json) as ReadingSettings) : null;
  }

  /** The preprocessing the run was created with; null for runs made before Brink recorded it. */
  preprocessing(id: string): RunPreprocessing | null {
    return parseRunPreprocessing(this.own(id).preprocessing_json);
  }

  list(): RunSummary[] {
    return (this.db.prepare(`${SELECT_RUN} ORDER BY r.created_at DESC, r.id`).all() as RunRow[]).map(summary);
  }

  /** The runs made with a model or with a dataset: what removing it removes too. */
  listUsing(item: { modelId: string } | { datasetId: string }): RunSummary[] {
    const [column, id] = 'modelId' in item ? ['r.model_id', item.modelId] : ['r.dataset_id', item.datasetId];
    return (this.db.prepare(`${SELECT_RUN} WHERE ${column} = ? ORDER BY r.created_at DESC, r.id`).all(id) as RunRow[]).map(summary);
  }

  /** The configurations of an audit group's runs (empty for an unknown group). */
  groupSamples(group: string): Pick<RunConfig, 'datasetId' | 'subset'>[] {
    const rows = this.db.prepare('SELECT config_json FROM runs WHERE audit_group = ? ORDER BY created_at, id').pluck().all(group) as string[];
    return rows.map((json) => {
      const { datasetId, subset } = JSON.parse(json) as RunConfig;
      return { datasetId, subset };
    });
  }

  /** The user's name (null clears it) and notes. */
  update(id: string, changes: { name?: string | null; notes?: string }): void {
    this.own(id);
    if (changes.name !== undefined) this.db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(changes.name, id);
    if (changes.notes !== undefined) this.db.prepare('UPDATE runs SET notes = ? WHERE id = ?').run(changes.notes, id);
  }

  summary(id: string): RunSummary {
    return summary(this.row(id));
  }

  /** The run without its derived results and its reading: service/run-results composes those (from the columns, and with the model's inputs). */
  get(id: string): Omit<RunDetail, 'results' | 'reading'> {
    const row = this.row(id);
    const log = this.db.prepare('SELECT at, line FROM run_log WHERE run_id = ? ORDER BY rowid DESC LIMIT 200').all(id) as { at: string; line: string }[];
    return {
      ...summary(row),
      config: JSON.parse(row.config_json) as RunConfig,
      providerAttempts: row.provider_attempts_json ? (JSON.parse(row.provider_attempts_json) as ProviderAttempt[]) : [],
      appVersion: row.app_version,
      plan: this.plan(id),
      log: log.reverse(),
    };
  }

  /** What the run stored once besides its rows (recomputable from the model). */
  storedSummary(id: string): RunSummaryData | null {
    const json = this.db.prepare('SELECT summary_json FROM runs WHERE id = ?').pluck().get(id) as string | null | undefined;
    return json ? (JSON.parse(json) as RunSummaryData) : null;
  }

  config(id: string): RunConfig {
    return JSON.parse(this.own(id).config_json) as RunConfig;
  }

  setStatus(id: string, status: RunStatus, changes: { error?: string | null } = {}): void {
    const now = new Date().toISOString();
    const finished = status === 'done' || status === 'failed' || status === 'cancelled' ? now : null;
    this.db
      .prepare(
        `UPDATE runs SET status = ?, error = CASE WHEN ? THEN ? ELSE error END,
           started_at = CASE WHEN ? = 'running' AND started_at IS NULL THEN ? ELSE started_at END,
           running_since = CASE WHEN ? = 'running' THEN ? ELSE NULL END,
           finished_at = ? WHERE id = ?`,
      )
      .run(status, changes.error !== undefined ? 1 : 0, changes.error ?? null, status, now, status, now, finished, id);
  }

  /** The memory plan the job recorded when it last started; null before. */
  plan(id: string): RunPlan | null {
    const json = this.db.prepare('SELECT plan_json FROM runs WHERE id = ?').pluck().get(id) as string | null | undefined;
    return json ? (JSON.parse(json) as RunPlan) : null;
  }

  setPlan(id: string, plan: RunPlan): void {
    this.db.prepare('UPDATE runs SET plan_json = ? WHERE id = ?').run(JSON.stringify(plan), id);
  }

  setProvider(id: string, provider: string, attempts: ProviderAttempt[]): void {
    this.db.prepare('UPDATE runs SET provider = ?, provider_attempts_json = ? WHERE id = ?').run(provider, JSON.stringify(attempts), id);
  }

  setSummary(id: string, data: RunSummaryData): void {
    this.db.prepare('UPDATE runs SET summary_json = ? WHERE id = ?').run(JSON.stringify(data), id);
  }

  /** Records the calibrated screening threshold beside what the run stored once. */
  setScreening(id: string, screening: Screening): void {
    this.setSummary(id, { equidistance: null, ...this.storedSummary(id), screening });
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
         input_margin, margin_found, best_attack, adv_linf, adv_l2, adv_l1, adversarial, adversarial_logits, feature_distance_linf, feature_distance_l2,
         margin_gradient_norm, lipschitz_margin)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const outcome = this.db.prepare(
      'INSERT INTO run_attack_samples (run_id, position, attack, epsilon, found, linf, l2, l1, iterations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const family = this.db.prepare(
      'INSERT INTO run_family_samples (run_id, position, family, strength, below, prediction, direction, severity_predictions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
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
          finiteOrNull(best?.featureDistanceLinf ?? null),
          finiteOrNull(best?.featureDistanceL2 ?? null),
          finiteOrNull(r.marginGradientNorm ?? null),
          finiteOrNull(r.lipschitzMargin ?? null),
        );
        for (const o of r.outcomes ?? []) {
          outcome.run(id, r.position, o.attack, o.epsilon, o.found ? 1 : 0, o.linf, o.l2, o.l1, o.iterations);
        }
        for (const f of r.families ?? []) {
          family.run(id, r.position, f.family, f.strength, f.below, f.prediction, f.direction, f.severityPredictions ? JSON.stringify(f.severityPredictions) : null);
        }
      }
    })();
  }

  /** Every stored family margin of the run, by family, each list in position order. */
  familyMargins(id: string): Map<MarginFamilyName, (FamilyMargin & { position: number })[]> {
    const rows = this.db
      .prepare('SELECT position, family, strength, below, prediction, direction, severity_predictions FROM run_family_samples WHERE run_id = ? ORDER BY family, position')
      .all(id) as { position: number; family: MarginFamilyName; strength: number | null; below: number; prediction: number | null; direction: number | null; severity_predictions: string | null }[];
    const out = new Map<MarginFamilyName, (FamilyMargin & { position: number })[]>();
    for (const r of rows) {
      const list = out.get(r.family) ?? [];
      list.push({
        position: r.position,
        family: r.family,
        strength: r.strength,
        below: r.below,
        prediction: r.prediction,
        direction: r.direction,
        severityPredictions: r.severity_predictions ? (JSON.parse(r.severity_predictions) as number[]) : null,
      });
      out.set(r.family, list);
    }
    return out;
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
    this.own(id);
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
  *allSamples(id: string): Generator<RunSampleRow & { logits: Float32Array; featureDistanceLinf: number | null; featureDistanceL2: number | null }> {
    const rows = this.db
      .prepare(`SELECT ${SAMPLE_COLUMNS}, logits, feature_distance_linf, feature_distance_l2 FROM run_samples WHERE run_id = ? ORDER BY position`)
      .iterate(id) as IterableIterator<SampleRowData & { logits: Buffer; feature_distance_linf: number | null; feature_distance_l2: number | null }>;
    for (const r of rows) {
      yield {
        ...sampleRow(r),
        logits: new Float32Array(r.logits.buffer.slice(r.logits.byteOffset, r.logits.byteOffset + r.logits.byteLength)),
        featureDistanceLinf: r.feature_distance_linf,
        featureDistanceL2: r.feature_distance_l2,
      };
    }
  }

  /** Runs left 'running' by a process that is gone (quit, crashed, killed): called when a project is opened. */
  markOrphansInterrupted(): number {
    return this.db
      .prepare("UPDATE runs SET status = 'interrupted', running_since = NULL, error = ? WHERE status = 'running'")
      .run(ORPHAN_CAUSE).changes;
  }

  remove(id: string): void {
    if (this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes === 0) throw new UserError(`no run ${id} in this project`);
  }

  /**
   * The run's own settings, without the joins and the count and mean over its rows that row() pays
   * for: run.get reads several of these per call, and at 10,000 rows each full row() costs ~8 ms.
   */
  private own(id: string): Pick<RunRow, 'reading_json' | 'preprocessing_json' | 'config_json'> {
    const row = this.db.prepare('SELECT reading_json, preprocessing_json, config_json FROM runs WHERE id = ?').get(id) as
      | Pick<RunRow, 'reading_json' | 'preprocessing_json' | 'config_json'>
      | undefined;
    if (!row) throw new UserError(`no run ${id} in this project`);
    return row;
  }

  private row(id: string): RunRow {
    const row = this.db.prepare(`${SELECT_RUN} WHERE r.id = ?`).get(id) as RunRow | undefined;
    if (!row) throw new UserError(`no run ${id} in this project`);
    return row;
  }

  /**
   * The run's per-sample columns in position order, for the analysis layer (engine/metrics
   * computes; the store only reads). Censored samples have input margin +Infinity; samples of a
   * run without margin attacks have NaN, as do absent feature margins.
   */
  /**
   * `withLogits` false leaves the logits out (`classes` 0, `logits` empty): the run's results need
   * only the margins, and the logits are most of the bytes read (10 floats a row, 1000 for ImageNet).
   */
  marginColumns(id: string, { withLogits = true }: { withLogits?: boolean } = {}): MarginColumns {
    this.own(id);
    const rows = this.db
      .prepare(
        `SELECT position, label, pred, correct, logit_margin, feature_margin_linf, feature_margin_l2, input_margin, margin_found, best_attack, ${withLogits ? 'logits' : 'NULL'}
         FROM run_samples WHERE run_id = ? ORDER BY position`,
      )
      .raw()
      .all(id) as [number, number, number, number, number, number | null, number | null, number | null, number | null, AttackName | null, Buffer | null][];
    const n = rows.length;
    const classes = n && rows[0][10] ? rows[0][10].byteLength / 4 : 0;
    const columns: MarginColumns = {
      positions: new Uint32Array(n),
      labels: new Int32Array(n),
      preds: new Int32Array(n),
      correct: new Uint8Array(n),
      logitMargin: new Float64Array(n),
      inputMargin: new Float64Array(n),
      featureMarginLinf: new Float64Array(n),
      featureMarginL2: new Float64Array(n),
      bestAttack: new Array<AttackName | null>(n),
      classes,
      logits: new Float32Array(n * classes),
    };
    rows.forEach(([position, label, pred, correct, logitMargin, fLinf, fL2, inputMargin, found, best, logits], k) => {
      columns.positions[k] = position;
      columns.labels[k] = label;
      columns.preds[k] = pred;
      columns.correct[k] = correct;
      columns.logitMargin[k] = logitMargin;
      columns.featureMarginLinf[k] = fLinf ?? NaN;
      columns.featureMarginL2[k] = fL2 ?? NaN;
      columns.inputMargin[k] = found === null ? NaN : found === 1 ? inputMargin! : Infinity;
      columns.bestAttack[k] = best;
      if (logits) columns.logits.set(new Float32Array(logits.buffer, logits.byteOffset, classes), k * classes);
    });
    return columns;
  }

  /** Per attack and epsilon (0: the unconstrained margin mode), the positions it broke and the norms it found, in the run's norm. */
  attackFindings(id: string, norm: AttackNorm): AttackFinding[] {
    const rows = this.db
      .prepare(`SELECT attack, epsilon, position, ${{ linf: 'linf', l2: 'l2', l1: 'l1' }[norm]} FROM run_attack_samples WHERE run_id = ? AND found = 1 ORDER BY attack, epsilon, position`)
      .raw()
      .all(id) as [AttackName, number, number, number][];
    const byKey = new Map<string, AttackFinding>();
    for (const [attack, epsilon, position, value] of rows) {
      const key = `${attack}@${epsilon}`;
      let finding = byKey.get(key);
      if (!finding) byKey.set(key, (finding = { attack, epsilon, positions: [], norms: [] }));
      finding.positions.push(position);
      finding.norms.push(value);
    }
    return [...byKey.values()];
  }

  /** The margin-gradient norm per sample in position order (NaN where none); null when the run recorded none. */
  marginGradientNorms(id: string): Float64Array | null {
    const values = this.db.prepare('SELECT margin_gradient_norm FROM run_samples WHERE run_id = ? ORDER BY position').pluck().all(id) as (number | null)[];
    return values.some((v) => v !== null) ? Float64Array.from(values, (v) => v ?? NaN) : null;
  }

  /** The Lipschitz estimate per sample in position order (NaN where none); null when the run made none. */
  lipschitzMargins(id: string): Float64Array | null {
    const values = this.db.prepare('SELECT lipschitz_margin FROM run_samples WHERE run_id = ? ORDER BY position').pluck().all(id) as (number | null)[];
    return values.some((v) => v !== null) ? Float64Array.from(values, (v) => v ?? NaN) : null;
  }

  reliabilityFacts(id: string): WorkerReliabilityFacts {
    const json = this.db.prepare('SELECT reliability_json FROM runs WHERE id = ?').pluck().get(id) as string | null | undefined;
    return json ? (JSON.parse(json) as WorkerReliabilityFacts) : {};
  }

  /** Merges what the worker checked into the run's facts (a resumed run keeps the earlier ones). */
  addReliabilityFacts(id: string, facts: WorkerReliabilityFacts): void {
    this.db.prepare('UPDATE runs SET reliability_json = ? WHERE id = ?').run(JSON.stringify({ ...this.reliabilityFacts(id), ...facts }), id);
  }

  /** ||h(x) - h(x_adv)||_inf per sample in position order (NaN where none); null when the run recorded none. */
  featureDistances(id: string): Float64Array | null {
    const values = this.db.prepare('SELECT feature_distance_linf FROM run_samples WHERE run_id = ? ORDER BY position').pluck().all(id) as (number | null)[];
    return values.some((v) => v !== null) ? Float64Array.from(values, (v) => v ?? NaN) : null;
  }
}

/** A run's per-sample columns, position order (see RunRepo.marginColumns). */
export interface MarginColumns {
  positions: Uint32Array;
  labels: Int32Array;
  preds: Int32Array;
  correct: Uint8Array;
  logitMargin: Float64Array;
  /** +Infinity: censored (no adversarial within budget); NaN: no margin attack ran. */
  inputMargin: Float64Array;
  featureMarginLinf: Float64Array;
  featureMarginL2: Float64Array;
  bestAttack: (AttackName | null)[];
  classes: number;
  /** Row-major [samples, classes]. */
  logits: Float32Array;
}

/** The samples one attack broke at one epsilon (0: unconstrained), with the norms it found. */
export interface AttackFinding {
  attack: AttackName;
  epsilon: number;
  positions: number[];
  norms: number[];
}

const SELECT_RUN = `
  SELECT r.*, m.name AS model_name, d.name AS dataset_name, m.preprocessing_json AS model_preprocessing_json, m.reading_json AS model_reading_json,
         (SELECT count(*) FROM run_samples s WHERE s.run_id = r.id) AS done_count,
         CASE WHEN d.labeled = 1 THEN (SELECT avg(correct) FROM run_samples s WHERE s.run_id = r.id) END AS accuracy,
         d.labeled AS labeled
  FROM runs r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id`;

/** The run as lists show it; robustAccuracy is left to the service, which computes it from the rows. */
function summary(row: RunRow): RunSummary {
  const attack = (JSON.parse(row.config_json) as RunConfig).attack;
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
    runningSince: row.status === 'running' ? row.running_since : null,
    name: row.name,
    notes: row.notes,
    auditGroup: row.audit_group,
    attack: attack ? { attacks: attack.attacks, norm: attack.norm, epsilons: attack.epsilons } : null,
    labeled: row.labeled === 1,
    accuracy: row.accuracy,
    robustAccuracy: null,
    ...preprocessingOf(row),
    readingChanged: readingChanged(row),
  };
}

function parseRunPreprocessing(json: string | null): RunPreprocessing | null {
  return json ? (JSON.parse(json) as RunPreprocessing) : null;
}

/** The run's preprocessing, and whether the model's has changed since (compared field by field, whatever the key order). */
function preprocessingOf(row: RunRow): Pick<RunSummary, 'preprocessing' | 'preprocessingChanged'> {
  const preprocessing = parseRunPreprocessing(row.preprocessing_json);
  if (!preprocessing) return { preprocessing: null, preprocessingChanged: false };
  const { confirmed: _confirmed, ...settings } = preprocessing;
  return { preprocessing, preprocessingChanged: canonicalJson(settings) !== canonicalJson(JSON.parse(row.model_preprocessing_json)) };
}

/**
 * Whether the model is now read otherwise than the run read it: another image input, layout or
 * logits source changes what the model computes; a freed batch axis does not (it gave the same
 * results at two batch sizes). False where either side was never recorded.
 */
function readingChanged(row: RunRow): boolean {
  if (!row.reading_json || !row.model_reading_json) return false;
  const choices = (json: string) => {
    const { imageInput, layout, logits } = JSON.parse(json) as ReadingSettings;
    return canonicalJson({ imageInput, layout, logits });
  };
  return choices(row.reading_json) !== choices(row.model_reading_json);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}
