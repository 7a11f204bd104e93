export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Requests where only the newest one counts (REVIEW.md 3.8): a read started later supersedes one
 * still in flight, whose outcome is then dropped instead of overwriting newer data.
 */
export class LatestRequest {
  #latest = 0;
  #inFlight = 0;

  /** Whether some request, superseded or not, has not settled yet. */
  get busy(): boolean {
    return this.#inFlight > 0;
  }

  /** The outcome when this request is still the newest when it settles; null when a later one (or cancel) superseded it. */
  async run<T>(work: () => Promise<T>): Promise<Outcome<T> | null> {
    const request = ++this.#latest;
    this.#inFlight++;
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await work() };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      this.#inFlight--;
    }
    return request === this.#latest ? outcome : null;
  }

  /** Drops the outcome of every request in flight. */
  cancel(): void {
    this.#latest++;
  }
}
