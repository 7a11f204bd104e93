// The one calibration of a screening threshold on an analysed run, for the Screen view, `brink
// screen` and the screener export: the analysis layer's screening operating point (target TPR at
// an epsilon, run-analysis.ts runScreening) on the logit margin, or on a learned pseudo-margin's
// estimated input margin over the run's samples it did not learn from.
import type { ScreeningCalibration, ScreeningScore } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { ProjectStore } from '../store/project-store.js';
import type { PseudoMarginScoresCache } from './pseudo-margin-scores-cache.js';
import { runScreening, type ScoreColumn } from './run-analysis.js';

export async function calibrateScore(
  store: ProjectStore,
  pseudoMarginScores: PseudoMarginScoresCache,
  modelId: string,
  runId: string,
  score: ScreeningScore,
  options: { epsilon?: number; tprTarget?: number } = {},
): Promise<ScreeningCalibration> {
  const run = store.runs.summary(runId);
  if (run.modelId !== modelId) throw new UserError(`run ${runId} audited ${run.modelName}, not this model; calibrate on a run of the model you screen with`);
  if (run.status !== 'done') throw new UserError(`run ${runId} is ${run.status}; calibrate on a finished run`);
  if (run.preprocessingChanged || run.readingChanged) {
    const what = run.preprocessingChanged ? 'preprocessing' : 'reading (image input, layout, logits)';
    throw new UserError(`run ${runId} was made with another ${what} than the model has now: its margins do not calibrate the model as it is read today; run it again`);
  }
  if (!run.attack) throw new UserError(`run ${runId} ran no attack: it has no input margins to calibrate a threshold on`);
  const column = score.kind === 'logit-margin' ? undefined : await pseudoMarginColumn(store, pseudoMarginScores, runId, score.id);
  const { screening, samples, censored, norm } = runScreening(store, runId, { ...options, score: column });
  return { ...screening, runId, runName: run.name ?? `${run.modelName} on ${run.datasetName}`, norm, samples, censored };
}

/** The pseudo-margin's estimated input margins on the run; on its own training run, the held-out samples only. */
async function pseudoMarginColumn(store: ProjectStore, pseudoMarginScores: PseudoMarginScoresCache, runId: string, pseudoMarginId: string): Promise<ScoreColumn> {
  const scores = await pseudoMarginScores.get(store, runId, pseudoMarginId);
  const detail = store.pseudoMargins.get(pseudoMarginId);
  if (detail.runId !== runId) return { positions: scores.positions, values: scores.margin };
  const heldOut = new Set(detail.validationPositions);
  const keep = [...scores.positions.keys()].filter((k) => heldOut.has(scores.positions[k]));
  return { positions: keep.map((k) => scores.positions[k]), values: keep.map((k) => scores.margin[k]) };
}
