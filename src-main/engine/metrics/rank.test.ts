import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { expectClose, goldens } from './goldens/rank-goldens.js';
import { averageRanks, denseRanks, kendallTauB, mergeInversions, pearson, spearman, treeInversions } from './rank.js';

/** Tau-b from its definition, pair by pair (O(n^2)); comparisons, not differences, so +-Infinity tie. */
function bruteTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let tiedX = 0;
  let tiedY = 0;
  let concordant = 0;
  let discordant = 0;
  const sign = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = sign(x[i], x[j]) * sign(y[i], y[j]);
      if (x[i] === x[j]) tiedX++;
      if (y[i] === y[j]) tiedY++;
      if (s > 0) concordant++;
      else if (s < 0) discordant++;
    }
  }
  const pairs = (n * (n - 1)) / 2;
  return (concordant - discordant) / Math.sqrt((pairs - tiedX) * (pairs - tiedY));
}

/** n values drawn from `levels` integers; a fraction `censored` of them replaced by +Infinity. */
function tieHeavy(n: number, levels: number, censored: number, rng: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng() < censored ? Infinity : Math.floor(rng() * levels);
  return out;
}

describe('kendallTauB against scipy.stats.kendalltau (variant b)', () => {
  it.each(goldens.kendall.map((c) => [c.name, c]))('%s', (_name, c) => {
    expectClose(kendallTauB(c.x, c.y), c.tau);
  });
});

describe('kendallTauB against an O(n^2) tau-b from the definition', () => {
  const cases: [string, number, number, number, number][] = [];
  let seed = 1;
  for (const n of [2, 3, 10, 57, 400]) {
    for (const [levels, censored] of [
      [2, 0],
      [3, 0.1],
      [6, 0.3],
      [1000, 0],
      [1e9, 0.05],
    ]) {
      cases.push([`n=${n}, values from ${levels} integers, ${censored * 100} % +Infinity`, n, levels, censored, seed++]);
    }
  }
  it.each(cases)('%s', (_name, n, levels, censored, s) => {
    const rng = mulberry32(s);
    const x = tieHeavy(n, levels, censored, rng);
    const y = tieHeavy(n, levels, censored / 2, rng);
    // Correlate half the cases so that tau is far from 0 too.
    if (s % 2 === 0) for (let i = 0; i < n; i++) y[i] = rng() < 0.7 ? x[i] : y[i];
    const expected = bruteTauB(x, y);
    const got = kendallTauB(x, y);
    if (Number.isNaN(expected)) expect(got).toBeNaN();
    else expectClose(got, expected);
  });
});

describe('kendallTauB edge cases', () => {
  it.each([
    ['no samples', [], []],
    ['one sample', [1], [2]],
    ['constant x', [3, 3, 3], [1, 2, 3]],
    ['constant y', [1, 2, 3], [0, 0, 0]],
    ['all censored in y', [1, 2, 3], [Infinity, Infinity, Infinity]],
  ])('is NaN for %s', (_name, x, y) => {
    expect(kendallTauB(x, y)).toBeNaN();
  });

  it('is exactly 1 and -1 for identical and reversed orders', () => {
    expect(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
  });

  it('ranks +Infinity above every finite value, tied among themselves', () => {
    expect(kendallTauB([1, 2, 3, 4], [0.1, 0.2, Infinity, Infinity])).toBe(kendallTauB([1, 2, 3, 4], [0.1, 0.2, 9, 9]));
  });

  it('treats -0 and +0 as a tie', () => {
    expect(kendallTauB([0, -0, 1], [1, 2, 3])).toBe(kendallTauB([0, 0, 1], [1, 2, 3]));
  });

  it('depends on order only: a monotone transform leaves it unchanged', () => {
    const rng = mulberry32(7);
    const x = tieHeavy(300, 20, 0, rng);
    const y = tieHeavy(300, 20, 0, rng);
    expect(kendallTauB(x.map((v) => Math.exp(v / 3) - 5), y)).toBe(kendallTauB(x, y));
  });

  it.each([
    ['NaN in x', [1, NaN, 3], [1, 2, 3]],
    ['NaN in y', [1, 2, 3], [1, 2, NaN]],
    ['NaN in a single sample', [NaN], [1]],
    ['length mismatch', [1, 2, 3], [1, 2]],
  ])('throws RangeError on %s (NaN policy raise)', (_name, x, y) => {
    expect(() => kendallTauB(x, y)).toThrow(RangeError);
  });
});

describe('spearman against scipy.stats.spearmanr', () => {
  it.each(goldens.spearman.map((c) => [c.name, c]))('%s', (_name, c) => {
    expectClose(spearman(c.x, c.y), c.rho);
  });

  it('ranks +Infinity and -Infinity like any values (SciPy 1.10 wrongly returns NaN when both appear)', () => {
    expect(spearman([1, 2, 3, 4, 5], [Infinity, -Infinity, 1, 2, Infinity])).toBe(spearman([1, 2, 3, 4, 5], [9, -9, 1, 2, 9]));
  });

  it('is NaN for fewer than 2 samples and for constant input; throws on NaN', () => {
    expect(spearman([], [])).toBeNaN();
    expect(spearman([1], [1])).toBeNaN();
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => spearman([1, NaN], [1, 2])).toThrow(RangeError);
    expect(() => spearman([1, 2], [1])).toThrow(RangeError);
  });
});

