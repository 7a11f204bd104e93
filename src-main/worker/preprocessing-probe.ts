import type { PreprocessingCandidate, PreprocessingProbe } from '../../src-preload/contract.js';
import { argmax } from '../engine/margins/margins.js';
import { cloneModel, readModel, writeModel } from '../engine/onnx/codec.js';
import { preprocessingFromMetadata, readMetadataProps } from '../engine/onnx/metadata.js';
import { graphReading, prepareGraph } from '../engine/onnx/reading.js';
import { BatchRunner, createSession, fixedBatchSize } from '../engine/runtime/index.js';
import { subsetIndices } from '../jobs/subset.js';
import type { ProjectStore } from '../store/project-store.js';
import { preprocessingCandidates, proposal } from './preprocessing-candidates.js';
import { SampleStream } from './sample-stream.js';
import { storedExternalData } from './stored-external-data.js';

export interface ProbeRequest {
  modelId: string;
  datasetId: string;
  samples: number;
  seed: number;
  intraOpThreads?: number;
}

/** A batch that keeps memory small for large inputs while giving onnxruntime enough rows to be quick. */
const PROBE_BATCH = 50;

/**
 * Classifies the same seeded random samples under every candidate preprocessing, each folded
 * into its own copy of the graph read as runs read it (image input, layout, logits), on the CPU (a few hundred samples do
 * not repay a GPU's start-up). Runs in a job process: onnxruntime's run() blocks its thread.
 */
export async function probePreprocessing(store: ProjectStore, request: ProbeRequest): Promise<PreprocessingProbe> {
  const started = performance.now();
  const model = store.models.get(request.modelId);
  const dataset = store.datasets.get(request.datasetId);
  const indices = subsetIndices({ mode: 'random', count: Math.min(request.samples, dataset.count), seed: request.seed }, dataset.count);
  const { x, labels } = new SampleStream(store.datasets, dataset.id, dataset.shape).take(indices);

  const bytes = store.models.bytes(model.id);
  const parsed = readModel(bytes, model.fileName);
  const metadata = preprocessingFromMetadata(readMetadataProps(bytes));
  const specs = preprocessingCandidates(dataset.shape[0], model.preprocessing, metadata);
  const externalData = storedExternalData(store, model.id, parsed, model.fileName);
  const reading = graphReading(model.reading);
  const candidates: PreprocessingCandidate[] = [];
  try {
    for (const spec of specs) {
      if (spec.skipped) {
        candidates.push({ ...spec, accuracy: null, correct: 0 });
        continue;
      }
      const p = spec.preprocessing;
      const graph = prepareGraph(cloneModel(parsed), reading, { range: p.valueRange, mean: p.mean, std: p.std });
      const { session } = await createSession(writeModel(graph), { device: 'cpu', intraOpThreads: request.intraOpThreads, externalData: externalData ?? undefined });
      try {
        const runner = new BatchRunner(session, { batchSize: fixedBatchSize(session) ?? Math.min(PROBE_BATCH, indices.length) });
        const input = model.reading.imageInput ?? session.inputNames[0];
        const output = session.outputNames[0];
        const out = await runner.run({ [input]: { data: x, shape: [indices.length, ...dataset.shape] } }, { fetch: [output] });
        const correct = countCorrect(out[output].data, labels);
        candidates.push({ ...spec, accuracy: correct / indices.length, correct });
      } finally {
        await session.release().catch(() => undefined);
      }
    }
  } finally {
    externalData?.remove();
  }
  const classes = model.classCount;
  return {
    modelId: model.id,
    datasetId: dataset.id,
    samples: indices.length,
    seed: request.seed,
    candidates,
    proposed: proposal(candidates),
    chance: classes ? 1 / classes : null,
    ms: Math.round(performance.now() - started),
  };
}

function countCorrect(outputs: Float32Array, labels: Int32Array): number {
  const classes = outputs.length / labels.length;
  let correct = 0;
  for (let k = 0; k < labels.length; k++) if (argmax(outputs.subarray(k * classes, (k + 1) * classes)) === labels[k]) correct++;
  return correct;
}
