// CIFAR-10 / CIFAR-100 "binary version": https://www.cs.toronto.edu/~kriz/cifar.html
import { open as openFile, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatError } from './errors.js';
import { extensionOf, findFile, readFolder, readFully } from './files.js';
import type { DatasetSamples, FolderEntry, Probe, ReadOptions } from './types.js';

const PIXELS = 3 * 32 * 32;
const CHUNK_RECORDS = 1024;

interface Variant {
  format: 'cifar10' | 'cifar100';
  title: string;
  /** CIFAR-100 records carry the coarse label first, then the fine one, which is the one we keep. */
  labelBytes: number;
  classes: number;
  namesFile: string;
}

const CIFAR10: Variant = { format: 'cifar10', title: 'CIFAR-10', labelBytes: 1, classes: 10, namesFile: 'batches.meta.txt' };
const CIFAR100: Variant = {
  format: 'cifar100',
  title: 'CIFAR-100',
  labelBytes: 2,
  classes: 100,
  namesFile: 'fine_label_names.txt',
};
const COARSE_CLASSES = 20;

const isCifar10Batch = (name: string): boolean => /^(data_batch_\d+|test_batch)\.bin$/i.test(name);
const isCifar100Batch = (name: string): boolean => /^(train|test)\.bin$/i.test(name);

export function match(probe: Probe): boolean {
  if (probe.stat.isDirectory()) {
    return probe.entries.some((entry) => !entry.isDirectory && (isCifar10Batch(entry.name) || isCifar100Batch(entry.name)));
  }
  return extensionOf(probe.name) === '.bin';
}

export async function open(probe: Probe, options: ReadOptions): Promise<DatasetSamples> {
  const folder = probe.stat.isDirectory() ? probe.path : dirname(probe.path);
  const siblings = probe.stat.isDirectory() ? probe.entries : await readFolder(folder);
  const { variant, files } = probe.stat.isDirectory()
    ? batchesInFolder(probe)
    : { variant: variantOfFile(probe, siblings), files: [probe.path] };

  const recordSize = variant.labelBytes + PIXELS;
  const records = await Promise.all(files.map((file) => recordCount(file, variant, recordSize)));
  const total = records.reduce((sum, n) => sum + n, 0);
  const count = options.limit === undefined ? total : Math.min(total, options.limit);
  const data = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);

  const sourceFiles: string[] = [];
  let first = 0;
  for (const [f, file] of files.entries()) {
    if (first >= count) break;
    await readRecords(file, variant, Math.min(records[f], count - first), first, data, labels);
    sourceFiles.push(file);
    first += records[f];
  }
  const namesFile = findFile(siblings, variant.namesFile);
  const classNames = namesFile === null ? null : await readClassNames(join(folder, namesFile), variant);
  if (namesFile !== null) sourceFiles.push(join(folder, namesFile));

  return {
    format: variant.format,
    count,
    shape: [3, 32, 32],
    dtype: 'uint8',
    data,
    labels,
    classNames,
    labeled: true,
    sourceFiles,
    skipped: [],
  };
}

function batchesInFolder(probe: Probe): { variant: Variant; files: string[] } {
  const files = probe.entries.filter((entry) => !entry.isDirectory).map((entry) => entry.name);
  const cifar10 = files.filter(isCifar10Batch);
  const cifar100 = files.filter(isCifar100Batch);
  if (cifar10.length > 0 && cifar100.length > 0) {
    throw formatError(
      probe.path,
      `holds both CIFAR-10 batches (${cifar10.join(', ')}) and CIFAR-100 batches (${cifar100.join(', ')}); pass one file`,
    );
  }
  const variant = cifar10.length > 0 ? CIFAR10 : CIFAR100;
  return { variant, files: (cifar10.length > 0 ? cifar10 : cifar100).map((name) => join(probe.path, name)) };
}

/** The canonical names decide first; a renamed batch falls back to the names file beside it, then to its size. */
function variantOfFile(probe: Probe, siblings: FolderEntry[]): Variant {
  if (isCifar10Batch(probe.name)) return CIFAR10;
  if (isCifar100Batch(probe.name)) return CIFAR100;
  if (findFile(siblings, CIFAR100.namesFile) !== null) return CIFAR100;
  if (findFile(siblings, CIFAR10.namesFile) !== null) return CIFAR10;
  const size = probe.stat.size;
  const fits10 = size % (CIFAR10.labelBytes + PIXELS) === 0;
  const fits100 = size % (CIFAR100.labelBytes + PIXELS) === 0;
  if (!fits10 && !fits100) {
    throw formatError(
      probe.path,
      `truncated: ${size} bytes is a multiple of neither the CIFAR-10 record (3073 bytes) nor the CIFAR-100 record (3074 bytes)`,
    );
  }
  // Both fit only for sizes that are multiples of 3073*3074 bytes; CIFAR-10 is the far more common file.
  return fits10 ? CIFAR10 : CIFAR100;
}

async function recordCount(file: string, variant: Variant, recordSize: number): Promise<number> {
  const { size } = await stat(file);
  if (size === 0) throw formatError(file, 'empty file');
  if (size % recordSize !== 0) {
    throw formatError(file, `truncated: ${size} bytes is not a multiple of the ${recordSize}-byte ${variant.title} record`);
  }
  return size / recordSize;
}

async function readRecords(
  file: string,
  variant: Variant,
  count: number,
  first: number,
  data: Uint8Array,
  labels: Int32Array,
): Promise<void> {
  const recordSize = variant.labelBytes + PIXELS;
  const chunk = new Uint8Array(Math.min(CHUNK_RECORDS, count) * recordSize);
  const handle = await openFile(file, 'r');
  try {
    for (let done = 0; done < count; ) {
      const n = Math.min(CHUNK_RECORDS, count - done);
      const bytes = chunk.subarray(0, n * recordSize);
      if ((await readFully(handle, bytes, done * recordSize)) < bytes.length) {
        throw formatError(file, 'truncated: the file shrank while it was being read');
      }
      for (let r = 0; r < n; r++) {
        const record = bytes.subarray(r * recordSize, (r + 1) * recordSize);
        labels[first + done + r] = checkedLabel(file, variant, record, done + r);
        data.set(record.subarray(variant.labelBytes), (first + done + r) * PIXELS);
      }
      done += n;
    }
  } finally {
    await handle.close();
  }
}

/** An out-of-range label is the surest sign that the file is not a CIFAR batch of this variant at all. */
function checkedLabel(file: string, variant: Variant, record: Uint8Array, index: number): number {
  const label = record[variant.labelBytes - 1];
  const coarseOk = variant.labelBytes === 1 || record[0] < COARSE_CLASSES;
  if (label >= variant.classes || !coarseOk) {
    const found = variant.labelBytes === 1 ? `label ${label}` : `labels ${record[0]}/${label} (coarse/fine)`;
    throw formatError(file, `record ${index} has ${found}, outside the ${variant.title} range; not a ${variant.title} batch?`);
  }
  return label;
}

async function readClassNames(file: string, variant: Variant): Promise<string[]> {
  const names = (await readFile(file, 'utf8'))
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== variant.classes) {
    throw formatError(file, `expected ${variant.classes} class names, found ${names.length}`);
  }
  return names;
}
