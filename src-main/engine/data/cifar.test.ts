import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset } from './index.js';
import { cifarFile, put, useTempDir } from './test-fixtures.js';

const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const pixelOf = (base: number) => (record: number, offset: number) => (base + record * 7 + offset) % 256;

describe('CIFAR binary reader', () => {
  const dir = useTempDir();

  it('reads a CIFAR-10 batch as 3x32x32 uint8 records in the stored C,H,W order', async () => {
    const path = await put(join(dir(), 'test_batch.bin'), cifarFile([[3], [9]], pixelOf(0)));
    const samples = await readDataset(path);
    expect(samples).toMatchObject({ format: 'cifar10', count: 2, shape: [3, 32, 32], dtype: 'uint8', classNames: null });
    expect(Array.from(samples.labels)).toEqual([3, 9]);
    expect(samples.data.length).toBe(2 * 3072);
    expect(samples.data[0]).toBe(0);
    expect(samples.data[1024]).toBe(1024 % 256);
    expect(samples.data[3072 + 5]).toBe((7 + 5) % 256);
  });

  it('reads every batch of a folder in sorted order, with the class names of batches.meta.txt', async () => {
    await put(join(dir(), 'test_batch.bin'), cifarFile([[2]], pixelOf(30)));
    await put(join(dir(), 'data_batch_2.bin'), cifarFile([[1]], pixelOf(20)));
    await put(join(dir(), 'data_batch_1.bin'), cifarFile([[0], [5]], pixelOf(10)));
    await put(join(dir(), 'batches.meta.txt'), `${CIFAR10_NAMES.join('\n')}\n\n`);
    await put(join(dir(), 'readme.html'), '<p>not a batch</p>');
    const samples = await readDataset(dir());
    expect(samples.format).toBe('cifar10');
    expect(Array.from(samples.labels)).toEqual([0, 5, 1, 2]);
    expect(Array.from([0, 1, 2, 3], (r) => samples.data[r * 3072])).toEqual([10, 17, 20, 30]);
    expect(samples.classNames).toEqual(CIFAR10_NAMES);
    expect(samples.sourceFiles.map((file) => file.slice(dir().length + 1))).toEqual([
      'data_batch_1.bin',
      'data_batch_2.bin',
      'test_batch.bin',
      'batches.meta.txt',
    ]);
  });

  it('stops reading once `limit` records are in, even across files', async () => {
    await put(join(dir(), 'data_batch_1.bin'), cifarFile([[0], [1]], pixelOf(0)));
    await put(join(dir(), 'data_batch_2.bin'), cifarFile([[2], [3]], pixelOf(0)));
    await put(join(dir(), 'data_batch_3.bin'), cifarFile([[4]], pixelOf(0)));
    const samples = await readDataset(dir(), { limit: 3 });
    expect(samples.count).toBe(3);
    expect(Array.from(samples.labels)).toEqual([0, 1, 2]);
    expect(samples.sourceFiles).toHaveLength(2);
  });

  it('reads CIFAR-100 batches, keeping the fine label, with fine_label_names.txt', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `class${i}`);
    await put(join(dir(), 'fine_label_names.txt'), names.join('\n'));
    const path = await put(join(dir(), 'train.bin'), cifarFile([[4, 99], [19, 0]], pixelOf(1)));
    const samples = await readDataset(path);
    expect(samples).toMatchObject({ format: 'cifar100', count: 2, shape: [3, 32, 32] });
    expect(Array.from(samples.labels)).toEqual([99, 0]);
    expect(samples.data[0]).toBe(1);
    expect(samples.classNames).toEqual(names);
  });

  it('tells CIFAR-100 from CIFAR-10 in a folder by the batch names', async () => {
    await put(join(dir(), 'test.bin'), cifarFile([[0, 42]], pixelOf(0)));
    const samples = await readDataset(dir());
    expect(samples.format).toBe('cifar100');
    expect(Array.from(samples.labels)).toEqual([42]);
    expect(samples.classNames).toBeNull();
  });

  it('refuses a batch whose size is not a whole number of records', async () => {
    const whole = cifarFile([[1], [2]], pixelOf(0));
    const path = await put(join(dir(), 'data_batch_1.bin'), whole.subarray(0, whole.length - 100));
    await expect(readDataset(path)).rejects.toThrow(
      'data_batch_1.bin: truncated: 6046 bytes is not a multiple of the 3073-byte CIFAR-10 record',
    );
  });

  it('refuses a renamed .bin that fits neither record size', async () => {
    const path = await put(join(dir(), 'mystery.bin'), new Uint8Array(5000));
    await expect(readDataset(path)).rejects.toThrow(/mystery\.bin: truncated: 5000 bytes is a multiple of neither/);
  });

  it('refuses a label outside the class range', async () => {
    const path = await put(join(dir(), 'data_batch_1.bin'), cifarFile([[1], [200]], pixelOf(0)));
    await expect(readDataset(path)).rejects.toThrow(/data_batch_1\.bin: record 1 has label 200, outside the CIFAR-10 range/);
  });

  it('refuses a names file with the wrong number of classes', async () => {
    await put(join(dir(), 'batches.meta.txt'), 'cat\ndog\n');
    const path = await put(join(dir(), 'test_batch.bin'), cifarFile([[1]], pixelOf(0)));
    await expect(readDataset(path)).rejects.toThrow('batches.meta.txt: expected 10 class names, found 2');
  });
});
