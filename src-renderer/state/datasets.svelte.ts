import type { DatasetDetail, DatasetSummary, Thumbnail } from '../../src-preload/contract';
import { api } from '../lib/api';
import { handleError } from './handle-error';

export const THUMBNAILS_PER_PAGE = 64;

/** The open project's datasets: the list, the one whose detail page is shown, and its thumbnails. */
class DatasetStore {
  list = $state.raw<DatasetSummary[]>([]);
  listLoaded = $state(false);
  detail = $state.raw<DatasetDetail | null>(null);
  thumbnails = $state.raw<Thumbnail[]>([]);
  loadingThumbnails = $state(false);
  #detailId: string | null = null;

  connect(): void {
    api.on('datasets.changed', () => void this.#changed());
  }

  /** Reloads the list, and the shown dataset unless it was just removed. */
  async #changed(): Promise<void> {
    await this.refresh();
    const id = this.#detailId;
    if (id && this.list.some((item) => item.id === id)) await this.load(id);
  }

  async refresh(): Promise<void> {
    try {
      this.list = await api.invoke('dataset.list', {});
      this.listLoaded = true;
    } catch (error) {
      handleError(error, 'Could not list the datasets');
    }
  }

  async load(id: string): Promise<void> {
    const switched = this.#detailId !== id;
    this.#detailId = id;
    if (switched) {
      this.detail = null;
      this.thumbnails = [];
    }
    try {
      const detail = await api.invoke('dataset.get', { id });
      if (this.#detailId !== id) return;
      this.detail = detail;
      if (switched) await this.moreThumbnails();
    } catch (error) {
      handleError(error, 'Could not load the dataset');
    }
  }

  get hasMoreThumbnails(): boolean {
    return this.detail !== null && this.thumbnails.length < this.detail.count;
  }

  async moreThumbnails(): Promise<void> {
    const id = this.#detailId;
    if (!id || this.loadingThumbnails || !this.hasMoreThumbnails) return;
    this.loadingThumbnails = true;
    try {
      const page = await api.invoke('dataset.thumbnails', { id, offset: this.thumbnails.length, count: THUMBNAILS_PER_PAGE });
      if (this.#detailId === id) this.thumbnails = [...this.thumbnails, ...page];
    } catch (error) {
      handleError(error, 'Could not load the sample images');
    } finally {
      this.loadingThumbnails = false;
    }
  }

  async remove(id: string): Promise<boolean> {
    try {
      await api.invoke('dataset.remove', { id });
      if (this.#detailId === id) this.close();
      return true;
    } catch (error) {
      handleError(error, 'Could not remove the dataset');
      return false;
    }
  }

  close(): void {
    this.#detailId = null;
    this.detail = null;
    this.thumbnails = [];
  }

  reset(): void {
    this.close();
    this.list = [];
    this.listLoaded = false;
  }
}

export const datasets = new DatasetStore();
