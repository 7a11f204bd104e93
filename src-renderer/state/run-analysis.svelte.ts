import type { RunAnalysis } from '../../src-preload/contract';
import { api } from '../lib/api';
import { pickEpsilon } from '../lib/analysis';
import { LatestRequest } from '../lib/latest-request';
import { errorMessage } from './handle-error';

/** A live run's analysis is computed again at most this often: bootstraps and curves over every sample. */
const ANALYSIS_THROTTLE_MS = 3_000;

/**
 * The shown run's analysis (DESIGN.md section 5), computed by the service over every sample, and the
 * one epsilon that every dashboard on the run page shows.
 */
class RunAnalysisStore {
  analysis = $state.raw<RunAnalysis | null>(null);
  /** The selected epsilon, one of analysis.epsilons; the audit epsilon until the user picks another. */
  epsilon = $state<number | null>(null);
  loading = $state(false);
  /** Why the last read failed, shown beside the dashboards (a live run re-reads often: no toast storms). */
  failure = $state<string | null>(null);
  /** The epsilon grid the user asked for; null: the service's default (the run's epsilons and the norm's grid). */
  epsilons = $state.raw<number[] | null>(null);
  /** A forward run of the same model over the whole dataset, for Algorithm 1's estimate. */
  withForward = $state<string | null>(null);
  /** The TPR the screening threshold is calibrated to; null: the service's default. */
  tprTarget = $state<number | null>(null);
  /** Every statistic over the correctly classified samples only (margins are measured from the prediction). */
  correctOnly = $state(false);

  #runId: string | null = null;
  #version: string | null = null;
  #latest = new LatestRequest();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastRead = 0;
  /** A version arrived while a read was in flight: read again when it settles. */
  #again = false;

  /** Shows a run's analysis; called again with a new version when the run has more results, it re-reads at most every few seconds. */
  load(runId: string, version: string): void {
    if (runId !== this.#runId) {
      this.close();
      this.#runId = runId;
      this.#version = version;
      void this.#read();
      return;
    }
    if (version === this.#version) return;
    this.#version = version;
    this.#schedule();
  }

  close(): void {
    this.#latest.cancel();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#again = false;
    this.#runId = null;
    this.#version = null;
    this.analysis = null;
    this.epsilon = null;
    this.loading = false;
    this.failure = null;
    this.epsilons = null;
    this.withForward = null;
    this.tprTarget = null;
    this.correctOnly = false;
  }

  select(epsilon: number): void {
    this.epsilon = epsilon;
  }

  /** Analyses at these epsilons (an empty list: the service's default grid), at once. */
  setEpsilons(list: number[]): void {
    this.epsilons = list.length > 0 ? [...new Set(list)].sort((a, b) => a - b) : null;
    void this.#read();
  }

  setWithForward(runId: string | null): void {
    this.withForward = runId;
    void this.#read();
  }

  setTprTarget(target: number | null): void {
    this.tprTarget = target;
    void this.#read();
  }

  setCorrectOnly(value: boolean): void {
    this.correctOnly = value;
    void this.#read();
  }

  #schedule(): void {
    if (this.#latest.busy) {
      this.#again = true;
      return;
    }
    if (this.#timer !== null) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        void this.#read();
      },
      Math.max(0, this.#lastRead + ANALYSIS_THROTTLE_MS - Date.now()),
    );
  }

  async #read(): Promise<void> {
    const id = this.#runId;
    if (!id) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#again = false;
    this.#lastRead = Date.now();
    this.loading = true;
    const args = {
      id,
      ...(this.epsilons ? { epsilons: this.epsilons } : {}),
      ...(this.withForward ? { withForward: this.withForward } : {}),
      ...(this.tprTarget !== null ? { tprTarget: this.tprTarget } : {}),
      ...(this.correctOnly ? { correctOnly: true } : {}),
    };
    const outcome = await this.#latest.run(() => api.invoke('run.analysis', args));
    if (!outcome) return;
    this.loading = false;
    if (outcome.ok) {
      this.analysis = outcome.value;
      this.epsilon = pickEpsilon(outcome.value.epsilons, this.epsilon, outcome.value.auditEpsilon);
      this.failure = null;
    } else {
      this.failure = errorMessage(outcome.error);
    }
    if (this.#again) this.#schedule();
  }
}

export const runAnalysis = new RunAnalysisStore();
