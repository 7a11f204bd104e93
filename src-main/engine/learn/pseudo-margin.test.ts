import { describe, expect, it } from 'vitest';
import { uniform } from '../autodiff/test-harness.js';
import { initialWeights } from './init.js';
import { networkLayers } from './network.js';
import { trainPseudoMargin } from './pseudo-margin.js';
import { trainValidationSplit } from './split.js';
import { marginTargets } from './target.js';

/** 100 samples of 4 inputs whose first input predicts the margin. */
function data() {
  const inputs = uniform(400, 'inputs', -3, 3);
  const margins = Float64Array.from({ length: 100 }, (_, s) => (s % 10 === 0 ? Infinity : 0.02 + 0.01 * (inputs[s * 4] + 3)));
  return { inputs, k: 4, margins, ...marginTargets(margins, 'linf', 784) };
}

describe('trainPseudoMargin', () => {
  it('gives the same network, byte for byte, for the same seed, and another for another seed', async () => {
    const d = data();
    const settings = { variant: 'code' as const, epochs: 5, seed: 3, width: 16 };
    const a = await trainPseudoMargin(d, settings);
    const b = await trainPseudoMargin(d, settings);
    const c = await trainPseudoMargin(d, { ...settings, seed: 4 });
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false);
  });

  it('stores a network whose output on the training rows gives the training loss (standardisation folded in)', async () => {
    const d = data();
    const trained = await trainPseudoMargin(d, { variant: 'paper', epochs: 40, seed: 1, width: 16 }, {});
    // The stored weights are those after the last step; the loss of the next step would be reported there.
    const mse = Array.from(trained.split.train, (r) => (trained.outputs[r] - d.target[r]) ** 2).reduce((a, b) => a + b, 0) / trained.split.train.length;
    expect(mse).toBeLessThan(trained.losses[trained.losses.length - 1]);
    expect(mse).toBeGreaterThan(trained.losses[trained.losses.length - 1] * 0.9);
    expect(trained.losses[39]).toBeLessThan(trained.losses[0]);
  });

  it('reports every epoch and stops when asked', async () => {
    const seen: number[] = [];
    const trained = await trainPseudoMargin(data(), { variant: 'code', epochs: 10, seed: 0, width: 8 }, { onEpoch: (e) => seen.push(e), stopRequested: () => seen.length === 4 });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(trained.stopped).toBe(true);
  });
});

describe('split, initialisation and targets', () => {
  it('holds out 20% by a seeded shuffle, disjoint and complete', () => {
    const s = trainValidationSplit(1000, 7);
    expect(s.validation).toHaveLength(200);
    expect(new Set([...s.train, ...s.validation]).size).toBe(1000);
    expect(trainValidationSplit(1000, 7)).toEqual(s);
    expect(trainValidationSplit(1000, 8).validation).not.toEqual(s.validation);
  });

  it("draws PyTorch's Linear bounds, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for weights and biases", () => {
    const layers = networkLayers('code', 10, 64);
    initialWeights(layers, 0).forEach((w, k) => {
      const bound = 1 / Math.sqrt(layers[k].inputs);
      for (const v of [...w.weight, ...w.bias]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
      // Spread over the whole interval, not a corner of it.
      expect(Math.max(...w.weight.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    });
  });

  it('regresses sqrt of the l_inf margin (the authors), censored samples at the bound and marked', () => {
    const t = marginTargets([0.04, Infinity, 0], 'linf', 784);
    expect(Array.from(t.target)).toEqual([Math.fround(0.2), 1, 0]);
    expect(Array.from(t.censored)).toEqual([0, 1, 0]);
    expect(marginTargets([28], 'l2', 784).target[0]).toBeCloseTo(1);
    expect(() => marginTargets([NaN], 'linf', 784)).toThrow(/minimal-norm attack/);
  });
});
