import type { ModelDetail, ModelSummary, Preprocessing } from '../../src-preload/contract';
import { api } from '../lib/api';
import { handleError } from './handle-error';

/** The open project's models: the list, and the one whose detail page is shown. */
class ModelStore {
  list = $state.raw<ModelSummary[]>([]);
  listLoaded = $state(false);
  detail = $state.raw<ModelDetail | null>(null);
  #detailId: string | null = null;

  connect(): void {
    api.on('models.changed', () => void this.#changed());
  }

  /** Reloads the list, and the shown model unless it was just removed. */
  async #changed(): Promise<void> {
    await this.refresh();
    const id = this.#detailId;
    if (id && this.list.some((item) => item.id === id)) await this.load(id);
  }

  async refresh(): Promise<void> {
    try {
      this.list = await api.invoke('model.list', {});
      this.listLoaded = true;
    } catch (error) {
      handleError(error, 'Could not list the models');
    }
  }

  async load(id: string): Promise<void> {
    if (this.#detailId !== id) this.detail = null;
    this.#detailId = id;
    try {
      const detail = await api.invoke('model.get', { id });
      if (this.#detailId === id) this.detail = detail;
    } catch (error) {
      handleError(error, 'Could not load the model');
    }
  }

  /** Resolves to the updated model; rejects so that the form can show the reason inline. */
  async savePreprocessing(id: string, preprocessing: Preprocessing): Promise<ModelDetail> {
    const detail = await api.invoke('model.update', { id, preprocessing });
    if (this.#detailId === id) this.detail = detail;
    return detail;
  }

  async rename(id: string, name: string): Promise<void> {
    try {
      const detail = await api.invoke('model.update', { id, name });
      if (this.#detailId === id) this.detail = detail;
    } catch (error) {
      handleError(error, 'Could not rename the model');
    }
  }

  async remove(id: string): Promise<boolean> {
    try {
      await api.invoke('model.remove', { id });
      if (this.#detailId === id) this.close();
      return true;
    } catch (error) {
      handleError(error, 'Could not remove the model');
      return false;
    }
  }

  close(): void {
    this.#detailId = null;
    this.detail = null;
  }

  reset(): void {
    this.close();
    this.list = [];
    this.listLoaded = false;
  }
}

export const models = new ModelStore();
