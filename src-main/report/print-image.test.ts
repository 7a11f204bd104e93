import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../engine/random.js';
import { printImage } from './print-image.js';

async function pngUrl(width: number, height: number, channels: 1 | 3): Promise<string> {
  // Smooth shapes with sensor-like noise: photo-like, so PNG compresses it poorly and JPEG well.
  const random = mulberry32(7);
  const raw = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) raw[(y * width + x) * channels + c] = Math.round(128 + 60 * Math.sin(x / 9 + c) * Math.cos(y / 13) + 24 * (random() - 0.5));
    }
  }
  const png = await sharp(raw, { raw: { width, height, channels } }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

const decode = (url: string) => Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');

describe("the report's gallery images", () => {
  it('keeps small images as the exact PNG', async () => {
    const mnist = await pngUrl(28, 28, 1);
    expect(await printImage(mnist)).toBe(mnist);
    const cifar = await pngUrl(32, 32, 3);
    expect(await printImage(cifar)).toBe(cifar);
  });

  it('prints photo-sized images as smaller JPEG thumbnails of at most 256 pixels a side, the same bytes every time', async () => {
    const photo = await pngUrl(224, 224, 3);
    const printed = await printImage(photo);
    expect(printed.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(decode(printed).byteLength).toBeLessThan(decode(photo).byteLength / 2);
    expect(await sharp(decode(printed)).metadata()).toMatchObject({ format: 'jpeg', width: 224, height: 224 });
    expect(await printImage(photo)).toBe(printed);

    const large = await printImage(await pngUrl(640, 480, 3));
    expect(await sharp(decode(large)).metadata()).toMatchObject({ width: 256, height: 192 });
  });
});
