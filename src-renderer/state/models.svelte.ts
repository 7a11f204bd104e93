import type { ModelDetail, ModelSummary, Preprocessing, ReadingChange } from '../../src-preload/contract';
import { api } from '../lib/api';
import { handleError } from './handle-error';
import { ProjectItems } from './project-items.svelte';

/** The open project's models: the list, and the one whose detail page is shown. */
class ModelStore extends ProjectItems<ModelSummary, ModelDetail> {
  constructor() {
    super({
      changed: 'models.changed',
      list: () => api.invoke('model.list', {}),
      get: (id) => api.invoke('model.get', { id }),
      remove: (id) => api.invoke('model.remove', { id }),
      removalImpact: (id) => api.invoke('model.removalImpact', { id }),
      noun: 'model',
    });
  }

  /** Resolves to the updated model; rejects so that the form can show the reason inline. */
  async savePreprocessing(id: string, preprocessing: Preprocessing): Promise<ModelDetail> {
    const detail = await api.invoke('model.update', { id, preprocessing });
    if (this.detailId === id) this.detail = detail;
    return detail;
  }

  /** Resolves to the model as now read and analysed; rejects so that the page can show the reason inline. */
  async saveReading(id: string, reading: ReadingChange): Promise<ModelDetail> {
    const detail = await api.invoke('model.update', { id, reading });
    if (this.detailId === id) this.detail = detail;
    return detail;
  }

  async rename(id: string, name: string): Promise<void> {
    try {
      const detail = await api.invoke('model.update', { id, name });
      if (this.detailId === id) this.detail = detail;
    } catch (error) {
      handleError(error, 'Could not rename the model');
    }
  }
}

export const models = new ModelStore();
