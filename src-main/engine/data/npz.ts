// An .npz archive (np.savez / np.savez_compressed) holding the images and labels arrays, or the images alone (unlabeled).
import { readFile } from 'node:fs/promises';
import { unzipSync, type UnzipFileInfo } from 'fflate';
import { firstLine, formatError } from './errors.js';
import { extensionOf } from './files.js';
import { checkComplete, parseNpyHeader } from './npy-array.js';
import { decodeImages, decodeLabels, planSamples } from './numpy-samples.js';
import type { DatasetSamples, Probe, ReadOptions } from './types.js';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const MAX_DEFLATE_RATIO = 1032;

/** Array-name pairs in order of preference; the keras.datasets splits count only when one of them is there. */
const PLAIN_PAIRS: [string, string][] = [
  ['x', 'y'],
  ['X', 'Y'],
];
const SPLIT_PAIRS: [string, string][] = [
  ['x_train', 'y_train'],
  ['x_test', 'y_test'],
];
/** An archive of one of these arrays alone holds unlabeled images. */
const IMAGES_ALONE = ['x', 'X'];

export function match(probe: Probe): boolean {
  if (probe.stat.isDirectory()) return false;
  return extensionOf(probe.name) === '.npz' || ZIP_MAGIC.every((byte, i) => probe.head[i] === byte);
}

export async function open(probe: Probe, options: ReadOptions): Promise<DatasetSamples> {
  const { names, x, y } = await extractPair(probe.path);
  const where = { x: `${probe.name} (${names.x})`, y: `${probe.name} (${names.y})` };
  const xHeader = parseNpyHeader(x, where.x);
  checkComplete(xHeader, x.length - xHeader.dataOffset, where.x);
  const yHeader = y === null ? null : parseNpyHeader(y, where.y);
  if (y !== null && yHeader !== null) checkComplete(yHeader, y.length - yHeader.dataOffset, where.y);
  const plan = planSamples(xHeader, yHeader, where, options.limit);
  return {
    format: 'npz',
    count: plan.count,
    shape: plan.shape,
    dtype: xHeader.dtype.kind === 'u' ? 'uint8' : 'float32',
    data: decodeImages(plan, x.subarray(xHeader.dataOffset)),
    labels: decodeLabels(plan, y === null || yHeader === null ? new Uint8Array(0) : y.subarray(yHeader.dataOffset), where.y),
    classNames: null,
    labeled: y !== null,
    sourceFiles: [probe.path],
    skipped: [],
  };
}

/** Inflates only the two chosen entries; the archive buffer is dropped when this returns. */
async function extractPair(path: string): Promise<{ names: { x: string; y: string | null }; x: Uint8Array; y: Uint8Array | null }> {
  const archive = await readFile(path);
  const entries: UnzipFileInfo[] = [];
  unzip(path, archive, (entry) => {
    entries.push(entry);
    return false;
  });
  const arrays = entries.filter(({ name }) => name.toLowerCase().endsWith('.npy')).map(({ name }) => name.slice(0, -4));
  const [xName, yName] = choosePair(path, arrays);
  const names = { x: `${xName}.npy`, y: yName === null ? null : `${yName}.npy` };
  const wanted = ({ name }: UnzipFileInfo): boolean => name === names.x || name === names.y;
  for (const entry of entries.filter(wanted)) checkClaimedSize(path, entry);
  const files = unzip(path, archive, wanted);
  return { names, x: files[names.x], y: names.y === null ? null : files[names.y] };
}

/** fflate allocates what the directory claims before inflating; deflate cannot expand beyond ~1032:1. */
function checkClaimedSize(path: string, entry: UnzipFileInfo): void {
  const limit = entry.compression === 0 ? entry.size : entry.size * MAX_DEFLATE_RATIO + 1024;
  if (entry.originalSize > limit) {
    throw formatError(path, `corrupt archive: ${entry.name} claims ${entry.originalSize} bytes from ${entry.size} stored`);
  }
}

function unzip(path: string, archive: Uint8Array, keep: (entry: UnzipFileInfo) => boolean): Record<string, Uint8Array> {
  try {
    return unzipSync(archive, { filter: keep });
  } catch (error) {
    throw formatError(path, `not a readable .npz (zip) archive (${firstLine(error)})`, error);
  }
}

/** The images and labels arrays; null labels for images alone. */
function choosePair(path: string, arrays: string[]): [string, string | null] {
  if (arrays.length === 1 && IMAGES_ALONE.includes(arrays[0])) return [arrays[0], null];
  const has = ([x, y]: [string, string]): boolean => arrays.includes(x) && arrays.includes(y);
  const plain = PLAIN_PAIRS.find(has);
  if (plain) return plain;
  const splits = SPLIT_PAIRS.filter(has);
  if (splits.length === 1) return splits[0];
  if (splits.length > 1) {
    throw formatError(path, 'holds both x_train/y_train and x_test/y_test; save the split to audit as x and y');
  }
  const found = arrays.length === 0 ? 'none' : arrays.join(', ');
  throw formatError(path, `expected arrays x and y (or X/Y, x_train/y_train, x_test/y_test), or x alone for unlabeled images, found: ${found}`);
}
