import type { Dim, Preprocessing } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';

/** One mean/std value stands for every channel; otherwise there must be one per channel of the fed [N, C, H, W] shape. */
export function checkPreprocessing(feedShape: Dim[] | null, p: Preprocessing): Preprocessing {
  const channels = feedShape?.[1];
  if (p.mean.length !== p.std.length) throw new UserError(`mean has ${p.mean.length} values but std has ${p.std.length}`);
  if (p.std.some((s) => !(s > 0))) throw new UserError('every std value must be positive');
  if (!(p.valueRange[1] > p.valueRange[0])) throw new UserError('the value range must be increasing, e.g. 0,1 or 0,255');
  if (typeof channels === 'number' && p.mean.length !== 1 && p.mean.length !== channels) {
    throw new UserError(`the model takes ${channels} channels, but ${p.mean.length} mean/std values were given`);
  }
  return p;
}
