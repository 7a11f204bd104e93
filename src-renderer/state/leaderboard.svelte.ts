import type { Leaderboard } from '../../src-preload/contract';
import { api } from '../lib/api';
import { LatestRequest } from '../lib/latest-request';
import { errorMessage } from './handle-error';

/**
 * The project's leaderboard while its page is open: read when the page opens and again when a
 * run finishes or is removed (runs.changed), since only finished runs are on it.
 */
class LeaderboardStore {
  board = $state.raw<Leaderboard | null>(null);
  /** Why the last read failed; the previous board stays on screen. */
  failure = $state<string | null>(null);
  /** The comparison (dataset and subset) shown; null: the one with the most models. */
  comparison = $state<string | null>(null);

  #latest = new LatestRequest();
  #off: (() => void) | null = null;

  get loading(): boolean {
    return this.board === null && this.failure === null;
  }

  open(): void {
    this.#off ??= api.on('runs.changed', () => void this.#read());
    void this.#read();
  }

  close(): void {
    this.#off?.();
    this.#off = null;
    this.#latest.cancel();
    // The next opening may be of another project.
    this.board = null;
    this.failure = null;
  }

  async #read(): Promise<void> {
    const outcome = await this.#latest.run(() => api.invoke('leaderboard.get', {}));
    if (!outcome) return;
    if (outcome.ok) {
      this.board = outcome.value;
      this.failure = null;
      if (this.comparison !== null && !outcome.value.comparisons.some((c) => c.key === this.comparison)) this.comparison = null;
    } else {
      this.failure = errorMessage(outcome.error);
    }
  }
}

export const leaderboard = new LeaderboardStore();
