import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readDataset } from './index.js';
import { put, putImage, useTempDir } from './test-fixtures.js';
import { UNLABELED } from './types.js';

describe('image folder reader', () => {
  const dir = useTempDir();
  const grey = (file: string, values: number[]) => putImage(join(dir(), file), 'png', [2, 2, 1], Uint8Array.from(values));

  it('reads greyscale class folders as [1,H,W], classes and files in sorted order', async () => {
    await grey('dog/b.png', [1, 2, 3, 4]);
    await grey('dog/a.png', [5, 6, 7, 8]);
    await grey('cat/z.png', [9, 10, 11, 12]);
    const samples = await readDataset(dir());
    expect(samples).toMatchObject({ format: 'image-folder', count: 3, shape: [1, 2, 2], dtype: 'uint8', skipped: [] });
    expect(samples.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(samples.labels)).toEqual([0, 1, 1]);
    expect(Array.from(samples.data)).toEqual([9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4]);
    expect(samples.sourceFiles).toEqual(['cat/z.png', 'dog/a.png', 'dog/b.png'].map((file) => join(dir(), file)));
  });

  it('stops reading between batches of files once its signal is aborted', async () => {
    for (let k = 0; k < 40; k++) await grey(`a/${String(k).padStart(2, '0')}.png`, [k, k, k, k]);
    const before = new AbortController();
    before.abort();
    await expect(readDataset(dir(), { signal: before.signal })).rejects.toMatchObject({ name: 'AbortError' });

    // Aborted at the third of ten batch checks (five of headers, five of decoding): nothing after it runs.
    const controller = new AbortController();
    const { signal } = controller;
    let checks = 0;
    const check = signal.throwIfAborted.bind(signal);
    signal.throwIfAborted = () => {
      if (++checks === 3) controller.abort();
      check();
    };
    await expect(readDataset(dir(), { signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(checks).toBe(3);
    expect((await readDataset(dir(), { signal: new AbortController().signal })).count).toBe(40);
  });

  it('counts grey with alpha as grey', async () => {
    await grey('a/1.png', [1, 2, 3, 4]);
    await putImage(join(dir(), 'a/2.png'), 'png', [2, 2, 2], Uint8Array.of(50, 255, 60, 0, 70, 128, 80, 255));
    expect((await sharp(join(dir(), 'a/2.png')).metadata()).channels).toBe(2);
    const samples = await readDataset(dir());
    expect(samples.shape).toEqual([1, 2, 2]);
    expect(Array.from(samples.data.subarray(4))).toEqual([50, 60, 70, 80]);
  });

  it('turns every image to RGB, C,H,W, when any image has colour', async () => {
    await grey('a/grey.png', [1, 2, 3, 4]);
    const rgb = [10, 20, 30, 11, 21, 31, 12, 22, 32, 13, 23, 33];
    await putImage(join(dir(), 'b/rgb.png'), 'png', [2, 2, 3], Uint8Array.from(rgb));
    const rgba = [40, 50, 60, 255, 41, 51, 61, 0, 42, 52, 62, 9, 43, 53, 63, 255];
    await putImage(join(dir(), 'b/rgba.png'), 'png', [2, 2, 4], Uint8Array.from(rgba));
    const samples = await readDataset(dir());
    expect(samples.shape).toEqual([3, 2, 2]);
    expect(Array.from(samples.data.subarray(0, 12))).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    expect(Array.from(samples.data.subarray(12, 24))).toEqual([10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33]);
    expect(Array.from(samples.data.subarray(24, 36))).toEqual([40, 41, 42, 43, 50, 51, 52, 53, 60, 61, 62, 63]);
  });

  it('reads JPEG files with upper-case extensions', async () => {
    const red = Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => [200, 30, 60][i % 3]);
    await putImage(join(dir(), 'red/1.JPG'), 'jpeg', [8, 8, 3], red);
    await putImage(join(dir(), 'red/2.jpeg'), 'jpeg', [8, 8, 3], red);
    const samples = await readDataset(dir());
    expect(samples).toMatchObject({ count: 2, shape: [3, 8, 8] });
    const means = [0, 1, 2].map((c) => Array.from(samples.data.subarray(c * 64, (c + 1) * 64)).reduce((a, b) => a + b, 0) / 64);
    means.forEach((mean, c) => expect(Math.abs(mean - [200, 30, 60][c])).toBeLessThan(4));
  });

  it('skips a corrupt JPEG among good ones and says which and why', async () => {
    const pixels = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => i);
    await putImage(join(dir(), 'a/good1.jpg'), 'jpeg', [4, 4, 3], pixels);
    await putImage(join(dir(), 'a/good2.jpg'), 'jpeg', [4, 4, 3], pixels);
    await putImage(join(dir(), 'b/good3.jpg'), 'jpeg', [4, 4, 3], pixels);
    await put(join(dir(), 'b/broken.jpg'), Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 2, 3));
    const samples = await readDataset(dir());
    expect(samples.count).toBe(3);
    expect(Array.from(samples.labels)).toEqual([0, 0, 1]);
    expect(samples.skipped).toHaveLength(1);
    expect(samples.skipped[0].file).toBe(join(dir(), 'b/broken.jpg'));
    expect(samples.skipped[0].reason).toMatch(/^(unreadable|corrupt) image \(.+\)$/);
    expect(samples.skipped[0].reason).not.toContain('\n');
  });

  it('skips an image whose size differs from the others', async () => {
    await grey('a/1.png', [1, 2, 3, 4]);
    await grey('a/2.png', [5, 6, 7, 8]);
    await putImage(join(dir(), 'a/3.png'), 'png', [3, 1, 1], Uint8Array.of(1, 2, 3));
    const samples = await readDataset(dir());
    expect(samples.count).toBe(2);
    expect(samples.skipped).toEqual([{ file: join(dir(), 'a/3.png'), reason: "size 3x1 differs from the other images' 2x2" }]);
  });

  it('keeps the first `limit` images and reports only what it passed over on the way', async () => {
    await grey('a/1.png', [1, 1, 1, 1]);
    await put(join(dir(), 'a/2.png'), 'not a png');
    await grey('a/3.png', [3, 3, 3, 3]);
    await grey('b/4.png', [4, 4, 4, 4]);
    await put(join(dir(), 'b/5.png'), 'not a png either');
    const samples = await readDataset(dir(), { limit: 2 });
    expect(samples.count).toBe(2);
    expect(Array.from(samples.data)).toEqual([1, 1, 1, 1, 3, 3, 3, 3]);
    expect(samples.skipped.map((skip) => skip.file)).toEqual([join(dir(), 'a/2.png')]);
  });

  it('ignores hidden files and folders and files that are not images', async () => {
    await grey('a/1.png', [1, 2, 3, 4]);
    await put(join(dir(), 'a/._1.png'), 'AppleDouble metadata');
    await put(join(dir(), 'a/notes.txt'), 'hello');
    await grey('.ipynb_checkpoints/1.png', [1, 2, 3, 4]);
    const samples = await readDataset(dir());
    expect(samples.count).toBe(1);
    expect(samples.classNames).toEqual(['a']);
    expect(samples.skipped).toEqual([]);
  });

  it('refuses class folders with no images at all', async () => {
    await put(join(dir(), 'cat/readme.txt'), 'no images here');
    await put(join(dir(), 'dog/.keep'), '');
    await expect(readDataset(dir())).rejects.toThrow(/: no PNG or JPEG images in any class folder$/);
  });

  it('refuses a folder whose images are all unreadable', async () => {
    await put(join(dir(), 'a/1.png'), 'garbage');
    await put(join(dir(), 'a/2.jpg'), 'garbage');
    await expect(readDataset(dir())).rejects.toThrow(/: none of the 2 images could be read \(first: a\/1\.png: unreadable image/);
  });

  it('reads a flat folder of images as unlabeled samples, in sorted order', async () => {
    await grey('b.png', [1, 2, 3, 4]);
    await grey('a.png', [5, 6, 7, 8]);
    await put(join(dir(), 'notes.txt'), 'not an image');
    const samples = await readDataset(dir());
    expect(samples).toMatchObject({ format: 'image-folder', count: 2, shape: [1, 2, 2], classNames: null, labeled: false });
    expect(Array.from(samples.labels)).toEqual([UNLABELED, UNLABELED]);
    expect(Array.from(samples.data)).toEqual([5, 6, 7, 8, 1, 2, 3, 4]);
    expect(samples.sourceFiles).toEqual(['a.png', 'b.png'].map((file) => join(dir(), file)));
  });

  it('reads class folders as labelled, leaving images beside them out', async () => {
    await grey('loose.png', [1, 2, 3, 4]);
    await grey('cat/1.png', [5, 6, 7, 8]);
    const samples = await readDataset(dir());
    expect(samples).toMatchObject({ count: 1, classNames: ['cat'], labeled: true });
  });
});
