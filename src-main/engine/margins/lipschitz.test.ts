import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModel } from '../onnx/codec.js';
import { attr, encode, node } from '../onnx/fixtures/models.js';
import { tinyModel, uniform } from '../autodiff/test-harness.js';
import { onnxDifferentiableModel, type DifferentiableModel } from '../attacks/model.js';
import { dualNorm, lpNorm } from '../attacks/lp-ball.js';
import { linearClassifier, linearLogits, linearModel, type LinearClassifier } from '../attacks/test-models.js';
import type { Norm } from '../attacks/types.js';
import { mulberry32 } from '../random.js';
import { lipschitzMargins, uniformInBall } from './lipschitz.js';

type Released = DifferentiableModel & { release(): Promise<void> };

/** min over k != i of (f_i - f_k)(x) / ||w_i - w_k||_q, with the weights as the ONNX file stores them (float32). */
function exactDistances(lin: LinearClassifier, x: Float32Array, n: number, norm: Norm, classes: (i: number, s: number) => number[] = (i) => [...Array(lin.classes).keys()].filter((k) => k !== i)): number[] {
  const features = lin.weights.length / lin.classes;
  const logits = linearLogits(lin, x, n);
  return Array.from({ length: n }, (_, s) => {
    const f = logits.subarray(s * lin.classes, (s + 1) * lin.classes);
    const i = f.indexOf(Math.max(...f));
    return Math.min(
      ...classes(i, s).map((k) => {
        const w = Float32Array.from({ length: features }, (_, j) => Math.fround(lin.weights[i * features + j]) - Math.fround(lin.weights[k * features + j]));
        return (f[i] - f[k]) / lpNorm(w, dualNorm(norm));
      }),
    );
  });
}

const lin = linearClassifier({ classes: 5, seed: 'lipschitz' });
const n = 6;
const x = uniform(n * 16, 'lipschitz x', 0, 1);
const ids = Int32Array.from({ length: n }, (_, s) => 100 + s);
let linear: Released;
let mlp: Released;
beforeAll(async () => {
  linear = await linearModel(lin);
  // A ReLU network: its gradient changes from point to point, so the estimate depends on the points drawn.
  const graph = readModel(
    encode(
      tinyModel({
        x: ['n', 1, 4, 4],
        nodes: [
          node('Flatten', ['x'], ['flat'], [attr.int('axis', 1)]),
          node('Gemm', ['flat', 'W1', 'b1'], ['h'], [attr.int('transB', 1)]),
          node('Relu', ['h'], ['r']),
          node('Gemm', ['r', 'W2', 'b2'], ['y'], [attr.int('transB', 1)]),
        ],
        weights: { W1: [12, 16], b1: [12], W2: [4, 12], b2: [4] },
      }),
    ),
    'mlp.onnx',
  );
  mlp = await onnxDifferentiableModel(graph, { sampleShape: [1, 4, 4], classes: 4, device: 'cpu', batchSize: 64, intraOpThreads: 1 });
});
afterAll(async () => {
  await Promise.all([linear.release(), mlp.release()]);
});

describe('Lipschitz estimate on a linear classifier (constant gradients: the exact distance to the boundary)', () => {
  for (const norm of ['linf', 'l2', 'l1'] as const) {
    it(`equals min_k (f_i - f_k) / ||w_i - w_k||_q in ${norm} when the radius is large enough`, async () => {
      const exact = exactDistances(lin, x, n, norm);
      const radius = 10 * Math.max(...exact);
      const estimate = await lipschitzMargins(linear, x, n, ids, { norm, radius, samples: 8, seed: 1 });
      estimate.forEach((value, s) => expect(value).toBeCloseTo(exact[s], 4));
    });

    it(`is capped at the radius in ${norm} when the boundary lies beyond it`, async () => {
      const exact = exactDistances(lin, x, n, norm);
      const radius = Math.min(...exact) / 2;
      const estimate = await lipschitzMargins(linear, x, n, ids, { norm, radius, samples: 8, seed: 1 });
      expect(Array.from(estimate)).toEqual(Array(n).fill(radius));
    });
  }

  it('restricts k to the classes with the largest logits (candidates)', async () => {
    const logits = linearLogits(lin, x, n);
    const runnerUp = (i: number, s: number) => {
      const f = Array.from(logits.subarray(s * lin.classes, (s + 1) * lin.classes));
      return [[...f.keys()].filter((k) => k !== i).sort((a, b) => f[b] - f[a])[0]];
    };
    const exact = exactDistances(lin, x, n, 'l2', runnerUp);
    const estimate = await lipschitzMargins(linear, x, n, ids, { norm: 'l2', radius: 1e3, samples: 2, seed: 1, candidates: 2 });
    estimate.forEach((value, s) => expect(value).toBeCloseTo(exact[s], 4));
    // The runner-up's boundary is not always the nearest one: all candidates can only give less.
    const all = await lipschitzMargins(linear, x, n, ids, { norm: 'l2', radius: 1e3, samples: 2, seed: 1 });
    all.forEach((value, s) => expect(value).toBeLessThanOrEqual(estimate[s] + 1e-9));
  });
});

describe('Lipschitz estimate: seeding', () => {
  const options = { norm: 'l2' as const, radius: 2, samples: 16, seed: 7 };

  it('gives the same values for the same seed, and other values for another seed', async () => {
    const a = await lipschitzMargins(mlp, x, n, ids, options);
    const b = await lipschitzMargins(mlp, x, n, ids, options);
    const c = await lipschitzMargins(mlp, x, n, ids, { ...options, seed: 8 });
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it("depends on each sample's id, not on its batch or on the call size", async () => {
    const batch = await lipschitzMargins(mlp, x, n, ids, options);
    const alone = await lipschitzMargins(mlp, x.subarray(3 * 16, 4 * 16), 1, [ids[3]], { ...options, pointsPerCall: 5 });
    expect(alone[0]).toBe(batch[3]);
  });

  it('never grows with more points (each one can only raise L_k), and stays in [0, r]', async () => {
    const estimate = await lipschitzMargins(mlp, x, n, ids, options);
    const fewer = await lipschitzMargins(mlp, x, n, ids, { ...options, samples: 1 });
    estimate.forEach((value, s) => expect(value).toBeLessThanOrEqual(fewer[s] + 1e-12));
    expect(estimate.every((v) => v >= 0 && v <= options.radius)).toBe(true);
  });
});

describe('uniformInBall', () => {
  it.each(['linf', 'l2', 'l1'] as const)('draws points inside the %s ball, out to near its edge', (norm) => {
    const next = mulberry32(3);
    const point = new Float64Array(50);
    let largest = 0;
    for (let t = 0; t < 200; t++) {
      uniformInBall(next, point, norm, 0.5);
      const size = lpNorm(Float32Array.from(point), norm);
      expect(size).toBeLessThanOrEqual(0.5 * (1 + 1e-6));
      largest = Math.max(largest, size);
    }
    // In 50 dimensions the volume sits near the edge.
    expect(largest).toBeGreaterThan(0.45);
  });
});
