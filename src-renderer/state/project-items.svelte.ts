import type { RemovalImpact } from '../../src-preload/contract';
import { api } from '../lib/api';
import { handleError } from './handle-error';

/** How one kind of project item (models, datasets) is listed, shown and removed. */
export interface ItemCalls<Summary, Detail> {
  /** The event that says the project's items of this kind changed. */
  changed: 'models.changed' | 'datasets.changed';
  list(): Promise<Summary[]>;
  get(id: string): Promise<Detail>;
  remove(id: string): Promise<unknown>;
  /** The runs removing the item would remove with it. */
  removalImpact(id: string): Promise<RemovalImpact>;
  /** 'model' or 'dataset', for the error toasts. */
  noun: string;
}

/** A project's items of one kind: the list, and the one whose detail page is shown. */
export class ProjectItems<Summary extends { id: string }, Detail> {
  list = $state.raw<Summary[]>([]);
  listLoaded = $state(false);
  detail = $state.raw<Detail | null>(null);
  /** The shown item is not in the project (removed here or in another window). */
  missing = $state(false);
  protected detailId: string | null = null;

  constructor(private readonly calls: ItemCalls<Summary, Detail>) {}

  connect(): void {
    api.on(this.calls.changed, () => void this.changed());
  }

  /** Reloads the list, and the shown item unless it was removed (then its page says so). */
  private async changed(): Promise<void> {
    await this.refresh();
    const id = this.detailId;
    if (!id) return;
    if (this.list.some((item) => item.id === id)) await this.load(id);
    else if (this.listLoaded) this.gone();
  }

  async refresh(): Promise<void> {
    try {
      this.list = await this.calls.list();
      this.listLoaded = true;
    } catch (error) {
      handleError(error, `Could not list the ${this.calls.noun}s`);
    }
  }

  async load(id: string): Promise<void> {
    const switched = this.detailId !== id;
    this.detailId = id;
    if (switched) this.clearDetail();
    try {
      const detail = await this.calls.get(id);
      if (this.detailId !== id) return;
      this.detail = detail;
      if (switched) await this.shown();
    } catch (error) {
      if (this.detailId !== id) return;
      await this.refresh();
      if (this.detailId !== id) return;
      if (this.listLoaded && !this.list.some((item) => item.id === id)) this.gone();
      else handleError(error, `Could not load the ${this.calls.noun}`);
    }
  }

  removalImpact(id: string): Promise<RemovalImpact> {
    return this.calls.removalImpact(id);
  }

  async remove(id: string): Promise<boolean> {
    try {
      await this.calls.remove(id);
      if (this.detailId === id) this.close();
      return true;
    } catch (error) {
      handleError(error, `Could not remove the ${this.calls.noun}`);
      return false;
    }
  }

  close(): void {
    this.detailId = null;
    this.clearDetail();
  }

  reset(): void {
    this.close();
    this.list = [];
    this.listLoaded = false;
  }

  /** Forgets the shown item's detail (and what a subclass loads with it). */
  protected clearDetail(): void {
    this.detail = null;
    this.missing = false;
  }

  private gone(): void {
    this.clearDetail();
    this.missing = true;
  }

  /** Called once an item newly shown has its detail loaded. */
  protected async shown(): Promise<void> {}
}
