import type { PreprocessingProbe } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { FromWorker, Spawner } from '../jobs/protocol.js';
import type { ProjectStore } from '../store/project-store.js';
import { runProblems } from './run-check.js';

/** A few hundred samples tell conventions apart that differ by tens of points of accuracy. */
export const PROBE_SAMPLES = 300;
const PROBE_SEED = 0;
/** Generous for a large model on a CPU; a probe past it is killed and says so. */
const PROBE_TIMEOUT_MS = 10 * 60_000;

export interface ProbeOptions {
  samples?: number;
  intraOpThreads?: number;
  timeoutMs?: number;
}

/**
 * Tries the common preprocessing conventions on labelled samples in a job process started by the
 * same spawner as runs (onnxruntime's run() blocks the thread it runs on, and a native crash must
 * not take the host down). Refuses up front what would stop a run at its first batch.
 */
export async function probePreprocessing(store: ProjectStore, spawn: Spawner, modelId: string, datasetId: string, options: ProbeOptions = {}): Promise<PreprocessingProbe> {
  const model = store.models.get(modelId);
  const dataset = store.datasets.get(datasetId);
  const fixed = model.inputs[0]?.shape?.[0];
  const problems = runProblems(model, dataset, {
    modelId,
    datasetId,
    subset: { mode: 'all' },
    batchSize: typeof fixed === 'number' ? fixed : 1,
    device: 'cpu',
    attack: null,
  });
  if (problems.length) throw new UserError(`cannot test preprocessing on ${dataset.name}: ${problems[0]}`);
  const worker = spawn();
  return new Promise<PreprocessingProbe>((resolve, reject) => {
    let answer: FromWorker | null = null;
    const timer = setTimeout(() => {
      reject(new UserError(`testing the preprocessing took longer than ${Math.round((options.timeoutMs ?? PROBE_TIMEOUT_MS) / 60_000)} minutes and was stopped; try fewer samples`));
      worker.kill();
    }, options.timeoutMs ?? PROBE_TIMEOUT_MS);
    worker.onMessage((message) => {
      if (message.type === 'probed' || message.type === 'failed') answer = message;
    });
    worker.onExit((code, signal) => {
      clearTimeout(timer);
      if (answer?.type === 'probed') resolve(answer.result);
      else if (answer?.type === 'failed') reject(new UserError(`testing the preprocessing failed: ${answer.message}`));
      else reject(new UserError(`the process testing the preprocessing stopped unexpectedly (${signal ?? `code ${code}`})`));
    });
    worker.send({
      type: 'probe',
      projectPath: store.path,
      modelId,
      datasetId,
      samples: options.samples ?? PROBE_SAMPLES,
      seed: PROBE_SEED,
      intraOpThreads: options.intraOpThreads,
    });
  });
}
