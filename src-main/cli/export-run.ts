import { createWriteStream } from 'node:fs';
import { extname } from 'node:path';
import { once } from 'node:events';
import { UserError } from '../errors.js';
import type { ProjectStore } from '../store/project-store.js';

const CSV_COLUMNS = ['index', 'label', 'pred', 'correct', 'logit_margin', 'feature_margin_linf', 'feature_margin_l2'];

/**
 * Writes a run's per-sample results as CSV or JSON, streaming rows so that exports of large
 * runs never hold them all in memory.
 */
export async function exportRun(store: ProjectStore, runId: string, out: string): Promise<number> {
  const format = extname(out).toLowerCase();
  if (format !== '.csv' && format !== '.json') throw new UserError(`${out}: export to a .csv or a .json file`);
  const detail = store.runs.get(runId);
  const file = createWriteStream(out);
  const write = async (text: string) => {
    if (!file.write(text)) await once(file, 'drain');
  };
  let count = 0;
  const number = (v: number | null) => (v === null ? '' : String(v));
  if (format === '.csv') {
    const classes = store.models.get(detail.modelId).classCount ?? 0;
    await write(`${[...CSV_COLUMNS, ...Array.from({ length: classes }, (_, c) => `logit_${c}`)].join(',')}\n`);
    for (const s of store.runs.allSamples(runId)) {
      await write(`${[s.index, s.label, s.pred, s.correct, s.logitMargin, number(s.featureMarginLinf), number(s.featureMarginL2), ...s.logits].join(',')}\n`);
      count++;
    }
  } else {
    const { results, log: _log, ...run } = detail;
    const summary = results
      ? { evaluated: results.evaluated, correct: results.correct, accuracy: results.accuracy, logit_margin: results.logitMargin, equidistance: results.equidistance }
      : null;
    await write(`{"run": ${JSON.stringify(run)},\n"summary": ${JSON.stringify(summary)},\n"samples": [`);
    for (const s of store.runs.allSamples(runId)) {
      const row = {
        index: s.index,
        label: s.label,
        pred: s.pred,
        correct: s.correct,
        logit_margin: s.logitMargin,
        feature_margin_linf: s.featureMarginLinf,
        feature_margin_l2: s.featureMarginL2,
        logits: Array.from(s.logits),
      };
      await write(`${count ? ',' : ''}\n${JSON.stringify(row)}`);
      count++;
    }
    await write('\n]}\n');
  }
  file.end();
  await once(file, 'finish');
  return count;
}
