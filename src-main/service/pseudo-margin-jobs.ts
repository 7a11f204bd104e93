/**
 * Pseudo-margin trainings (issue 12), one at a time, each in its own job process started by the
 * same spawner as runs. They live outside the runs queue: a training is short, leaves nothing
 * half-written (the worker stores the network at the end, in one insert), and a cancelled or
 * crashed one is simply gone.
 */
import { marginAttacks, type PseudoMarginJob, type PseudoMarginProgress, type ValidArgs } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { FromWorker, Spawner, WorkerHandle } from '../jobs/protocol.js';
import { newId, type ProjectStore } from '../store/project-store.js';

export interface TrainingEvents {
  progress(progress: PseudoMarginProgress): void;
  /** A pseudo-margin of this model was stored. */
  stored(modelId: string): void;
}

interface ActiveTraining {
  progress: PseudoMarginProgress;
  worker: WorkerHandle;
  outcome: FromWorker | null;
  cancelled: boolean;
  killTimer: NodeJS.Timeout | null;
  waiters: ((progress: PseudoMarginProgress) => void)[];
}

export class PseudoMarginTrainings {
  private active: ActiveTraining | null = null;

  constructor(
    private readonly spawn: Spawner,
    private readonly events: TrainingEvents,
    private readonly options: { graceMs: number; intraOpThreads?: number } = { graceMs: 5000 },
  ) {}

  /** Refuses up front what the worker would refuse after starting: a run not done or without input margins. */
  start(store: ProjectStore, args: ValidArgs<'pseudoMargin.train'>): PseudoMarginJob {
    if (this.active) throw new UserError('a pseudo-margin is already training; wait for it or cancel it');
    const run = store.runs.get(args.runId);
    if (run.status !== 'done') throw new UserError(`run ${args.runId} is ${run.status}; a pseudo-margin learns from a finished run`);
    if (!run.config.attack?.attacks.some((a) => marginAttacks.includes(a))) {
      throw new UserError(`run ${args.runId} ran no minimal-norm attack (FAB, DeepFool, FMN): it has no input margins to learn from`);
    }
    const job: PseudoMarginJob = { jobId: newId('j'), modelId: run.modelId, runId: args.runId };
    const worker = this.spawn();
    const training: ActiveTraining = {
      progress: { ...job, status: 'running', stage: 'starting', epoch: 0, epochs: args.epochs, loss: null, pseudoMarginId: null, error: null },
      worker,
      outcome: null,
      cancelled: false,
      killTimer: null,
      waiters: [],
    };
    this.active = training;
    worker.onMessage((message) => this.onMessage(training, message));
    worker.onExit((code, signal) => this.onExit(training, code, signal));
    worker.send({ type: 'pseudo-margin', projectPath: store.path, ...args, intraOpThreads: this.options.intraOpThreads });
    this.events.progress(training.progress);
    return job;
  }

  cancel(jobId: string): void {
    const training = this.active;
    if (training?.progress.jobId !== jobId) throw new UserError(`no pseudo-margin training ${jobId} is in progress`);
    training.cancelled = true;
    training.worker.send({ type: 'stop' });
    training.killTimer ??= setTimeout(() => training.worker.kill(), this.options.graceMs);
  }

  list(): PseudoMarginProgress[] {
    return this.active ? [this.active.progress] : [];
  }

  /** Resolves with the final progress (done, failed or cancelled). */
  waitFor(jobId: string): Promise<PseudoMarginProgress> {
    const training = this.active;
    if (training?.progress.jobId !== jobId) throw new UserError(`no pseudo-margin training ${jobId} is in progress`);
    return new Promise((resolve) => training.waiters.push(resolve));
  }

  /** Ends the training in flight (a project switch or shutdown): it stores nothing. */
  async shutdown(): Promise<void> {
    const training = this.active;
    if (!training) return;
    const ended = this.waitFor(training.progress.jobId);
    this.cancel(training.progress.jobId);
    await ended;
  }

  private onMessage(training: ActiveTraining, message: FromWorker): void {
    if (message.type === 'training') {
      training.progress = { ...training.progress, stage: message.stage, epoch: message.epoch, epochs: message.epochs, loss: message.loss };
      this.events.progress(training.progress);
    } else {
      training.outcome = message;
    }
  }

  private onExit(training: ActiveTraining, code: number | null, signal: string | null): void {
    if (training.killTimer) clearTimeout(training.killTimer);
    const outcome = training.outcome;
    const base = training.progress;
    let final: PseudoMarginProgress;
    if (outcome?.type === 'trained') final = { ...base, status: 'done', stage: 'done', pseudoMarginId: outcome.pseudoMarginId };
    else if (training.cancelled) final = { ...base, status: 'cancelled', stage: 'cancelled' };
    else if (outcome?.type === 'failed') final = { ...base, status: 'failed', stage: 'failed', error: outcome.message };
    else final = { ...base, status: 'failed', stage: 'failed', error: `the training process stopped unexpectedly (${signal ?? `code ${code}`})` };
    this.active = null;
    this.events.progress(final);
    if (final.status === 'done') this.events.stored(final.modelId);
    for (const resolve of training.waiters) resolve(final);
  }
}
