/** Messages between the supervisor and a job process: the same over child_process and utilityProcess. */

/** The batch in flight: its samples and the fraction of its attack steps done. */
export interface BatchProgress {
  samples: number;
  fraction: number;
}
import type { PreprocessingProbe, PseudoMarginInputChoice, PseudoMarginVariant } from '../../src-preload/contract.js';
import type { PseudoMarginOutput } from '../worker/pseudo-margin-output.js';
import type { ScreenedLogits, ScreenRequest } from '../worker/screen.js';

export interface StartJob {
  type: 'start';
  projectPath: string;
  runId: string;
  intraOpThreads?: number;
}

/** A one-shot job outside the runs queue: try the common preprocessing conventions (service/preprocessing-probe). */
export interface ProbeJob {
  type: 'probe';
  projectPath: string;
  modelId: string;
  datasetId: string;
  samples: number;
  seed: number;
  intraOpThreads?: number;
}

/** A one-shot job outside the runs queue: one forward pass over new inputs (service/screening). */
export interface ScreenJob extends ScreenRequest {
  type: 'screen';
  projectPath: string;
}

/** A one-shot job outside the runs queue: learn a pseudo-margin from a run (worker/pseudo-margin-training). */
export interface PseudoMarginJob {
  type: 'pseudo-margin';
  projectPath: string;
  runId: string;
  input: PseudoMarginInputChoice;
  variant: PseudoMarginVariant;
  seed: number;
  epochs: number;
  intraOpThreads?: number;
}

/** A one-shot job outside the runs queue: a stored pseudo-margin applied to every sample of a run (service/pseudo-margin-scores). */
export interface PseudoMarginScoresJob {
  type: 'pseudo-margin-scores';
  projectPath: string;
  runId: string;
  pseudoMarginId: string;
  intraOpThreads?: number;
}

export type ToWorker = StartJob | ProbeJob | ScreenJob | PseudoMarginJob | PseudoMarginScoresJob | { type: 'stop' };

export type FromWorker =
  | { type: 'progress'; done: number; total: number; stage: string; provider: string | null; batch?: BatchProgress }
  | { type: 'log'; at: string; line: string }
  | { type: 'finished'; outcome: 'done' | 'stopped' }
  /** outOfMemory: onnxruntime (or the system) refused an allocation; the supervisor retries such a run with a smaller plan. */
  | { type: 'failed'; message: string; outOfMemory?: boolean }
  | { type: 'probed'; result: PreprocessingProbe }
  | { type: 'screened'; result: ScreenedLogits | null }
  | { type: 'training'; stage: string; epoch: number; epochs: number; loss: number | null }
  | { type: 'trained'; pseudoMarginId: string }
  | { type: 'pseudo-margin-scored'; result: PseudoMarginOutput };

/** A running job process, whatever spawned it. */
export interface WorkerHandle {
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  readonly pid: number | undefined;
}

export type Spawner = () => WorkerHandle;

/** What a service function needs to run onnxruntime work in a job process: the service's spawner and the threads it gives a job. */
export interface JobProcesses {
  spawn: Spawner;
  intraOpThreads?: number;
}
