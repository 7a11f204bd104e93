import type { Preprocessing, RunConfig, SeriesAnalysis, SeriesSummary } from '../../src-preload/contract';
import { api } from '../lib/api';
import { handleError } from './handle-error';

/** Checkpoint series: the project's list, and the analysis of the one shown, kept fresh while its runs go. */
class SeriesStore {
  list = $state.raw<SeriesSummary[]>([]);
  selectedId = $state<string | null>(null);
  datasetId = $state<string | null>(null);
  analysis = $state.raw<SeriesAnalysis | null>(null);
  busy = $state(false);
  #request = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  connect(): void {
    api.on('project.changed', (info) => {
      this.selectedId = null;
      this.analysis = null;
      if (info) void this.refresh();
      else this.list = [];
    });
    api.on('models.changed', () => void this.refresh());
    api.on('runs.changed', () => this.#soon());
    // A running checkpoint's progress changes its row: re-read at most twice a second.
    api.on('run.progress', () => this.#soon());
  }

  async refresh(): Promise<void> {
    try {
      this.list = await api.invoke('series.list', {});
      if (!this.list.some((s) => s.id === this.selectedId)) this.selectedId = this.list[0]?.id ?? null;
      await this.load();
    } catch (error) {
      handleError(error, 'Could not list the checkpoint series');
    }
  }

  select(id: string, datasetId: string | null = this.datasetId): Promise<void> {
    this.selectedId = id;
    this.datasetId = datasetId;
    return this.load();
  }

  /** Reads the shown series' analysis; a newer read supersedes an older one. */
  async load(): Promise<void> {
    const id = this.selectedId;
    const request = ++this.#request;
    if (!id) {
      this.analysis = null;
      return;
    }
    try {
      const analysis = await api.invoke('series.get', this.datasetId ? { id, datasetId: this.datasetId } : { id });
      if (request === this.#request) this.analysis = analysis;
    } catch (error) {
      if (request === this.#request) handleError(error, 'Could not read the checkpoint series');
    }
  }

  /** Imports checkpoint files as one series, ordered by the number in their names. */
  async add(files: File[], name: string, preprocessing: Preprocessing | undefined): Promise<boolean> {
    this.busy = true;
    try {
      const source = await api.stageFiles(files);
      const added = await api.invoke('series.add', { name, source, order: 'numbers', ...(preprocessing ? { preprocessing } : {}) });
      await this.refresh();
      await this.select(added.id, null);
      return true;
    } catch (error) {
      handleError(error, 'Could not import the checkpoints');
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Queues the configuration on every checkpoint that lacks it. */
  async run(config: Omit<RunConfig, 'modelId'>): Promise<void> {
    const id = this.selectedId;
    if (!id) return;
    this.busy = true;
    try {
      await api.invoke('series.run', { id, ...config, onlyMissing: true });
      await this.select(id, config.datasetId);
    } catch (error) {
      handleError(error, 'Could not start the series runs');
    } finally {
      this.busy = false;
    }
  }

  #soon(): void {
    if (this.#timer || !this.selectedId) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.load();
    }, 500);
  }
}

export const series = new SeriesStore();
