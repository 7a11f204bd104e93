import type { RunSummary } from '../../src-preload/contract.js';
import type { ProjectStore } from '../store/project-store.js';
import { robustAtFirstEpsilon, runResults } from './run-results.js';

/**
 * Run summaries as lists show them, with each run's robust accuracy at its first epsilon,
 * computed from the stored rows exactly as the run page's results are. A run's rows change only
 * when batches are added, so each figure is kept until the run's sample count moves: the list is
 * read again on every change, and most runs in it are finished.
 */
export class RunSummaries {
  private readonly known = new Map<string, { doneCount: number; value: RunSummary['robustAccuracy'] }>();

  list(store: ProjectStore): RunSummary[] {
    return this.complete(store, store.runs.list());
  }

  /** The runs removing a model or a dataset would remove with it. */
  using(store: ProjectStore, item: { modelId: string } | { datasetId: string }): RunSummary[] {
    if ('modelId' in item) store.models.get(item.modelId);
    else store.datasets.get(item.datasetId);
    return this.complete(store, store.runs.listUsing(item));
  }

  summary(store: ProjectStore, id: string): RunSummary {
    return this.complete(store, [store.runs.summary(id)])[0];
  }

  private complete(store: ProjectStore, runs: RunSummary[]): RunSummary[] {
    return runs.map((run) => ({ ...run, robustAccuracy: this.robustAccuracy(store, run) }));
  }

  private robustAccuracy(store: ProjectStore, run: RunSummary): RunSummary['robustAccuracy'] {
    if (!run.labeled || !run.attack || run.attack.epsilons.length === 0 || run.doneCount === 0) return null;
    const key = `${store.path}\u0000${run.id}`;
    const cached = this.known.get(key);
    if (cached?.doneCount === run.doneCount) return cached.value;
    const config = store.runs.config(run.id);
    const results = runResults(config, store.runs.marginColumns(run.id, { withLogits: false }), store.runs.attackFindings(run.id, run.attack.norm), null, run.labeled);
    const value = robustAtFirstEpsilon(results);
    this.known.set(key, { doneCount: run.doneCount, value });
    return value;
  }
}
