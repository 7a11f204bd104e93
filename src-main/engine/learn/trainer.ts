/**
 * Full-batch training of the pseudo-margin network on onnxruntime: one session computes the
 * mean squared error and its gradient with respect to every weight (engine/autodiff's
 * buildInputGradientModel), and Adam steps in JavaScript, as the authors' loop does with
 * batch_size 5000 > 4000 training samples (one step per epoch).
 */
import ort from 'onnxruntime-node';
import { buildInputGradientModel } from '../autodiff/backward.js';
import { writeModel } from '../onnx/codec.js';
import { probeShapes } from '../onnx/shapes.js';
import { Adam, ADAM_DEFAULTS, type AdamOptions } from './adam.js';
import { biasName, trainingGraph, weightName, type Layer, type LayerWeights } from './network.js';

export interface FitOptions {
  epochs: number;
  adam?: AdamOptions;
  /** Called after each epoch with the training loss before that epoch's step. */
  onEpoch?(epoch: number, loss: number): void;
  /** Checked between epochs; training ends early (returning the weights so far) when it says yes. */
  stopRequested?(): boolean;
}

export interface FitResult {
  weights: LayerWeights[];
  /** Training loss at each epoch, before its step. */
  losses: number[];
  stopped: boolean;
}

/**
 * One thread for the session's ops: onnxruntime's reductions split work by thread count, and a
 * fixed split is what makes a seed give the same weights on every run of the same machine.
 */
const TRAINING_SESSION: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3 };

/**
 * Trains `initial` (copied, never changed) on x [n, inputs] (already standardised) and targets
 * [n] for `epochs` full-batch Adam steps.
 */
export async function fitFullBatch(layers: Layer[], initial: LayerWeights[], x: Float32Array, target: Float32Array, options: FitOptions): Promise<FitResult> {
  const n = target.length;
  if (x.length !== n * layers[0].inputs) throw new RangeError(`fitFullBatch: ${x.length} inputs for ${n} samples of ${layers[0].inputs}`);
  const weights = initial.map((w) => ({ weight: Float32Array.from(w.weight), bias: Float32Array.from(w.bias) }));
  const graph = trainingGraph(layers, n);
  const tensors: Record<string, ort.Tensor> = {
    [graph.x]: new ort.Tensor('float32', x, [n, layers[0].inputs]),
    [graph.target]: new ort.Tensor('float32', target, [n, 1]),
  };
  layers.forEach((l, k) => {
    // The feeds view the weight arrays that Adam updates in place.
    tensors[weightName(k)] = new ort.Tensor('float32', weights[k].weight, [l.outputs, l.inputs]);
    tensors[biasName(k)] = new ort.Tensor('float32', weights[k].bias, [l.outputs]);
  });
  const shapes = await probeShapes(graph.model, runOnce, tensors);
  const built = buildInputGradientModel(graph.model, { shapes, output: graph.loss, wrt: graph.parameters });
  const session = await ort.InferenceSession.create(writeModel(built.model), TRAINING_SESSION);
  try {
    const parameters = weights.flatMap((w) => [w.weight, w.bias]);
    const adam = new Adam(parameters, options.adam ?? ADAM_DEFAULTS);
    const losses: number[] = [];
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      if (options.stopRequested?.()) return { weights, losses, stopped: true };
      const out = await session.run(tensors);
      const loss = (out[built.output].data as Float32Array)[0];
      adam.update(graph.parameters.map((p) => out[built.gradients[p]].data as Float32Array));
      losses.push(loss);
      options.onEpoch?.(epoch, loss);
    }
    return { weights, losses, stopped: false };
  } finally {
    await session.release();
  }
}

async function runOnce(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { ...TRAINING_SESSION, graphOptimizationLevel: 'disabled' });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}
