/**
 * Test support: the SciPy/numpy goldens of tools/goldens/make_metric_goldens_rank.py, decoded.
 * The JSON writes NaN and +-inf as the strings "NaN", "Infinity" and "-Infinity".
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

const special: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

interface PairCase {
  name: string;
  x: number[];
  y: number[];
}

export interface RankGoldens {
  kendall: (PairCase & { tau: number })[];
  spearman: (PairCase & { rho: number })[];
  pearson: (PairCase & { r: number })[];
  rankdata: { name: string; values: number[]; ranks: number[] }[];
  quantile: { name: string; values: number[]; q: number[]; percentile: number[]; median: number; mean: number }[];
  histogram: { name: string; values: number[]; bins: number; range: [number, number] | null; edges: number[]; counts: number[] }[];
  binned: {
    name: string;
    x: number[];
    y: number[];
    trim: [number, number];
    bins: number;
    edges: 'range' | [number, number];
    result: { bins: { x: number; y: number; sem: number | null; n: number }[]; kept: number };
  }[];
  scores: { name: string; classes: number; logits: number[]; scores: Record<string, number[]> }[];
}

export const goldens: RankGoldens = JSON.parse(readFileSync(new URL('./rank.json', import.meta.url), 'utf8'), (_key, value) =>
  typeof value === 'string' && value in special ? special[value] : value,
);

/**
 * Agreement to `tolerance` relative to the reference, or absolute below magnitude 1:
 * |actual - expected| <= tolerance * max(1, |expected|). NaN matches NaN, an infinity itself.
 */
export function expectClose(actual: number, expected: number, tolerance = 1e-12, what = ''): void {
  if (Number.isNaN(expected) || !Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  const allowed = tolerance * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= allowed)) expect.fail(`${what}: ${actual} differs from ${expected} by more than ${allowed}`);
}
