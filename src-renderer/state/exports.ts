import type { CallArgs, RunExportFormat, SavedFile, ScreenerExport } from '../../src-preload/contract';
import { api } from '../lib/api';
import { fetchPrepared, pageEnvironment, saveFile } from '../lib/save-file';
import { handleError } from './handle-error';
import { toasts } from './toasts.svelte';

/**
 * Everything that leaves the app goes through here: the desktop app's save dialog (main writes
 * the file and the toast says where), or a download in the browser (which shows its own).
 */

const environment = () => pageEnvironment((method, args) => api.invoke(method, args));

/** Saves what the page made: a chart, a table, an image. `what` names it for the error toast. */
export async function saveFromPage(name: string, content: Blob | string, mime: string, what: string): Promise<void> {
  try {
    announce(await saveFile(name, content, mime, environment()));
  } catch (error) {
    handleError(error, `Could not save ${what}`);
  }
}

/** Saves a run's per-sample results (csv, json) or its adversarial examples (npy), which the host writes. */
export async function exportRun(id: string, format: RunExportFormat): Promise<void> {
  try {
    const saved = await api.invoke('run.export', { id, format });
    fetchPrepared(saved, environment());
    announce(saved);
  } catch (error) {
    handleError(error, format === 'npy' ? 'Could not export the adversarial examples' : `Could not export the results as ${format.toUpperCase()}`);
  }
}

/** Builds and saves a model's screener (the host writes it); resolves to what was exported, or null when it failed. */
export async function exportScreener(request: CallArgs<'screener.export'>): Promise<ScreenerExport | null> {
  try {
    const exported = await api.invoke('screener.export', request);
    fetchPrepared(exported.file, environment());
    announce(exported.file);
    return exported;
  } catch (error) {
    handleError(error, 'Could not export the screener');
    return null;
  }
}

function announce(saved: SavedFile | null): void {
  if (saved?.kind === 'saved') toasts.success(`Saved ${saved.path}`);
}
