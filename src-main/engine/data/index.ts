// Dataset readers: each format is a module with match() and open(), tried in order (as Netron does for model formats).
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import * as cifar from './cifar.js';
import { DatasetFormatError, formatError } from './errors.js';
import { readFolder, readHead } from './files.js';
import * as idx from './idx.js';
import * as imageFolder from './image-folder.js';
import * as npy from './npy.js';
import * as npz from './npz.js';
import type { ImageFolderSurvey } from '../../../src-preload/contract.js';
import type { DatasetReader, DatasetSamples, Probe, ReadOptions } from './types.js';

export type { DatasetFormat, DatasetSamples } from './types.js';
export { DatasetFormatError } from './errors.js';

/** Order matters where guesses overlap: a .bin is CIFAR before its first bytes can pass for IDX, and class folders come last. */
const FOLDER_READERS: DatasetReader[] = [idx, cifar, npy, imageFolder];
const FILE_READERS: DatasetReader[] = [npy, npz, cifar, idx];
const HEAD_SIZE = 16;

export async function readDataset(path: string, options: ReadOptions = {}): Promise<DatasetSamples> {
  const { limit, fit, signal } = options;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) {
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }
  try {
    const probe = await probeOf(resolve(path));
    if (!probe.stat.isDirectory() && probe.stat.size === 0) throw formatError(probe.path, 'empty file');
    const reader = (probe.stat.isDirectory() ? FOLDER_READERS : FILE_READERS).find((candidate) => candidate.match(probe));
    if (reader === undefined) {
      throw formatError(probe.path, 'unrecognised dataset: expected IDX, CIFAR binary, .npy/.npz or an image folder');
    }
    return await reader.open(probe, { limit, fit, signal });
  } catch (error) {
    throw asDatasetError(error, path);
  }
}

/** An image folder's sizes from its headers (to choose a fit before import); null for any other dataset. */
export async function surveyImageFolder(path: string): Promise<ImageFolderSurvey | null> {
  try {
    const probe = await probeOf(resolve(path));
    // The reader import would pick: a folder of IDX or .npy files with a stray sub-folder is not an image folder.
    const reader = probe.stat.isDirectory() ? FOLDER_READERS.find((candidate) => candidate.match(probe)) : undefined;
    return reader === imageFolder ? await imageFolder.surveySizes(probe) : null;
  } catch (error) {
    throw asDatasetError(error, path);
  }
}

async function probeOf(path: string): Promise<Probe> {
  const stats = await stat(path);
  const isDirectory = stats.isDirectory();
  return {
    path,
    name: basename(path),
    stat: stats,
    entries: isDirectory ? await readFolder(path) : [],
    head: isDirectory ? new Uint8Array(0) : await readHead(path, HEAD_SIZE),
  };
}

const PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** File-system failures become the same one-line error as bad content, so callers have one thing to catch and show. */
function asDatasetError(error: unknown, path: string): unknown {
  if (error instanceof DatasetFormatError) return error;
  const failure = error as NodeJS.ErrnoException;
  if (typeof failure?.code !== 'string' || !failure.code.startsWith('E')) return error;
  const file = failure.path ?? path;
  return formatError(file, PROBLEMS[failure.code] ?? `cannot read (${failure.code})`, error);
}
