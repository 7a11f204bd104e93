import type { PseudoMarginDetail, PseudoMarginInput, PseudoMarginSettings, PseudoMarginSummary, PseudoMarginValidation, PseudoMarginVariant } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { Sqlite } from './sqlite.js';

export interface NewPseudoMargin {
  id: string;
  modelId: string;
  runId: string;
  input: PseudoMarginInput;
  variant: PseudoMarginVariant;
  seed: number;
  validationPositions: number[];
  settings: PseudoMarginSettings;
  validation: PseudoMarginValidation;
  losses: number[];
  onnx: Uint8Array;
}

interface Row {
  id: string;
  model_id: string;
  run_id: string;
  input_kind: PseudoMarginInput;
  variant: PseudoMarginVariant;
  seed: number;
  split_json: string;
  settings_json: string;
  validation_json: string;
  losses: Buffer;
  onnx: Buffer;
  created_at: string;
}

const SUMMARY_COLUMNS = 'id, model_id, run_id, input_kind, variant, seed, settings_json, validation_json, created_at';

/** Learned pseudo-margin networks (issue 12): their ONNX bytes and provenance. */
export class PseudoMarginRepo {
  constructor(private readonly db: Sqlite) {}

  insert(p: NewPseudoMargin): void {
    this.db
      .prepare(
        `INSERT INTO pseudo_margins (id, model_id, run_id, input_kind, variant, seed, split_json, settings_json, validation_json, losses, onnx, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        p.id,
        p.modelId,
        p.runId,
        p.input,
        p.variant,
        p.seed,
        JSON.stringify({ validation: p.validationPositions }),
        JSON.stringify(p.settings),
        JSON.stringify(p.validation),
        Buffer.from(Float64Array.from(p.losses).buffer),
        Buffer.from(p.onnx),
        new Date().toISOString(),
      );
  }

  /** A model's pseudo-margins, newest first. */
  list(modelId: string): PseudoMarginSummary[] {
    const rows = this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM pseudo_margins WHERE model_id = ? ORDER BY created_at DESC, id`).all(modelId) as Row[];
    return rows.map(summary);
  }

  get(id: string): PseudoMarginDetail {
    const row = this.row(id);
    const losses = new Float64Array(row.losses.buffer.slice(row.losses.byteOffset, row.losses.byteOffset + row.losses.byteLength));
    return { ...summary(row), losses: Array.from(losses), validationPositions: (JSON.parse(row.split_json) as { validation: number[] }).validation };
  }

  onnx(id: string): Uint8Array {
    return new Uint8Array(this.row(id).onnx);
  }

  remove(id: string): void {
    if (this.db.prepare('DELETE FROM pseudo_margins WHERE id = ?').run(id).changes === 0) throw new UserError(`no pseudo-margin ${id} in this project`);
  }

  private row(id: string): Row {
    const row = this.db.prepare('SELECT * FROM pseudo_margins WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw new UserError(`no pseudo-margin ${id} in this project`);
    return row;
  }
}

function summary(row: Omit<Row, 'split_json' | 'losses' | 'onnx'>): PseudoMarginSummary {
  return {
    id: row.id,
    modelId: row.model_id,
    runId: row.run_id,
    input: row.input_kind,
    variant: row.variant,
    seed: row.seed,
    settings: JSON.parse(row.settings_json) as PseudoMarginSettings,
    validation: JSON.parse(row.validation_json) as PseudoMarginValidation,
    createdAt: row.created_at,
  };
}
