import { SvelteMap } from 'svelte/reactivity';
import type { RunConfig, ScreeningProgress, ScreeningResult, ScreeningScore, ScreeningThreshold, Thumbnail } from '../../src-preload/contract';
import { api } from '../lib/api';
import { DEFAULT_BATCH_SIZE } from '../lib/runs';
import { handleError } from './handle-error';
import { navigation } from './navigation.svelte';

/** Thumbnails asked for at once (the contract's most). */
const THUMBNAIL_PAGE = 256;

/**
 * The Screen view's state: the latest screening of dropped files or a dataset, its progress and
 * the thumbnails fetched so far. Screening runs in a worker of the service; only one at a time.
 */
class Screening {
  result = $state.raw<ScreeningResult | null>(null);
  progress = $state<ScreeningProgress | null>(null);
  busy = $state(false);
  failure = $state<string | null>(null);
  readonly thumbnails = new SvelteMap<number, string>();
  /** Set by the Screen view while it is shown: files dropped on the window go there instead of to the importer. */
  dropHandler: ((files: File[]) => void) | null = null;
  #connected = false;

  connect(): void {
    if (this.#connected) return;
    this.#connected = true;
    api.on('screen.progress', (progress) => (this.progress = progress));
  }

  async screenFiles(files: File[], modelId: string, threshold: ScreeningThreshold, score: ScreeningScore): Promise<void> {
    await this.#screen(async () => api.invoke('screen.run', { modelId, inputs: { kind: 'files', source: await api.stageFiles(files) }, threshold, score }));
  }

  async screenDataset(datasetId: string, modelId: string, threshold: ScreeningThreshold, score: ScreeningScore): Promise<void> {
    await this.#screen(() => api.invoke('screen.run', { modelId, inputs: { kind: 'dataset', datasetId }, threshold, score }));
  }

  /** Thumbnails of inputs [offset, offset + count), fetched once each. */
  async loadThumbnails(indices: number[]): Promise<void> {
    const result = this.result;
    const missing = indices.filter((i) => !this.thumbnails.has(i));
    if (!result || missing.length === 0) return;
    const first = Math.min(...missing);
    const count = Math.min(THUMBNAIL_PAGE, Math.max(...missing) - first + 1);
    try {
      const page: Thumbnail[] = await api.invoke('screen.thumbnails', { id: result.id, offset: first, count });
      if (this.result?.id !== result.id) return;
      for (const thumb of page) this.thumbnails.set(thumb.index, thumb.src);
    } catch (error) {
      handleError(error, 'Could not show the thumbnails');
    }
  }

  /**
   * Confirms the margins of the chosen inputs with an attack: they become an unlabeled dataset
   * (each margin measured from the prediction), and a run with the default attack (FAB, at the
   * calibration's norm and epsilon) starts on them; the run's page opens.
   */
  async verify(indices: number[]): Promise<void> {
    const result = this.result;
    if (!result) return;
    try {
      const dataset = await api.invoke('screen.saveDataset', { id: result.id, indices });
      const calibration = result.calibration;
      const config: RunConfig = {
        modelId: result.modelId,
        datasetId: dataset.id,
        subset: { mode: 'all' },
        batchSize: DEFAULT_BATCH_SIZE,
        device: 'auto',
        attack: { attacks: ['fab'], norm: calibration?.norm ?? 'linf', epsilons: calibration ? [calibration.epsilon] : [], iterations: null, restarts: 1, targeted: null, seed: 0 },
      };
      const run = await api.invoke('run.start', config);
      navigation.go({ page: 'run', id: run.id });
    } catch (error) {
      handleError(error, 'Could not start the verification run');
    }
  }

  async #screen(start: () => Promise<ScreeningResult>): Promise<void> {
    if (this.busy) return;
    this.connect();
    this.busy = true;
    this.failure = null;
    this.progress = null;
    try {
      this.result = await start();
      this.thumbnails.clear();
    } catch (error) {
      this.failure = error instanceof Error ? error.message : String(error);
    } finally {
      this.busy = false;
    }
  }
}

export const screening = new Screening();
