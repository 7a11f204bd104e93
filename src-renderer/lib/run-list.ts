import type { RunStatus, RunSummary } from '../../src-preload/contract';
import { formatEpsilon } from '../../src-preload/epsilon';
import { attackLabel, normLabel } from './attacks';

/** The runs list's filter: each field narrows the list; empty ones do not. */
export interface RunFilter {
  /** Words that must all appear in the run's name, notes, model, dataset, attacks or id. */
  text: string;
  modelId: string;
  datasetId: string;
  status: RunStatus | '';
}

export const noFilter: RunFilter = { text: '', modelId: '', datasetId: '', status: '' };

export function isFiltering(filter: RunFilter): boolean {
  return filter.text.trim() !== '' || filter.modelId !== '' || filter.datasetId !== '' || filter.status !== '';
}

export function filterRuns(runs: readonly RunSummary[], filter: RunFilter): RunSummary[] {
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return runs.filter((run) => {
    if (filter.modelId && run.modelId !== filter.modelId) return false;
    if (filter.datasetId && run.datasetId !== filter.datasetId) return false;
    if (filter.status && run.status !== filter.status) return false;
    if (words.length === 0) return true;
    const haystack = searchText(run);
    return words.every((word) => haystack.includes(word));
  });
}

function searchText(run: RunSummary): string {
  const attacks = run.attack ? [...run.attack.attacks.map(attackLabel), normLabel(run.attack.norm), run.attack.norm] : ['forward margins'];
  return [run.name ?? '', run.notes, run.modelName, run.datasetName, run.id, ...attacks].join('\n').toLowerCase();
}

/** The models (or datasets) that have runs, for the filter's choices: [id, name], by name. */
export function choicesOf(runs: readonly RunSummary[], key: 'model' | 'dataset'): [string, string][] {
  const named = new Map<string, string>();
  for (const run of runs) named.set(key === 'model' ? run.modelId : run.datasetId, key === 'model' ? run.modelName : run.datasetName);
  return [...named].sort(([, a], [, b]) => a.localeCompare(b));
}

/** What a run is called: its name, else its model on its dataset. */
export function runTitle(run: Pick<RunSummary, 'name' | 'modelName' | 'datasetName'>): string {
  return run.name ?? `${run.modelName} on ${run.datasetName}`;
}

/** 'FAB, APGD-CE', or 'forward margins' for a run without attacks. */
export function describeAttacks(run: Pick<RunSummary, 'attack'>): string {
  return run.attack ? run.attack.attacks.map(attackLabel).join(', ') : 'forward margins';
}

/** '2/255, 8/255'; '—' without epsilons. */
export function describeEpsilons(run: Pick<RunSummary, 'attack'>): string {
  return run.attack && run.attack.epsilons.length > 0 ? run.attack.epsilons.map(formatEpsilon).join(', ') : '—';
}
