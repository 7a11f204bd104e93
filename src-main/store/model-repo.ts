import { createHash } from 'node:crypto';
import type { ModelAnalysis, ModelDetail, ModelReading, ModelSummary, Preprocessing } from '../../src-preload/contract.js';
import type { ExternalDataReader } from '../engine/onnx/external.js';
import type { ModelInfo } from '../engine/onnx/inspect.js';
import { asTheFileSays, modelReading, type ReadingSettings } from '../engine/onnx/reading.js';
import { UserError } from '../errors.js';
import type { Sqlite } from './sqlite.js';

export interface NewModel {
  id: string;
  name: string;
  fileName: string;
  sha256: string;
  info: ModelInfo;
  preprocessing: Preprocessing;
  /** Whether the preprocessing was given (not Brink's guess); false when absent. */
  preprocessingConfirmed?: boolean;
  labels: string[] | null;
  analysis: ModelAnalysis;
  /** How Brink reads the model: image input, layout, logits, batch; absent: read as the file says until the project reopens. */
  reading?: ReadingSettings;
  bytes: Uint8Array;
  /** The files its external data tensors point to; stored in the same transaction. */
  externalFiles?: NewExternalFile[];
}

/** An external data file to store, read in pieces of the size the store asks for. */
export interface NewExternalFile {
  /** The normalised location the model names (engine/onnx/external.ts). */
  path: string;
  size: number;
  chunks(chunkBytes: number): Iterable<Uint8Array>;
}

/** A stored external data file, handed back chunk by chunk so no file is held whole. */
export interface StoredExternalFile {
  path: string;
  size: number;
  sha256: string;
  chunks(): Iterable<Buffer>;
}

/** Far below SQLite's 1 GB blob limit; a 2 GB file is 32 rows. */
export const EXTERNAL_CHUNK_BYTES = 64 * 2 ** 20;

interface ModelRow {
  id: string;
  name: string;
  file_name: string;
  sha256: string;
  byte_size: number;
  info_json: string;
  preprocessing_json: string;
  preprocessing_confirmed: number;
  labels_json: string | null;
  analysis_json: string | null;
  reading_json: string | null;
  created_at: string;
}

export class ModelRepo {
  constructor(private readonly db: Sqlite) {}

