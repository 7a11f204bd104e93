import type { RunAnalysis } from '../../src-preload/contract.js';
import type { ProjectStore } from '../store/project-store.js';
import { RecentlyUsed } from './recently-used.js';
import { runAnalysis, type AnalysisOptions } from './run-analysis.js';

/** Analyses kept at once: a dashboard re-reads the same run while it grows, and a few runs side by side. */
const KEPT = 8;

/**
 * Analyses are recomputable at any time; this only avoids recomputing one whose inputs have not
 * changed (same rows, same options). The key holds what changes a run's rows: its count of done
 * samples and its status, and the forward run's too.
 */
export class AnalysisCache {
  private readonly entries = new RecentlyUsed<string, RunAnalysis>(KEPT);

  get(store: ProjectStore, id: string, options: AnalysisOptions): RunAnalysis {
    const run = store.runs.summary(id);
    const forward = options.withForward ? store.runs.summary(options.withForward) : null;
    const key = JSON.stringify([store.info().path, id, run.doneCount, run.status, forward?.doneCount, forward?.status, options]);
    const cached = this.entries.get(key);
    if (cached) return cached;
    const analysis = runAnalysis(store, id, options);
    // The screening threshold at the audit epsilon goes with a finished run, for screening new inputs later.
    if (run.status === 'done' && analysis.screening && options.epsilons === undefined && options.tprTarget === undefined && !options.correctOnly) {
      store.runs.setScreening(id, analysis.screening);
    }
    this.entries.set(key, analysis);
    return analysis;
  }
}
