import { api } from '../lib/api';
import { errorMessage } from './handle-error';

/** The service pages at most this many rows per read. */
const PAGE = 1000;
/** The histogram reads at most this many margins; beyond it the sample is shown as a prefix of the sorted list. */
export const MARGIN_VALUE_LIMIT = 50_000;

/**
 * Every verified input margin of a run, for the histogram. The contract has no input-margin
 * histogram, so the margins are read sorted (found ones first, censored ones last) until the
 * first censored row.
 */
export class InputMarginValues {
  values = $state.raw<number[]>([]);
  loading = $state(false);
  failure = $state<string | null>(null);
  /** Whether more margins exist than were read. */
  truncated = $state(false);
  #runId: string;
  #request = 0;

  constructor(runId: string) {
    this.#runId = runId;
  }

  async load(): Promise<void> {
    const request = ++this.#request;
    this.loading = true;
    try {
      const values: number[] = [];
      let more = true;
      while (more && values.length < MARGIN_VALUE_LIMIT) {
        const { rows } = await api.invoke('run.samples', { id: this.#runId, offset: values.length, limit: PAGE, sort: 'inputMargin' });
        if (request !== this.#request) return;
        const found = rows.filter((row) => row.marginFound === true && row.inputMargin !== null).map((row) => row.inputMargin!);
        values.push(...found);
        more = rows.length === PAGE && found.length === rows.length;
      }
      this.values = values;
      this.truncated = more;
      this.failure = null;
    } catch (error) {
      if (request === this.#request) this.failure = errorMessage(error);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }
}
