import type { DatasetDetail, DuplicateImport, ImageFitInput, ImageFolderSurvey, ImportSource, ModelDetail } from '../../src-preload/contract';
import { api } from '../lib/api';
import { plural } from '../lib/format';
import { handleError } from './handle-error';
import { navigation } from './navigation.svelte';
import { toasts } from './toasts.svelte';

export type Picker = 'model' | 'dataset-files' | 'dataset-folder';

const isModelFile = (file: File) => file.name.toLowerCase().endsWith('.onnx');

const isDuplicate = (result: ModelDetail | DatasetDetail | DuplicateImport): result is DuplicateImport => 'duplicateOf' in result;

/** An import the service refused because the project holds the same content, waiting for the user's answer. */
export interface PendingDuplicate {
  duplicate: DuplicateImport;
  /** Imports a second copy after all. */
  importAnyway: () => Promise<void>;
}

/** An image folder waiting for the user to choose how its images become one size. */
export interface PendingFit {
  survey: ImageFolderSurvey;
  /** Imports the folder with the chosen fit. */
  importWith: (fit: ImageFitInput) => Promise<void>;
}

/** Imports models, datasets and label files from picked or dropped files, one import at a time. */
class Importer {
  /** What is being imported ('Importing model…'), or null when idle. */
  activity = $state<string | null>(null);
  /** Refused duplicates, oldest first; the first is asked about. */
  duplicates = $state.raw<PendingDuplicate[]>([]);
  /** An image folder whose fit is being chosen, or null. */
  fitQuestion = $state.raw<PendingFit | null>(null);
  #pickers = new Map<Picker, HTMLInputElement>();

  /** Lets the project shell's hidden file inputs be opened from any page; returns the unregister. */
  registerPicker(picker: Picker, input: HTMLInputElement): () => void {
    this.#pickers.set(picker, input);
    return () => this.#pickers.delete(picker);
  }

  choose(picker: Picker): void {
    this.#pickers.get(picker)?.click();
  }

  async importModel(file: File): Promise<void> {
    await this.#run('Importing model…', 'Could not import the model', async () => this.#importModel(await api.stageFiles([file]), false));
  }

  async #importModel(source: ImportSource, allowDuplicate: boolean): Promise<void> {
    const model = await api.invoke('model.import', { source, allowDuplicate });
    if (isDuplicate(model)) return this.#ask(model, () => this.#run('Importing model…', 'Could not import the model', () => this.#importModel(source, true)));
    navigation.go({ page: 'model', id: model.id });
    toasts.success(`Imported model “${model.name}”`);
  }

  /**
   * All the files together are one dataset (an IDX pair, a folder's images, one .npz). An image
   * folder first asks how its images become one size (fitQuestion); the rest import at once.
   */
  async importDataset(files: File[]): Promise<void> {
    if (files.length === 0) return;
    await this.#run('Importing dataset…', 'Could not import the dataset', async () => {
      const source = await api.stageFiles(files);
      const survey = await api.invoke('dataset.survey', { source });
      if (survey === null) return this.#importDataset(source, false);
      this.fitQuestion = {
        survey,
        importWith: (fit) => this.#run('Importing dataset…', 'Could not import the dataset', () => this.#importDataset(source, false, fit)),
      };
    });
  }

  /** The user's answer to the fit question: a fit imports the folder, null cancels. */
  async answerFit(fit: ImageFitInput | null): Promise<void> {
    const pending = this.fitQuestion;
    this.fitQuestion = null;
    if (pending && fit) await pending.importWith(fit);
  }

  async #importDataset(source: ImportSource, allowDuplicate: boolean, fit?: ImageFitInput): Promise<void> {
    const dataset = await api.invoke('dataset.import', { source, allowDuplicate, fit });
    if (isDuplicate(dataset)) return this.#ask(dataset, () => this.#run('Importing dataset…', 'Could not import the dataset', () => this.#importDataset(source, true, fit)));
    navigation.go({ page: 'dataset', id: dataset.id });
    const skipped = dataset.skipped.length ? `; ${plural(dataset.skipped.length, 'file')} skipped` : '';
    toasts.success(`Imported dataset “${dataset.name}” (${plural(dataset.count, 'sample')}${skipped})`);
  }

  #ask(duplicate: DuplicateImport, importAnyway: () => Promise<void>): void {
    this.duplicates = [...this.duplicates, { duplicate, importAnyway }];
  }

  /** Another project: its refused duplicates are no longer a question. */
  reset(): void {
    this.duplicates = [];
    this.fitQuestion = null;
  }

  /** The user's answer to the first refused duplicate: open the item the project has, import a copy, or neither. */
  async answerDuplicate(answer: 'open' | 'import' | 'cancel'): Promise<void> {
    const [pending, ...rest] = this.duplicates;
    if (!pending) return;
    this.duplicates = rest;
    const existing = pending.duplicate.duplicateOf;
    if (answer === 'open') navigation.go({ page: existing.kind, id: existing.id });
    else if (answer === 'import') await pending.importAnyway();
  }

  /** A drop: each .onnx file is a model, everything else together is one dataset. */
  async importDropped(files: File[]): Promise<void> {
    for (const file of files.filter(isModelFile)) await this.importModel(file);
    await this.importDataset(files.filter((file) => !isModelFile(file)));
  }

  async loadLabels(modelId: string, file: File): Promise<void> {
    await this.#run('Loading class labels…', 'Could not load the labels', async () => {
      const source: ImportSource = await api.stageFiles([file]);
      const model = await api.invoke('model.setLabels', { id: modelId, source });
      toasts.success(`Loaded ${plural(model.labels?.length ?? 0, 'class label')}`);
    });
  }

  async #run(activity: string, failure: string, work: () => Promise<void>): Promise<void> {
    if (this.activity) {
      toasts.error('another import is still running; try again when it has finished', failure);
      return;
    }
    this.activity = activity;
    try {
      await work();
    } catch (error) {
      handleError(error, failure);
    } finally {
      this.activity = null;
    }
  }
}

export const importer = new Importer();
