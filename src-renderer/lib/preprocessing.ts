import type { Preprocessing } from '../../src-preload/contract';

/** The preprocessing form as typed: strings, so that half-typed numbers survive. */
export interface PreprocessingDraft {
  low: string;
  high: string;
  mean: string;
  std: string;
}

export type DraftField = keyof PreprocessingDraft;

export type DraftResult =
  | { ok: true; value: Preprocessing }
  | { ok: false; errors: Partial<Record<DraftField, string>> };

export function draftOf(p: Preprocessing): PreprocessingDraft {
  return {
    low: String(p.valueRange[0]),
    high: String(p.valueRange[1]),
    mean: p.mean.join(', '),
    std: p.std.join(', '),
  };
}

/**
 * Checks the form with the service's rules (src-main/service/model-import.ts checkPreprocessing),
 * so that mistakes show beside the field instead of after a round trip.
 * `channels` is the model's input channel count when it is known.
 */
export function parseDraft(draft: PreprocessingDraft, channels: number | null): DraftResult {
  const errors: Partial<Record<DraftField, string>> = {};
  const low = parseNumber(draft.low);
  const high = parseNumber(draft.high);
  const mean = parseList(draft.mean);
  const std = parseList(draft.std);

  if (low === null) errors.low = 'Enter a number';
  if (high === null) errors.high = 'Enter a number';
  else if (low !== null && !(high > low)) errors.high = 'Must be greater than the lower bound';

  if (typeof mean === 'string') errors.mean = mean;
  if (typeof std === 'string') errors.std = std;
  else if (std.some((s) => !(s > 0))) errors.std = 'Every std value must be positive';

  if (Array.isArray(mean) && Array.isArray(std) && !errors.std) {
    if (mean.length !== std.length) errors.std = `Give as many values as the mean (${mean.length})`;
    else if (channels !== null && mean.length !== 1 && mean.length !== channels) {
      errors.mean = `The model takes ${channels} channels: give one value for all, or one per channel`;
    }
  }

  if (Object.keys(errors).length > 0 || low === null || high === null || !Array.isArray(mean) || !Array.isArray(std)) {
    return { ok: false, errors };
  }
  return { ok: true, value: { valueRange: [low, high], mean, std } };
}

function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : null;
}

/** '0.485, 0.456, 0.406' -> numbers, or a message saying what is wrong. */
function parseList(text: string): number[] | string {
  const parts = text.split(/[,\s]+/).filter((part) => part !== '');
  if (parts.length === 0) return 'Enter one value per channel, e.g. 0.5 or 0.485, 0.456, 0.406';
  if (parts.length > 4) return 'At most 4 values (one per channel)';
  const numbers = parts.map(parseNumber);
  const bad = parts.find((_, i) => numbers[i] === null);
  if (bad !== undefined) return `'${bad}' is not a number`;
  return numbers as number[];
}

/** '[0, 1] · mean 0.286 · std 0.353'; identity shows as '[0, 1] as is'. */
export function describePreprocessing(p: Preprocessing): string {
  const range = `[${p.valueRange.map(formatValue).join(', ')}]`;
  if (p.mean.every((m) => m === 0) && p.std.every((s) => s === 1)) return `${range} as is`;
  return `${range} · mean ${p.mean.map(formatValue).join(', ')} · std ${p.std.map(formatValue).join(', ')}`;
}

function formatValue(x: number): string {
  return String(Number(x.toPrecision(6))).replace('-', '−');
}

/** Datasets whose samples fit a model's fed shape [batch, channels, height, width] (symbolic sizes fit anything). */
export function datasetsFitting<D extends { shape: [number, number, number] }>(datasets: readonly D[], feedShape: readonly (number | string)[] | null): D[] {
  if (!feedShape || feedShape.length !== 4) return [...datasets];
  return datasets.filter((d) => d.shape.every((size, axis) => typeof feedShape[axis + 1] !== 'number' || feedShape[axis + 1] === size));
}