describe('pearson against scipy.stats.pearsonr', () => {
  it.each(goldens.pearson.map((c) => [c.name, c]))('%s', (_name, c) => {
    expectClose(pearson(c.x, c.y), c.r);
  });

  it('is NaN for constant input and for fewer than 2 samples (where SciPy raises)', () => {
    expect(pearson([2, 2, 2], [1, 2, 3])).toBeNaN();
    expect(pearson([1], [1])).toBeNaN();
    expect(pearson([], [])).toBeNaN();
  });

  it('does not overflow on huge values', () => {
    expect(pearson([-5e200, 5e200, 3e199], [-1, 1, 0.1])).toBeCloseTo(1, 3);
  });

  it.each([
    ['NaN', [1, NaN, 3]],
    ['+Infinity (a censored margin)', [1, Infinity, 3]],
    ['-Infinity', [-Infinity, 2, 3]],
  ])('throws RangeError on %s', (_name, x) => {
    expect(() => pearson(x, [1, 2, 3])).toThrow(RangeError);
  });
});

describe('averageRanks against scipy.stats.rankdata (average)', () => {
  it.each(goldens.rankdata.map((c) => [c.name, c]))('%s', (_name, c) => {
    expect(Array.from(averageRanks(c.values))).toEqual(c.ranks);
  });

  it('gives an empty array for empty input and throws on NaN', () => {
    expect(averageRanks([]).length).toBe(0);
    expect(() => averageRanks([NaN])).toThrow(RangeError);
  });
});

describe('denseRanks', () => {
  it('numbers distinct values from 0 in ascending order, ties sharing a rank', () => {
    expect(denseRanks([3, -Infinity, 3, 0, -0, Infinity])).toEqual({ ranks: Uint32Array.from([2, 0, 2, 1, 1, 3]), unique: 4 });
  });
});

describe('discordant-pair counts', () => {
  const brute = (s: Uint32Array) => {
    let count = 0;
    for (let k = 0; k < s.length; k++) for (let m = k + 1; m < s.length; m++) if (s[k] > s[m]) count++;
    return count;
  };
  it.each([
    ['many distinct values', 600, 100_000],
    ['heavy ties', 600, 4],
    ['one value', 50, 1],
    ['two samples', 2, 3],
  ])('the merge count (many distinct ranks) and the Fenwick count (few) agree with all pairs: %s', (_, n, levels) => {
    const rng = mulberry32(n * 7 + levels);
    const sequence = Uint32Array.from({ length: n }, () => Math.floor(rng() * levels));
    const unique = Math.max(...sequence) + 1;
    expect(mergeInversions(sequence.slice())).toBe(brute(sequence));
    expect(treeInversions(sequence, unique)).toBe(brute(sequence));
  });

  it('agree on 200,000 values with 150,000 distinct ones, where Kendall tau-b takes the merge count', () => {
    const rng = mulberry32(11);
    const sequence = Uint32Array.from({ length: 200_000 }, () => Math.floor(rng() * 150_000));
    expect(mergeInversions(sequence.slice())).toBe(treeInversions(sequence, 150_000));
  });
});
