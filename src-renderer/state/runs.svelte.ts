import type { AuditGroupStart, RunConfig, RunDetail, RunPlan, RunProgress, RunSummary, RunWarning } from '../../src-preload/contract';
import { api } from '../lib/api';
import { noFilter, type RunFilter } from '../lib/run-list';
import { appendLog, isActive, mergeLog, type LogLine, type RunDraft } from '../lib/runs';
import { handleError } from './handle-error';

/** Live updates re-read the shown run at most this often, so that its results grow while it runs. */
const DETAIL_THROTTLE_MS = 1_000;
/** While the shown run is active it is re-read this often even when no event arrives. */
const DETAIL_POLL_MS = 2_500;

type Urgency = 'now' | 'throttled';

/** The open project's audit runs: the list, the shown run with its live progress and log, and the form's last draft. */
class RunStore {
  list = $state.raw<RunSummary[]>([]);
  listLoaded = $state(false);
  /** What the runs list shows, kept while the user visits a run and comes back. */
  filter = $state<RunFilter>({ ...noFilter });
  detail = $state.raw<RunDetail | null>(null);
  /** The shown run is not in the project (removed here, in another window, or with its model or dataset). */
  missing = $state(false);
  /** The latest progress event of the shown run, until the run stops. */
  progress = $state.raw<RunProgress | null>(null);
  log = $state.raw<LogLine[]>([]);
  /** Class names for the shown run's labels and predictions: the model's labels, else the dataset's. */
  classNames = $state.raw<string[] | null>(null);
  /** The run form as last left, so that coming back to it keeps the choices. */
  draft: RunDraft | null = null;

  #detailId: string | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerDue = 0;
  #inFlight = false;
  #again: Urgency | null = null;
  #lastFetch = 0;

  connect(): void {
    api.on('runs.changed', () => void this.#changed());
    api.on('run.progress', (progress) => this.#progressed(progress));
    api.on('run.log', ({ runId, at, line }) => {
      if (runId === this.#detailId) this.log = appendLog(this.log, { at, line });
    });
  }

  async refresh(): Promise<void> {
    try {
      this.list = await api.invoke('run.list', {});
      this.listLoaded = true;
    } catch (error) {
      handleError(error, 'Could not list the runs');
    }
  }

  /** Reloads the list, and the shown run unless it is gone. */
  async #changed(): Promise<void> {
    await this.refresh();
    const id = this.#detailId;
    if (!id) return;
    if (this.listLoaded && !this.list.some((run) => run.id === id)) this.#gone();
    else this.#schedule('now');
  }

  /** Shows a run: reads it now, then keeps it fresh while it is active. */
  async load(id: string): Promise<void> {
    if (this.#detailId !== id) {
      this.close();
      this.#detailId = id;
    }
    await this.#fetchDetail();
  }

  close(): void {
    this.#detailId = null;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#again = null;
    this.detail = null;
    this.missing = false;
    this.progress = null;
    this.log = [];
    this.classNames = null;
  }

  reset(): void {
    this.close();
    this.list = [];
    this.listLoaded = false;
    this.filter = { ...noFilter };
    this.draft = null;
  }

  /** Problems that would stop the run; throws when the check itself fails, so that the form can say so inline. */
  check(config: RunConfig): Promise<string[]> {
    return api.invoke('run.check', config);
  }

  /** What the form shows before a start without stopping it; throws like check. */
  warnings(config: RunConfig): Promise<RunWarning[]> {
    return api.invoke('run.warnings', config);
  }

  /** The memory plan the run would start with (null without attacks); throws like check. */
  plan(config: RunConfig): Promise<RunPlan | null> {
    return api.invoke('run.plan', config);
  }

  /**
   * Resolves to the new run, or null when it could not start (the reason is shown as a toast).
   * `force`: the user confirmed the warnings that ask for it (an implausible epsilon).
   */
  async start(config: RunConfig, force = false): Promise<RunSummary | null> {
    try {
      const run = await api.invoke('run.start', force ? { ...config, force } : config);
      this.#upsert(run);
      return run;
    } catch (error) {
      handleError(error, 'Could not start the run');
      return null;
    }
  }

  /** The configuration for each model at once, as one audit group; null when they could not start (the reason is a toast). */
  async startMany(config: RunConfig, modelIds: string[], force = false): Promise<AuditGroupStart | null> {
    const { modelId: _first, ...shared } = config;
    try {
      const started = await api.invoke('run.startMany', { ...shared, modelIds, ...(force ? { force } : {}) });
      for (const run of started.runs) this.#upsert(run);
      return started;
    } catch (error) {
      handleError(error, 'Could not start the runs');
      return null;
    }
  }

  pause(id: string): Promise<boolean> {
    return this.#act(id, () => api.invoke('run.pause', { id }), 'Could not pause the run');
  }

  cancel(id: string): Promise<boolean> {
    return this.#act(id, () => api.invoke('run.cancel', { id }), 'Could not cancel the run');
  }

  resume(id: string): Promise<boolean> {
    return this.#act(id, () => api.invoke('run.resume', { id }), 'Could not resume the run');
  }

  /** Names (a blank name clears it) or annotates a run; resolves to whether it was saved. */
  async update(id: string, changes: { name?: string; notes?: string }): Promise<boolean> {
    try {
      const run = await api.invoke('run.update', { id, ...changes });
      this.#upsert(run);
      if (this.detail?.id === id) this.detail = { ...this.detail, name: run.name, notes: run.notes };
      return true;
    } catch (error) {
      handleError(error, changes.name !== undefined ? 'Could not rename the run' : 'Could not save the notes');
      return false;
    }
  }

  async remove(id: string): Promise<boolean> {
    try {
      await api.invoke('run.remove', { id });
      this.list = this.list.filter((run) => run.id !== id);
      if (this.#detailId === id) this.close();
      return true;
    } catch (error) {
      handleError(error, 'Could not remove the run');
      return false;
    }
  }

  async #act(id: string, request: () => Promise<RunSummary>, failure: string): Promise<boolean> {
    try {
      this.#upsert(await request());
      if (this.#detailId === id) this.#schedule('now');
      return true;
    } catch (error) {
      handleError(error, failure);
      return false;
    }
  }

  #upsert(run: RunSummary): void {
    const known = this.list.some((item) => item.id === run.id);
    this.list = known ? this.list.map((item) => (item.id === run.id ? run : item)) : [run, ...this.list];
  }

  #progressed(progress: RunProgress): void {
    const listed = this.list.find((run) => run.id === progress.runId);
    if (listed) {
      this.#upsert({
        ...listed,
        status: progress.status,
        doneCount: progress.done,
        sampleCount: progress.total,
        provider: progress.provider ?? listed.provider,
      });
    } else if (this.listLoaded) {
      void this.refresh();
    }
    if (progress.runId !== this.#detailId) return;
    this.progress = progress;
    this.#schedule(this.detail && progress.status !== this.detail.status ? 'now' : 'throttled');
  }

