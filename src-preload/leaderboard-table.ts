// The leaderboard as one flat table, the same for the GUI's CSV button and `brink leaderboard
// --csv`: one line per row, raw numbers at full precision (fractions, not percentages; margins in
// each family's own unit, named in the header).
import type { Leaderboard, LeaderboardRow } from './contract.js';

type Cell = string | number | null;

function subsetText(board: Leaderboard, row: LeaderboardRow): [string, string] {
  const c = board.comparisons.find((x) => x.key === row.comparison)!;
  const s = c.subset;
  return [c.datasetName, s.mode === 'all' ? 'all' : s.mode === 'first' ? `first ${s.count}` : `random ${s.count} (seed ${s.seed})`];
}

/** Rows of one comparison, or of every comparison when `comparison` is left out. */
export function leaderboardTable(board: Leaderboard, comparison?: string): { header: string[]; rows: Cell[][] } {
  const header = [
    'model',
    'model_sha256',
    'dataset',
    'subset',
    'samples',
    'parameters',
    'nodes',
    'op_types',
    'opset',
    'input_size',
    'clean_accuracy',
    'norm',
    'epsilon',
    'robust_accuracy',
    'robust_accuracy_from',
    'kendall_tau',
    'auroc',
    'fpr_at_95_tpr',
    'verified_share',
    'censored_share',
    'mean_corruption_accuracy',
    'corruptions_in_mean',
    ...board.families.flatMap(({ family, unit }) => [
      `median_${family} (${unit})`,
      `found_${family}`,
      `censored_${family}`,
      `kendall_tau_${family}`,
      `auroc_${family}`,
      `fpr_at_95_tpr_${family}`,
    ]),
    'run_time_s',
    'runs',
    'settings_changed',
  ];
  const rows = board.rows
    .filter((row) => comparison === undefined || row.comparison === comparison)
    .map((row): Cell[] => {
      const a = row.attack;
      const arch = row.architecture;
      return [
        row.modelName,
        row.modelSha256,
        ...subsetText(board, row),
        row.samples,
        arch.parameters,
        arch.nodes,
        arch.opTypes,
        arch.opset,
        arch.inputSize ? arch.inputSize.join('x') : null,
        row.cleanAccuracy,
        a?.norm ?? null,
        a?.epsilon ?? null,
        a?.robustAccuracy ?? null,
        a?.robustAccuracySource ?? null,
        a?.kendallTau ?? null,
        a?.auroc ?? null,
        a?.fprAt95Tpr ?? null,
        a?.verifiedShare ?? null,
        a?.censoredShare ?? null,
        row.meanCorruptionAccuracy?.value ?? null,
        row.meanCorruptionAccuracy?.corruptions ?? null,
        ...board.families.flatMap(({ family }) => {
          const m = row.margins.find((x) => x.family === family);
          // A censored median is beyond the family's range: written as such, not as a blank.
          const median = m ? (m.medianParameter ?? 'beyond range') : null;
          return m ? [median, m.found, m.censored, m.kendallTau, m.auroc, m.fprAt95Tpr] : [null, null, null, null, null, null];
        }),
        row.runTimeMs / 1000,
        row.runs.map((r) => r.id).join(' '),
        String(row.settingsChanged),
      ];
    });
  return { header, rows };
}
