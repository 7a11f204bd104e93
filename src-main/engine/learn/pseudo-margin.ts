/**
 * Learning a pseudo-margin from one run's samples (PAPER-METHODS.md section 7): a seeded 80/20
 * split, inputs standardised on the training part, PyTorch's Linear initialisation from the
 * seed, full-batch Adam on the MSE to sqrt of the input margin. The result is the stored ONNX
 * network and its output on every sample (training and held-out) for evaluation.
 */
import ort from 'onnxruntime-node';
import { writeModel } from '../onnx/codec.js';
import { ADAM_DEFAULTS } from './adam.js';
import { initialWeights } from './init.js';
import { INFERENCE_INPUT, INFERENCE_OUTPUT, inferenceModel, networkLayers, PSEUDO_MARGIN_WIDTH, type NetworkVariant } from './network.js';
import { trainValidationSplit, type Split } from './split.js';
import { standardisation, standardisedRows } from './standardise.js';
import { fitFullBatch } from './trainer.js';

export interface TrainingSettings {
  variant: NetworkVariant;
  epochs: number;
  seed: number;
  /** Hidden width; the authors' 512 unless a test asks for less. */
  width?: number;
  validationShare?: number;
}

/** The authors' training: 500 full-batch epochs, Adam lr 1e-4, 20% held out. */
export const TRAINING_DEFAULTS = { epochs: 500, lr: ADAM_DEFAULTS.lr, validationShare: 0.2, width: PSEUDO_MARGIN_WIDTH } as const;

export interface TrainingData {
  /** Row-major [n, k]: logits or penultimate features. */
  inputs: Float32Array;
  k: number;
  /** sqrt(d_in / bound) per sample (target.ts). */
  target: Float32Array;
}

export interface TrainedPseudoMargin {
  split: Split;
  /** The ONNX model to store: raw inputs in, the network's sigmoid output out. */
  onnx: Uint8Array;
  /** The network's output for every sample, in the order of the data. */
  outputs: Float32Array;
  losses: number[];
  stopped: boolean;
}

export interface TrainingHooks {
  onEpoch?(epoch: number, loss: number): void;
  stopRequested?(): boolean;
}

export async function trainPseudoMargin(data: TrainingData, settings: TrainingSettings, hooks: TrainingHooks = {}): Promise<TrainedPseudoMargin> {
  const n = data.target.length;
  if (data.inputs.length !== n * data.k) throw new RangeError(`${data.inputs.length} input values for ${n} samples of ${data.k}`);
  const split = trainValidationSplit(n, settings.seed, settings.validationShare ?? TRAINING_DEFAULTS.validationShare);
  const layers = networkLayers(settings.variant, data.k, settings.width ?? TRAINING_DEFAULTS.width);
  const scaling = standardisation(data.inputs, data.k, split.train);
  const x = standardisedRows(data.inputs, data.k, split.train, scaling);
  const target = Float32Array.from(split.train, (r) => data.target[r]);
  const fit = await fitFullBatch(layers, initialWeights(layers, settings.seed), x, target, { epochs: settings.epochs, onEpoch: hooks.onEpoch, stopRequested: hooks.stopRequested });
  const onnx = writeModel(inferenceModel(layers, fit.weights, scaling));
  return { split, onnx, outputs: await applyPseudoMargin(onnx, data.inputs, data.k), losses: fit.losses, stopped: fit.stopped };
}

/** A stored pseudo-margin network's output for each row of a row-major [n, k] matrix. */
export async function applyPseudoMargin(onnx: Uint8Array, inputs: Float32Array, k: number): Promise<Float32Array> {
  const n = inputs.length / k;
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  try {
    const out = await session.run({ [INFERENCE_INPUT]: new ort.Tensor('float32', inputs, [n, k]) });
    return Float32Array.from(out[INFERENCE_OUTPUT].data as Float32Array);
  } finally {
    await session.release();
  }
}
