import type { LeaderboardFamily, LeaderboardRow } from '../../src-preload/contract';

/** The leaderboard table's sortable columns: what each reads from a row, and which way is better. */
export const leaderboardColumns = [
  { key: 'model', label: 'Model', title: 'The model as named in the project', value: (r: LeaderboardRow) => r.modelName, better: null },
  { key: 'clean', label: 'Clean acc.', title: 'Accuracy on the unperturbed samples', value: (r: LeaderboardRow) => r.cleanAccuracy, better: 'high' },
  {
    key: 'robust',
    label: 'Robust acc.',
    title: 'Correct and unbroken by every attack of the run within the audit ε (from the margins where the run did not attack at ε)',
    value: (r: LeaderboardRow) => r.attack?.robustAccuracy ?? null,
    better: 'high',
  },
  { key: 'tau', label: 'Kendall τ', title: 'Kendall tau-b between the logit margin and the input margin (margin consistency)', value: (r: LeaderboardRow) => r.attack?.kendallTau ?? null, better: 'high' },
  { key: 'auroc', label: 'AUROC', title: 'The logit margin as a detector of samples broken within ε', value: (r: LeaderboardRow) => r.attack?.auroc ?? null, better: 'high' },
  { key: 'fpr', label: 'FPR@95', title: 'False-positive rate of that detector at 95 % true-positive rate', value: (r: LeaderboardRow) => r.attack?.fprAt95Tpr ?? null, better: 'low' },
  {
    key: 'censored',
    label: 'Verified / censored',
    title:
      'Shares of the samples with a verified adversarial example, and with none within the attacks’ budget (censored: robust at every ε, never counted as 0); sorts by the censored share',
    value: (r: LeaderboardRow) => r.attack?.censoredShare ?? null,
    better: null,
  },
  {
    key: 'mca',
    label: 'Corr. acc.',
    title: 'Mean accuracy over the measured corruptions at their five severities',
    value: (r: LeaderboardRow) => r.meanCorruptionAccuracy?.value ?? null,
    better: 'high',
  },
  { key: 'parameters', label: 'Parameters', title: 'Trainable and constant weights in the ONNX file', value: (r: LeaderboardRow) => r.architecture.parameters, better: null },
  { key: 'time', label: 'Run time', title: 'Time the row’s runs spent running, summed', value: (r: LeaderboardRow) => r.runTimeMs, better: null },
] as const;

export type LeaderboardSortKey = (typeof leaderboardColumns)[number]['key'];

/** Rows sorted by a column; rows without a value go last whichever the direction, ties by model name. */
export function sortLeaderboard(rows: readonly LeaderboardRow[], key: LeaderboardSortKey, descending: boolean): LeaderboardRow[] {
  const column = leaderboardColumns.find((c) => c.key === key)!;
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    if (x === null || y === null) return x === y ? a.modelName.localeCompare(b.modelName) : x === null ? 1 : -1;
    const order = typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number);
    return order !== 0 ? sign * order : a.modelName.localeCompare(b.modelName);
  });
}

/** A median this many times above (or below) its column's geometric mean takes the full colour. */
export const HEAT_SATURATION = 2;

/**
 * One heat-map cell's colour position in [0, 1]: the median margin against the geometric mean of
 * its family column's medians, on a log scale, 0.5 at the mean and the ends at HEAT_SATURATION
 * times below or above it. Ratios have no unit, so columns in different units share one scale,
 * and two models within a few percent of each other look alike instead of being pushed to the two
 * ends as a min-max scale would push them. A median beyond the family's range (half or more
 * censored) is the robust end, 1; a median of 0 the brittle end. Null where the family was not
 * measured.
 */
export function heatPosition(rows: readonly LeaderboardRow[], row: LeaderboardRow, family: LeaderboardFamily): number | null {
  const margin = row.margins.find((m) => m.family === family);
  if (!margin) return null;
  if (margin.median === null) return 1;
  if (margin.median <= 0) return 0;
  const positive = rows.map((r) => r.margins.find((m) => m.family === family)?.median).filter((m): m is number => m !== null && m !== undefined && m > 0);
  const logMean = positive.reduce((sum, m) => sum + Math.log(m), 0) / positive.length;
  const ratio = (Math.log(margin.median) - logMean) / Math.log(HEAT_SATURATION);
  return 0.5 + 0.5 * Math.min(1, Math.max(-1, ratio));
}

/** From a pale orange (brittle) through pale grey to the app's blue (robust), in steps a reader can tell apart. */
const STOPS: [number, [number, number, number]][] = [
  [0, [240, 166, 120]],
  [0.5, [238, 240, 243]],
  [1, [79, 119, 214]],
];

export function heatColor(position: number): string {
  const t = Math.min(1, Math.max(0, position));
  const k = t <= STOPS[1][0] ? 0 : 1;
  const [t0, c0] = STOPS[k];
  const [t1, c1] = STOPS[k + 1];
  const f = (t - t0) / (t1 - t0);
  const [r, g, b] = c0.map((v, i) => Math.round(v + (c1[i] - v) * f));
  return `rgb(${r}, ${g}, ${b})`;
}

/** Dark text on the pale middle of the scale, white on the saturated blue end. */
export function heatTextColor(position: number): string {
  return position > 0.8 ? '#ffffff' : '#1d2329';
}

/** One model's point in a leaderboard scatter plot; a model without both values is left out (and counted). */
export interface ModelPoint {
  model: string;
  x: number | null;
  y: number | null;
}
