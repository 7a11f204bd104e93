import type { DatasetFormat, Dim } from '../../src-preload/contract';

// Fixed to en-US so that numbers read the same on every machine and in every report.
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

/** 1234567 -> '1,234,567' */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** 0.1234 -> '12.3%' */
export function formatShare(fraction: number): string {
  return percent.format(fraction);
}

/** Binary units, as file managers and `ls -h` show them. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${formatCount(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

/** ['batch', 3, 32, 32] -> 'batch × 3 × 32 × 32'; 'unknown' when the model gives no rank, 'scalar' for []. */
export function formatShape(shape: readonly Dim[] | null): string {
  if (shape === null) return 'unknown';
  if (shape.length === 0) return 'scalar';
  return shape.map(String).join(' × ');
}

/** Dataset sample shape C×H×W, compact as in the CLI. */
export function formatSampleShape(shape: readonly number[]): string {
  return shape.join('×');
}

/** '2024-05-01T10:00:00Z' -> '1 May 2024, 10:00' in the user's time zone. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

const formatNames: Record<DatasetFormat, string> = {
  idx: 'IDX',
  cifar10: 'CIFAR-10 binary',
  cifar100: 'CIFAR-100 binary',
  npy: 'NumPy .npy',
  npz: 'NumPy .npz',
  'image-folder': 'Image folder',
};

/** How a dataset's source format is named in the interface: 'idx' -> 'IDX'. */
export function formatDatasetFormat(format: DatasetFormat): string {
  return formatNames[format] ?? format;
}

/** A plural that reads naturally: plural(1, 'file') -> '1 file', plural(1200, 'file') -> '1,200 files'. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

const fourDigits = new Intl.NumberFormat('en-US', { minimumSignificantDigits: 4, maximumSignificantDigits: 4 });

/**
 * A measurement to 4 significant digits: 0.012345 -> '0.01235', 1234.5 -> '1,235'; very small or
 * large magnitudes in exponent form (1.235e-5); null and NaN -> '—'.
 */
export function formatSignificant(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-3 && magnitude < 1e5) return fourDigits.format(x);
  return x.toExponential(3);
}

/** 950 -> '0.9 s', 42_000 -> '42 s', 125_000 -> '2 min 5 s', 7_500_000 -> '2 h 5 min'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min ${s} s`;
}

/** Samples per second: 1234.5 -> '1,235 samples/s', 12.34 -> '12.3 samples/s'. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond) || perSecond < 0) return '—';
  const digits = perSecond < 100 ? 1 : 0;
  return `${perSecond.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} samples/s`;
}

const axisDigits = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });

/** An axis tick: as short as it can be, 4 significant digits at most (0.7, 1.25, 12,000). */
export function formatTick(x: number): string {
  if (x === 0) return '0';
  const magnitude = Math.abs(x);
  return magnitude >= 1e-3 && magnitude < 1e6 ? axisDigits.format(x) : x.toExponential(2);
}
