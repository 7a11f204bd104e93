import type { AttackName, Equidistance, FiveNumbers, RobustAccuracy } from '../../src-preload/contract';
import { formatCount, formatSignificant } from './format';

export interface HistogramBar {
  /** The bin's centre, where the bar stands on a linear axis. */
  x: number;
  y: number;
  from: number;
  to: number;
}

/** Bins [edges[i], edges[i+1]) as bars on a linear axis, so that ticks fall on real values. */
export function histogramBars(histogram: { edges: number[]; counts: number[] }): HistogramBar[] {
  const { edges, counts } = histogram;
  const bars: HistogramBar[] = [];
  for (let i = 0; i < counts.length && i + 1 < edges.length; i++) {
    bars.push({ x: (edges[i] + edges[i + 1]) / 2, y: counts[i], from: edges[i], to: edges[i + 1] });
  }
  return bars;
}

/** '[0.1200, 0.2400): 37 samples' — the last bin is closed on the right. */
export function describeBin(bar: HistogramBar, last: boolean): string {
  const samples = `${formatCount(bar.y)} ${bar.y === 1 ? 'sample' : 'samples'}`;
  return `[${formatSignificant(bar.from)}, ${formatSignificant(bar.to)}${last ? ']' : ')'}: ${samples}`;
}

export interface Box {
  label: string;
  /** What the distances are, for the tooltip and the table ('ℓ1 distance'). */
  norm: string;
  raw: FiveNumbers;
  /** The five numbers divided by the median: a box near 1 means the head is nearly equidistant. */
  relative: FiveNumbers;
  /** max / min: 1 for a perfectly equidistant head. */
  spread: number | null;
}

/**
 * The head's two sets of pairwise distances ||w_i - w_j||, each relative to its own median so
 * that both boxes share one axis (ℓ1 norms are larger than ℓ2 norms by about sqrt(width)).
 */
export function equidistanceBoxes(equidistance: Equidistance): Box[] {
  return [
    box('ℓ1 (dual of ℓ∞)', 'ℓ1 distance', equidistance.linf),
    box('ℓ2', 'ℓ2 distance', equidistance.l2),
  ];
}

function box(label: string, norm: string, raw: FiveNumbers): Box {
  const scale = raw.median !== 0 ? raw.median : Number.NaN;
  const relative = {
    min: raw.min / scale,
    q1: raw.q1 / scale,
    median: 1,
    q3: raw.q3 / scale,
    max: raw.max / scale,
  };
  return { label, norm, raw, relative, spread: raw.min > 0 ? raw.max / raw.min : null };
}

export interface RobustnessSeries {
  /** 'fromMargins', an attack name, or 'combined'. */
  key: string;
  label: string;
  /** Robust accuracy (a fraction) at each epsilon, starting from the clean accuracy at 0. */
  points: { x: number; y: number }[];
}

/**
 * Robust accuracy against epsilon, one series per source: the margins, each fixed-budget attack,
 * and all of them combined. Every series starts at ε = 0 from the clean accuracy. The combined
 * series is left out when it is the only source's series again.
 */
export function robustnessSeries(
  robustness: readonly RobustAccuracy[],
  cleanAccuracy: number,
  label: (key: string) => string,
): RobustnessSeries[] {
  const rows = [...robustness].sort((a, b) => a.epsilon - b.epsilon);
  const series: RobustnessSeries[] = [];
  const add = (key: string, value: (row: RobustAccuracy) => number | null | undefined) => {
    const points = rows.flatMap((row) => {
      const y = value(row);
      return y === null || y === undefined ? [] : [{ x: row.epsilon, y }];
    });
    if (points.length > 0) series.push({ key, label: label(key), points: [{ x: 0, y: cleanAccuracy }, ...points] });
  };
  add('fromMargins', (row) => row.fromMargins);
  const attacks = [...new Set(rows.flatMap((row) => Object.keys(row.byAttack) as AttackName[]))];
  for (const attack of attacks) add(attack, (row) => row.byAttack[attack]);
  if (series.length > 1) add('combined', (row) => row.combined);
  return series;
}

export interface LogitPair {
  index: number;
  clean: number;
  adversarial: number | null;
}

/**
 * The classes worth showing in the explorer's logit bars: all of them up to `limit`, else the
 * label, both predictions and the classes with the largest logits (clean or adversarial), in
 * class order.
 */
export function logitPairs(
  logits: readonly number[],
  adversarialLogits: readonly number[] | null,
  keep: readonly (number | null)[],
  limit = 10,
): { pairs: LogitPair[]; hidden: number } {
  const all = logits.map((clean, index) => ({ index, clean, adversarial: adversarialLogits?.[index] ?? null }));
  if (all.length <= limit) return { pairs: all, hidden: 0 };
  const chosen = new Set(keep.filter((index): index is number => index !== null && index >= 0 && index < all.length));
  const byHeight = [...all].sort((a, b) => Math.max(b.clean, b.adversarial ?? -Infinity) - Math.max(a.clean, a.adversarial ?? -Infinity));
  for (const pair of byHeight) {
    if (chosen.size >= limit) break;
    chosen.add(pair.index);
  }
  return { pairs: all.filter((pair) => chosen.has(pair.index)), hidden: all.length - chosen.size };
}
