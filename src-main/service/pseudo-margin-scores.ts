import { UserError } from '../errors.js';
import { applyPseudoMargin } from '../engine/learn/pseudo-margin.js';
import { marginOfOutput } from '../engine/learn/target.js';
import type { ProjectStore } from '../store/project-store.js';
import { penultimateFeatures } from '../worker/penultimate-features.js';

/** A stored pseudo-margin applied to every sample of a run. */
export interface PseudoMarginScores {
  runId: string;
  pseudoMarginId: string;
  /** The run's sample positions, ascending. */
  positions: Uint32Array;
  /** The network's output per sample: its estimate of sqrt(d_in / marginBound), in (0, 1). */
  output: Float32Array;
  /** The estimated input margin per sample, output^2 * marginBound, in pixel units of the training run's norm: small means brittle. */
  margin: Float64Array;
}

/**
 * Applies pseudo-margin `pseudoMarginId` to every sample of run `runId`: the run it learned
 * from, or any other run of the same model (a forward-margins run, a screening). A network
 * that reads logits uses the run's stored logits; one that reads penultimate features
 * recomputes them with a forward pass of the model in this process.
 */
export async function pseudoMarginScores(store: ProjectStore, runId: string, pseudoMarginId: string): Promise<PseudoMarginScores> {
  const pm = store.pseudoMargins.get(pseudoMarginId);
  const run = store.runs.get(runId);
  if (run.modelId !== pm.modelId) throw new UserError(`run ${runId} audits ${run.modelName}, and pseudo-margin ${pseudoMarginId} was learned for another model`);
  const columns = store.runs.marginColumns(runId);
  if (columns.positions.length === 0) throw new UserError(`run ${runId} has no results yet`);
  const onnx = store.pseudoMargins.onnx(pseudoMarginId);
  let output: Float32Array;
  if (pm.input === 'logits') {
    output = await applyPseudoMargin(onnx, columns.logits, columns.classes);
  } else {
    const found = await penultimateFeatures(store, runId, columns.positions);
    if (!found) throw new Error('the feature pass stopped');
    output = await applyPseudoMargin(onnx, found.features, found.k);
  }
  const margin = Float64Array.from(output, (o) => marginOfOutput(o, pm.settings.marginBound));
  return { runId, pseudoMarginId, positions: columns.positions, output, margin };
}
