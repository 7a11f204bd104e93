/**
 * The penultimate features h(x) (the detected linear head's input) of every sample of a run,
 * in position order: runs store logits per sample but not features, so a pseudo-margin that
 * reads features recomputes them with one forward pass of the model, prepared as the run was.
 */
import { readModel, writeModel } from '../engine/onnx/codec.js';
import { asTheFileSays, graphReading, prepareGraph } from '../engine/onnx/reading.js';
import { detectLinearHead, exposeOutputs } from '../engine/onnx/surgery.js';
import { BatchRunner, createSession, fixedBatchSize } from '../engine/runtime/index.js';
import { subsetIndices } from '../jobs/subset.js';
import type { ProjectStore } from '../store/project-store.js';
import { SampleStream } from './sample-stream.js';
import { storedExternalData } from './stored-external-data.js';

const FEATURE_BATCH = 128;

export interface SampleFeatures {
  /** Row-major [positions.length, k]. */
  features: Float32Array;
  k: number;
}

export async function penultimateFeatures(
  store: ProjectStore,
  runId: string,
  positions: ArrayLike<number>,
  options: { intraOpThreads?: number; progress?(done: number, total: number): void; stopRequested?(): boolean } = {},
): Promise<SampleFeatures | null> {
  const run = store.runs.get(runId);
  const model = store.models.get(run.modelId);
  const dataset = store.datasets.get(run.config.datasetId);
  const parsed = readModel(store.models.bytes(run.modelId), model.fileName);
  const preprocessing = store.runs.preprocessing(runId) ?? model.preprocessing;
  const reading = store.runs.reading(runId) ?? asTheFileSays(model.inputs);
  const graph = prepareGraph(parsed, graphReading(reading), { range: preprocessing.valueRange, mean: preprocessing.mean, std: preprocessing.std });
  const detection = detectLinearHead(graph);
  if (!detection.head) throw new Error(`no penultimate features: ${detection.reason}; train on the logits instead`);
  const featuresName = detection.head.featuresTensor;
  const externalData = storedExternalData(store, run.modelId, parsed, model.fileName);
  const runtime = await createSession(writeModel(exposeOutputs(graph, [featuresName])), { device: 'cpu', intraOpThreads: options.intraOpThreads, externalData: externalData ?? undefined });
  try {
    const runner = new BatchRunner(runtime.session, { batchSize: fixedBatchSize(runtime.session) ?? FEATURE_BATCH });
    const input = runtime.session.inputNames[0];
    const indices = subsetIndices(run.config.subset, dataset.count);
    const stream = new SampleStream(store.datasets, run.config.datasetId, dataset.shape);
    const k = detection.head.features;
    const features = new Float32Array(positions.length * k);
    for (let start = 0; start < positions.length; start += FEATURE_BATCH) {
      if (options.stopRequested?.()) return null;
      const batch = Array.from({ length: Math.min(FEATURE_BATCH, positions.length - start) }, (_, j) => indices[positions[start + j]]);
      const { x } = stream.take(batch);
      const out = await runner.run({ [input]: { data: x, shape: [batch.length, ...dataset.shape] } }, { fetch: [featuresName] });
      features.set(out[featuresName].data.subarray(0, batch.length * k), start * k);
      options.progress?.(start + batch.length, positions.length);
    }
    return { features, k };
  } finally {
    await runtime.session.release().catch(() => undefined);
    externalData?.remove();
  }
}
