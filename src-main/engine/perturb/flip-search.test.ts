import { describe, expect, it } from 'vitest';
import { CORRUPTION_TABLE, type ImageShape } from './corruptions.js';
import { smallestFlips, searchGrid, type FlipModel } from './flip-search.js';
import { noiseField } from './noise.js';
import { rotate, translate } from './spatial.js';

const grey: ImageShape = { channels: 1, height: 8, width: 8 };
const mean = (image: Float32Array) => image.reduce((s, v) => s + v, 0) / image.length;

/** A linear model on the image's mean: class 1 once the mean passes `at`. */
function meanModel(render: FlipModel['render'], at: number): FlipModel {
  return { render, predict: async (batch) => Int32Array.from(batch, (x) => (mean(x) > at ? 1 : 0)) };
}

describe('the smallest flipping strength', () => {
  it('finds a linear model\'s flip point on a constant image: brightness 0.3 -> 0.5 flips at +0.2', async () => {
    const images = [new Float32Array(64).fill(0.3), new Float32Array(64).fill(0.45)];
    const noise = noiseField(0, 0, 64);
    const model = meanModel((s, strength) => CORRUPTION_TABLE.brightness.apply(images[s], grey, strength, noise) as Float32Array, 0.5);
    const results = await smallestFlips(model, new Int32Array([0, 0]), { grid: searchGrid([0.25, 0.5, 0.75, 1], 16), bisections: 30 });
    expect(results[0].strength).toBeCloseTo(0.2, 6);
    expect(results[0].below).toBeLessThan(results[0].strength!);
    expect(results[0].prediction).toBe(1);
    expect(results[1].strength).toBeCloseTo(0.05, 6);
  });

  it('censors a sample no strength in range flips, never giving it 0', async () => {
    const images = [new Float32Array(64).fill(0.3)];
    const noise = noiseField(0, 0, 64);
    // Contrast keeps a constant image as it is.
    const model = meanModel((s, strength) => CORRUPTION_TABLE.contrast.apply(images[s], grey, strength, noise) as Float32Array, 0.5);
    const [result] = await smallestFlips(model, new Int32Array([0]), { grid: [0.25, 0.5, 0.75, 1], bisections: 10 });
    expect(result).toEqual({ strength: null, below: 0, prediction: null });
  });

  it('bisects over the levels of a discrete family and stops at neighbours', async () => {
    // A "JPEG" whose image mean is the strength / 100: flips from level 37 on (mean > 0.365).
    const levels = Array.from({ length: 100 }, (_, i) => i + 1);
    const model: FlipModel = { render: (_s, strength) => new Float32Array(4).fill(strength / 100), predict: async (b) => Int32Array.from(b, (x) => (mean(x) > 0.365 ? 1 : 0)) };
    const calls: number[] = [];
    const [result] = await smallestFlips(model, new Int32Array([0]), { grid: searchGrid(levels, 8), levels, bisections: 0 }, (done) => calls.push(done));
    expect(result.strength).toBe(37);
    expect(result.below).toBe(36);
    expect(calls.at(-1)).toBe(calls.length);
  });

  it('keeps only what a fresh forward pass confirms', async () => {
    let verifying = false;
    const model: FlipModel = {
      render: (_s, strength) => new Float32Array(1).fill(strength),
      // Flips during the search, not on the final check: a non-deterministic model.
      predict: async (b) => Int32Array.from(b, (x) => (!verifying && x[0] > 0.5 ? 1 : 0)),
    };
    const search = smallestFlips(model, new Int32Array([0]), { grid: [0.25, 0.5, 0.75, 1], bisections: 3 }, (done, total) => {
      verifying = done === total - 1;
    });
    expect((await search)[0].strength).toBeNull();
  });

  it('spreads a grid over many levels, the last included', () => {
    expect(searchGrid([1, 2, 3], 8)).toEqual([1, 2, 3]);
    const g = searchGrid(Array.from({ length: 100 }, (_, i) => i + 1), 10);
    expect(g).toHaveLength(10);
    expect(g.at(-1)).toBe(100);
    expect([...g].sort((a, b) => a - b)).toEqual(g);
  });
});

describe('rotation and translation', () => {
  const shape: ImageShape = { channels: 1, height: 21, width: 21 };
  /** The image's centre of mass relative to its centre, as (x, y) with y downwards. */
  const centroid = (image: Float32Array): [number, number] => {
    let m = 0;
    let x = 0;
    let y = 0;
    image.forEach((v, i) => {
      m += v;
      x += v * (i % 21);
      y += v * Math.floor(i / 21);
    });
    return [x / m - 10, y / m - 10];
  };
  const dot = new Float32Array(21 * 21);
  dot[10 * 21 + 16] = 1; // six pixels right of the centre

  it('turns counter-clockwise as displayed: a dot right of the centre goes above it at +90 degrees', () => {
    const [x, y] = centroid(rotate(dot, shape, 90));
    expect(x).toBeCloseTo(0, 6);
    expect(y).toBeCloseTo(-6, 6);
  });

  it('moves right and down for positive shifts, and by fractions of a pixel', () => {
    const [x, y] = centroid(translate(dot, shape, 1.5, 2));
    expect(x).toBeCloseTo(7.5, 6);
    expect(y).toBeCloseTo(2, 6);
  });

  it('finds the angle at which the class changes: a model that reads the dot\'s direction, 30 degrees', async () => {
    const model: FlipModel = {
      render: (_s, degrees) => rotate(dot, shape, degrees),
      predict: async (b) =>
        Int32Array.from(b, (image) => {
          const [x, y] = centroid(image);
          return (Math.atan2(-y, x) * 180) / Math.PI >= 30 ? 1 : 0;
        }),
    };
    const [result] = await smallestFlips(model, new Int32Array([0]), { grid: searchGrid([10, 20, 40, 90, 180], 16), bisections: 20 });
    expect(result.strength!).toBeGreaterThan(29);
    expect(result.strength!).toBeLessThan(31);
  });
});
