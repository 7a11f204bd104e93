// IDX files (MNIST, Fashion-MNIST, EMNIST): http://yann.lecun.com/exdb/mnist/ describes the format.
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ByteStream, isGzip } from './byte-stream.js';
import { formatError } from './errors.js';
import { findFile, readFolder } from './files.js';
import { hwcToChw } from './layout.js';
import type { DatasetSamples, FolderEntry, Probe, ReadOptions } from './types.js';

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};
const UNSIGNED_BYTE = 0x08;
const CHUNK_SAMPLES = 1024;
const MAX_DEFLATE_RATIO = 1032;

export function match(probe: Probe): boolean {
  if (probe.stat.isDirectory()) return probe.entries.some((entry) => !entry.isDirectory && isImagesName(entry.name));
  // A gzipped file can only be IDX among the formats we read; its magic is checked once decompressed.
  return /idx\d|ubyte/i.test(probe.name) || hasIdxMagic(probe.head) || isGzip(probe.head);
}

export async function open(probe: Probe, options: ReadOptions): Promise<DatasetSamples> {
  const { imagesPath, labelsPath } = await locatePair(probe);
  // The labels' count, from their header, is checked against the images' before the images are
  // allocated: a gzip that inflates to a plausible size then costs nothing when the pair disagrees.
  const labelTotal = await labelsHeaderCount(labelsPath);
  const images = await readImages(imagesPath, options.limit, (total) => {
    if (labelTotal !== null && labelTotal !== total) throw formatError(labelsPath, `${labelTotal} labels for ${total} images in ${basename(imagesPath)}`);
  });
  const labels = await readLabels(labelsPath, imagesPath, images.total, images.count);
  return {
    format: 'idx',
    count: images.count,
    shape: images.shape,
    dtype: 'uint8',
    data: images.data,
    labels,
    classNames: null,
    labeled: true,
    sourceFiles: [imagesPath, labelsPath],
    skipped: [],
  };
}

/** t10k-images-idx3-ubyte.gz -> t10k-labels-idx1-ubyte.gz, the naming every MNIST-like release uses. */
export function labelsNameFor(imagesName: string): string | null {
  if (!/images/i.test(imagesName)) return null;
  return imagesName.replace(/images/gi, 'labels').replace(/idx[34]/gi, 'idx1');
}

function isImagesName(name: string): boolean {
  return /images/i.test(name) && /idx[34]/i.test(name);
}

function hasIdxMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] in TYPE_NAMES && head[3] >= 1 && head[3] <= 4;
}

async function locatePair(probe: Probe): Promise<{ imagesPath: string; labelsPath: string }> {
  if (probe.stat.isDirectory()) {
    const candidates = probe.entries.filter((entry) => !entry.isDirectory && isImagesName(entry.name));
    if (candidates.length !== 1) {
      const names = candidates.map((entry) => entry.name).join(', ');
      throw formatError(probe.path, `holds ${candidates.length} IDX image files (${names}); pass one of them`);
    }
    return pairFor(join(probe.path, candidates[0].name), probe.entries);
  }
  return pairFor(probe.path, await readFolder(dirname(probe.path)));
}

function pairFor(imagesPath: string, siblings: FolderEntry[]): { imagesPath: string; labelsPath: string } {
  const wanted = labelsNameFor(basename(imagesPath));
  if (wanted === null) {
    throw formatError(imagesPath, "cannot find the labels file: the name has no 'images' part to replace with 'labels'");
  }
  // Releases are mixed: some ship gzipped images beside plain labels or the other way round.
  const alternative = wanted.toLowerCase().endsWith('.gz') ? wanted.slice(0, -3) : `${wanted}.gz`;
  const found = findFile(siblings, wanted) ?? findFile(siblings, alternative);
  if (found === null) throw formatError(imagesPath, `labels file ${wanted} not found beside it`);
  return { imagesPath, labelsPath: join(dirname(imagesPath), found) };
}

interface IdxImages {
  total: number;
  count: number;
  shape: [number, number, number];
  data: Uint8Array;
}

