import type { DatasetDetail, DatasetSummary, Thumbnail } from '../../src-preload/contract';
import { api } from '../lib/api';
import { handleError } from './handle-error';
import { ProjectItems } from './project-items.svelte';

export const THUMBNAILS_PER_PAGE = 64;

/** The open project's datasets: the list, the one whose detail page is shown, and its thumbnails. */
class DatasetStore extends ProjectItems<DatasetSummary, DatasetDetail> {
  thumbnails = $state.raw<Thumbnail[]>([]);
  loadingThumbnails = $state(false);

  constructor() {
    super({
      changed: 'datasets.changed',
      list: () => api.invoke('dataset.list', {}),
      get: (id) => api.invoke('dataset.get', { id }),
      remove: (id) => api.invoke('dataset.remove', { id }),
      removalImpact: (id) => api.invoke('dataset.removalImpact', { id }),
      noun: 'dataset',
    });
  }

  get hasMoreThumbnails(): boolean {
    return this.detail !== null && this.thumbnails.length < this.detail.count;
  }

  async moreThumbnails(): Promise<void> {
    const id = this.detailId;
    if (!id || this.loadingThumbnails || !this.hasMoreThumbnails) return;
    this.loadingThumbnails = true;
    try {
      const page = await api.invoke('dataset.thumbnails', { id, offset: this.thumbnails.length, count: THUMBNAILS_PER_PAGE });
      if (this.detailId === id) this.thumbnails = [...this.thumbnails, ...page];
    } catch (error) {
      handleError(error, 'Could not load the sample images');
    } finally {
      this.loadingThumbnails = false;
    }
  }

  protected override clearDetail(): void {
    super.clearDetail();
    this.thumbnails = [];
  }

  protected override async shown(): Promise<void> {
    await this.moreThumbnails();
  }
}

export const datasets = new DatasetStore();
