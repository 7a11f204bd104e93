// `brink leaderboard FILE [--json] [--csv OUT]`: the project's models side by side, one table per
// comparison (dataset and subset), from the service's leaderboard.get as the GUI shows it.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Leaderboard, LeaderboardComparison, LeaderboardRow } from '../../src-preload/contract.js';
import { tableToCsv } from '../../src-preload/csv.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import { leaderboardTable } from '../../src-preload/leaderboard-table.js';
import { withService } from './audit.js';

export interface LeaderboardOptions {
  json?: boolean;
  csv?: string;
}

const NORM_SYMBOL = { linf: 'ℓ∞', l2: 'ℓ2', l1: 'ℓ1' } as const;

function percent(x: number | null | undefined): string {
  return x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`;
}

function fixed(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined ? '-' : x.toFixed(digits);
}

function subsetText(c: LeaderboardComparison): string {
  const s = c.subset;
  return s.mode === 'all' ? 'all samples' : s.mode === 'first' ? `the first ${s.count} samples` : `${s.count} random samples (seed ${s.seed})`;
}

/** Columns padded to their widest cell; the model name left-aligned, numbers right-aligned. */
function aligned(table: string[][]): string {
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => [...row[i]].length)));
  return table.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

function comparisonText(board: Leaderboard, c: LeaderboardComparison): string {
  const rows = board.rows.filter((r) => r.comparison === c.key);
  const families = board.families.filter((f) => rows.some((r) => r.margins.some((m) => m.family === f.family)));
  const header = ['model', 'clean', 'robust', 'at ε', 'tau', 'AUROC', 'FPR@95', 'censored', 'mCA', ...families.map((f) => `${f.title}`)];
  const body = rows.map((r: LeaderboardRow) => [
    r.modelName,
    percent(r.cleanAccuracy),
    percent(r.attack?.robustAccuracy),
    r.attack ? `${NORM_SYMBOL[r.attack.norm]} ${formatEpsilon(r.attack.epsilon)}` : '-',
    fixed(r.attack?.kendallTau),
    fixed(r.attack?.auroc),
    fixed(r.attack?.fprAt95Tpr),
    percent(r.attack?.censoredShare),
    percent(r.meanCorruptionAccuracy?.value),
    ...families.map((f) => {
      const m = r.margins.find((x) => x.family === f.family);
      if (!m) return '-';
      return m.medianParameter === null ? 'beyond range' : Number(m.medianParameter.toPrecision(4)).toString();
    }),
  ]);
  const units = families.map((f) => `${f.title}: ${f.unit}`).join('; ');
  return [
    `${c.datasetName}, ${subsetText(c)}: ${c.models} model${c.models === 1 ? '' : 's'}`,
    aligned([header, ...body]),
    `  median margin per family (censored samples ranked above every found margin; "beyond range" when half or more are censored), in ${units}`,
    '  robust: accuracy at ε under every attack of the run; tau: Kendall tau-b of logit and input margins; AUROC and FPR@95 of the logit margin as detector of samples broken within ε; mCA: mean corruption accuracy',
  ].join('\n');
}

export function leaderboardText(board: Leaderboard): string {
  if (board.rows.length === 0) return 'No finished run measures margins yet: run `brink audit` with attacks or --family first.';
  const unfinished = board.unfinished ? [`${board.unfinished} run${board.unfinished === 1 ? '' : 's'} not finished yet, left out.`] : [];
  return [...board.comparisons.map((c) => comparisonText(board, c)), ...unfinished].join('\n\n');
}

export async function leaderboardCommand(file: string, opts: LeaderboardOptions): Promise<void> {
  await withService(file, async (service) => {
    const board = await service.invoke('leaderboard.get', {});
    if (opts.csv) {
      const { header, rows } = leaderboardTable(board);
      await writeFile(resolve(opts.csv), tableToCsv(header, rows));
    }
    if (opts.json) process.stdout.write(`${JSON.stringify({ leaderboard: board, ...(opts.csv ? { csv: resolve(opts.csv) } : {}) })}\n`);
    else process.stdout.write(`${leaderboardText(board)}${opts.csv ? `\n\nWrote ${board.rows.length} rows to ${resolve(opts.csv)}` : ''}\n`);
  });
}
