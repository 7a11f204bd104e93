import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildInputGradientModel, GradientError } from '../autodiff/backward.js';
import { ortRun, uniform } from '../autodiff/test-harness.js';
import { writeModel } from '../onnx/codec.js';
import { probeShapes } from '../onnx/shapes.js';
import { initialWeights } from './init.js';
import { biasName, networkLayers, trainingGraph, weightName, type Layer, type NetworkVariant } from './network.js';

const N = 12;
/** A weight seed whose ReLU inputs all stay clear of 0 on these samples (checked below). */
const SEED = 9;

/** Feeds for the loss graph of a small network: random samples and targets, seeded weights. */
function lossFeeds(variant: NetworkVariant) {
  const layers = networkLayers(variant, 5, 8);
  const graph = trainingGraph(layers, N);
  const feeds: Record<string, ort.Tensor> = {
    x: new ort.Tensor('float32', uniform(N * 5, 'x', -2, 2), [N, 5]),
    target: new ort.Tensor('float32', uniform(N, 't', 0, 1), [N, 1]),
  };
  initialWeights(layers, SEED).forEach((w, k) => {
    feeds[weightName(k)] = new ort.Tensor('float32', w.weight, [layers[k].outputs, layers[k].inputs]);
    feeds[biasName(k)] = new ort.Tensor('float32', w.bias, [layers[k].outputs]);
  });
  return { graph, feeds };
}

/**
 * The same loss in float64, written out here: finite differences of a float32 loss drown
 * gradients of 1e-4 in rounding.
 */
function referenceLoss(layers: Layer[], feeds: Record<string, ort.Tensor>): number {
  return reference(layers, feeds).loss;
}

/** The loss, and the ReLU input nearest its kink (a difference across a kink is no derivative). */
function reference(layers: Layer[], feeds: Record<string, ort.Tensor>): { loss: number; nearestKink: number } {
  const x = feeds.x.data as Float32Array;
  const target = feeds.target.data as Float32Array;
  let total = 0;
  let nearestKink = Infinity;
  for (let s = 0; s < N; s++) {
    let h = Array.from(x.subarray(s * layers[0].inputs, (s + 1) * layers[0].inputs));
    layers.forEach((l, k) => {
      const w = feeds[weightName(k)].data as Float32Array;
      const b = feeds[biasName(k)].data as Float32Array;
      const z = Array.from({ length: l.outputs }, (_, o) => h.reduce((sum, v, i) => sum + v * w[o * l.inputs + i], b[o]));
      if (l.activation === 'relu') nearestKink = Math.min(nearestKink, ...z.map(Math.abs));
      h = z.map((v) => (l.activation === 'relu' ? Math.max(v, 0) : l.activation === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v));
    });
    total += (h[0] - target[s]) ** 2;
  }
  return { loss: total / N, nearestKink };
}

describe('gradients of the pseudo-margin loss with respect to the weights (buildInputGradientModel)', () => {
  it.each(['code', 'paper'] as const)('%s network: every weight and bias gradient matches central finite differences', async (variant) => {
    const { graph, feeds } = lossFeeds(variant);
    const shapes = await probeShapes(graph.model, ortRun, feeds);
    const built = buildInputGradientModel(graph.model, { shapes, output: graph.loss, wrt: graph.parameters });
    expect(built.model.graph.outputs.map((o) => o.name)).toEqual(['loss', ...graph.parameters.map((p) => built.gradients[p])]);
    const out = await ortRun(writeModel(built.model), feeds);
    const layers = networkLayers(variant, 5, 8);
    expect(referenceLoss(layers, feeds)).toBeCloseTo((out.loss.data as Float32Array)[0], 6);
    // A step of h moves a ReLU input by at most h * (|x| <= 2) * fan-in-ish: far from every kink.
    expect(reference(layers, feeds).nearestKink).toBeGreaterThan(1e-3);
    // Small enough that no ReLU switches inside the difference.
    const h = 1e-5;
    for (const p of graph.parameters) {
      const values = feeds[p].data as Float32Array;
      const analytic = out[built.gradients[p]].data as Float32Array;
      expect(analytic.length).toBe(values.length);
      // Six coordinates per parameter, spread over it.
      const picks = Array.from({ length: Math.min(6, values.length) }, (_, i) => Math.floor((i * values.length) / Math.min(6, values.length)));
      let diff = 0;
      let norm = 0;
      for (const j of picks) {
        const keep = values[j];
        values[j] = keep + h;
        const [upAt, up] = [values[j], referenceLoss(layers, feeds)];
        values[j] = keep - h;
        const [downAt, down] = [values[j], referenceLoss(layers, feeds)];
        values[j] = keep;
        // The step actually taken, after float32 rounding of the perturbed weight.
        const numeric = (up - down) / (upAt - downAt);
        diff += (numeric - analytic[j]) ** 2;
        norm += analytic[j] ** 2;
      }
      expect(Math.sqrt(diff), `${p}: |numeric - analytic| against |analytic| ${Math.sqrt(norm)}`).toBeLessThanOrEqual(1e-2 * Math.sqrt(norm));
    }
  });

  it('refuses an output that is not a scalar and an input the graph does not have', async () => {
    const { graph, feeds } = lossFeeds('code');
    const shapes = await probeShapes(graph.model, ortRun, feeds);
    expect(() => buildInputGradientModel(graph.model, { shapes, output: 'loss', wrt: ['nothing'] })).toThrow(GradientError);
    const withScore = { ...graph.model, graph: { ...graph.model.graph, outputs: [...graph.model.graph.outputs, { name: 'score', elemType: 1, shape: [N, 1] }] } };
    expect(() => buildInputGradientModel(withScore, { shapes, output: 'score', wrt: ['w0'] })).toThrow(/must be a scalar/);
  });

  it('gives zeros for an input the output does not depend on', async () => {
    const { graph, feeds } = lossFeeds('code');
    const shapes = await probeShapes(graph.model, ortRun, feeds);
    const built = buildInputGradientModel(graph.model, { shapes, output: graph.loss, wrt: ['target', 'w0'] });
    const out = await ortRun(writeModel(built.model), feeds);
    // d loss / d target = -2 (score - target) / N: not zero, and shaped like the target.
    expect(out[built.gradients.target].dims).toEqual([N, 1]);
    expect(Math.max(...(out[built.gradients.target].data as Float32Array).map(Math.abs))).toBeGreaterThan(0);
  });
});