  /** Re-reads the shown run: at once, or when DETAIL_THROTTLE_MS have passed since the last read. */
  #schedule(urgency: Urgency): void {
    if (!this.#detailId) return;
    if (this.#inFlight) {
      if (this.#again !== 'now') this.#again = urgency;
      return;
    }
    const now = Date.now();
    this.#readAt(urgency === 'now' ? now : Math.max(now, this.#lastFetch + DETAIL_THROTTLE_MS));
  }

  /** Sets the one timer for the next read, keeping an earlier one. */
  #readAt(due: number): void {
    if (this.#timer !== null) {
      if (this.#timerDue <= due) return;
      clearTimeout(this.#timer);
    }
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#fetchDetail();
    }, Math.max(0, due - Date.now()));
  }

  async #fetchDetail(): Promise<void> {
    const id = this.#detailId;
    if (!id) return;
    if (this.#inFlight) {
      this.#again = 'now';
      return;
    }
    this.#inFlight = true;
    this.#lastFetch = Date.now();
    let failure: unknown = null;
    try {
      const detail = await api.invoke('run.get', { id });
      if (this.#detailId !== id) return;
      const firstRead = this.detail?.id !== id;
      this.detail = detail;
      this.log = mergeLog(detail.log, this.log);
      if (!isActive(detail.status)) this.progress = null;
      if (firstRead) void this.#loadClassNames(detail);
    } catch (error) {
      failure = error;
      this.#again = null;
    } finally {
      this.#inFlight = false;
    }
    if (failure === null) this.#followUp();
    else if (this.#detailId === id) await this.#failed(id, failure);
  }

  /** A run that is gone is shown as removed, not as an error toast and an endless "Loading…". */
  async #failed(id: string, error: unknown): Promise<void> {
    await this.refresh();
    if (this.#detailId !== id) return;
    if (this.listLoaded && !this.list.some((run) => run.id === id)) this.#gone();
    else handleError(error, 'Could not load the run');
  }

  /** The shown run was removed: stop reading it and say so. */
  #gone(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#again = null;
    this.detail = null;
    this.progress = null;
    this.missing = true;
  }

  /** After a read: a read that was asked for meanwhile, or the next poll while the run is active. */
  #followUp(): void {
    const again = this.#again;
    this.#again = null;
    if (again) this.#schedule(again);
    else if (this.detail && isActive(this.detail.status)) this.#readAt(Date.now() + DETAIL_POLL_MS);
  }

  /** The model may have been removed since the run; then the dataset's names, else plain indices. */
  async #loadClassNames(run: RunDetail): Promise<void> {
    const [model, dataset] = await Promise.allSettled([
      api.invoke('model.get', { id: run.modelId }),
      api.invoke('dataset.get', { id: run.datasetId }),
    ]);
    if (this.#detailId !== run.id) return;
    const modelLabels = model.status === 'fulfilled' ? model.value.labels : null;
    const datasetNames = dataset.status === 'fulfilled' ? dataset.value.classNames : null;
    this.classNames = modelLabels?.length ? modelLabels : datasetNames?.length ? datasetNames : null;
  }
}

export const runs = new RunStore();
