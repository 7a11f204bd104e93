/**
 * The pseudo-margin job (issue 12): reads a finished run's input margins and logits (or
 * recomputes its penultimate features), trains the network of engine/learn on each chosen
 * input, compares it with the logit margin on the held-out samples, and stores the better one
 * with its provenance. A stopped job stores nothing.
 */
import type { PseudoMarginInput, PseudoMarginSettings, PseudoMarginValidation } from '../../src-preload/contract.js';
import { marginAttacks } from '../../src-preload/contract.js';
import { TRAINING_DEFAULTS, trainPseudoMargin, type TrainedPseudoMargin } from '../engine/learn/pseudo-margin.js';
import { marginOfOutput, marginTargets } from '../engine/learn/target.js';
import type { PseudoMarginJob } from '../jobs/protocol.js';
import { newId, type ProjectStore } from '../store/project-store.js';
import { auditEpsilonOf, epsilonGrid } from '../service/run-analysis.js';
import { compareOnHeldOut } from '../service/pseudo-margin-evaluation.js';
import { penultimateFeatures } from './penultimate-features.js';

export interface TrainingContext {
  store: ProjectStore;
  job: PseudoMarginJob;
  stopRequested(): boolean;
  progress(stage: string, epoch: number, epochs: number, loss: number | null): void;
}

interface Candidate {
  input: PseudoMarginInput;
  trained: TrainedPseudoMargin;
  validation: PseudoMarginValidation;
}

/** Trains and stores; returns the stored id, or null when the job was asked to stop. */
export async function trainFromRun(ctx: TrainingContext): Promise<string | null> {
  const { store, job } = ctx;
  const run = store.runs.get(job.runId);
  const attack = run.config.attack;
  if (run.status !== 'done') throw new Error(`run ${job.runId} is ${run.status}; a pseudo-margin learns from a finished run`);
  if (!attack || !attack.attacks.some((a) => marginAttacks.includes(a))) throw new Error(`run ${job.runId} ran no minimal-norm attack (FAB, DeepFool, FMN): it has no input margins to learn`);
  const columns = store.runs.marginColumns(job.runId);
  const dataset = store.datasets.get(run.config.datasetId);
  const targets = marginTargets(columns.inputMargin, attack.norm, dataset.shape.reduce((a, b) => a * b, 1));
  const epsilon = auditEpsilonOf(run.config, epsilonGrid(run.config));
  const inputs: PseudoMarginInput[] = job.input === 'both' ? ['logits', 'features'] : [job.input];
  const candidates: Candidate[] = [];
  for (const input of inputs) {
    const data = await inputsOf(ctx, input, columns.positions, columns.logits, columns.classes);
    if (!data) return null;
    const trained = await trainPseudoMargin(
      { inputs: data.inputs, k: data.k, target: targets.target },
      { variant: job.variant, epochs: job.epochs, seed: job.seed },
      { onEpoch: (epoch, loss) => ctx.progress(`training on ${input}`, epoch, job.epochs, loss), stopRequested: ctx.stopRequested },
    );
    if (trained.stopped) return null;
    const held = trained.split.validation;
    const validation = compareOnHeldOut(
      {
        inputMargin: Float64Array.from(held, (r) => columns.inputMargin[r]),
        logitMargin: Float64Array.from(held, (r) => columns.logitMargin[r]),
        pseudoMargin: Float64Array.from(held, (r) => marginOfOutput(trained.outputs[r], targets.bound)),
      },
      { epsilon, norm: attack.norm, trainingSamples: trained.split.train.length, finalLoss: trained.losses[trained.losses.length - 1], other: null },
    );
    candidates.push({ input, trained, validation });
  }
  const tau = (c: Candidate) => c.validation.pseudoMargin.kendallTau ?? -Infinity;
  const kept = candidates.reduce((best, c) => (tau(c) > tau(best) ? c : best));
  const other = candidates.find((c) => c !== kept);
  const settings: PseudoMarginSettings = {
    input: job.input,
    variant: job.variant,
    seed: job.seed,
    epochs: job.epochs,
    width: TRAINING_DEFAULTS.width,
    learningRate: TRAINING_DEFAULTS.lr,
    validationShare: TRAINING_DEFAULTS.validationShare,
    marginBound: targets.bound,
  };
  const id = newId('p');
  store.pseudoMargins.insert({
    id,
    modelId: run.modelId,
    runId: job.runId,
    input: kept.input,
    variant: job.variant,
    seed: job.seed,
    validationPositions: Array.from(kept.trained.split.validation, (r) => columns.positions[r]),
    settings,
    validation: { ...kept.validation, other: other ? { input: other.input, kendallTau: other.validation.pseudoMargin.kendallTau } : null },
    losses: kept.trained.losses,
    onnx: kept.trained.onnx,
  });
  return id;
}

async function inputsOf(ctx: TrainingContext, input: PseudoMarginInput, positions: Uint32Array, logits: Float32Array, classes: number): Promise<{ inputs: Float32Array; k: number } | null> {
  if (input === 'logits') return { inputs: logits, k: classes };
  const found = await penultimateFeatures(ctx.store, ctx.job.runId, positions, {
    intraOpThreads: ctx.job.intraOpThreads,
    progress: (done, total) => ctx.progress('reading features', done, total, null),
    stopRequested: ctx.stopRequested,
  });
  return found && { inputs: found.features, k: found.k };
}
