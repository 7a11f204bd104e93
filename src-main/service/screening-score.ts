import type { ScreeningScore } from '../../src-preload/contract.js';
import { logitMargin } from '../engine/margins/margins.js';
import { UserError } from '../errors.js';

/** Per-input scores from the logits (count x classes); small scores flag brittle decisions. */
export type ScoreFunction = (logits: Float32Array, classes: number) => Float64Array;

/**
 * The one place where a screening's score is chosen: the logit margin as the analysis layer
 * defines it (engine/margins, the margin of the runs' rows), or a trained pseudo-margin network.
 * Resolved before any input is read, so that an unavailable score fails first.
 */
export function scoreFunction(score: ScreeningScore): ScoreFunction {
  if (score === 'logit-margin') {
    return (logits, classes) => Float64Array.from({ length: logits.length / classes }, (_, k) => logitMargin(logits, k * classes, classes));
  }
  throw new UserError(`pseudo-margin scoring is not available yet (pseudo-margin ${score.pseudoMargin}): screen with the logit margin`);
}
