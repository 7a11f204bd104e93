import { createHash } from 'node:crypto';
import { basename, isAbsolute, join, relative } from 'node:path';
import type { DatasetDetail, ImageFit, ImageFitInput } from '../../src-preload/contract.js';
import { resolveFit } from '../../src-preload/image-fit.js';
import { readDataset, type DatasetSamples } from '../engine/data/index.js';
import { UserError } from '../errors.js';
import { newId, type ProjectStore } from '../store/project-store.js';
import { refuseDuplicate, uniqueName } from './duplicates.js';

export interface DatasetImportOptions {
  name?: string;
  limit?: number;
  /** What the user picked, when `path` is a staging copy of it. */
  sourceName?: string;
  /** Import even when the project already holds the same samples and labels (same SHA-256). */
  allowDuplicate?: boolean;
  /** Image folders: how images of other sizes become samples; strict when left out. */
  fit?: ImageFitInput;
}

/** Decodes a dataset completely before writing, so that a bad file leaves the project untouched. */
export async function importDataset(store: ProjectStore, path: string, options: DatasetImportOptions = {}): Promise<DatasetDetail> {
  const fit = fitOf(options.fit);
  const samples = await readDataset(path, { limit: options.limit, fit });
  if (samples.count === 0) throw new UserError(`${basename(path)}: no samples to import`);
  const sourceName = options.sourceName ?? basename(path);
  if (samples.format !== 'image-folder' && fit.mode !== 'strict') {
    throw new UserError(`${sourceName}: a ${fit.mode} fit applies to image folders only, and this is ${samples.format}; import it without one`);
  }
  const sha256 = sha256Of(samples);
  refuseDuplicate('dataset', store.datasets.findBySha256(sha256), sourceName, options.allowDuplicate);
  const id = newId('d');
  store.datasets.insert({
    id,
    name: uniqueName(options.name ?? defaultName(sourceName), store.datasets.list().map((d) => d.name)),
    format: samples.format,
    sourceName,
    sha256,
    shape: samples.shape,
    dtype: samples.dtype,
    classNames: samples.classNames,
    classCounts: classCounts(samples),
    skipped: samples.skipped.map((s) => ({ ...s, file: relativeTo(path, s.file) })),
    fit: samples.format === 'image-folder' ? fit : null,
    data: samples.data,
    labels: samples.labels,
    labeled: samples.labeled,
  });
  return store.datasets.get(id);
}

function fitOf(input: ImageFitInput | undefined): ImageFit {
  try {
    return resolveFit(input ?? { mode: 'strict' });
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

/** `fmnist-test-1000-images-idx3-ubyte.gz` -> `fmnist-test-1000`; `pets` -> `pets`. */
function defaultName(sourceName: string): string {
  const stem = sourceName.replace(/\.gz$/, '').replace(/\.(npz|npy|bin)$/, '');
  return stem.replace(/[-_.]?(images[-_.]?)?idx[0-9][-_.]ubyte$/, '').replace(/[-_.]+$/, '') || stem;
}

/** Several picked files are named by what their names share: `cifar_x.npy` + `cifar_y.npy` -> `cifar_`. */
export function commonSourceName(paths: string[]): string {
  const names = paths.map((p) => basename(p));
  if (names.length === 1) return names[0];
  let prefix = names[0];
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.replace(/[-_.]*(images|labels)?[-_.]*$/, '') || names[0];
}

/** Skipped files are shown relative to the dataset, never with a temporary staging path. */
function relativeTo(root: string, file: string): string {
  const rel = relative(root, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? join(basename(root), rel) : basename(file);
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
  if (!samples.labeled) return [];
  let classes = samples.classNames?.length ?? 0;
  for (const label of samples.labels) classes = Math.max(classes, label + 1);
  const counts = new Array<number>(classes).fill(0);
  for (const label of samples.labels) counts[label]++;
  return counts;
}
