// An audit group's promise (issue 14): its runs evaluate the same samples of the same dataset,
// so that their per-sample results line up position by position across models.
import type { RunConfig, Subset } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';

/** Two subsets that select the same samples of a dataset (subsetIndices is a function of the subset alone). */
export function sameSubset(a: Subset, b: Subset): boolean {
  if (a.mode !== b.mode) return false;
  if (a.mode === 'all') return true;
  if (a.count !== (b as typeof a).count) return false;
  return a.mode === 'first' || a.seed === (b as typeof a).seed;
}

/** Refuses to add runs to a group that does not exist or whose runs evaluate other samples. */
export function requireGroupSamples(existing: Pick<RunConfig, 'datasetId' | 'subset'>[], config: Pick<RunConfig, 'datasetId' | 'subset'>, group: string): void {
  if (existing.length === 0) throw new UserError(`no audit group ${group} in this project`);
  const first = existing[0];
  if (first.datasetId !== config.datasetId || !sameSubset(first.subset, config.subset)) {
    throw new UserError(`audit group ${group} evaluates other samples; a group's runs share the dataset and the subset`);
  }
}
