import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ImageFit } from '../../../src-preload/contract.js';
import { centerCropOffset, fitImage, padPlacement, shortSideResize } from './image-fit.js';
import { readDataset } from './index.js';
import { resizeBilinear, type RawImage } from './resample.js';

// Written by tools/goldens/make_image_fit_goldens.py: torchvision's transforms on PIL images.
const GOLDENS = join(import.meta.dirname, 'goldens', 'image-fit');
const PHOTOS = join(GOLDENS, 'photos');

interface GoldenOutput {
  photo: string;
  golden: string | null;
  shape: [number, number, number];
  sha256: string;
}
const manifest = JSON.parse(readFileSync(join(GOLDENS, 'manifest.json'), 'utf8')) as {
  cases: { name: string; fit: ImageFit; outputs: GoldenOutput[] }[];
};

/** Decoded as torchvision's ImageFolder does: Image.open(f).convert('RGB'). */
async function rgb(file: string): Promise<RawImage> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function differingValues(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('image fit geometry (torchvision)', () => {
  it('Resize(size) sets the short side and truncates the long one: int(size * long / short)', () => {
    expect(shortSideResize(300, 450, 256)).toEqual([256, 384]);
    expect(shortSideResize(78, 74, 256)).toEqual([269, 256]);
    expect(shortSideResize(129, 171, 256)).toEqual([256, 339]);
    expect(shortSideResize(256, 256, 256)).toEqual([256, 256]);
    // 224 * 500 / 333 = 336.33...: truncated, never rounded up.
    expect(shortSideResize(333, 500, 224)).toEqual([224, 336]);
  });

  it("CenterCrop's offset is int(round(gap / 2)) with Python's halves to even", () => {
    expect(centerCropOffset(256, 224)).toBe(16);
    expect(centerCropOffset(269, 224)).toBe(22); // 22.5 -> 22
    expect(centerCropOffset(339, 224)).toBe(58); // 57.5 -> 58
    expect(centerCropOffset(225, 224)).toBe(0); // 0.5 -> 0
    expect(centerCropOffset(227, 224)).toBe(2); // 1.5 -> 2
    expect(centerCropOffset(224, 224)).toBe(0);
  });

  it('pad fits the long side, rounds the short one and centres it with the smaller border first', () => {
    expect(padPlacement(300, 450, [40, 48])).toEqual({ height: 32, width: 48, top: 4, left: 0 });
    expect(padPlacement(197, 136, [40, 48])).toEqual({ height: 40, width: 28, top: 0, left: 10 });
    expect(padPlacement(100, 100, [40, 48])).toEqual({ height: 40, width: 40, top: 0, left: 4 });
    expect(padPlacement(10, 1000, [40, 48])).toEqual({ height: 1, width: 48, top: 19, left: 0 });
  });
});

describe('Pillow bilinear resize', () => {
  it('keeps an image whose size does not change, and a constant image constant', () => {
    const image = { data: Uint8Array.from({ length: 12 }, (_, i) => i * 20), width: 2, height: 2, channels: 3 };
    expect(resizeBilinear(image, 2, 2).data).toEqual(image.data);
    const flat = { data: new Uint8Array(7 * 5).fill(77), width: 5, height: 7, channels: 1 };
    for (const [h, w] of [[3, 2], [20, 13], [7, 1]]) expect(new Set(resizeBilinear(flat, h, w).data)).toEqual(new Set([77]));
  });

  it('averages over the whole footprint when shrinking (antialias), not over two neighbours', () => {
    // 200 0 200 0 ... halved: the triangle widens to 4 input pixels (weights 1 3 3 1), so the inside is
    // the mean and the edges, where the footprint is cut, lean to their side. Values from PIL 12.3.
    const stripes = { data: Uint8Array.from({ length: 8 }, (_, i) => (i % 2 ? 0 : 200)), width: 8, height: 1, channels: 1 };
    expect(Array.from(resizeBilinear(stripes, 1, 4).data)).toEqual([114, 100, 100, 86]);
  });
});

describe('image fits against torchvision, pixel by pixel', () => {
  const cases = manifest.cases.flatMap((c) => c.outputs.map((output) => [c.name, output.photo, c.fit, output] as const));

  it.each(cases)('%s: %s', async (_name, photo, fit, output) => {
    const ours = fitImage(await rgb(join(PHOTOS, photo)), fit);
    expect([ours.height, ours.width, ours.channels]).toEqual(output.shape);
    if (output.golden !== null) {
      const golden = await rgb(join(GOLDENS, output.golden));
      // The golden PNG decoded to exactly the bytes torchvision wrote, so any difference is ours.
      expect(sha256(golden.data)).toBe(output.sha256);
      expect(differingValues(ours.data, golden.data)).toBe(0);
    }
    expect(sha256(ours.data)).toBe(output.sha256);
  });

  it('imports the mixed-size folder with the center crop exactly as torchvision transforms each photo', async () => {
    const crop = manifest.cases.find((c) => c.name === 'crop-small')!;
    const samples = await readDataset(PHOTOS, { fit: crop.fit });
    expect(samples).toMatchObject({ count: 6, shape: [3, 56, 64], skipped: [] });
    expect(samples.classNames).toEqual(['cats', 'dogs']);
    const plane = 56 * 64;
    crop.outputs.forEach((output, n) => {
      expect(samples.sourceFiles[n]).toBe(join(PHOTOS, output.photo));
      // The dataset stores C,H,W; the goldens are H,W,C.
      const hwc = new Uint8Array(plane * 3);
      for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) hwc[p * 3 + c] = samples.data[n * plane * 3 + c * plane + p];
      expect(sha256(hwc)).toBe(output.sha256);
    });
  });
});
