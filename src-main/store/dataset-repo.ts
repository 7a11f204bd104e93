import type { DatasetDetail, DatasetFormat, DatasetSummary, ImageFit } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { Sqlite } from './sqlite.js';

export interface NewDataset {
  id: string;
  name: string;
  format: DatasetFormat;
  sourceName: string;
  sha256: string;
  shape: [number, number, number];
  dtype: 'uint8' | 'float32';
  classNames: string[] | null;
  classCounts: number[];
  skipped: { file: string; reason: string }[];
  /** How an image folder's images were brought to one size; absent or null for other formats. */
  fit?: ImageFit | null;
  data: Uint8Array | Float32Array;
  labels: Int32Array;
  /** False: the labels are all -1 (engine/data's UNLABELED). Absent: labelled. */
  labeled?: boolean;
}

export interface SampleBlock {
  offset: number;
  count: number;
  shape: [number, number, number];
  dtype: 'uint8' | 'float32';
  data: Uint8Array | Float32Array;
  labels: Int32Array;
}

interface DatasetRow {
  id: string;
  name: string;
  format: DatasetFormat;
  source_name: string;
  sha256: string;
  count: number;
  channels: number;
  height: number;
  width: number;
  dtype: 'uint8' | 'float32';
  class_names_json: string | null;
  class_counts_json: string;
  skipped_json: string;
  fit_json: string | null;
  labeled: 0 | 1;
  created_at: string;
}

interface ChunkRow {
  first_index: number;
  count: number;
  pixels: Buffer;
  labels: Buffer;
}

/** About 4 MiB of pixels per chunk: small enough to stream, large enough to keep rows few. */
const CHUNK_BYTES = 4 << 20;

export class DatasetRepo {
  constructor(private readonly db: Sqlite) {}

  insert(dataset: NewDataset): void {
    const count = dataset.labels.length;
    const [c, h, w] = dataset.shape;
    const perSample = c * h * w;
    const samplesPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / (perSample * dataset.data.BYTES_PER_ELEMENT)));
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO datasets (id, name, format, source_name, sha256, count, channels, height, width, dtype,
             class_names_json, class_counts_json, skipped_json, fit_json, labeled, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          dataset.id,
          dataset.name,
          dataset.format,
          dataset.sourceName,
          dataset.sha256,
          count,
          c,
          h,
          w,
          dataset.dtype,
          dataset.classNames ? JSON.stringify(dataset.classNames) : null,
          JSON.stringify(dataset.classCounts),
          JSON.stringify(dataset.skipped),
          dataset.fit ? JSON.stringify(dataset.fit) : null,
          dataset.labeled === false ? 0 : 1,
          new Date().toISOString(),
        );
      const insertChunk = this.db.prepare(
        'INSERT INTO dataset_chunks (dataset_id, chunk, first_index, count, pixels, labels) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (let first = 0, chunk = 0; first < count; first += samplesPerChunk, chunk++) {
        const n = Math.min(samplesPerChunk, count - first);
        const pixels = dataset.data.subarray(first * perSample, (first + n) * perSample);
        const labels = dataset.labels.subarray(first, first + n);
        insertChunk.run(dataset.id, chunk, first, n, asBuffer(pixels), asBuffer(labels));
      }
    })();
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM datasets').get() as { n: number }).n;
  }

  list(): DatasetSummary[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY created_at, id').all() as DatasetRow[]).map(summary);
  }

  get(id: string): DatasetDetail {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
    if (!row) throw new UserError(`no dataset ${id} in this project`);
    return {
      ...summary(row),
      sourceName: row.source_name,
      sha256: row.sha256,
      dtype: row.dtype,
      classNames: row.class_names_json ? (JSON.parse(row.class_names_json) as string[]) : null,
      classCounts: JSON.parse(row.class_counts_json) as number[],
      skipped: JSON.parse(row.skipped_json) as { file: string; reason: string }[],
      fit: row.fit_json ? (JSON.parse(row.fit_json) as ImageFit) : null,
    };
  }

  /** The first dataset (by import) with these samples, to refuse importing the same samples twice. */
  findBySha256(sha256: string): DatasetSummary | null {
    const row = this.db.prepare('SELECT * FROM datasets WHERE sha256 = ? ORDER BY created_at, id LIMIT 1').get(sha256) as DatasetRow | undefined;
    return row ? summary(row) : null;
  }

  /** Reads samples [offset, offset + count) touching only the chunks that hold them. */
  read(id: string, offset: number, count: number): SampleBlock {
    const dataset = this.get(id);
    const end = Math.min(dataset.count, offset + count);
    const n = Math.max(0, end - offset);
    const perSample = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
    const data = dataset.dtype === 'uint8' ? new Uint8Array(n * perSample) : new Float32Array(n * perSample);
    const labels = new Int32Array(n);
    const rows = this.db
      .prepare(
        `SELECT first_index, count, pixels, labels FROM dataset_chunks
         WHERE dataset_id = ? AND first_index < ? AND first_index + count > ? ORDER BY chunk`,
      )
      .all(id, end, offset) as ChunkRow[];
    for (const row of rows) {
      const from = Math.max(offset, row.first_index);
      const to = Math.min(end, row.first_index + row.count);
      const chunkPixels = dataset.dtype === 'uint8' ? new Uint8Array(copyOf(row.pixels)) : new Float32Array(copyOf(row.pixels));
      const chunkLabels = new Int32Array(copyOf(row.labels));
      data.set(chunkPixels.subarray((from - row.first_index) * perSample, (to - row.first_index) * perSample), (from - offset) * perSample);
      labels.set(chunkLabels.subarray(from - row.first_index, to - row.first_index), from - offset);
    }
    return { offset, count: n, shape: dataset.shape, dtype: dataset.dtype, data, labels };
  }

  /** The stored chunk that holds sample `index`, for readers that stream in index order. */
  chunkContaining(id: string, index: number): { firstIndex: number; count: number; pixels: Uint8Array | Float32Array; labels: Int32Array } {
    const dtype = this.get(id).dtype;
    const row = this.db
      .prepare('SELECT first_index, count, pixels, labels FROM dataset_chunks WHERE dataset_id = ? AND first_index <= ? AND first_index + count > ?')
      .get(id, index, index) as ChunkRow | undefined;
    if (!row) throw new UserError(`dataset ${id} has no sample ${index}`);
    return {
      firstIndex: row.first_index,
      count: row.count,
      pixels: dtype === 'uint8' ? new Uint8Array(row.pixels.buffer, row.pixels.byteOffset, row.pixels.byteLength) : new Float32Array(alignedFor(row.pixels)),
      labels: new Int32Array(alignedFor(row.labels)),
    };
  }

  remove(id: string): void {
    const result = this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
    if (result.changes === 0) throw new UserError(`no dataset ${id} in this project`);
  }
}

function summary(row: DatasetRow): DatasetSummary {
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    count: row.count,
    shape: [row.channels, row.height, row.width],
    labeled: row.labeled === 1,
    createdAt: row.created_at,
  };
}

function asBuffer(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** The blob's own memory when the Buffer owns all of it (large blobs do), else an aligned copy. */
function alignedFor(buffer: Buffer): ArrayBuffer {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) return buffer.buffer as ArrayBuffer;
  return copyOf(buffer);
}

/** SQLite blobs arrive as Buffers that may be unaligned views into a pool; typed arrays need their own aligned copy. */
function copyOf(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}
