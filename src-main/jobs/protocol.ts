/** Messages between the supervisor and a job process: the same over child_process and utilityProcess. */

export interface StartJob {
  type: 'start';
  projectPath: string;
  runId: string;
  intraOpThreads?: number;
}

export type ToWorker = StartJob | { type: 'stop' };

export type FromWorker =
  | { type: 'progress'; done: number; total: number; stage: string; provider: string | null }
  | { type: 'log'; at: string; line: string }
  | { type: 'finished'; outcome: 'done' | 'stopped' }
  | { type: 'failed'; message: string };

/** A running job process, whatever spawned it. */
export interface WorkerHandle {
  send(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  readonly pid: number | undefined;
}

export type Spawner = () => WorkerHandle;
