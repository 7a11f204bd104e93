import type { Equidistance, ProviderAttempt } from '../../src-preload/contract.js';
import { dualNorm, featureMargin, fiveNumbers, logitMargin, argmax, pairwiseWeightDistances, upperTriangle } from '../engine/margins/margins.js';
import { readModel, writeModel } from '../engine/onnx/codec.js';
import { detectLinearHead, foldPreprocessing, type LinearHead } from '../engine/onnx/surgery.js';
import { BatchRunner, createSession } from '../engine/runtime/index.js';
import { subsetIndices } from '../jobs/subset.js';
import type { ProjectStore } from '../store/project-store.js';
import type { SampleResult } from '../store/run-repo.js';
import { SampleStream } from './sample-stream.js';

export interface JobContext {
  store: ProjectStore;
  runId: string;
  intraOpThreads?: number;
  /** Set when the supervisor asked the job to stop; checked between batches. */
  stopRequested: () => boolean;
  progress(done: number, total: number, stage: string, provider: string | null): void;
  log(line: string): void;
}

/**
 * The forward pass over a run's samples: prediction, logits, logit margin and the
 * feature-space margins of the linear head. Only positions without a stored result are
 * computed, so a resumed run continues where the last committed batch ended.
 */
export async function forwardMargins(ctx: JobContext): Promise<'done' | 'stopped'> {
  const { store, runId } = ctx;
  const config = store.runs.config(runId);
  const model = store.models.get(config.modelId);
  const dataset = store.datasets.get(config.datasetId);
  const indices = subsetIndices(config.subset, dataset.count);
  const done = store.runs.donePositions(runId);
  const todo = [...indices.keys()].filter((position) => !done.has(position));
  ctx.progress(done.size, indices.length, 'loading model', null);

  const graph = foldPreprocessing(readModel(store.models.bytes(config.modelId), model.fileName), {
    range: model.preprocessing.valueRange,
    mean: model.preprocessing.mean,
    std: model.preprocessing.std,
  });
  const detection = detectLinearHead(graph);
  if (!detection.head) ctx.log(`no feature margins: ${detection.reason}`);
  const head = detection.head;
  store.runs.setSummary(runId, { equidistance: head ? equidistance(head) : null });

  const runtime = await createSession(writeModel(graph), { device: config.device, intraOpThreads: ctx.intraOpThreads });
  store.runs.setProvider(runId, runtime.provider, runtime.attempts as ProviderAttempt[]);
  for (const attempt of runtime.attempts) {
    ctx.log(attempt.ok ? `running on ${attempt.provider}` : `${attempt.provider} not used: ${attempt.reason}`);
  }
  const runner = new BatchRunner(runtime.session, { batchSize: config.batchSize });
  const input = runtime.session.inputNames[0];
  const output = runtime.session.outputNames[0];
  const distances = head
    ? {
        linf: pairwiseWeightDistances(head.weight, head.classes, head.features, dualNorm('linf')),
        l2: pairwiseWeightDistances(head.weight, head.classes, head.features, dualNorm('l2')),
      }
    : null;

  const stream = new SampleStream(store.datasets, config.datasetId, dataset.shape);
  let completed = done.size;
  ctx.progress(completed, indices.length, 'forward pass', runtime.provider);
  for (let start = 0; start < todo.length; start += config.batchSize) {
    if (ctx.stopRequested()) return 'stopped';
    const positions = todo.slice(start, start + config.batchSize);
    const batchIndices = positions.map((p) => indices[p]);
    const { x, labels } = stream.take(batchIndices);
    const logits = (await runner.run({ [input]: { data: x, shape: [positions.length, ...dataset.shape] } }, { fetch: [output] }))[output];
    const classes = logits.shape[1];
    const rows: SampleResult[] = positions.map((position, k) => {
      const offset = k * classes;
      return {
        position,
        index: batchIndices[k],
        label: labels[k],
        pred: argmax(logits.data, offset, classes),
        logits: logits.data.slice(offset, offset + classes),
        logitMargin: logitMargin(logits.data, offset, classes),
        featureMarginLinf: distances ? featureMargin(logits.data, offset, classes, distances.linf) : null,
        featureMarginL2: distances ? featureMargin(logits.data, offset, classes, distances.l2) : null,
      };
    });
    store.runs.insertBatch(runId, rows);
    completed += rows.length;
    ctx.progress(completed, indices.length, 'forward pass', runtime.provider);
  }
  ctx.log(`finished: ${completed} samples`);
  return 'done';
}

function equidistance(head: LinearHead): Equidistance {
  const pairs = (norm: 'l1' | 'l2') => upperTriangle(pairwiseWeightDistances(head.weight, head.classes, head.features, norm), head.classes);
  const l1 = pairs('l1');
  return { linf: fiveNumbers(l1), l2: fiveNumbers(pairs('l2')), pairs: l1.length };
}
