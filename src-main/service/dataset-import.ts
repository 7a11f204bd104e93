import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import type { DatasetDetail } from '../../src-preload/contract.js';
import { readDataset, type DatasetSamples } from '../engine/data/index.js';
import { UserError } from '../errors.js';
import { newId, type ProjectStore } from '../store/project-store.js';

export interface DatasetImportOptions {
  name?: string;
  limit?: number;
}

/** Decodes a dataset completely before writing, so that a bad file leaves the project untouched. */
export async function importDataset(store: ProjectStore, path: string, options: DatasetImportOptions = {}): Promise<DatasetDetail> {
  const samples = await readDataset(path, { limit: options.limit });
  if (samples.count === 0) throw new UserError(`${basename(path)}: no samples to import`);
  const id = newId('d');
  store.datasets.insert({
    id,
    name: options.name ?? defaultName(path),
    format: samples.format,
    sourceName: basename(path),
    sha256: sha256Of(samples),
    shape: samples.shape,
    dtype: samples.dtype,
    classNames: samples.classNames,
    classCounts: classCounts(samples),
    skipped: samples.skipped,
    data: samples.data,
    labels: samples.labels,
  });
  return store.datasets.get(id);
}

function defaultName(path: string): string {
  const stem = basename(path, extname(path)).replace(/\.(gz)$/, '');
  return stem.replace(/-?(images-)?idx[0-9]-ubyte$/, '') || stem;
}

/** The hash of what was decoded (shape, pixels, labels), so that the same samples hash alike whatever their file format. */
function sha256Of(samples: DatasetSamples): string {
  const hash = createHash('sha256');
  hash.update(`${samples.dtype}:${samples.shape.join('x')}:${samples.count}\n`);
  hash.update(new Uint8Array(samples.data.buffer, samples.data.byteOffset, samples.data.byteLength));
  hash.update(new Uint8Array(samples.labels.buffer, samples.labels.byteOffset, samples.labels.byteLength));
  return hash.digest('hex');
}

function classCounts(samples: DatasetSamples): number[] {
  let classes = samples.classNames?.length ?? 0;
  for (const label of samples.labels) classes = Math.max(classes, label + 1);
  const counts = new Array<number>(classes).fill(0);
  for (const label of samples.labels) counts[label]++;
  return counts;
}
