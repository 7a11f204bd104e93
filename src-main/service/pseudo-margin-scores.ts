import { UserError } from '../errors.js';
import { marginOfOutput } from '../engine/learn/target.js';
import type { FromWorker, JobProcesses } from '../jobs/protocol.js';
import type { ProjectStore } from '../store/project-store.js';
import type { PseudoMarginOutput } from '../worker/pseudo-margin-output.js';

/** A stored pseudo-margin applied to every sample of a run. */
export interface PseudoMarginScores {
  runId: string;
  pseudoMarginId: string;
  /** The run's sample positions, ascending. */
  positions: Uint32Array;
  /** The network's output per sample: its estimate of sqrt(d_in / marginBound), in (0, 1). */
  output: Float32Array;
  /** The estimated input margin per sample, output^2 * marginBound, in pixel units of the training run's norm: small means brittle. */
  margin: Float64Array;
}

/**
 * Applies pseudo-margin `pseudoMarginId` to every sample of run `runId`: the run it learned
 * from, or any other run of the same model (a forward-margins run, a screening). The network
 * runs in a job process (worker/pseudo-margin-output), as does the forward pass that recomputes
 * penultimate features for one that reads them: onnxruntime's run() would block this process,
 * the service's, for as long as the pass takes.
 */
export async function pseudoMarginScores(store: ProjectStore, processes: JobProcesses, runId: string, pseudoMarginId: string): Promise<PseudoMarginScores> {
  const pm = store.pseudoMargins.get(pseudoMarginId);
  const run = store.runs.get(runId);
  if (run.modelId !== pm.modelId) throw new UserError(`run ${runId} audits ${run.modelName}, and pseudo-margin ${pseudoMarginId} was learned for another model`);
  if (run.doneCount === 0) throw new UserError(`run ${runId} has no results yet`);
  const { positions, output } = await outputInWorker(store, processes, runId, pseudoMarginId);
  const margin = Float64Array.from(output, (o) => marginOfOutput(o, pm.settings.marginBound));
  return { runId, pseudoMarginId, positions, output, margin };
}

/** Settles once the process has exited, so that none is left behind, whatever it answered. */
function outputInWorker(store: ProjectStore, processes: JobProcesses, runId: string, pseudoMarginId: string): Promise<PseudoMarginOutput> {
  const worker = processes.spawn();
  return new Promise<PseudoMarginOutput>((resolve, reject) => {
    let answer: FromWorker | null = null;
    worker.onMessage((message) => {
      if (message.type === 'pseudo-margin-scored' || message.type === 'failed') answer = message;
    });
    worker.onExit((code, signal) => {
      if (answer?.type === 'pseudo-margin-scored') resolve(answer.result);
      else if (answer?.type === 'failed') reject(new UserError(`applying pseudo-margin ${pseudoMarginId} to run ${runId} failed: ${answer.message}`));
      else reject(new UserError(`the process applying pseudo-margin ${pseudoMarginId} to run ${runId} stopped unexpectedly (${signal ?? `code ${code}`})`));
    });
    worker.send({ type: 'pseudo-margin-scores', projectPath: store.path, runId, pseudoMarginId, intraOpThreads: processes.intraOpThreads });
  });
}
