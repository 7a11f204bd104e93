import type { ScreeningScore } from '../../src-preload/contract.js';
import { marginOfOutput } from '../engine/learn/target.js';
import { logitMargin } from '../engine/margins/margins.js';
import { UserError } from '../errors.js';
import type { ProjectStore } from '../store/project-store.js';
import type { ScreenedLogits } from '../worker/screen.js';

/** How a screening scores its inputs; small scores flag brittle decisions. */
export interface ScoreFunction {
  /** The pseudo-margin the screening worker applies beside the forward pass; null for the logit margin. */
  pseudoMarginId: string | null;
  scores(forward: ScreenedLogits): Float64Array;
}

/**
 * The one place where a screening's score is chosen: the logit margin as the analysis layer
 * defines it (engine/margins, the margin of the runs' rows), or a stored pseudo-margin of the
 * same model, read as the input margin it estimates (output^2 x the bound it learned under, the
 * scale its calibration uses). Resolved before any input is read, so that a wrong choice fails first.
 */
export function scoreFunction(store: ProjectStore, modelId: string, score: ScreeningScore): ScoreFunction {
  if (score.kind === 'logit-margin') {
    return {
      pseudoMarginId: null,
      scores: ({ logits, classes }) => Float64Array.from({ length: logits.length / classes }, (_, k) => logitMargin(logits, k * classes, classes)),
    };
  }
  const pm = store.pseudoMargins.get(score.id);
  if (pm.modelId !== modelId) throw new UserError(`pseudo-margin ${pm.id} was learned for another model; screen with one of this model's pseudo-margins`);
  const bound = pm.settings.marginBound;
  return {
    pseudoMarginId: pm.id,
    scores: ({ pseudoMargin }) => {
      if (!pseudoMargin) throw new Error('the screening worker did not apply the pseudo-margin');
      return Float64Array.from(pseudoMargin, (o) => marginOfOutput(o, bound));
    },
  };
}
