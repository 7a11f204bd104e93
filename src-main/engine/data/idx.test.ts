import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labelsNameFor } from './idx.js';
import { DatasetFormatError, readDataset } from './index.js';
import { concat, gzip, idxFile, put, ramp, useTempDir } from './test-fixtures.js';

describe('IDX reader', () => {
  const dir = useTempDir();

  async function mnistPair(prefix: string, count: number, options: { gz?: boolean } = {}): Promise<string> {
    const wrap = options.gz ? gzip : (bytes: Uint8Array) => bytes;
    const suffix = options.gz ? '.gz' : '';
    await put(join(dir(), `${prefix}-labels-idx1-ubyte${suffix}`), wrap(idxFile([count], ramp(count, 3))));
    return put(join(dir(), `${prefix}-images-idx3-ubyte${suffix}`), wrap(idxFile([count, 2, 3], ramp(count * 6))));
  }

  it('reads images as [1,H,W] uint8 with the labels beside them', async () => {
    const path = await mnistPair('t10k', 4);
    const samples = await readDataset(path);
    expect(samples).toMatchObject({ format: 'idx', count: 4, shape: [1, 2, 3], dtype: 'uint8', classNames: null, skipped: [] });
    expect(Array.from(samples.data)).toEqual(Array.from(ramp(24)));
    expect(Array.from(samples.labels)).toEqual([3, 4, 5, 6]);
    expect(samples.sourceFiles).toEqual([path, join(dir(), 't10k-labels-idx1-ubyte')]);
  });

  it('detects gzip by its magic, not by the file name', async () => {
    await put(join(dir(), 'train-labels-idx1-ubyte'), gzip(idxFile([2], Uint8Array.of(7, 8))));
    const path = await put(join(dir(), 'train-images-idx3-ubyte'), gzip(idxFile([2, 1, 2], Uint8Array.of(1, 2, 3, 4))));
    const samples = await readDataset(path);
    expect(Array.from(samples.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(samples.labels)).toEqual([7, 8]);
  });

  it('keeps only the first `limit` samples of a gzipped pair', async () => {
    const samples = await readDataset(await mnistPair('fmnist-test-1000', 10, { gz: true }), { limit: 3 });
    expect(samples.count).toBe(3);
    expect(samples.data.length).toBe(18);
    expect(Array.from(samples.data)).toEqual(Array.from(ramp(18)));
    expect(Array.from(samples.labels)).toEqual([3, 4, 5]);
  });

  it('names the labels file after the images file', () => {
    expect(labelsNameFor('t10k-images-idx3-ubyte.gz')).toBe('t10k-labels-idx1-ubyte.gz');
    expect(labelsNameFor('fmnist-test-1000-images-idx3-ubyte.gz')).toBe('fmnist-test-1000-labels-idx1-ubyte.gz');
    expect(labelsNameFor('train-images.idx4-ubyte')).toBe('train-labels.idx1-ubyte');
    expect(labelsNameFor('data.idx3-ubyte')).toBeNull();
  });

  it('finds plain labels beside gzipped images', async () => {
    await put(join(dir(), 'a-labels-idx1-ubyte'), idxFile([1], Uint8Array.of(5)));
    const path = await put(join(dir(), 'a-images-idx3-ubyte.gz'), gzip(idxFile([1, 1, 1], Uint8Array.of(9))));
    expect(Array.from((await readDataset(path)).labels)).toEqual([5]);
  });

  it('converts idx4 N,H,W,C images to C,H,W', async () => {
    // one 1x2 image with 3 channels: pixel 0 = (10, 20, 30), pixel 1 = (11, 21, 31)
    await put(join(dir(), 'rgb-labels-idx1-ubyte'), idxFile([1], Uint8Array.of(0)));
    const path = await put(join(dir(), 'rgb-images-idx4-ubyte'), idxFile([1, 1, 2, 3], Uint8Array.of(10, 20, 30, 11, 21, 31)));
    const samples = await readDataset(path);
    expect(samples.shape).toEqual([3, 1, 2]);
    expect(Array.from(samples.data)).toEqual([10, 11, 20, 21, 30, 31]);
  });

  it('reads a folder holding exactly one pair', async () => {
    await mnistPair('train', 2, { gz: true });
    const samples = await readDataset(dir());
    expect(samples.format).toBe('idx');
    expect(samples.count).toBe(2);
  });

  it('refuses a folder holding two pairs and names them', async () => {
    await mnistPair('train', 2);
    await mnistPair('t10k', 2);
    await expect(readDataset(dir())).rejects.toThrow(
      /holds 2 IDX image files \(t10k-images-idx3-ubyte, train-images-idx3-ubyte\)/,
    );
  });

  it('refuses a file whose magic is not IDX, quoting the magic', async () => {
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    const path = await put(join(dir(), 'train-images.idx3-ubyte'), png);
    await put(join(dir(), 'train-labels.idx1-ubyte'), idxFile([1], Uint8Array.of(0)));
    const error = await readDataset(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toBe('train-images.idx3-ubyte: not an IDX file (magic 0x89504e47)');
  });

  it('refuses a body shorter than the dimensions say', async () => {
    await put(join(dir(), 'cut-labels-idx1-ubyte'), idxFile([3], Uint8Array.of(0, 1, 2)));
    const path = await put(join(dir(), 'cut-images-idx3-ubyte'), idxFile([3, 2, 2], ramp(10)));
    await expect(readDataset(path)).rejects.toThrow(
      'cut-images-idx3-ubyte: truncated: header says 3x2x2 but the data ends after 10 bytes',
    );
  });

  it('refuses a truncated gzipped body', async () => {
    await put(join(dir(), 'cut-labels-idx1-ubyte.gz'), gzip(idxFile([3], Uint8Array.of(0, 1, 2))));
    const path = await put(join(dir(), 'cut-images-idx3-ubyte.gz'), gzip(idxFile([3, 2, 2], ramp(10))));
    await expect(readDataset(path)).rejects.toThrow(/cut-images-idx3-ubyte\.gz: truncated/);
  });

  it('refuses a gzip stream that is cut short', async () => {
    await put(join(dir(), 'cut-labels-idx1-ubyte'), idxFile([3], Uint8Array.of(0, 1, 2)));
    const whole = gzip(idxFile([3, 20, 20], ramp(1200)));
    const path = await put(join(dir(), 'cut-images-idx3-ubyte.gz'), whole.subarray(0, whole.length - 20));
    await expect(readDataset(path)).rejects.toThrow(/cut-images-idx3-ubyte\.gz: corrupt or truncated gzip data/);
  });

  it('refuses gzipped dimensions larger than the file could hold, before allocating them', async () => {
    await put(join(dir(), 'big-labels-idx1-ubyte.gz'), gzip(idxFile([1], Uint8Array.of(0))));
    const path = await put(join(dir(), 'big-images-idx3-ubyte.gz'), gzip(idxFile([4_000_000_000, 28, 28], ramp(10))));
    await expect(readDataset(path, { limit: 1 })).rejects.toThrow(
      /big-images-idx3-ubyte\.gz: truncated: header says 4000000000x28x28, more than a \d+-byte gzip file can hold/,
    );
  });

  // The fuzz campaign's gzip bombs (idx, seed 2026) inflated 256 MiB of images before the labels said 200.
  it('refuses images and labels that disagree in count before reading the images', async () => {
    await put(join(dir(), 'bomb-labels-idx1-ubyte.gz'), gzip(idxFile([5], ramp(5))));
    // The body stops after 10 images: reading it would fail as truncated, so the count check must come first.
    const path = await put(join(dir(), 'bomb-images-idx3-ubyte.gz'), gzip(idxFile([1000, 2, 3], ramp(10 * 6))));
    await expect(readDataset(path)).rejects.toThrow('bomb-labels-idx1-ubyte.gz: 5 labels for 1000 images in bomb-images-idx3-ubyte.gz');
  });

  it('refuses a missing labels file, naming the file it looked for', async () => {
    const path = await put(join(dir(), 'x-images-idx3-ubyte'), idxFile([1, 1, 1], Uint8Array.of(0)));
    await expect(readDataset(path)).rejects.toThrow('x-images-idx3-ubyte: labels file x-labels-idx1-ubyte not found beside it');
  });

  it('refuses a labels count different from the image count', async () => {
    await put(join(dir(), 'n-labels-idx1-ubyte'), idxFile([2], Uint8Array.of(0, 1)));
    const path = await put(join(dir(), 'n-images-idx3-ubyte'), idxFile([3, 1, 1], ramp(3)));
    await expect(readDataset(path)).rejects.toThrow('n-labels-idx1-ubyte: 2 labels for 3 images in n-images-idx3-ubyte');
  });

  it('refuses element types other than unsigned byte', async () => {
    await put(join(dir(), 'f-labels-idx1-ubyte'), idxFile([1], Uint8Array.of(0)));
    const path = await put(join(dir(), 'f-images-idx3-ubyte'), idxFile([1, 1, 1], new Uint8Array(4), 0x0d));
    await expect(readDataset(path)).rejects.toThrow(
      'f-images-idx3-ubyte: only unsigned-byte IDX data (type 0x08) is supported, found type 0x0d (float32)',
    );
  });

  it('points out a labels file passed as the images', async () => {
    const path = await put(join(dir(), 'oops-images-idx3-ubyte'), idxFile([2], Uint8Array.of(0, 1)));
    await put(join(dir(), 'oops-labels-idx1-ubyte'), idxFile([2], Uint8Array.of(0, 1)));
    await expect(readDataset(path)).rejects.toThrow(/found 1 dimension\(s\) \(is this the labels file\?\)/);
  });

  it('ignores bytes after the last image, as the reference loaders do', async () => {
    await put(join(dir(), 'p-labels-idx1-ubyte'), idxFile([1], Uint8Array.of(4)));
    const body = concat(idxFile([1, 1, 2], Uint8Array.of(1, 2)), Uint8Array.of(99));
    const path = await put(join(dir(), 'p-images-idx3-ubyte'), body);
    expect(Array.from((await readDataset(path)).data)).toEqual([1, 2]);
  });
});
