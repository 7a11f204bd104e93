import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORRUPTION_TABLE, CORRUPTIONS, fromPixels, severityStrengths, severityTable, toPixels, type CorruptionName, type ImageShape } from './corruptions.js';
import { noiseField, poissonDraw, POISSON_EXACT_BELOW } from './noise.js';

// tools/goldens/make_corruption_goldens.py: NumPy / SciPy / Pillow as the CIFAR-10-C scripts, with Brink's noise field.
interface Golden {
  seed: number;
  images: { name: string; index: number; height: number; width: number; channels: number; pixels: string }[];
  cases: { image: number; corruption: CorruptionName; strength: number; pixels: string }[];
}
const golden = JSON.parse(readFileSync(new URL('./goldens/corruptions.json', import.meta.url), 'utf8')) as Golden;
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('each corruption against NumPy, SciPy and Pillow (same seed, same image)', () => {
  for (const name of CORRUPTIONS) {
    it(`${name}: every value within 1/255 at the five CIFAR-10-C severities and between`, async () => {
      const cases = golden.cases.filter((c) => c.corruption === name);
      expect(cases.length).toBe(golden.images.length * 6);
      for (const c of cases) {
        const image = golden.images[c.image];
        const shape: ImageShape = { channels: image.channels, height: image.height, width: image.width };
        const clean = fromPixels(bytes(image.pixels), shape);
        const noise = noiseField(golden.seed, image.index, clean.length);
        const out = toPixels(await CORRUPTION_TABLE[name].apply(clean, shape, c.strength, noise), shape);
        const expected = bytes(c.pixels);
        let worst = 0;
        for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
        expect(worst, `${image.name} at strength ${c.strength}`).toBeLessThanOrEqual(1);
      }
    });
  }
});

describe('the corruption scale', () => {
  const cifar: ImageShape = { channels: 3, height: 32, width: 32 };
  const imagenet: ImageShape = { channels: 3, height: 224, width: 224 };

  it('marks the CIFAR-10-C severities on small images and the ImageNet-C ones on large images', () => {
    expect(severityTable(cifar)).toBe('cifar');
    expect(severityTable(imagenet)).toBe('imagenet');
    expect(severityStrengths(CORRUPTION_TABLE['jpeg'], cifar)).toEqual([21, 36, 43, 51, 61]);
    expect(severityStrengths(CORRUPTION_TABLE['shot-noise'], imagenet)).toEqual([1 / 60, 1 / 25, 1 / 12, 1 / 5, 1 / 3]);
    for (const name of CORRUPTIONS) {
      const c = CORRUPTION_TABLE[name];
      const s = severityStrengths(c, cifar);
      expect([...s].sort((a, b) => a - b), `${name}: severities grow with the strength`).toEqual(s);
      expect(s.every((v) => v > 0 && v <= c.maxStrength(cifar))).toBe(true);
      for (const p of c.severities.cifar) expect(c.parameterOf(c.strengthOf(p))).toBeCloseTo(p, 12);
    }
  });

  it('gives the clean image at strength 0', async () => {
    const shape: ImageShape = { channels: 3, height: 8, width: 8 };
    const clean = Float32Array.from({ length: 192 }, (_, i) => (i % 17) / 16);
    const noise = noiseField(1, 0, clean.length);
    for (const name of CORRUPTIONS) expect(Array.from(await CORRUPTION_TABLE[name].apply(clean, shape, 0, noise)), name).toEqual(Array.from(clean));
  });

  it('lists the distinct images of JPEG and pixelation as levels', () => {
    expect(CORRUPTION_TABLE['jpeg'].levels!(cifar)).toHaveLength(100);
    const pixel = CORRUPTION_TABLE['pixelate'].levels!(cifar);
    expect(pixel).toHaveLength(31);
    expect(pixel.map((s) => Math.trunc(32 * (1 - s) + 1e-9))).toEqual(Array.from({ length: 31 }, (_, i) => 31 - i));
  });
});

describe('the noise field', () => {
  it('is the same for the same seed and sample, and differs between samples', () => {
    expect(noiseField(3, 5, 10)).toEqual(noiseField(3, 5, 10));
    expect(noiseField(3, 5, 10).normal).not.toEqual(noiseField(3, 6, 10).normal);
  });

  it('has standard normals and uniforms', () => {
    const f = noiseField(11, 0, 100_000);
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const variance = (a: Float64Array) => mean(a.map((v) => v * v)) - mean(a) ** 2;
    expect(Math.abs(mean(f.normal))).toBeLessThan(0.01);
    expect(Math.abs(variance(f.normal) - 1)).toBeLessThan(0.02);
    expect(Math.abs(mean(f.uniform) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(mean(f.salt) - 0.5)).toBeLessThan(0.01);
  });

  it('makes Poisson draws with mean and variance lambda, exact below the switch and approximate above', () => {
    const f = noiseField(5, 0, 50_000);
    for (const lambda of [0.7, 4, 12, POISSON_EXACT_BELOW - 1, POISSON_EXACT_BELOW, 250]) {
      const draws = Array.from(f.uniform, (u, i) => poissonDraw(lambda, u, f.normal[i]));
      const m = draws.reduce((s, v) => s + v, 0) / draws.length;
      const v = draws.reduce((s, d) => s + (d - m) ** 2, 0) / draws.length;
      expect(Math.abs(m - lambda) / lambda, `mean at ${lambda}`).toBeLessThan(0.02);
      expect(Math.abs(v - lambda) / lambda, `variance at ${lambda}`).toBeLessThan(0.05);
    }
  });
});
