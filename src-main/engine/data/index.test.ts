import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, readDataset } from './index.js';
import { put, useTempDir } from './test-fixtures.js';

const FASHION_MNIST = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const UNRECOGNISED = 'unrecognised dataset: expected IDX, CIFAR binary, .npy/.npz or an image folder';

describe('readDataset', () => {
  const dir = useTempDir();

  it('refuses an empty file by name', async () => {
    const path = await put(join(dir(), 'train-images-idx3-ubyte'), new Uint8Array(0));
    const error = await readDataset(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('DatasetFormatError');
    expect((error as Error).message).toBe('train-images-idx3-ubyte: empty file');
  });

  it('refuses a file of no known format', async () => {
    const path = await put(join(dir(), 'notes.csv'), 'label,pixel0\n1,0\n');
    await expect(readDataset(path)).rejects.toThrow(`notes.csv: ${UNRECOGNISED}`);
  });

  it('refuses an empty folder', async () => {
    await mkdir(join(dir(), 'empty'));
    await expect(readDataset(join(dir(), 'empty'))).rejects.toThrow(`empty: ${UNRECOGNISED}`);
  });

  it('turns a missing path into a one-line dataset error', async () => {
    await expect(readDataset(join(dir(), 'missing.npz'))).rejects.toThrow(
      new DatasetFormatError('missing.npz: no such file or folder'),
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects limit %s as a programming error', async (limit) => {
    await expect(readDataset(dir(), { limit })).rejects.toThrow(RangeError);
  });

  it.skipIf(!existsSync(FASHION_MNIST))('reads the first 50 samples of the real Fashion-MNIST test set', async () => {
    const samples = await readDataset(FASHION_MNIST, { limit: 50 });
    expect(samples).toMatchObject({ format: 'idx', count: 50, shape: [1, 28, 28], dtype: 'uint8', classNames: null });
    expect(samples.data.length).toBe(50 * 28 * 28);
    // reference values from numpy on the same files
    expect(Array.from(samples.data).reduce((sum, value) => sum + value, 0)).toBe(2729896);
    expect(Array.from(samples.labels.subarray(0, 12))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 4, 5]);
    expect(samples.sourceFiles).toEqual([FASHION_MNIST, FASHION_MNIST.replace('images-idx3', 'labels-idx1')]);
  });
});
