import type { AttackNorm, RunAnalysis, ScatterPoint } from '../../src-preload/contract';
import { normLabel } from './attacks';
import { formatCount, formatSignificant, formatTick } from './format';

/** Epsilons come back from the service as it was sent them; a relative slack keeps 8/255 equal to itself after a round trip. */
export function sameEpsilon(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** The entry of a per-epsilon list at this epsilon, or null. */
export function atEpsilon<T extends { epsilon: number }>(list: readonly T[], epsilon: number): T | null {
  return list.find((entry) => sameEpsilon(entry.epsilon, epsilon)) ?? null;
}

/** The selection after a new analysis: the current epsilon when the grid still has it, else the audit epsilon. */
export function pickEpsilon(epsilons: readonly number[], current: number | null, audit: number): number {
  if (current !== null) {
    const kept = epsilons.find((epsilon) => sameEpsilon(epsilon, current));
    if (kept !== undefined) return kept;
  }
  return epsilons.find((epsilon) => sameEpsilon(epsilon, audit)) ?? audit;
}

/** An epsilon in pixel units and in 8-bit steps: 0.03137 -> '0.03137 (8/255)', 0.03 -> '0.03 (7.65/255)'. */
export function epsilonText(epsilon: number): string {
  return `${formatSignificant(epsilon)} (${steps255(epsilon)})`;
}

/** 8/255 -> '8/255', 0.03 -> '7.65/255'. */
export function steps255(epsilon: number): string {
  const steps = epsilon * 255;
  const whole = Math.round(steps);
  return Math.abs(steps - whole) < 1e-6 ? `${whole}/255` : `${Number(steps.toFixed(2))}/255`;
}

/** The threat model line every chart and table carries (RobustBench): 'n = 1,000 · ℓ∞ · ε = 0.03137 (8/255) · 12 censored'. */
export function threatModel(analysis: Pick<RunAnalysis, 'samples' | 'norm' | 'censored'>, epsilon: number | null): string {
  const parts = [`n = ${formatCount(analysis.samples)}`];
  if (analysis.norm) parts.push(normLabel(analysis.norm));
  if (epsilon !== null) parts.push(`ε = ${epsilonText(epsilon)}`);
  parts.push(`${formatCount(analysis.censored)} censored`);
  return parts.join(' · ');
}

/** 'input margin (ℓ∞, [0,1] pixel units)' */
export function marginUnit(norm: AttackNorm | null): string {
  return norm ? `${normLabel(norm)} norm, [0,1] pixel units` : '[0,1] pixel units';
}

/** '[0.61, 0.70]' for a confidence interval of fractions shown as percentages, or of plain values. */
export function intervalText(ci: [number, number] | null, format: (x: number) => string): string | null {
  return ci ? `[${format(ci[0])}, ${format(ci[1])}]` : null;
}

export interface ScatterSeries {
  correct: { x: number; y: number; position: number }[];
  wrong: { x: number; y: number; position: number }[];
  /** Points a log axis cannot place (a logit margin of 0: a tie between the two top classes). */
  hidden: number;
}

/** The scatter's points by correctness; on a log axis, points at 0 are counted instead of drawn. */
export function scatterSeries(points: readonly ScatterPoint[], logX: boolean, logY: boolean): ScatterSeries {
  const series: ScatterSeries = { correct: [], wrong: [], hidden: 0 };
  for (const point of points) {
    if ((logX && !(point.inputMargin > 0)) || (logY && !(point.logitMargin > 0))) {
      series.hidden++;
      continue;
    }
    (point.correct ? series.correct : series.wrong).push({ x: point.inputMargin, y: point.logitMargin, position: point.position });
  }
  return series;
}

/**
 * The step curve of robust accuracy from margins with its start at epsilon 0 (the clean accuracy),
 * cut at `limit` so that the curve ends where the chart's axis does.
 */
export function robustSteps(curve: RunAnalysis['robustCurve'], accuracy: number, limit: number): { x: number; y: number }[] {
  const points = [{ x: 0, y: accuracy }];
  let last = accuracy;
  for (const point of curve) {
    if (point.epsilon > limit) break;
    if (point.epsilon === 0) points[0] = { x: 0, y: point.robustAccuracy };
    else points.push({ x: point.epsilon, y: point.robustAccuracy });
    last = point.robustAccuracy;
  }
  points.push({ x: limit, y: last });
  return points;
}

/** A log axis's tick: 1, 2 and 5 times a power of ten are written, the ticks between stay unlabelled. */
export function logTick(value: number): string {
  if (!(value > 0)) return '';
  const mantissa = value / 10 ** Math.floor(Math.log10(value) + 1e-9);
  const lead = Math.round(mantissa * 1e6) / 1e6;
  return lead === 1 || lead === 2 || lead === 5 ? formatTick(value) : '';
}
