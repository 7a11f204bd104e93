import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readDataset } from './index.js';
import { bytesOf, npyFile, put, ramp, useTempDir } from './test-fixtures.js';
import { UNLABELED } from './types.js';

const images = (count: number) => npyFile('|u1', [count, 2, 2], ramp(count * 4));
const labels = (values: number[]) => npyFile('<i8', [values.length], bytesOf(BigInt64Array.from(values.map(BigInt))));

describe('NumPy .npz reader', () => {
  const dir = useTempDir();

  it('reads x and y from a stored (np.savez) archive', async () => {
    const path = await put(join(dir(), 'data.npz'), zipSync({ 'x.npy': images(3), 'y.npy': labels([2, 0, 1]) }, { level: 0 }));
    const samples = await readDataset(path);
    expect(samples).toMatchObject({ format: 'npz', count: 3, shape: [1, 2, 2], dtype: 'uint8', classNames: null });
    expect(Array.from(samples.data)).toEqual(Array.from(ramp(12)));
    expect(Array.from(samples.labels)).toEqual([2, 0, 1]);
    expect(samples.sourceFiles).toEqual([path]);
  });

  it('reads a deflated (np.savez_compressed) archive with N,H,W,C float images', async () => {
    // one 2x1 RGB image: pixel 0 = (0.1, 0.2, 0.3), pixel 1 = (0.4, 0.5, 0.6)
    const x = npyFile('<f4', [1, 2, 1, 3], bytesOf(Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)));
    const path = await put(join(dir(), 'data.npz'), zipSync({ 'X.npy': x, 'Y.npy': labels([4]) }, { level: 6 }));
    const samples = await readDataset(path);
    expect(samples).toMatchObject({ shape: [3, 2, 1], dtype: 'float32' });
    expect(Array.from(samples.data)).toEqual(Array.from(Float32Array.of(0.1, 0.4, 0.2, 0.5, 0.3, 0.6)));
  });

  it('takes the keras-style split when only one is there', async () => {
    const path = await put(join(dir(), 'mnist.npz'), zipSync({ 'x_test.npy': images(2), 'y_test.npy': labels([7, 8]) }));
    expect(Array.from((await readDataset(path)).labels)).toEqual([7, 8]);
  });

  it('refuses an archive holding both keras splits', async () => {
    const archive = zipSync({
      'x_train.npy': images(1),
      'y_train.npy': labels([0]),
      'x_test.npy': images(1),
      'y_test.npy': labels([0]),
    });
    await expect(readDataset(await put(join(dir(), 'mnist.npz'), archive))).rejects.toThrow(
      'mnist.npz: holds both x_train/y_train and x_test/y_test; save the split to audit as x and y',
    );
  });

  it('keeps only the first `limit` samples', async () => {
    const path = await put(join(dir(), 'data.npz'), zipSync({ 'x.npy': images(4), 'y.npy': labels([0, 1, 2, 3]) }));
    const samples = await readDataset(path, { limit: 1 });
    expect(samples.count).toBe(1);
    expect(Array.from(samples.data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(samples.labels)).toEqual([0]);
  });

  it('reads an archive of x alone as unlabeled images', async () => {
    const path = await put(join(dir(), 'data.npz'), zipSync({ 'x.npy': images(2) }));
    const samples = await readDataset(path);
    expect(samples).toMatchObject({ format: 'npz', count: 2, labeled: false });
    expect(Array.from(samples.labels)).toEqual([UNLABELED, UNLABELED]);
  });

  it('refuses an archive without y, naming the arrays it holds', async () => {
    const path = await put(join(dir(), 'data.npz'), zipSync({ 'x.npy': images(1), 'labels.npy': labels([0]) }));
    await expect(readDataset(path)).rejects.toThrow(
      'data.npz: expected arrays x and y (or X/Y, x_train/y_train, x_test/y_test), or x alone for unlabeled images, found: x, labels',
    );
  });

  it('refuses an archive without x', async () => {
    const path = await put(join(dir(), 'data.npz'), zipSync({ 'y.npy': labels([0]) }));
    await expect(readDataset(path)).rejects.toThrow(/data\.npz: expected arrays x and y .*found: y$/);
  });

  it('refuses x and y of different lengths, naming the archive and the arrays', async () => {
    const path = await put(join(dir(), 'data.npz'), zipSync({ 'x.npy': images(3), 'y.npy': labels([0, 1]) }));
    await expect(readDataset(path)).rejects.toThrow(
      'data.npz (x.npy): 3 images but data.npz (y.npy) has 2 labels (x and y must have the same length)',
    );
  });

  it('refuses a truncated array inside the archive', async () => {
    const x = images(3);
    const archive = zipSync({ 'x.npy': x.subarray(0, x.length - 1), 'y.npy': labels([0, 1, 2]) });
    await expect(readDataset(await put(join(dir(), 'data.npz'), archive))).rejects.toThrow(
      'data.npz (x.npy): truncated data: shape (3, 2, 2) of |u1 needs 12 bytes, found 11',
    );
  });

  it('refuses an entry claiming more bytes than its compressed data can inflate to', async () => {
    const archive = zipSync({ 'x.npy': images(1), 'y.npy': labels([0]) }, { level: 6 });
    const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
    // the central-directory record of x.npy (signature PK\x01\x02) holds its uncompressed size at offset 24
    const record = archive.findIndex((_, i) => view.getUint32(i, true) === 0x02014b50);
    view.setUint32(record + 24, 0xfffffff0, true);
    await expect(readDataset(await put(join(dir(), 'bomb.npz'), archive))).rejects.toThrow(
      /^bomb\.npz: corrupt archive: x\.npy claims 4294967280 bytes from \d+ stored$/,
    );
  });

  it('refuses an .npz that is not a zip archive', async () => {
    const path = await put(join(dir(), 'data.npz'), 'definitely not a zip file, just some text');
    await expect(readDataset(path)).rejects.toThrow(/^data\.npz: not a readable \.npz \(zip\) archive/);
  });
});
