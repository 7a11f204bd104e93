// The smallest strength of a perturbation family that changes a sample's prediction: a grid over
// the family's range, then bisection between the last strength that kept the prediction and the
// first that changed it. All samples advance together so each round is one batched forward pass.
// Like a minimal-norm attack, the result is an upper bound found on the search's path (a family
// need not flip monotonically), re-checked by a fresh forward pass; a sample that no strength in
// range flips is censored at the range's end, never given 0.

export interface FlipSearch {
  /** Strengths the grid tries, ascending, all > 0; the last is the family's end. */
  grid: number[];
  /**
   * The family's distinct strengths when it has finitely many (JPEG qualities, pixel sizes):
   * bisection then runs over them and stops at neighbours. Absent for a continuous family.
   */
  levels?: number[];
  /** Bisection rounds of a continuous family after the grid. */
  bisections: number;
}

export interface FlipResult {
  /** The smallest strength found that changes the prediction; null when none in range does (censored). */
  strength: number | null;
  /** The largest strength seen to keep the prediction below it (0 when the first grid point flipped). */
  below: number;
  /** The prediction at `strength`, from the fresh forward pass that verified it. */
  prediction: number | null;
}

/** Renders sample `sample` at `strength`, and predicts a batch of rendered images. */
export interface FlipModel {
  render(sample: number, strength: number): Float32Array | Promise<Float32Array>;
  predict(images: Float32Array[]): Promise<Int32Array>;
}

/** Grid points: every level when there are at most `points`, else `points` levels spread evenly, the last included. */
export function searchGrid(levels: readonly number[], points: number): number[] {
  if (levels.length <= points) return [...levels];
  return Array.from({ length: points }, (_, i) => levels[Math.round(((i + 1) * (levels.length - 1)) / points)]);
}

async function predictAll(model: FlipModel, jobs: { sample: number; strength: number }[]): Promise<Int32Array> {
  const images = await Promise.all(jobs.map((j) => model.render(j.sample, j.strength)));
  return images.length ? model.predict(images) : new Int32Array(0);
}

/**
 * For each sample (its clean prediction in `reference`), the smallest flipping strength. A round
 * renders every open sample's image at once (the grid round: samples x grid points), so callers
 * hand it one batch of samples at a time.
 */
export async function smallestFlips(model: FlipModel, reference: Int32Array, search: FlipSearch, onRound?: (done: number, total: number) => void): Promise<FlipResult[]> {
  const n = reference.length;
  const { grid, levels, bisections } = search;
  const totalRounds = 1 + (levels ? Math.ceil(Math.log2(Math.max(2, levels.length))) : bisections) + 1;
  let round = 0;
  const tick = () => onRound?.(++round, totalRounds);

  // Grid: every sample at every grid strength, in one pass.
  const gridJobs = Array.from({ length: n }, (_, sample) => grid.map((strength) => ({ sample, strength }))).flat();
  const gridPred = await predictAll(model, gridJobs);
  tick();
  const lo = new Float64Array(n);
  const hi: (number | null)[] = new Array(n).fill(null);
  for (let s = 0; s < n; s++) {
    for (let g = 0; g < grid.length; g++) {
      if (gridPred[s * grid.length + g] !== reference[s]) {
        hi[s] = grid[g];
        lo[s] = g === 0 ? 0 : grid[g - 1];
        break;
      }
    }
  }

  const open = (s: number) => hi[s] !== null;
  if (levels) {
    // Bisection over the levels strictly between lo and hi.
    const index = new Map(levels.map((v, i) => [v, i]));
    const loI = Int32Array.from(lo, (v) => (v === 0 ? -1 : index.get(v)!));
    const hiI = Int32Array.from(hi, (v) => (v === null ? -1 : index.get(v)!));
    for (;;) {
      const jobs = [...Array(n).keys()].filter((s) => open(s) && hiI[s] - loI[s] > 1).map((sample) => ({ sample, strength: levels[(loI[sample] + hiI[sample]) >> 1] }));
      if (!jobs.length) break;
      const pred = await predictAll(model, jobs);
      tick();
      jobs.forEach((job, k) => {
        const mid = (loI[job.sample] + hiI[job.sample]) >> 1;
        if (pred[k] !== reference[job.sample]) hiI[job.sample] = mid;
        else loI[job.sample] = mid;
      });
    }
    for (let s = 0; s < n; s++) {
      if (!open(s)) continue;
      hi[s] = levels[hiI[s]];
      lo[s] = loI[s] < 0 ? 0 : levels[loI[s]];
    }
  } else {
    for (let b = 0; b < bisections; b++) {
      const jobs = [...Array(n).keys()].filter(open).map((sample) => ({ sample, strength: (lo[sample] + hi[sample]!) / 2 }));
      if (!jobs.length) break;
      const pred = await predictAll(model, jobs);
      tick();
      jobs.forEach((job, k) => {
        if (pred[k] !== reference[job.sample]) hi[job.sample] = job.strength;
        else lo[job.sample] = job.strength;
      });
    }
  }

  // A fresh forward pass at each found strength: the margin stands only if it still flips.
  const verify = [...Array(n).keys()].filter(open).map((sample) => ({ sample, strength: hi[sample]! }));
  const checked = await predictAll(model, verify);
  tick();
  const results: FlipResult[] = Array.from({ length: n }, (_, s) => ({ strength: null, below: lo[s], prediction: null }));
  verify.forEach((job, k) => {
    if (checked[k] !== reference[job.sample]) results[job.sample] = { strength: job.strength, below: lo[job.sample], prediction: checked[k] };
  });
  return results;
}
