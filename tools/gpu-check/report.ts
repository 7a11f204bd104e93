/** The device check's table: one row per check and provider, CPU first, so each GPU figure sits beside the CPU's. */
import type { Provider } from '../../src-main/engine/runtime/providers.js';
import { table } from '../../bench/common.js';

export interface CheckRow {
  check: string;
  provider: Provider;
  /** Largest difference from the reference the check names (PyTorch's goldens, or the CPU run), relative to the reference's largest value. */
  maxError: number | null;
  /** What maxError is measured against. */
  reference: string;
  imagesPerSecond: number | null;
  placement: string;
  /** Why the row has no figures (the check failed there), or a remark on them. */
  note?: string;
}

export interface Availability {
  provider: Provider;
  ok: boolean;
  reason?: string;
}

const ORDER: readonly Provider[] = ['cpu', 'cuda', 'webgpu'];

const number = (value: number | null, format: (v: number) => string) => (value === null || !Number.isFinite(value) ? '—' : format(value));

export function resultTable(rows: readonly CheckRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.check === b.check ? ORDER.indexOf(a.provider) - ORDER.indexOf(b.provider) : 0));
  return table(
    ['check', 'provider', 'max error', 'against', 'images/s', 'nodes ran on'],
    sorted.map((r) => [
      r.check,
      r.provider,
      number(r.maxError, (v) => v.toExponential(2)),
      r.reference,
      number(r.imagesPerSecond, (v) => v.toFixed(v >= 100 ? 0 : 1)),
      r.note ? `${r.placement ? `${r.placement}; ` : ''}${r.note}` : r.placement,
    ]),
    { nameColumn: true },
  );
}

/** One line per provider: used, or why not. */
export function availabilityLines(availability: readonly Availability[]): string[] {
  return availability.map((a) => (a.ok ? `${a.provider}: available` : `${a.provider}: unavailable: ${a.reason ?? 'unknown reason'}`));
}

/** max |got - want| / max |want| (0 / 0 is 0). */
export function relativeMaxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new RangeError(`lengths differ: ${got.length} and ${want.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * Two runs of a minimal-norm attack compared sample by sample: the largest margin difference
 * relative to the largest margin, over samples both found an adversarial for, and how many
 * samples only one of them found one for (an iterative attack can take another path after a
 * rounding difference, so these are reported, not failed).
 */
export function marginAgreement(got: Float64Array, want: Float64Array): { maxError: number; foundByOne: number } {
  const both: number[] = [];
  const reference: number[] = [];
  let foundByOne = 0;
  got.forEach((g, i) => {
    const w = want[i];
    if (Number.isFinite(g) && Number.isFinite(w)) {
      both.push(g);
      reference.push(w);
    } else if (Number.isFinite(g) !== Number.isFinite(w)) foundByOne++;
  });
  return { maxError: relativeMaxError(both, reference), foundByOne };
}