async function readImages(path: string, limit: number | undefined, checkTotal: (total: number) => void): Promise<IdxImages> {
  const stream = await ByteStream.open(path);
  try {
    const dims = await readHeader(stream, path);
    if (dims.length !== 3 && dims.length !== 4) {
      const hint = dims.length === 1 ? ' (is this the labels file?)' : '';
      throw formatError(path, `expected images with dimensions N,H,W or N,H,W,C, found ${dims.length} dimension(s)${hint}`);
    }
    const [total, height, width, channels = 1] = dims;
    if ((channels !== 1 && channels !== 3) || height === 0 || width === 0) {
      throw formatError(path, `expected images of at least 1x1 pixels with 1 or 3 channels, found ${dims.join('x')}`);
    }
    const shape: [number, number, number] = [channels, height, width];
    const count = limit === undefined ? total : Math.min(total, limit);
    await checkFileSize(stream, path, 4 + 4 * dims.length, total * sampleSize(shape), dims);
    checkTotal(total);
    const data = new Uint8Array(count * sampleSize(shape));
    const got = channels === 1 ? await stream.readInto(data) : await readTransposed(stream, data, shape);
    if (got < data.length) throw truncated(path, dims, got);
    return { total, count, shape, data };
  } finally {
    stream.close();
  }
}

async function readTransposed(stream: ByteStream, target: Uint8Array, shape: [number, number, number]): Promise<number> {
  const size = sampleSize(shape);
  const scratch = new Uint8Array(Math.min(CHUNK_SAMPLES, target.length / size) * size);
  let filled = 0;
  while (filled < target.length) {
    const chunk = scratch.subarray(0, Math.min(scratch.length, target.length - filled));
    const got = await stream.readInto(chunk);
    hwcToChw(chunk.subarray(0, got), target, filled / size, shape);
    filled += got;
    if (got < chunk.length) break;
  }
  return filled;
}

async function readLabels(path: string, imagesPath: string, imageCount: number, count: number): Promise<Int32Array> {
  const stream = await ByteStream.open(path);
  try {
    const dims = await readHeader(stream, path);
    if (dims.length !== 1) {
      throw formatError(path, `expected labels with 1 dimension, found ${dims.length} (is this an images file?)`);
    }
    if (dims[0] !== imageCount) {
      throw formatError(path, `${dims[0]} labels for ${imageCount} images in ${basename(imagesPath)}`);
    }
    await checkFileSize(stream, path, 8, dims[0], dims);
    const bytes = await stream.read(count);
    if (bytes.length < count) throw truncated(path, dims, bytes.length);
    return Int32Array.from(bytes);
  } finally {
    stream.close();
  }
}

/** The count a labels file declares, or null when its header is not a labels header (readLabels then says what is wrong). */
async function labelsHeaderCount(path: string): Promise<number | null> {
  const stream = await ByteStream.open(path).catch(() => null);
  if (!stream) return null;
  try {
    const dims = await readHeader(stream, path);
    return dims.length === 1 ? dims[0] : null;
  } catch {
    return null;
  } finally {
    stream.close();
  }
}

/** Reads the magic and the big-endian dimension sizes. */
async function readHeader(stream: ByteStream, path: string): Promise<number[]> {
  const magic = await stream.read(4);
  if (!hasIdxMagic(magic)) {
    const hex = Array.from(magic, (byte) => byte.toString(16).padStart(2, '0')).join('');
    throw formatError(path, magic.length === 0 ? 'empty file' : `not an IDX file (magic 0x${hex})`);
  }
  const type = magic[2];
  if (type !== UNSIGNED_BYTE) {
    const found = `0x${type.toString(16).padStart(2, '0')} (${TYPE_NAMES[type]})`;
    throw formatError(path, `only unsigned-byte IDX data (type 0x08) is supported, found type ${found}`);
  }
  const rank = magic[3];
  const bytes = await stream.read(4 * rank);
  if (bytes.length < 4 * rank) throw formatError(path, `truncated header: ${rank} dimension sizes expected`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: rank }, (_, i) => view.getUint32(4 * i, false));
}

/**
 * The file size tells truncation before anything is allocated, even when `limit` stops the read early.
 * A gzipped file only bounds its content (deflate expands at most ~1032:1), which still stops absurd dimensions.
 */
async function checkFileSize(
  stream: ByteStream,
  path: string,
  headerSize: number,
  bodySize: number,
  dims: number[],
): Promise<void> {
  const { size } = await stat(path);
  if (!stream.compressed && size - headerSize < bodySize) throw truncated(path, dims, size - headerSize);
  if (stream.compressed && size * MAX_DEFLATE_RATIO < headerSize + bodySize) {
    throw formatError(path, `truncated: header says ${dims.join('x')}, more than a ${size}-byte gzip file can hold`);
  }
}

function truncated(path: string, dims: number[], found: number): Error {
  return formatError(path, `truncated: header says ${dims.join('x')} but the data ends after ${found} bytes`);
}

function sampleSize([channels, height, width]: readonly number[]): number {
  return channels * height * width;
}
