import { applyPseudoMargin } from '../engine/learn/pseudo-margin.js';
import type { ProjectStore } from '../store/project-store.js';
import { penultimateFeatures } from './penultimate-features.js';

/** A stored pseudo-margin network's output on every sample of a run. */
export interface PseudoMarginOutput {
  /** The run's sample positions, ascending. */
  positions: Uint32Array;
  /** The network's output per position: its estimate of sqrt(d_in / marginBound), in (0, 1). */
  output: Float32Array;
}

/**
 * Applies pseudo-margin `pseudoMarginId` to every sample of run `runId`: to the run's stored
 * logits, or to penultimate features recomputed by a forward pass of the model. Runs in a job
 * process (service/pseudo-margin-scores): onnxruntime's run() blocks the thread it runs on, and a
 * features pass over a large run on a large model takes minutes.
 */
export async function pseudoMarginOutput(store: ProjectStore, request: { runId: string; pseudoMarginId: string; intraOpThreads?: number }): Promise<PseudoMarginOutput> {
  const pm = store.pseudoMargins.get(request.pseudoMarginId);
  const columns = store.runs.marginColumns(request.runId);
  const onnx = store.pseudoMargins.onnx(request.pseudoMarginId);
  if (pm.input === 'logits') return { positions: columns.positions, output: await applyPseudoMargin(onnx, columns.logits, columns.classes) };
  const found = await penultimateFeatures(store, request.runId, columns.positions, { intraOpThreads: request.intraOpThreads });
  if (!found) throw new Error('the feature pass stopped');
  return { positions: columns.positions, output: await applyPseudoMargin(onnx, found.features, found.k) };
}
