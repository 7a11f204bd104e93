import { defaultVerdictThresholds, type ReportProgress, type ReportRecord, type ReportSettings } from '../../src-preload/contract';
import { api } from '../lib/api';
import { pageOpenEnvironment, showOpened } from '../lib/open-file';
import { fetchPrepared, pageEnvironment } from '../lib/save-file';
import { handleError } from './handle-error';
import { toasts } from './toasts.svelte';

/** The Report view's state: the settings being edited, the preview of the same HTML the PDF prints, the export under way and the project's reports. */
class ReportStore {
  settings = $state<ReportSettings>({ runIds: [], title: 'Adversarial robustness audit', client: '', auditor: '', notes: '', thresholds: { ...defaultVerdictThresholds } });
  list = $state.raw<ReportRecord[]>([]);
  preview = $state.raw<string | null>(null);
  previewing = $state(false);
  progress = $state.raw<ReportProgress | null>(null);
  /** The report an action (export, re-export, regenerate) is under way for; 'new' for an export. */
  busy = $state<string | null>(null);

  connect(): void {
    api.on('project.changed', (info) => {
      if (info) void this.load();
      else this.list = [];
    });
    api.on('report.progress', (progress) => {
      this.progress = progress;
    });
  }

  async load(): Promise<void> {
    try {
      this.list = await api.invoke('report.list', {});
    } catch (error) {
      handleError(error, 'Could not list the reports');
    }
  }

  async showPreview(): Promise<void> {
    this.previewing = true;
    try {
      this.preview = await api.invoke('report.preview', $state.snapshot(this.settings));
    } catch (error) {
      handleError(error, 'Could not build the report');
    } finally {
      this.previewing = false;
    }
  }

  export(): Promise<void> {
    return this.#act('new', () => api.invoke('report.export', $state.snapshot(this.settings)), 'Could not export the report');
  }

  reexport(id: string): Promise<void> {
    return this.#act(id, () => api.invoke('report.reexport', { id }), 'Could not re-export the report');
  }

  regenerate(id: string): Promise<void> {
    return this.#act(id, () => api.invoke('report.regenerate', { id }), 'Could not regenerate the report');
  }

  async open(id: string): Promise<void> {
    try {
      const opened = await api.invoke('report.open', { id });
      showOpened(opened, pageOpenEnvironment());
      if (opened.kind === 'opened') toasts.success(`Opened ${opened.path}`);
    } catch (error) {
      handleError(error, 'Could not open the report');
    }
  }

  async save(id: string): Promise<void> {
    try {
      const saved = await api.invoke('report.save', { id });
      fetchPrepared(saved, pageEnvironment((method, args) => api.invoke(method, args)));
      if (saved?.kind === 'saved') toasts.success(`Saved ${saved.path}`);
    } catch (error) {
      handleError(error, 'Could not save the report');
    }
  }

  async #act(what: string, action: () => Promise<ReportRecord>, failure: string): Promise<void> {
    this.busy = what;
    this.progress = null;
    try {
      const report = await action();
      toasts.success(`Report ${report.fileName}: ${report.pages} pages, SHA-256 ${report.sha256.slice(0, 16)}…`);
      await this.load();
    } catch (error) {
      handleError(error, failure);
    } finally {
      this.busy = null;
      this.progress = null;
    }
  }
}

export const reports = new ReportStore();