  insert(model: NewModel): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO models (id, name, file_name, sha256, byte_size, info_json, preprocessing_json, preprocessing_confirmed, labels_json, analysis_json, reading_json, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          model.id,
          model.name,
          model.fileName,
          model.sha256,
          model.bytes.byteLength + (model.externalFiles ?? []).reduce((sum, f) => sum + f.size, 0),
          JSON.stringify(model.info),
          JSON.stringify(model.preprocessing),
          model.preprocessingConfirmed ? 1 : 0,
          model.labels ? JSON.stringify(model.labels) : null,
          JSON.stringify(model.analysis),
          model.reading ? JSON.stringify(model.reading) : null,
          new Date().toISOString(),
        );
      this.db.prepare('INSERT INTO model_files (model_id, bytes) VALUES (?, ?)').run(model.id, asBuffer(model.bytes));
      for (const file of model.externalFiles ?? []) this.insertExternalFile(model.id, file);
    })();
  }

  private insertExternalFile(id: string, file: NewExternalFile): void {
    this.db
      .prepare('INSERT INTO model_external_files (model_id, location, byte_size, chunk_bytes, sha256) VALUES (?, ?, ?, ?, ?)')
      .run(id, file.path, file.size, EXTERNAL_CHUNK_BYTES, '');
    const insert = this.db.prepare('INSERT INTO model_external_chunks (model_id, location, chunk, bytes) VALUES (?, ?, ?, ?)');
    const hash = createHash('sha256');
    let stored = 0;
    let index = 0;
    for (const chunk of file.chunks(EXTERNAL_CHUNK_BYTES)) {
      insert.run(id, file.path, index++, asBuffer(chunk));
      hash.update(chunk);
      stored += chunk.byteLength;
    }
    if (stored !== file.size) throw new UserError(`${file.path}: read ${stored} of its ${file.size} bytes; the file changed during the import`);
    this.db.prepare('UPDATE model_external_files SET sha256 = ? WHERE model_id = ? AND location = ?').run(hash.digest('hex'), id, file.path);
  }

  /** The model's external data files; empty for a model that keeps its weights inside the .onnx. */
  externalFiles(id: string): StoredExternalFile[] {
    const rows = this.db
      .prepare('SELECT location, byte_size, sha256 FROM model_external_files WHERE model_id = ? ORDER BY location')
      .all(id) as { location: string; byte_size: number; sha256: string }[];
    const select = this.db.prepare('SELECT bytes FROM model_external_chunks WHERE model_id = ? AND location = ? AND chunk = ?').pluck();
    return rows.map((row) => ({
      path: row.location,
      size: row.byte_size,
      sha256: row.sha256,
      // One row at a time, with no statement left open between them.
      *chunks() {
        for (let chunk = 0; ; chunk++) {
          const bytes = select.get(id, row.location, chunk) as Buffer | undefined;
          if (!bytes) return;
          yield bytes;
        }
      },
    }));
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM models').get() as { n: number }).n;
  }

  list(): ModelSummary[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY created_at, id').all() as ModelRow[]).map((row) => summary(row));
  }

  get(id: string): ModelDetail {
    const row = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    if (!row) throw new UserError(`no model ${id} in this project`);
    return detail(row);
  }

  findBySha256(sha256: string): ModelSummary | null {
    const row = this.db.prepare('SELECT * FROM models WHERE sha256 = ? LIMIT 1').get(sha256) as ModelRow | undefined;
    return row ? summary(row) : null;
  }

  bytes(id: string): Buffer {
    const row = this.db.prepare('SELECT bytes FROM model_files WHERE model_id = ?').get(id) as { bytes: Buffer } | undefined;
    if (!row) throw new UserError(`no model ${id} in this project`);
    return row.bytes;
  }

  update(id: string, changes: { name?: string; preprocessing?: Preprocessing; labels?: string[] | null }): void {
    this.get(id);
    this.db.transaction(() => {
      if (changes.name !== undefined) this.db.prepare('UPDATE models SET name = ? WHERE id = ?').run(changes.name, id);
      // Whoever gives the preprocessing, changed or not, confirms it.
      if (changes.preprocessing !== undefined)
        this.db.prepare('UPDATE models SET preprocessing_json = ?, preprocessing_confirmed = 1 WHERE id = ?').run(JSON.stringify(changes.preprocessing), id);
      if (changes.labels !== undefined)
        this.db.prepare('UPDATE models SET labels_json = ? WHERE id = ?').run(changes.labels ? JSON.stringify(changes.labels) : null, id);
    })();
  }

  setAnalysis(id: string, analysis: ModelAnalysis): void {
    this.db.prepare('UPDATE models SET analysis_json = ? WHERE id = ?').run(JSON.stringify(analysis), id);
  }

  /** Models imported before Brink recorded how it reads them, or analysed before zero-gradient ops were found. */
  unread(): string[] {
    return this.db
      .prepare("SELECT id FROM models WHERE reading_json IS NULL OR analysis_json IS NULL OR json_type(analysis_json, '$.zeroGradientOps') IS NULL")
      .pluck()
      .all() as string[];
  }

  /** The stored reading settings; null for a model imported before Brink recorded them. */
  readingSettings(id: string): ReadingSettings | null {
    const json = this.db.prepare('SELECT reading_json FROM models WHERE id = ?').pluck().get(id) as string | null | undefined;
    if (json === undefined) throw new UserError(`no model ${id} in this project`);
    return json ? (JSON.parse(json) as ReadingSettings) : null;
  }

  /** A new reading and the analysis made with it, together. */
  setReading(id: string, reading: ReadingSettings, analysis: ModelAnalysis): void {
    this.db.prepare('UPDATE models SET reading_json = ?, analysis_json = ? WHERE id = ?').run(JSON.stringify(reading), JSON.stringify(analysis), id);
  }

  /**
   * Reads byte ranges of the model's stored external data files from their chunks, for weight
   * values the analysis needs (the head), without writing the files anywhere.
   */
  externalReader(id: string): ExternalDataReader {
    const select = this.db.prepare('SELECT bytes FROM model_external_chunks WHERE model_id = ? AND location = ? AND chunk = ?').pluck();
    const chunkBytes = this.db.prepare('SELECT chunk_bytes FROM model_external_files WHERE model_id = ? AND location = ?').pluck();
    return (ref) => {
      const size = chunkBytes.get(id, ref.path) as number | undefined;
      if (size === undefined) throw new UserError(`external data file '${ref.path}' is not stored with this model; import the model again`);
      const out = new Uint8Array(ref.length);
      for (let at = 0; at < ref.length; ) {
        const position = ref.offset + at;
        const chunk = select.get(id, ref.path, Math.floor(position / size)) as Buffer | undefined;
        const from = position % size;
        if (!chunk || chunk.byteLength <= from) throw new UserError(`external data file '${ref.path}' is shorter than tensor '${ref.tensor}' needs`);
        const take = Math.min(chunk.byteLength - from, ref.length - at);
        out.set(chunk.subarray(from, from + take), at);
        at += take;
      }
      return out;
    };
  }

  remove(id: string): void {
    const result = this.db.prepare('DELETE FROM models WHERE id = ?').run(id);
    if (result.changes === 0) throw new UserError(`no model ${id} in this project`);
  }
}

function summary(row: ModelRow): ModelSummary {
  const info = JSON.parse(row.info_json) as ModelInfo;
  const outShape = info.outputs[0]?.shape ?? null;
  const classes = outShape?.[outShape.length - 1];
  const head = row.analysis_json ? (JSON.parse(row.analysis_json) as ModelAnalysis).head : null;
  return {
    id: row.id,
    name: row.name,
    fileName: row.file_name,
    byteSize: row.byte_size,
    // What Brink feeds: the image input, in NCHW, with its batch axis as Brink runs it.
    inputShape: reading(row, info).feedShape,
    // An output whose class axis is symbolic (a Reshape to [-1, 10]) still has the head's classes.
    classCount: typeof classes === 'number' ? classes : (head?.classes ?? null),
    createdAt: row.created_at,
    preprocessingConfirmed: row.preprocessing_confirmed === 1,
  };
}

function detail(row: ModelRow): ModelDetail {
  const info = JSON.parse(row.info_json) as ModelInfo;
  return {
    ...summary(row),
    sha256: row.sha256,
    irVersion: info.irVersion,
    opsets: info.opsets,
    producer: info.producer,
    inputs: info.inputs,
    outputs: info.outputs,
    opHistogram: info.opHistogram,
    nodeCount: info.nodeCount,
    parameterCount: info.parameterCount,
    preprocessing: JSON.parse(row.preprocessing_json) as Preprocessing,
    labels: row.labels_json ? (JSON.parse(row.labels_json) as string[]) : null,
    analysis: row.analysis_json ? (JSON.parse(row.analysis_json) as ModelAnalysis) : null,
    reading: reading(row, info),
  };
}

/** A model imported before Brink recorded its reading is read as Brink read it then, until the project reopens. */
function reading(row: ModelRow, info: ModelInfo): ModelReading {
  const stored = row.reading_json ? (JSON.parse(row.reading_json) as ReadingSettings) : null;
  return modelReading(stored ?? asTheFileSays(info.inputs), info.inputs);
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
