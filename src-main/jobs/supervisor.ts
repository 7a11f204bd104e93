import type { RunProgress, RunStatus } from '../../src-preload/contract.js';
import { bytesText } from '../../src-preload/run-plan.js';
import { smallerPlan } from '../engine/attacks/memory-plan.js';
import type { ProjectStore } from '../store/project-store.js';
import type { FromWorker, Spawner, WorkerHandle } from './protocol.js';

export interface SupervisorEvents {
  progress(progress: RunProgress): void;
  log(entry: { runId: string; at: string; line: string }): void;
  changed(): void;
}

interface ActiveJob {
  runId: string;
  worker: WorkerHandle;
  startedAt: number;
  /** What the user asked for, if they asked the job to stop. */
  stopAs: 'paused' | 'cancelled' | null;
  outcome: FromWorker | null;
  killTimer: NodeJS.Timeout | null;
  firstProgress: { at: number; done: number } | null;
  provider: string | null;
}

/**
 * A job process killed without being asked to stop: SIGKILL is how the system's out-of-memory
 * killer ends a process, SIGABRT how Node ends one whose heap ran out.
 */
const outOfMemorySignals = ['SIGKILL', 'SIGABRT'];

/**
 * Records an out-of-memory exit on the run's plan (worker/job-plan plans smaller on the next
 * start) and says what happened: interrupted, to resume with a smaller plan, or failed when the
 * plan that ran out was already the smallest.
 */
function outOfMemory(runs: ProjectStore['runs'], runId: string, cause: string): { status: RunStatus; message: string } {
  const config = runs.config(runId);
  const atBatch = Math.floor(runs.summary(runId).doneCount / config.batchSize) + 1;
  const plan = runs.plan(runId);
  if (plan) runs.setPlan(runId, { ...plan, outOfMemory: { count: (plan.outOfMemory?.count ?? 0) + 1, atBatch, pending: true } });
  const count = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  const ran = plan ? ` with ${count(plan.batch, 'sample')} and ${count(plan.rowsPerChunk, 'Jacobian row')} per call (budget ${bytesText(plan.budgetBytes)})` : '';
  if (plan && !smallerPlan(plan)) {
    return { status: 'failed', message: `out of memory at batch ${atBatch}${ran}, the smallest plan there is: ${cause}; give the run a larger memory budget or a machine with more memory` };
  }
  const next = plan ? 'resume to retry with a smaller plan (half the batch, then fewer rows per call)' : 'resume to retry, or give the run a larger memory budget';
  return { status: 'interrupted', message: `out of memory at batch ${atBatch}${ran}: ${cause}; ${next}` };
}

const settled: RunStatus[] = ['done', 'failed', 'cancelled', 'paused', 'interrupted'];

/**
 * Runs one job at a time, each in its own process: the queue is the project's runs table
 * (status 'queued'), so it survives restarts. A stop request lets the worker finish its batch,
 * then kills it after a grace period.
 */
export class JobSupervisor {
  private active: ActiveJob | null = null;
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(
    private readonly store: ProjectStore,
    private readonly spawn: Spawner,
    private readonly events: SupervisorEvents,
    private readonly options: { graceMs: number; intraOpThreads?: number } = { graceMs: 5000 },
  ) {}

  /** Called after a run was queued or resumed. */
  pump(): void {
    if (this.active) return;
    const next = this.store.runs
      .list()
      .filter((run) => run.status === 'queued')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
    if (next) this.launch(next.id);
  }

  isActive(runId: string): boolean {
    return this.active?.runId === runId;
  }

  stop(runId: string, as: 'paused' | 'cancelled'): void {
    const job = this.active;
    if (job?.runId === runId) {
      job.stopAs = as;
      job.worker.send({ type: 'stop' });
      job.killTimer ??= setTimeout(() => job.worker.kill(), this.options.graceMs);
      this.store.runs.log(runId, as === 'paused' ? 'pause requested' : 'cancel requested');
      return;
    }
    this.store.runs.setStatus(runId, as);
    this.settle(runId);
  }

  resume(runId: string): void {
    this.store.runs.setStatus(runId, 'queued', { error: null });
    this.events.changed();
    this.pump();
  }

