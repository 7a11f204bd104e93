import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset } from './index.js';
import { bytesOf, npyFile, put, ramp, useTempDir } from './test-fixtures.js';
import { UNLABELED } from './types.js';

const labelsNpy = (labels: number[]) => npyFile('|u1', [labels.length], Uint8Array.from(labels));

describe('NumPy .npy pair reader', () => {
  const dir = useTempDir();

  it('reads <stem>x.npy / <stem>y.npy: N,H,W uint8 images become [1,H,W]', async () => {
    const path = await put(join(dir(), 'testx.npy'), npyFile('|u1', [3, 2, 2], ramp(12)));
    await put(join(dir(), 'testy.npy'), npyFile('<i8', [3], bytesOf(BigInt64Array.of(0n, 9n, 4n))));
    const samples = await readDataset(path);
    expect(samples).toMatchObject({ format: 'npy', count: 3, shape: [1, 2, 2], dtype: 'uint8', classNames: null });
    expect(Array.from(samples.data)).toEqual(Array.from(ramp(12)));
    expect(Array.from(samples.labels)).toEqual([0, 9, 4]);
    expect(samples.sourceFiles).toEqual([path, join(dir(), 'testy.npy')]);
  });

  it('finds the pair from either file, for _x/_y and images/labels names', async () => {
    await put(join(dir(), 'val_x.npy'), npyFile('|u1', [1, 1, 1], Uint8Array.of(7)));
    const yPath = await put(join(dir(), 'val_y.npy'), labelsNpy([2]));
    await put(join(dir(), 'mnist_images.npy'), npyFile('|u1', [1, 1, 1], Uint8Array.of(8)));
    await put(join(dir(), 'mnist_labels.npy'), labelsNpy([3]));
    const fromY = await readDataset(yPath);
    expect(Array.from(fromY.data)).toEqual([7]);
    expect(fromY.sourceFiles[0]).toBe(join(dir(), 'val_x.npy'));
    expect(Array.from((await readDataset(join(dir(), 'mnist_images.npy'))).labels)).toEqual([3]);
    expect(Array.from((await readDataset(join(dir(), 'mnist_labels.npy'))).data)).toEqual([8]);
  });

  it('reads a folder holding x.npy and y.npy', async () => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [2, 1, 1], Uint8Array.of(1, 2)));
    await put(join(dir(), 'y.npy'), labelsNpy([1, 0]));
    const samples = await readDataset(dir());
    expect(samples.format).toBe('npy');
    expect(Array.from(samples.labels)).toEqual([1, 0]);
  });

  it('reads a folder holding just one named pair, as an upload of the two files gives', async () => {
    await put(join(dir(), 'up', 'fmnist_x.npy'), npyFile('|u1', [3, 2, 2], ramp(12)));
    await put(join(dir(), 'up', 'fmnist_y.npy'), npyFile('|u1', [3], Uint8Array.from([2, 0, 1])));
    const samples = await readDataset(join(dir(), 'up'));
    expect(samples).toMatchObject({ format: 'npy', count: 3, shape: [1, 2, 2] });
    expect(Array.from(samples.labels)).toEqual([2, 0, 1]);
  });

  it('keeps float32 images as stored', async () => {
    const values = Float32Array.of(0, 0.25, 0.5, 1);
    await put(join(dir(), 'x.npy'), npyFile('<f4', [1, 1, 2, 2], bytesOf(values)));
    await put(join(dir(), 'y.npy'), labelsNpy([5]));
    const samples = await readDataset(join(dir(), 'x.npy'));
    expect(samples).toMatchObject({ shape: [1, 2, 2], dtype: 'float32' });
    expect(samples.data).toBeInstanceOf(Float32Array);
    expect(Array.from(samples.data)).toEqual([0, 0.25, 0.5, 1]);
  });

  it('narrows float64 images to float32', async () => {
    await put(join(dir(), 'x.npy'), npyFile('<f8', [1, 1, 3], bytesOf(Float64Array.of(0.1, 0.5, 0.9))));
    await put(join(dir(), 'y.npy'), labelsNpy([0]));
    const samples = await readDataset(dir());
    expect(samples.dtype).toBe('float32');
    expect(Array.from(samples.data)).toEqual(Array.from(Float32Array.of(0.1, 0.5, 0.9)));
  });

  it('transposes N,H,W,C images to C,H,W and keeps N,C,H,W as it is', async () => {
    // one 2x2 RGB image: pixel p = (3p+1, 3p+2, 3p+3)
    const hwcPixels = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
    const chwPixels = Uint8Array.of(1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12);
    await put(join(dir(), 'hwc_x.npy'), npyFile('|u1', [1, 2, 2, 3], hwcPixels));
    await put(join(dir(), 'hwc_y.npy'), labelsNpy([0]));
    await put(join(dir(), 'chw_x.npy'), npyFile('|u1', [1, 3, 2, 2], chwPixels));
    await put(join(dir(), 'chw_y.npy'), labelsNpy([0]));
    const hwc = await readDataset(join(dir(), 'hwc_x.npy'));
    const chw = await readDataset(join(dir(), 'chw_x.npy'));
    expect(hwc.shape).toEqual([3, 2, 2]);
    expect(chw.shape).toEqual([3, 2, 2]);
    expect(Array.from(hwc.data)).toEqual(Array.from(chwPixels));
    expect(Array.from(chw.data)).toEqual(Array.from(chwPixels));
  });

  it('reads a shape that fits both layouts, (N, 3, H, 3), as N,C,H,W like PyTorch', async () => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [1, 3, 2, 3], ramp(18)));
    await put(join(dir(), 'y.npy'), labelsNpy([0]));
    const samples = await readDataset(dir());
    expect(samples.shape).toEqual([3, 2, 3]);
    expect(Array.from(samples.data)).toEqual(Array.from(ramp(18)));
  });

  it.each([
    ['|i1', bytesOf(Int8Array.of(3, 1))],
    ['<i2', bytesOf(Int16Array.of(3, 1))],
    ['<u2', bytesOf(Uint16Array.of(3, 1))],
    ['<i4', bytesOf(Int32Array.of(3, 1))],
    ['<u4', bytesOf(Uint32Array.of(3, 1))],
    ['<u8', bytesOf(BigUint64Array.of(3n, 1n))],
  ])('reads %s labels', async (descr, bytes) => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [2, 1, 1], Uint8Array.of(0, 0)));
    await put(join(dir(), 'y.npy'), npyFile(descr, [2], bytes));
    expect(Array.from((await readDataset(dir())).labels)).toEqual([3, 1]);
  });

  it('accepts labels of shape (N, 1) and version 2 and 3 headers', async () => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [2, 1, 1], Uint8Array.of(0, 0), { version: 2 }));
    await put(join(dir(), 'y.npy'), npyFile('|u1', [2, 1], Uint8Array.of(6, 7), { version: 3 }));
    expect(Array.from((await readDataset(dir())).labels)).toEqual([6, 7]);
  });

  it('reads only the first `limit` samples', async () => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [5, 1, 2], ramp(10)));
    await put(join(dir(), 'y.npy'), labelsNpy([0, 1, 2, 3, 4]));
    const samples = await readDataset(dir(), { limit: 2 });
    expect(samples.count).toBe(2);
    expect(Array.from(samples.data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(samples.labels)).toEqual([0, 1]);
  });

  it('refuses x and y of different lengths', async () => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [3, 1, 1], ramp(3)));
    await put(join(dir(), 'y.npy'), labelsNpy([0, 1]));
    await expect(readDataset(dir())).rejects.toThrow(
      'x.npy: 3 images but y.npy has 2 labels (x and y must have the same length)',
    );
  });

  it('reads images without their labels beside them as unlabeled', async () => {
    const path = await put(join(dir(), 'train_x.npy'), npyFile('|u1', [2, 1, 1], ramp(2)));
    const samples = await readDataset(path);
    expect(samples).toMatchObject({ format: 'npy', count: 2, shape: [1, 1, 1], labeled: false, sourceFiles: [path] });
    expect(Array.from(samples.labels)).toEqual([UNLABELED, UNLABELED]);
    expect(Array.from(samples.data)).toEqual([0, 1]);
  });

  it('reads a folder of one .npy as unlabeled images', async () => {
    await put(join(dir(), 'photos.npy'), npyFile('|u1', [3, 2, 2, 3], ramp(36)));
    const samples = await readDataset(dir());
    expect(samples).toMatchObject({ count: 3, shape: [3, 2, 2], labeled: false });
  });

  it('refuses labels alone, naming the images it looked for', async () => {
    const path = await put(join(dir(), 'train_y.npy'), labelsNpy([0]));
    await expect(readDataset(path)).rejects.toThrow('train_y.npy: these are labels, and their images are not beside them (looked for train_x.npy)');
  });

  it('refuses a file without the \\x93NUMPY magic', async () => {
    const path = await put(join(dir(), 'x.npy'), new TextEncoder().encode('x,y\n1,2\n'));
    await put(join(dir(), 'y.npy'), labelsNpy([0]));
    await expect(readDataset(path)).rejects.toThrow(/^x\.npy: not a \.npy array \(magic 0x782c790a312c/);
  });

  it('refuses data shorter than the shape says', async () => {
    const whole = npyFile('<f4', [2, 2, 2], new Uint8Array(32));
    await put(join(dir(), 'x.npy'), whole.subarray(0, whole.length - 5));
    await put(join(dir(), 'y.npy'), labelsNpy([0, 1]));
    await expect(readDataset(dir())).rejects.toThrow('x.npy: truncated data: shape (2, 2, 2) of <f4 needs 32 bytes, found 27');
  });

  it('refuses Fortran-ordered arrays', async () => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [1, 2, 2], ramp(4), { fortranOrder: true }));
    await put(join(dir(), 'y.npy'), labelsNpy([0]));
    await expect(readDataset(dir())).rejects.toThrow(/x\.npy: arrays saved with fortran_order=True are not supported/);
  });

  it('refuses big-endian arrays', async () => {
    await put(join(dir(), 'x.npy'), npyFile('>f4', [1, 1, 1], new Uint8Array(4)));
    await put(join(dir(), 'y.npy'), labelsNpy([0]));
    await expect(readDataset(dir())).rejects.toThrow(/x\.npy: big-endian data \(>f4\) is not supported/);
  });

  it('refuses unsupported image dtypes, float labels and negative labels', async () => {
    await put(join(dir(), 'x.npy'), npyFile('<i4', [1, 1, 1], new Uint8Array(4)));
    await put(join(dir(), 'y.npy'), labelsNpy([0]));
    await expect(readDataset(dir())).rejects.toThrow('x.npy: images of dtype <i4 are not supported (use |u1, <f4 or <f8)');
    await put(join(dir(), 'x.npy'), npyFile('|u1', [1, 1, 1], new Uint8Array(1)));
    await put(join(dir(), 'y.npy'), npyFile('<f4', [1], bytesOf(Float32Array.of(1))));
    await expect(readDataset(dir())).rejects.toThrow('y.npy: labels must be integers, found dtype <f4');
    await put(join(dir(), 'y.npy'), npyFile('<i2', [1], bytesOf(Int16Array.of(-1))));
    await expect(readDataset(dir())).rejects.toThrow('y.npy: label -1 at index 0 is not a class index (0 or more)');
  });

  // Found by tools/fuzz (npy, seed 2026, cases 234, 590, 686): the class counts allocated one slot per class up to the label.
  it('refuses a label beyond the class limit before counting classes', async () => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [2, 1, 1], new Uint8Array(2)));
    await put(join(dir(), 'y.npy'), npyFile('<i8', [2], bytesOf(BigInt64Array.of(0n, 83886080n))));
    await expect(readDataset(dir())).rejects.toThrow("y.npy: label 83886080 at index 1 is beyond Brink's limit of 1,000,000 classes");
  });

  it('refuses image shapes it cannot read as N,H,W / N,C,H,W / N,H,W,C', async () => {
    await put(join(dir(), 'x.npy'), npyFile('|u1', [1, 2, 2, 2], new Uint8Array(8)));
    await put(join(dir(), 'y.npy'), labelsNpy([0]));
    await expect(readDataset(dir())).rejects.toThrow(/x\.npy: images must have shape .* found \(1, 2, 2, 2\)/);
  });
});
