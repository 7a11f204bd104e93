import { SvelteMap } from 'svelte/reactivity';
import {
  SCREENING_CANCELLED,
  type ImageFitInput,
  type ImageFolderSurvey,
  type ImportSource,
  type RunConfig,
  type ScreeningProgress,
  type ScreeningResult,
  type ScreeningScore,
  type ScreeningThreshold,
  type Thumbnail,
} from '../../src-preload/contract';
import { fixedImageSize } from '../../src-preload/image-fit';
import { api } from '../lib/api';
import { DEFAULT_BATCH_SIZE } from '../lib/runs';
import { errorMessage, handleError } from './handle-error';
import { navigation } from './navigation.svelte';

/** Thumbnails asked for at once (the contract's most). */
const THUMBNAIL_PAGE = 256;

/** Dropped images that do not all have the model's input size, waiting for the user to choose how they become it. */
export interface ScreenFitQuestion {
  survey: ImageFolderSurvey;
  /** The model's fixed input size (height, width); null when it takes any size. */
  required: [number, number] | null;
  /** A fit screens with it; null leaves the images unscreened. */
  answer: (fit: ImageFitInput | null) => void;
}

/** How far a cancelled screening had gone. */
export interface CancelledScreening {
  done: number;
  total: number;
}

/**
 * The Screen view's state: the latest screening of dropped files or a dataset, its progress and
 * the thumbnails fetched so far. Screening runs in a worker of the service; only one at a time.
 */
class Screening {
  result = $state.raw<ScreeningResult | null>(null);
  progress = $state<ScreeningProgress | null>(null);
  busy = $state(false);
  failure = $state<string | null>(null);
  /** Set when the latest screening was cancelled (a neutral outcome, not a failure). */
  cancelled = $state<CancelledScreening | null>(null);
  /** The user asked to cancel the screening in flight. */
  cancelling = $state(false);
  fitQuestion = $state.raw<ScreenFitQuestion | null>(null);
  readonly thumbnails = new SvelteMap<number, string>();
  /** Set by the Screen view while it is shown: files dropped on the window go there instead of to the importer. */
  dropHandler: ((files: File[]) => void) | null = null;
  #connected = false;

  connect(): void {
    if (this.#connected) return;
    this.#connected = true;
    api.on('screen.progress', (progress) => (this.progress = progress));
  }

  /** Images that do not all have the model's input size are screened only once the user has chosen a fit (as dataset import asks). */
  async screenFiles(files: File[], modelId: string, threshold: ScreeningThreshold, score: ScreeningScore): Promise<void> {
    await this.#screen(async () => {
      const source = await api.stageFiles(files);
      const fit = await this.#fitFor(source, modelId);
      if (fit === null) return null;
      this.#refuseIfCancelled();
      return api.invoke('screen.run', { modelId, inputs: { kind: 'files', source, ...(fit ? { fit } : {}) }, threshold, score: $state.snapshot(score) });
    });
  }

  /** The user's answer to the fit question: a fit screens the images, null leaves them. */
  answerFit(fit: ImageFitInput | null): void {
    const question = this.fitQuestion;
    this.fitQuestion = null;
    question?.answer(fit);
  }

  /** Stops the screening in flight; it ends as cancelled, keeping nothing. */
  async cancel(): Promise<void> {
    if (!this.busy || this.cancelling) return;
    this.cancelling = true;
    try {
      await api.invoke('screen.cancel', {});
    } catch (error) {
      this.cancelling = false;
      handleError(error, 'Could not cancel the screening');
    }
  }

  /** Undefined when the images need no fit (or are no images); null when the user closed the question. */
  async #fitFor(source: ImportSource, modelId: string): Promise<ImageFitInput | null | undefined> {
    const [survey, model] = await Promise.all([api.invoke('dataset.survey', { source }), api.invoke('model.get', { id: modelId })]);
    if (!survey) return undefined;
    const required = fixedImageSize(model.reading.feedShape);
    const { height, width } = survey.commonSize;
    if (survey.differing === 0 && (!required || (required[0] === height && required[1] === width))) return undefined;
    return new Promise((resolve) => (this.fitQuestion = { survey, required, answer: resolve }));
  }

  /** How far the screening in flight has gone, from its latest screen.progress event. */
  #reached(): CancelledScreening {
    return { done: this.progress?.done ?? 0, total: this.progress?.total ?? 0 };
  }

  /** A cancel that came before the screening reached the service (while uploading or surveying) ends it here. */
  #refuseIfCancelled(): void {
    if (this.cancelling) throw new Error(SCREENING_CANCELLED);
  }

  async screenDataset(datasetId: string, modelId: string, threshold: ScreeningThreshold, score: ScreeningScore): Promise<void> {
    await this.#screen(() => api.invoke('screen.run', { modelId, inputs: { kind: 'dataset', datasetId }, threshold, score: $state.snapshot(score) }));
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

  /** start() answers null when the user left the inputs unscreened. */
  async #screen(start: () => Promise<ScreeningResult | null>): Promise<void> {
    if (this.busy) return;
    this.connect();
    this.busy = true;
    this.failure = null;
    this.cancelled = null;
    this.progress = null;
    try {
      const result = await start();
      if (result) {
        this.result = result;
        this.thumbnails.clear();
      }
    } catch (error) {
      const message = errorMessage(error);
      if (message === SCREENING_CANCELLED) this.cancelled = this.#reached();
      else this.failure = message;
    } finally {
      this.busy = false;
      this.cancelling = false;
    }
  }
}

export const screening = new Screening();
