import type { RunSampleRow, SampleFilter, SampleSortKey } from '../../src-preload/contract';
import { api } from '../lib/api';
import { errorMessage } from './handle-error';

export const SAMPLES_PER_PAGE = 100;

/**
 * One page of a run's per-sample results, sorted and paged by the service, so that a run of any
 * size costs one page of rows here. One pager per sample table.
 */
export class SamplePager {
  rows = $state.raw<RunSampleRow[]>([]);
  total = $state(0);
  offset = $state(0);
  sort = $state<SampleSortKey>('position');
  descending = $state(false);
  filter = $state<SampleFilter>('all');
  /** Only samples whose verified input margin is at most this (the brittle ones); null for no bound. */
  maxInputMargin = $state<number | null>(null);
  loading = $state(false);
  /** Why the last read failed, shown in the table (a live run re-reads often: no toast storms). */
  failure = $state<string | null>(null);
  readonly pageSize: number;
  #runId: string;
  #request = 0;

  constructor(runId: string, pageSize = SAMPLES_PER_PAGE) {
    this.#runId = runId;
    this.pageSize = pageSize;
  }

  get page(): number {
    return Math.floor(this.offset / this.pageSize);
  }

  get pageCount(): number {
    return Math.max(1, Math.ceil(this.total / this.pageSize));
  }

  get hasPrevious(): boolean {
    return this.offset > 0;
  }

  get hasNext(): boolean {
    return this.offset + this.pageSize < this.total;
  }

  /** Reads the current page; a newer read supersedes one still in flight. */
  async load(): Promise<void> {
    const request = ++this.#request;
    this.loading = true;
    try {
      const { total, rows } = await api.invoke('run.samples', {
        id: this.#runId,
        offset: this.offset,
        limit: this.pageSize,
        sort: this.sort,
        descending: this.descending,
        filter: this.filter,
        ...(this.maxInputMargin === null ? {} : { maxInputMargin: this.maxInputMargin }),
      });
      if (request !== this.#request) return;
      this.total = total;
      this.rows = rows;
      this.failure = null;
      // The run may have fewer samples than the page asked for (a removed run, a reset): show its last page.
      if (rows.length === 0 && total > 0 && this.offset >= total) await this.goTo(this.pageCount - 1);
    } catch (error) {
      if (request === this.#request) this.failure = errorMessage(error);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  /** Shows another subset of the samples, from the first page. */
  filterBy(filter: SampleFilter, maxInputMargin: number | null): Promise<void> {
    this.filter = filter;
    this.maxInputMargin = maxInputMargin;
    this.offset = 0;
    return this.load();
  }

  /** A click on a column: sorts by it ascending, or flips the direction when it is already the sort. */
  sortBy(key: SampleSortKey): Promise<void> {
    if (this.sort === key) this.descending = !this.descending;
    else {
      this.sort = key;
      this.descending = false;
    }
    this.offset = 0;
    return this.load();
  }

  goTo(page: number): Promise<void> {
    const last = this.pageCount - 1;
    this.offset = Math.min(Math.max(0, page), last) * this.pageSize;
    return this.load();
  }

  next(): Promise<void> {
    return this.goTo(this.page + 1);
  }

  previous(): Promise<void> {
    return this.goTo(this.page - 1);
  }
}
