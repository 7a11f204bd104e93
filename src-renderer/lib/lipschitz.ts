/**
 * The Lipschitz estimate as the sample table shows it: with an attack margin, the bracket
 * [estimate, attack margin] (Wu & Yu's estimate is meant to lie below the distance, a verified
 * attack above it); a value capped at the radius says only "at least r".
 */
import type { RunSampleRow } from '../../src-preload/contract';
import { formatSignificant } from './format';

export function lipschitzEstimateText(value: number | null, radius: number): string {
  if (value === null) return '—';
  return value >= radius ? `≥ ${formatSignificant(radius)}` : formatSignificant(value);
}

export function lipschitzBracket(row: Pick<RunSampleRow, 'lipschitzMargin' | 'inputMargin' | 'marginFound'>, radius: number, withAttack: boolean): string {
  const estimate = lipschitzEstimateText(row.lipschitzMargin, radius);
  if (!withAttack) return estimate;
  const attack = row.marginFound === false ? 'not found' : formatSignificant(row.inputMargin);
  return `[${estimate}, ${attack}]`;
}
