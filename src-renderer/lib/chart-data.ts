import type { Equidistance, FiveNumbers } from '../../src-preload/contract';
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
