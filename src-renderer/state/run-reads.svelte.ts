import { api } from '../lib/api';
import { LatestRequest } from '../lib/latest-request';
import { errorMessage } from './handle-error';

/**
 * Something the run page reads about the shown run and reads again whenever the run has more
 * results: a live run's censored share, gradients and family margins change batch by batch.
 * These reads are linear passes over the rows, so there is no throttle.
 */
class RunRead<T> {
  value = $state.raw<T | null>(null);
  /** Why the last read failed; the previous value stays on screen. */
  failure = $state<string | null>(null);

  #runId: string | null = null;
  #version: string | null = null;
  #latest = new LatestRequest();

  constructor(private readonly read: (runId: string) => Promise<T>) {}

  load(runId: string, version: string): void {
    if (runId !== this.#runId) this.close();
    else if (version === this.#version) return;
    this.#runId = runId;
    this.#version = version;
    void this.#read(runId);
  }

  close(): void {
    this.#latest.cancel();
    this.#runId = null;
    this.#version = null;
    this.value = null;
    this.failure = null;
  }

  async #read(id: string): Promise<void> {
    const outcome = await this.#latest.run(() => this.read(id));
    if (!outcome) return;
    if (outcome.ok) {
      this.value = outcome.value;
      this.failure = null;
    } else {
      this.failure = errorMessage(outcome.error);
    }
  }
}

/** The evaluation-reliability checks (issue 10 item 6). */
export const runReliability = new RunRead((id) => api.invoke('run.reliability', { id }));
/** The perturbation families' analysis (issue 14); null for a run without families. */
export const runFamilies = new RunRead((id) => api.invoke('run.families', { id }));
