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
  const samples = await readSamples(path, { limit: options.limit, fit, sourceName: options.sourceName });
  const sourceName = options.sourceName ?? basename(path);
  const sha256 = sha256Of(samples);
  refuseDuplicate('dataset', store.datasets.findBySha256(sha256), sourceName, options.allowDuplicate);
  return storeSamples(store, samples, { sha256, sourceName, name: options.name, fit, skipped: samples.skipped.map((s) => ({ ...s, file: relativeTo(path, s.file) })) });
}

/** A dataset file or folder decoded whole, refused when it holds nothing or was given a fit it cannot take. */
export async function readSamples(path: string, options: { limit?: number; fit: ImageFit; sourceName?: string; signal?: AbortSignal }): Promise<DatasetSamples> {
  const { fit } = options;
  const samples = await readDataset(path, { limit: options.limit, fit, signal: options.signal });
  if (samples.count === 0) throw new UserError(`${basename(path)}: no samples to import`);
  const sourceName = options.sourceName ?? basename(path);
  if (samples.format !== 'image-folder' && fit.mode !== 'strict') {
    throw new UserError(`${sourceName}: a ${fit.mode} fit applies to image folders only, and this is ${samples.format}; import it without one`);
  }
  return samples;
}

/** Writes decoded samples as a new dataset of the project. */
export function storeSamples(
  store: ProjectStore,
  samples: Omit<DatasetSamples, 'sourceFiles' | 'skipped'>,
  options: { sha256: string; sourceName: string; name?: string; fit: ImageFit; skipped: { file: string; reason: string }[] },
): DatasetDetail {
  const id = newId('d');
  store.datasets.insert({
    id,
    name: uniqueName(options.name ?? defaultName(options.sourceName), store.datasets.list().map((d) => d.name)),
    format: samples.format,
    sourceName: options.sourceName,
    sha256: options.sha256,
    shape: samples.shape,
    dtype: samples.dtype,
    classNames: samples.classNames,
    classCounts: classCounts(samples),
    skipped: options.skipped,
    fit: samples.format === 'image-folder' ? options.fit : null,
    data: samples.data,
    labels: samples.labels,
    labeled: samples.labeled,
  });
  return store.datasets.get(id);
}

export function fitOf(input: ImageFitInput | undefined): ImageFit {
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
export function sha256Of(samples: Pick<DatasetSamples, 'dtype' | 'shape' | 'count' | 'data' | 'labels'>): string {
  const hash = createHash('sha256');
  hash.update(`${samples.dtype}:${samples.shape.join('x')}:${samples.count}\n`);
  hash.update(new Uint8Array(samples.data.buffer, samples.data.byteOffset, samples.data.byteLength));
  hash.update(new Uint8Array(samples.labels.buffer, samples.labels.byteOffset, samples.labels.byteLength));
  return hash.digest('hex');
}

function classCounts(samples: Pick<DatasetSamples, 'labeled' | 'classNames' | 'labels'>): number[] {
  if (!samples.labeled) return [];
  let classes = samples.classNames?.length ?? 0;
  for (const label of samples.labels) classes = Math.max(classes, label + 1);
  const counts = new Array<number>(classes).fill(0);
  for (const label of samples.labels) counts[label]++;
  return counts;
}
