/**
 * The attack benchmarks' subject: the sample robust CNN with its normalisation folded in, on the
 * first images of the bundled Fashion-MNIST sample (pixels / 255), each sample to leave the
 * model's own prediction (margins are distances to the model's decision, DESIGN.md section 5).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argmax } from '../src-main/engine/attacks/logit-rows.js';
import { onnxDifferentiableModel } from '../src-main/engine/attacks/model.js';
import { readDataset } from '../src-main/engine/data/index.js';
import { readModel } from '../src-main/engine/onnx/codec.js';
import type { OnnxModel } from '../src-main/engine/onnx/graph.js';
import { foldPreprocessing } from '../src-main/engine/onnx/surgery.js';
import type { Device } from '../src-main/engine/runtime/providers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
export const ROBUST_CNN = join(root, 'resources', 'samples', 'fmnist-cnn-robust.onnx');
const IMAGES = join(root, 'resources', 'samples', 'fmnist-test-1000-images-idx3-ubyte.gz');
// The sample models' normalisation (resources/samples/manifest.json), as `brink model add` is given it.
const PREPROCESSING = { mean: [0.286], std: [0.353] };
export const CLASSES = 10;

export interface SampleCnn {
  model: Awaited<ReturnType<typeof onnxDifferentiableModel>>;
  /** The graph the model's sessions were built from (normalisation folded in). */
  graph: OnnxModel;
  /** [samples, 1, 28, 28] in [0, 1]. */
  x: Float32Array;
  /** The model's predictions: the classes the attacks move the samples away from. */
  classes: Int32Array;
  /** How many predictions equal the dataset's labels. */
  correct: number;
}

/** Loads `samples` images and builds the model's sessions on the device (the CPU by default; runner batch `batchSize`). */
export async function loadSampleCnn(samples: number, options: { batchSize: number; threads: number; device?: Device }): Promise<SampleCnn> {
  const graph = foldPreprocessing(readModel(readFileSync(ROBUST_CNN), 'fmnist-cnn-robust.onnx'), PREPROCESSING);
  const dataset = await readDataset(IMAGES, { limit: samples });
  if (dataset.count < samples) throw new Error(`--samples ${samples}: the sample file holds ${dataset.count} images`);
  const x = Float32Array.from(dataset.data, (v) => v / 255);
  const model = await onnxDifferentiableModel(graph, { sampleShape: dataset.shape, classes: CLASSES, device: options.device ?? 'cpu', batchSize: options.batchSize, intraOpThreads: options.threads });
  const logits = await model.logits(x, samples);
  const classes = Int32Array.from({ length: samples }, (_, i) => argmax(logits.subarray(i * CLASSES, (i + 1) * CLASSES)));
  return { model, graph, x, classes, correct: classes.filter((c, i) => c === dataset.labels[i]).length };
}
