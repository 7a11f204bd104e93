import type { ScreeningResult } from './contract';

/**
 * A screening as a table, the same for the CLI's --out and the Screen view's CSV: `index, file,
 * pred, score, brittle`, then one `logit_k` column per class. `brittle` is 1 or 0.
 */
export function screeningTable(result: Pick<ScreeningResult, 'inputs' | 'classes'>): { header: string[]; rows: (string | number)[][] } {
  const header = ['index', 'file', 'pred', 'score', 'brittle', ...Array.from({ length: result.classes }, (_, k) => `logit_${k}`)];
  const rows = result.inputs.map((input) => [input.index, input.file, input.pred, input.score, input.brittle ? 1 : 0, ...input.logits]);
  return { header, rows };
}