  /** Resolves when the run is no longer queued or running. */
  waitFor(runId: string): Promise<void> {
    if (settled.includes(this.store.runs.summary(runId).status)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(runId, [...(this.waiters.get(runId) ?? []), resolve]));
  }

  /** Pauses whatever runs, for a clean shutdown or a project switch. */
  async shutdown(): Promise<void> {
    const job = this.active;
    if (!job) return;
    this.stop(job.runId, 'paused');
    await this.waitFor(job.runId);
  }

  private launch(runId: string): void {
    this.store.runs.setStatus(runId, 'running', { error: null });
    const worker = this.spawn();
    const job: ActiveJob = { runId, worker, startedAt: Date.now(), stopAs: null, outcome: null, killTimer: null, firstProgress: null, provider: null };
    this.active = job;
    worker.onMessage((message) => this.onMessage(job, message));
    worker.onExit((code, signal) => this.onExit(job, code, signal));
    worker.send({ type: 'start', projectPath: this.store.path, runId, intraOpThreads: this.options.intraOpThreads });
    this.events.changed();
  }

  private onMessage(job: ActiveJob, message: FromWorker): void {
    if (message.type === 'log') {
      this.events.log({ runId: job.runId, at: message.at, line: message.line });
    } else if (message.type === 'progress') {
      const now = Date.now();
      job.provider = message.provider;
      // Throughput from the first report on, so model loading does not drag the average down.
      job.firstProgress ??= { at: now, done: message.done };
      const elapsed = (now - job.firstProgress.at) / 1000;
      const rate = elapsed > 0.5 ? (message.done - job.firstProgress.done) / elapsed : null;
      this.events.progress({
        runId: job.runId,
        status: 'running',
        done: message.done,
        total: message.total,
        samplesPerSecond: rate,
        etaSeconds: rate && rate > 0 ? (message.total - message.done) / rate : null,
        provider: message.provider,
        stage: message.stage,
        batch: message.batch ?? null,
      });
    } else {
      job.outcome = message;
    }
  }

  private onExit(job: ActiveJob, code: number | null, signal: string | null): void {
    if (job.killTimer) clearTimeout(job.killTimer);
    const runs = this.store.runs;
    runs.addActiveTime(job.runId, Date.now() - job.startedAt);
    const outcome = job.outcome;
    if (outcome?.type === 'finished' && outcome.outcome === 'done') {
      runs.setStatus(job.runId, 'done');
    } else if (job.stopAs) {
      runs.setStatus(job.runId, job.stopAs);
    } else if ((outcome?.type === 'failed' && outcome.outOfMemory) || (!outcome && outOfMemorySignals.includes(signal ?? ''))) {
      const cause = outcome?.type === 'failed' ? `onnxruntime could not allocate memory: ${outcome.message}` : `the system killed the job process (${signal}), as it does when memory runs out`;
      const verdict = outOfMemory(runs, job.runId, cause);
      runs.setStatus(job.runId, verdict.status, { error: verdict.message });
      runs.log(job.runId, verdict.message);
    } else if (outcome?.type === 'failed') {
      runs.setStatus(job.runId, 'failed', { error: outcome.message });
      runs.log(job.runId, `failed: ${outcome.message}`);
    } else if (signal) {
      runs.setStatus(job.runId, 'interrupted', { error: `the job process was killed (${signal}); resume to continue` });
    } else {
      runs.setStatus(job.runId, 'failed', { error: `the job process exited unexpectedly (code ${code})` });
    }
    const summary = runs.summary(job.runId);
    this.events.progress({
      runId: job.runId,
      status: summary.status,
      done: summary.doneCount,
      total: summary.sampleCount,
      samplesPerSecond: null,
      etaSeconds: null,
      provider: job.provider,
      stage: summary.status,
      batch: null,
    });
    this.active = null;
    this.settle(job.runId);
    this.pump();
  }

  private settle(runId: string): void {
    this.events.changed();
    for (const resolve of this.waiters.get(runId) ?? []) resolve();
    this.waiters.delete(runId);
  }
}
