import type { ReliabilityCheck } from '../../src-preload/contract';
import { api } from '../lib/api';
import { LatestRequest } from '../lib/latest-request';
import { errorMessage } from './handle-error';

/**
 * The shown run's evaluation-reliability checks (issue 10 item 6), read again whenever the run has
 * more results: a live run's censored share and gradients change batch by batch. The checks are a
 * linear pass over the rows, so there is no throttle.
 */
class RunReliabilityStore {
  checks = $state.raw<ReliabilityCheck[] | null>(null);
  /** Why the last read failed; the previous checks stay on screen. */
  failure = $state<string | null>(null);

  #runId: string | null = null;
  #version: string | null = null;
  #latest = new LatestRequest();

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
    this.checks = null;
    this.failure = null;
  }

  async #read(id: string): Promise<void> {
    const outcome = await this.#latest.run(() => api.invoke('run.reliability', { id }));
    if (!outcome) return;
    if (outcome.ok) {
      this.checks = outcome.value;
      this.failure = null;
    } else {
      this.failure = errorMessage(outcome.error);
    }
  }
}

export const runReliability = new RunReliabilityStore();
