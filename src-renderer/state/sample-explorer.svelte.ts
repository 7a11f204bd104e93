import type { SampleExplorerItem } from '../../src-preload/contract';
import { api } from '../lib/api';
import { errorMessage } from './handle-error';

/** The sample shown in a run's explorer: its original, best verified adversarial example and logits. */
export class SampleExplorer {
  /** The run position of the open sample; null while the explorer is closed. */
  position = $state<number | null>(null);
  item = $state.raw<SampleExplorerItem | null>(null);
  loading = $state(false);
  failure = $state<string | null>(null);
  #runId: string;
  #request = 0;

  constructor(runId: string) {
    this.#runId = runId;
  }

  get isOpen(): boolean {
    return this.position !== null;
  }

  /** Shows a sample; the previous one stays on screen until the new one arrives, so that stepping does not flicker. */
  async open(position: number): Promise<void> {
    const request = ++this.#request;
    this.position = position;
    this.loading = true;
    try {
      const item = await api.invoke('run.sample', { id: this.#runId, position });
      if (request !== this.#request) return;
      this.item = item;
      this.failure = null;
    } catch (error) {
      if (request === this.#request) this.failure = errorMessage(error);
    } finally {
      if (request === this.#request) this.loading = false;
    }
  }

  close(): void {
    this.#request++;
    this.position = null;
    this.item = null;
    this.loading = false;
    this.failure = null;
  }
}
