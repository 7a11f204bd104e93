// One sub-folder per class holding PNG/JPEG files, the layout of torchvision's ImageFolder; or
// a flat folder of PNG/JPEG files, which holds unlabeled images.
import { join } from 'node:path';
import sharp from 'sharp';
import type { ImageFit, ImageFolderSurvey } from '../../../src-preload/contract.js';
import { firstLine, formatError } from './errors.js';
import { extensionOf, readFolder } from './files.js';
import { fitImage } from './image-fit.js';
import { hwcToChw } from './layout.js';
import { UNLABELED, type DatasetSamples, type FolderEntry, type Probe, type ReadOptions } from './types.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
const IMAGE_FORMATS = new Set(['png', 'jpeg']);
/** Decodes run on libuv's thread pool (4 threads by default); a few more in flight keeps it busy. */
const IN_FLIGHT = 8;

interface Candidate {
  file: string;
  label: number;
}

interface Header {
  width: number;
  height: number;
  grey: boolean;
}

type Skip = { file: string; reason: string; index: number };

export function match(probe: Probe): boolean {
  return probe.stat.isDirectory() && probe.entries.some((entry) => isVisible(entry) && (entry.isDirectory || isImage(entry)));
}

export async function open(probe: Probe, options: ReadOptions): Promise<DatasetSamples> {
  const { classNames, candidates } = await classFolders(probe);
  const fit = options.fit ?? { mode: 'strict' };
  const survey = surveyHeaders(candidates, await inBatches(candidates, (candidate) => readHeader(candidate.file), options.signal), fit);
  const decoded = await decodeInOrder(survey, options.limit ?? survey.accepted.length, fit, options.signal);
  const skipped = [...survey.skipped, ...decoded.skipped].sort((a, b) => a.index - b.index);
  if (decoded.sourceFiles.length === 0) throw noneReadable(probe.path, skipped);
  return {
    format: 'image-folder',
    count: decoded.sourceFiles.length,
    shape: survey.shape,
    dtype: 'uint8',
    data: decoded.data,
    labels: decoded.labels,
    classNames,
    labeled: classNames !== null,
    sourceFiles: decoded.sourceFiles,
    // Under a limit, files after the first image left undecoded were never reached, so they were not passed over either.
    skipped: skipped.filter((skip) => skip.index < decoded.reached).map(({ file, reason }) => ({ file, reason })),
  };
}

/** The sizes a fit will meet, from the headers alone. */
export async function surveySizes(probe: Probe): Promise<ImageFolderSurvey> {
  const { classNames, candidates } = await classFolders(probe);
  const headers = (await inBatches(candidates, (candidate) => readHeader(candidate.file))).filter((h): h is Header => typeof h !== 'string');
  const common = commonSize(headers);
  if (common === null) throw formatError(probe.path, `none of the ${candidates.length} images could be read`);
  const count = headers.filter((h) => h.width === common.width && h.height === common.height).length;
  return {
    images: headers.length,
    classes: classNames?.length ?? 0,
    commonSize: { ...common, count },
    differing: headers.length - count,
    // A reduce, not Math.min(...): a folder can hold more images than a call takes arguments.
    smallest: headers.reduce((least, h) => ({ width: Math.min(least.width, h.width), height: Math.min(least.height, h.height) }), common),
    unreadable: candidates.length - headers.length,
  };
}

/** The classes and their images; null classes for a folder with no sub-folder, whose own images are unlabeled. */
async function classFolders(probe: Probe): Promise<{ classNames: string[] | null; candidates: Candidate[] }> {
  const classNames = probe.entries.filter((entry) => entry.isDirectory && isVisible(entry)).map((entry) => entry.name);
  if (classNames.length === 0) {
    const candidates = probe.entries.filter((entry) => isVisible(entry) && isImage(entry)).map((entry) => ({ file: join(probe.path, entry.name), label: UNLABELED }));
    return { classNames: null, candidates };
  }
  const candidates = await listImages(probe.path, classNames);
  if (candidates.length === 0) throw formatError(probe.path, 'no PNG or JPEG images in any class folder');
  return { classNames, candidates };
}

interface Survey {
  shape: [number, number, number];
  accepted: (Candidate & { index: number })[];
  skipped: Skip[];
}

/**
 * Takes every header, even under a limit, so that the size and channel count (and so the first N samples)
 * do not depend on the limit. Headers are cheap next to decoding. Only strict mode passes over other sizes.
 */
function surveyHeaders(candidates: Candidate[], headers: (Header | string)[], fit: ImageFit): Survey {
  const skipped: Skip[] = [];
  const readable: Header[] = [];
  headers.forEach((header, index) => {
    if (typeof header === 'string') skipped.push({ file: candidates[index].file, reason: header, index });
    else readable.push(header);
  });
  const size = fit.mode === 'strict' ? commonSize(readable) : { width: fit.size[1], height: fit.size[0] };
  const accepted: Survey['accepted'] = [];
  let grey = true;
  headers.forEach((header, index) => {
    if (typeof header === 'string' || size === null) return;
    if (fit.mode !== 'strict' || (header.width === size.width && header.height === size.height)) {
      accepted.push({ ...candidates[index], index });
      grey &&= header.grey;
    } else {
      const reason = `size ${header.width}x${header.height} differs from the other images' ${size.width}x${size.height}`;
      skipped.push({ file: candidates[index].file, reason, index });
    }
  });
  return { shape: [grey ? 1 : 3, size?.height ?? 0, size?.width ?? 0], accepted, skipped };
}

