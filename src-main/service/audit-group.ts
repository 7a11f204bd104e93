// Runs that evaluate the same samples (issue 14): an audit group's runs, and the rows of one
// leaderboard comparison, line up position by position across models.
import type { RunConfig, Subset } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';

/** The samples a run evaluates, as a key: subsetIndices is a function of the subset and the dataset alone, so equal keys mean the same samples in the same order. */
export function samplesKey(datasetId: string, subset: Subset): string {
  if (subset.mode === 'all') return `${datasetId}/all`;
  if (subset.mode === 'first') return `${datasetId}/first/${subset.count}`;
  return `${datasetId}/random/${subset.count}/${subset.seed}`;
}

/** Refuses to add runs to a group that does not exist or whose runs evaluate other samples. */
export function requireGroupSamples(existing: Pick<RunConfig, 'datasetId' | 'subset'>[], config: Pick<RunConfig, 'datasetId' | 'subset'>, group: string): void {
  if (existing.length === 0) throw new UserError(`no audit group ${group} in this project`);
  if (samplesKey(existing[0].datasetId, existing[0].subset) !== samplesKey(config.datasetId, config.subset)) {
    throw new UserError(`audit group ${group} evaluates other samples; a group's runs share the dataset and the subset`);
  }
}
