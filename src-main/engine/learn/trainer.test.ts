import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { networkLayers, type LayerWeights, type NetworkVariant } from './network.js';
import { fitFullBatch } from './trainer.js';

interface GoldenCase {
  variant: NetworkVariant;
  lr: number;
  steps: number;
  inputs: number;
  width: number;
  x: number[];
  target: number[];
  initial: { weight: number[]; bias: number[] }[];
  final: { weight: number[]; bias: number[] }[];
  losses: number[];
}

/** Written by tools/goldens/make_pseudo_margin_golden.py (PyTorch's Adam and MSELoss, full batch). */
const golden = JSON.parse(readFileSync(new URL('./goldens/pseudo-margin.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };
const asWeights = (layers: GoldenCase['initial']): LayerWeights[] => layers.map((l) => ({ weight: Float32Array.from(l.weight), bias: Float32Array.from(l.bias) }));
const maxDifference = (a: LayerWeights[], b: LayerWeights[]) =>
  Math.max(...a.flatMap((l, k) => [...l.weight.map((v, j) => Math.abs(v - b[k].weight[j])), ...l.bias.map((v, j) => Math.abs(v - b[k].bias[j]))]));

describe('fitFullBatch agrees with PyTorch (goldens/pseudo-margin.json)', () => {
  it.each(golden.cases.map((c) => [`${c.variant} network, lr ${c.lr}, ${c.steps} steps`, c] as const))('%s: the same weights within 1e-4', async (_, c) => {
    const layers = networkLayers(c.variant, c.inputs, c.width);
    const initial = asWeights(c.initial);
    const result = await fitFullBatch(layers, initial, Float32Array.from(c.x), Float32Array.from(c.target), { epochs: c.steps, adam: { lr: c.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 } });
    const expected = asWeights(c.final);
    expect(maxDifference(result.weights, expected)).toBeLessThan(1e-4);
    // The weights moved far more than the tolerance, so the comparison can fail.
    expect(maxDifference(initial, expected)).toBeGreaterThan(20 * 1e-4);
    result.losses.forEach((loss, k) => expect(loss).toBeCloseTo(c.losses[k], 5));
    expect(result.stopped).toBe(false);
  });

  it('stops between epochs when asked, with the weights so far', async () => {
    const c = golden.cases[0];
    let epochs = 0;
    const result = await fitFullBatch(networkLayers(c.variant, c.inputs, c.width), asWeights(c.initial), Float32Array.from(c.x), Float32Array.from(c.target), {
      epochs: 50,
      onEpoch: (epoch) => (epochs = epoch),
      stopRequested: () => epochs >= 3,
    });
    expect(result.stopped).toBe(true);
    expect(result.losses).toHaveLength(3);
  });
});