interface Decoded {
  data: Uint8Array;
  labels: Int32Array;
  sourceFiles: string[];
  skipped: Skip[];
  /** Index of the first candidate not looked at; Infinity when all were. */
  reached: number;
}

/** Decodes accepted images in order straight into the output, stopping once `limit` are in. */
async function decodeInOrder({ shape, accepted }: Survey, limit: number, fit: ImageFit, signal?: AbortSignal): Promise<Decoded> {
  const wanted = Math.min(limit, accepted.length);
  const sampleSize = shape[0] * shape[1] * shape[2];
  const data = new Uint8Array(wanted * sampleSize);
  const labels = new Int32Array(wanted);
  const sourceFiles: string[] = [];
  const skipped: Skip[] = [];
  let next = 0;
  while (sourceFiles.length < wanted && next < accepted.length) {
    signal?.throwIfAborted();
    const batch = accepted.slice(next, next + Math.min(IN_FLIGHT, wanted - sourceFiles.length));
    next += batch.length;
    const pixels = await Promise.all(batch.map((candidate) => decode(candidate.file, shape, fit)));
    batch.forEach((candidate, i) => {
      const decoded = pixels[i];
      if (typeof decoded === 'string') {
        skipped.push({ file: candidate.file, reason: decoded, index: candidate.index });
        return;
      }
      if (shape[0] === 1) data.set(decoded, sourceFiles.length * sampleSize);
      else hwcToChw(decoded, data, sourceFiles.length, shape);
      labels[sourceFiles.length] = candidate.label;
      sourceFiles.push(candidate.file);
    });
  }
  const count = sourceFiles.length;
  return {
    data: count < wanted ? data.slice(0, count * sampleSize) : data,
    labels: count < wanted ? labels.slice(0, count) : labels,
    sourceFiles,
    skipped,
    reached: next < accepted.length ? accepted[next].index : Number.POSITIVE_INFINITY,
  };
}

/** Hidden entries are OS litter (.DS_Store, macOS ._ files, .ipynb_checkpoints), not classes or samples. */
function isVisible(entry: FolderEntry): boolean {
  return !entry.name.startsWith('.');
}

function isImage(entry: FolderEntry): boolean {
  return !entry.isDirectory && isImageName(entry.name);
}

/** A PNG or JPEG by its name, as this reader takes them. */
export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extensionOf(name));
}

async function listImages(root: string, classNames: string[]): Promise<Candidate[]> {
  const perClass = await Promise.all(
    classNames.map(async (name, label) => {
      const folder = join(root, name);
      const entries = await readFolder(folder);
      return entries
        .filter((entry) => isVisible(entry) && isImage(entry))
        .map((entry) => ({ file: join(folder, entry.name), label }));
    }),
  );
  return perClass.flat();
}

/** A header, or the reason the file is passed over. */
async function readHeader(file: string): Promise<Header | string> {
  try {
    const { format, width, height, channels } = await sharp(file).metadata();
    if (!IMAGE_FORMATS.has(format ?? '')) return `not a PNG or JPEG image (${format ?? 'unknown format'})`;
    // channels 1 or 2 is grey (with alpha); a palette PNG reports 3 even when its palette is grey.
    return { width: width ?? 0, height: height ?? 0, grey: (channels ?? 3) <= 2 };
  } catch (error) {
    return `unreadable image (${firstLine(error)})`;
  }
}

/**
 * Interleaved (H,W,C) pixels after the fit, or the reason the file is passed over. sharp only decodes
 * (its JPEG decoder gives the same pixels as Pillow's); the resize is Brink's Pillow transcription.
 */
async function decode(file: string, [channels, height, width]: [number, number, number], fit: ImageFit): Promise<Uint8Array | string> {
  try {
    const { data, info } = await sharp(file)
      .removeAlpha()
      .toColourspace(channels === 1 ? 'b-w' : 'srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const image = fitImage({ data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels }, fit);
    if (image.width !== width || image.height !== height || image.channels !== channels) {
      return `decoded as ${image.width}x${image.height}x${image.channels}, expected ${width}x${height}x${channels}`;
    }
    return image.data;
  } catch (error) {
    return `corrupt image (${firstLine(error)})`;
  }
}

/** The most common size wins (ties: the first seen), so one odd image cannot reject all the others. */
function commonSize(headers: Header[]): { width: number; height: number } | null {
  const counts = new Map<string, { width: number; height: number; count: number }>();
  for (const header of headers) {
    const key = `${header.width}x${header.height}`;
    const entry = counts.get(key) ?? { width: header.width, height: header.height, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  let best: { width: number; height: number; count: number } | null = null;
  for (const entry of counts.values()) if (best === null || entry.count > best.count) best = entry;
  return best;
}

function noneReadable(folder: string, skipped: Skip[]): Error {
  const first = skipped[0];
  const example = first ? ` (first: ${first.file.slice(folder.length + 1)}: ${first.reason})` : '';
  return formatError(folder, `none of the ${skipped.length} images could be read${example}`);
}

async function inBatches<T, R>(items: T[], work: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += IN_FLIGHT) {
    signal?.throwIfAborted();
    results.push(...(await Promise.all(items.slice(start, start + IN_FLIGHT).map(work))));
  }
  return results;
}
