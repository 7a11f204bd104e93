// A pair of .npy files, images and labels, as people save them with np.save; or images alone, unlabeled.
import { open as openFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatError } from './errors.js';
import { extensionOf, findFile, readFolder, readFully } from './files.js';
import { checkComplete, hasNpyMagic, npyDataOffset, NPY_PREFIX_SIZE, parseNpyHeader, type NpyHeader } from './npy-array.js';
import { decodeImages, decodeLabels, imageBytes, labelBytes, planSamples } from './numpy-samples.js';
import type { DatasetSamples, FolderEntry, Probe, ReadOptions } from './types.js';

/** Suffix pairs tried in order: `<stem>x.npy`/`<stem>y.npy` (which covers `<stem>_x`) and `<stem>images`/`<stem>labels`. */
const SUFFIXES: [string, string][] = [
  ['x', 'y'],
  ['images', 'labels'],
];

export function match(probe: Probe): boolean {
  if (probe.stat.isDirectory()) return folderPair(probe) !== null;
  return extensionOf(probe.name) === '.npy' || hasNpyMagic(probe.head);
}

interface Arrays {
  xPath: string;
  /** Null: the images have no labels. */
  yPath: string | null;
}

/**
 * A folder is a pair when it holds x.npy and y.npy, or exactly two .npy files named as a pair (an
 * upload of the two); a folder of one .npy file holds unlabeled images.
 */
function folderPair(probe: Probe): Arrays | null {
  const x = findFile(probe.entries, 'x.npy');
  const y = findFile(probe.entries, 'y.npy');
  if (x !== null && y !== null) return { xPath: join(probe.path, x), yPath: join(probe.path, y) };
  const arrays = probe.entries.filter((entry) => extensionOf(entry.name) === '.npy');
  if (arrays.length === 1) return { xPath: join(probe.path, arrays[0].name), yPath: null };
  if (arrays.length !== 2) return null;
  try {
    return pairFor(join(probe.path, arrays[0].name), probe.entries);
  } catch {
    return null;
  }
}

export async function open(probe: Probe, options: ReadOptions): Promise<DatasetSamples> {
  const { xPath, yPath } = probe.stat.isDirectory()
    ? (folderPair(probe) as Arrays)
    : pairFor(probe.path, await readFolder(dirname(probe.path)));
  const where = { x: basename(xPath), y: yPath === null ? '' : basename(yPath) };
  const [x, y] = await Promise.all([readHeader(xPath), yPath === null ? null : readHeader(yPath)]);
  const plan = planSamples(x, y, where, options.limit);
  const [xBytes, yBytes] = await Promise.all([
    readData(xPath, x, imageBytes(plan)),
    yPath === null || y === null ? new Uint8Array(0) : readData(yPath, y, labelBytes(plan)),
  ]);
  return {
    format: 'npy',
    count: plan.count,
    shape: plan.shape,
    dtype: plan.x.dtype.kind === 'u' ? 'uint8' : 'float32',
    data: decodeImages(plan, xBytes),
    labels: decodeLabels(plan, yBytes, where.y),
    classNames: null,
    labeled: yPath !== null,
    sourceFiles: yPath === null ? [xPath] : [xPath, yPath],
    skipped: [],
  };
}

/**
 * Given either file of a pair, finds the other one beside it. A file named as images whose labels
 * are not beside it, or one not named as either half of a pair, holds unlabeled images.
 */
function pairFor(path: string, siblings: FolderEntry[]): Arrays {
  const name = basename(path);
  const stem = extensionOf(name) === '.npy' ? name.slice(0, -'.npy'.length) : '';
  const tried: string[] = [];
  for (const [xSuffix, ySuffix] of SUFFIXES) {
    for (const [own, other, isX] of [[xSuffix, ySuffix, true], [ySuffix, xSuffix, false]] as const) {
      if (!stem.toLowerCase().endsWith(own)) continue;
      const wanted = `${stem.slice(0, stem.length - own.length)}${other}.npy`;
      const found = findFile(siblings, wanted);
      if (found === null) {
        if (!isX) tried.push(wanted);
        continue;
      }
      const partner = join(dirname(path), found);
      return isX ? { xPath: path, yPath: partner } : { xPath: partner, yPath: path };
    }
  }
  if (tried.length > 0) throw formatError(path, `these are labels, and their images are not beside them (looked for ${tried.join(', ')})`);
  return { xPath: path, yPath: null };
}

async function readHeader(path: string): Promise<NpyHeader> {
  const handle = await openFile(path, 'r');
  try {
    const prefix = new Uint8Array(NPY_PREFIX_SIZE);
    const header = new Uint8Array(npyDataOffset(prefix.subarray(0, await readFully(handle, prefix, 0)), basename(path)));
    const parsed = parseNpyHeader(header.subarray(0, await readFully(handle, header, 0)), basename(path));
    const { size } = await handle.stat();
    checkComplete(parsed, size - parsed.dataOffset, basename(path));
    return parsed;
  } finally {
    await handle.close();
  }
}

/** Reads only the bytes the kept samples need, which is what makes `limit` cheap on a large x.npy. */
async function readData(path: string, header: NpyHeader, length: number): Promise<Uint8Array> {
  const handle = await openFile(path, 'r');
  try {
    const bytes = new Uint8Array(length);
    if ((await readFully(handle, bytes, header.dataOffset)) < length) {
      throw formatError(path, 'truncated: the file shrank while it was being read');
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
