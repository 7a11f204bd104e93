/**
 * The smallest epsilon at which APGD breaks each sample, by bisection: an upper bound on the
 * input margin from a fixed-epsilon attack, against which the minimal-norm attacks (FAB, FMN,
 * DeepFool) are checked (issue 5, item 7). Assumes success is monotone in epsilon, as every
 * bisection over an attack's budget does.
 */
import { apgd, type ApgdOptions } from './apgd.js';
import type { DifferentiableModel } from './model.js';
import type { Batch, Norm } from './types.js';

export interface BisectionOptions {
  norm: Norm;
  /** The bracket [lo, hi]: APGD is taken to fail at lo (not run there) and is run first at hi. */
  lo: number;
  hi: number;
  /** At most this many halvings of each sample's bracket after the run at hi: the result is within (hi - lo) / 2^iterations above the last failure. */
  iterations: number;
  /** A sample's bisection also stops once its bracket is narrower than this fraction of its upper end; default 0 (iterations alone decide). */
  tolerance?: number;
  /** APGD's options for every run; each sample's random streams stay the same from run to run. */
  attack?: Omit<ApgdOptions, 'norm' | 'eps' | 'sampleIds' | 'signal'>;
  /** Dataset indices of the samples (APGD's sampleIds); by default their indices in the batch. */
  sampleIds?: ArrayLike<number>;
  signal?: AbortSignal;
}

export interface BisectionResult {
  /** Per sample: the smallest epsilon at which APGD succeeded (the bracket's upper end); Infinity when it failed at hi, 0 when the clean input is already misclassified. */
  epsilon: Float64Array;
  /** Per sample: the largest epsilon at which APGD was seen to fail, or lo. */
  lower: Float64Array;
  /** The adversarial example found at `epsilon`; the input itself where none was found. */
  adv: Float32Array;
  /** 1 where an adversarial example was found within hi. */
  found: Uint8Array;
}

/**
 * Per sample, bisects [lo, hi] on "APGD at this epsilon breaks the sample". Samples are resolved
 * independently: each step runs APGD once on the unresolved samples, each at its own midpoint.
 */
export async function minimalEpsilonByBisection(model: DifferentiableModel, batch: Batch, options: BisectionOptions): Promise<BisectionResult> {
  const { n } = batch;
  const { lo, hi, iterations } = options;
  const tolerance = options.tolerance ?? 0;
  if (!(lo >= 0 && hi > lo && Number.isFinite(hi))) throw new RangeError(`the bisection needs 0 <= lo < hi < Infinity, got [${lo}, ${hi}]`);
  if (!(Number.isSafeInteger(iterations) && iterations >= 0)) throw new RangeError(`iterations must be a whole number >= 0, got ${iterations}`);
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be >= 0, got ${tolerance}`);
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const ids = options.sampleIds === undefined ? Float64Array.from({ length: n }, (_, i) => i) : Float64Array.from(options.sampleIds);
  if (ids.length !== n) throw new RangeError(`sampleIds has ${ids.length} values for ${n} samples`);
  const lower = new Float64Array(n).fill(lo);
  const upper = new Float64Array(n).fill(hi);
  const epsilon = new Float64Array(n).fill(Infinity);
  const adv = batch.x.slice(0, n * per);
  const found = new Uint8Array(n);

  /** Runs APGD on `rows`, each at eps[k]; a success lowers the bracket's top, a failure raises its bottom. */
  const probe = async (rows: number[], eps: number[]): Promise<void> => {
    const sub: Batch = {
      x: new Float32Array(rows.length * per),
      n: rows.length,
      classes: Int32Array.from(rows, (i) => batch.classes[i]),
    };
    rows.forEach((i, k) => sub.x.set(batch.x.subarray(i * per, (i + 1) * per), k * per));
    const result = await apgd(model, sub, { ...options.attack, norm: options.norm, eps, sampleIds: rows.map((i) => ids[i]), signal: options.signal });
    rows.forEach((i, k) => {
      if (!result.success[k]) {
        lower[i] = eps[k];
        return;
      }
      // A clean input that is already misclassified needs no perturbation at all.
      const clean = result.iterations[k] === 0 && isClean(result.adv, sub.x, k, per);
      upper[i] = clean ? 0 : eps[k];
      if (clean) lower[i] = 0;
      epsilon[i] = upper[i];
      found[i] = 1;
      adv.set(result.adv.subarray(k * per, (k + 1) * per), i * per);
    });
  };

  const all = [...Array(n).keys()];
  await probe(all, all.map(() => hi));
  for (let t = 0; t < iterations; t++) {
    const open = all.filter((i) => found[i] && upper[i] - lower[i] > tolerance * upper[i]);
    if (open.length === 0) break;
    await probe(open, open.map((i) => (lower[i] + upper[i]) / 2));
  }
  return { epsilon, lower, adv, found };
}

function isClean(adv: Float32Array, x: Float32Array, k: number, per: number): boolean {
  for (let j = k * per; j < (k + 1) * per; j++) if (adv[j] !== x[j]) return false;
  return true;
}
