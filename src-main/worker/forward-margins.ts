import { marginAttacks, type Equidistance, type ProviderAttempt, type RunPlan } from '../../src-preload/contract.js';
import { planText } from '../../src-preload/run-plan.js';
import { onnxDifferentiableModel, type DifferentiableModel } from '../engine/attacks/model.js';
import { dualNorm, featureMargin, logitMargin, argmax, pairwiseWeightDistances, upperTriangle } from '../engine/margins/margins.js';
import { fiveNumbers } from '../engine/metrics/summary.js';
import { cloneModel, writeModel } from '../engine/onnx/codec.js';
import { asTheFileSays } from '../engine/onnx/reading.js';
import { detectLinearHead, exposeOutputs, type LinearHead } from '../engine/onnx/surgery.js';
import type { OnnxModel } from '../engine/onnx/graph.js';
import type { ExternalDataFolder } from '../engine/runtime/external-data.js';
import { probeMemory } from '../engine/runtime/gradient-session.js';
import { BatchRunError, BatchRunner, createSession, fixedBatchSize, type Provider, type RuntimeSession } from '../engine/runtime/index.js';
import { tf32Allowed } from '../jobs/job-environment.js';
import type { BatchProgress } from '../jobs/protocol.js';
import { batchFamilyMargins } from '../engine/perturb/batch-margins.js';
import { lipschitzMargins } from '../engine/margins/lipschitz.js';
import { subsetIndices } from '../jobs/subset.js';
import type { ProjectStore } from '../store/project-store.js';
import type { SampleResult } from '../store/run-repo.js';
import { attackBatch, type ForwardOutputs } from './attack-batch.js';
import { jobPlan } from './job-plan.js';
import { compareForwardPasses, marginGradientNorms } from './reliability-probes.js';
import { SampleStream } from './sample-stream.js';
import { forwardGraph } from './forward-graph.js';

export interface JobContext {
  store: ProjectStore;
  runId: string;
  intraOpThreads?: number;
  /** Set when the supervisor asked the job to stop; checked between batches. */
  stopRequested: () => boolean;
  /** `batch`: how far the batch in flight has got, while its attacks run. */
  progress(done: number, total: number, stage: string, provider: string | null, batch?: BatchProgress): void;
  log(line: string): void;
}

/**
 * The forward pass over a run's samples: prediction, logits, logit margin and the
 * feature-space margins of the linear head. Only positions without a stored result are
 * computed, so a resumed run continues where the last committed batch ended.
 */
export async function forwardMargins(ctx: JobContext): Promise<'done' | 'stopped'> {
  const { store, runId } = ctx;
  const config = store.runs.config(runId);
  const model = store.models.get(config.modelId);
  const dataset = store.datasets.get(config.datasetId);
  const indices = subsetIndices(config.subset, dataset.count);
  const done = store.runs.donePositions(runId);
  const todo = [...indices.keys()].filter((position) => !done.has(position));
  ctx.progress(done.size, indices.length, 'loading model', null);

  // The preprocessing the run was created with, so that a resume after the model was edited stays one run.
  // The same holds for how the model is read: its image input, layout, logits and batch axis
  // (a run made before Brink recorded them read the model as the file says).
  const { graph, externalData } = forwardGraph(store, config.modelId, store.runs.reading(runId) ?? asTheFileSays(model.inputs), store.runs.preprocessing(runId) ?? model.preprocessing);
  let runtime: RuntimeSession | null = null;
  let attackModel: (DifferentiableModel & { release(): Promise<void> }) | null = null;
  let plan: RunPlan | null = null;
  try {
    const detection = detectLinearHead(graph);
    if (!detection.head) ctx.log(`no feature margins: ${detection.reason}`);
    const head = detection.head;
    store.runs.setSummary(runId, { equidistance: head ? equidistance(head) : null });
    // With a linear head, the forward session also gives its input features h (for feature
    // distances); a copy is edited, since the gradient model is built from `graph` itself.
    const forwardGraph = head ? exposeOutputs(cloneModel(graph), [head.featuresTensor]) : graph;
    runtime = await createSession(writeModel(forwardGraph), { device: config.device, intraOpThreads: ctx.intraOpThreads, externalData: externalData ?? undefined });
    // The Lipschitz estimate needs the gradient model too, with or without attacks.
    if (config.attack || config.lipschitz) {
      ctx.progress(done.size, indices.length, 'building gradients', runtime.provider);
      const classes = model.classCount ?? head?.classes;
      if (!classes) throw new Error('the model does not declare its number of classes; attacks and the Lipschitz estimate need it');
      plan = config.attack ? await planJob(ctx, graph, dataset.shape, classes, runtime.provider, externalData ?? undefined) : null;
      attackModel = await onnxDifferentiableModel(graph, {
        sampleShape: dataset.shape,
        classes,
        device: config.device,
        batchSize: plan?.batch ?? config.batchSize,
        intraOpThreads: ctx.intraOpThreads,
        externalData: externalData ?? undefined,
        rowPlan: plan ? { samplesPerCall: plan.batch, rowsPerChunk: plan.rowsPerChunk } : undefined,
      });
    }
    return await forwardPass(ctx, runtime, head, indices, todo, done.size, attackModel, plan);
  } finally {
    // A failed release must not hide why the run stopped; the process exits after the job anyway.
    await runtime?.session.release().catch(() => undefined);
    await attackModel?.release().catch(() => undefined);
    externalData?.remove();
  }
}

/**
 * Probes the model, plans the attacks' memory (worker/job-plan) and records the plan on the run
 * before any attack allocates; fails readably when an out-of-memory exit left nothing smaller.
 */
async function planJob(
  ctx: JobContext,
  graph: OnnxModel,
  sampleShape: number[],
  classes: number,
  provider: Provider,
  externalData: ExternalDataFolder | undefined,
): Promise<RunPlan> {
  const { store, runId } = ctx;
  const config = store.runs.config(runId);
  const previous = store.runs.plan(runId);
  const probe = await probeMemory(graph, { sampleShape, externalData });
  const plan = jobPlan(probe, { settings: config.attack!, classes, batchSize: config.batchSize, memoryGb: config.memoryGb, previous, provider });
  if (!plan) {
    const at = previous?.outOfMemory?.atBatch;
    throw new Error(
      `out of memory at batch ${at ?? '?'} even with 1 sample and 1 Jacobian row per call; give the run a larger memory budget (--memory) if the machine has it, or run on a machine with more memory`,
    );
  }
  plan.baseBytes = process.memoryUsage().rss;
  store.runs.setPlan(runId, plan);
  ctx.log(`memory plan: ${planText(plan)}`);
  if (plan.fab) ctx.log(`FAB: ${plan.fab.reason}`);
  return plan;
}

async function forwardPass(
  ctx: JobContext,
  runtime: RuntimeSession,
  head: LinearHead | null,
  indices: Int32Array,
  todo: number[],
  alreadyDone: number,
  attackModel: DifferentiableModel | null,
  plan: RunPlan | null,
): Promise<'done' | 'stopped'> {
  const { store, runId } = ctx;
  const config = store.runs.config(runId);
  const dataset = store.datasets.get(config.datasetId);
  // TF32 is decided by this process's environment (jobs/job-environment), so it is recorded with the CUDA attempt that ran.
  const attempts: ProviderAttempt[] = runtime.attempts.map((a) => (a.ok && a.provider === 'cuda' ? { ...a, tf32: tf32Allowed(process.env) } : a));
  store.runs.setProvider(runId, runtime.provider, attempts);
  for (const attempt of attempts) {
    const tf32 = attempt.tf32 === undefined ? '' : attempt.tf32 ? ' (TF32 allowed: BRINK_ALLOW_TF32=1)' : ' (TF32 off)';
    ctx.log(attempt.ok ? `running on ${attempt.provider}${tf32}` : `${attempt.provider} not used: ${attempt.reason}`);
  }
  // A model that fixes its batch size runs at that size, whatever the run's batches are.
  const runner = new BatchRunner(runtime.session, { batchSize: fixedBatchSize(runtime.session) ?? config.batchSize });
  const input = runtime.session.inputNames[0];
  const output = runtime.session.outputNames[0];
  let features = head?.featuresTensor ?? null;
  /** Logits and, with a linear head, its input features, in one pass of the forward session. */
  const forward = async (x: Float32Array, n: number): Promise<ForwardOutputs> => {
    const fetch = features ? [output, features] : [output];
    try {
      const out = await runner.run({ [input]: { data: x, shape: [n, ...dataset.shape] } }, { fetch });
      return { logits: out[output].data, features: features ? out[features].data : null };
    } catch (error) {
      // A features tensor the runner cannot batch (no sample axis, not float32) costs the
      // feature distances, never the run.
      if (!features || !(error instanceof BatchRunError) || !error.message.includes(`'${features}'`)) throw error;
      ctx.log(`no feature distances: ${error.message}`);
      features = null;
      return forward(x, n);
    }
  };
  const distances = head
    ? {
        linf: pairwiseWeightDistances(head.weight, head.classes, head.features, dualNorm('linf')),
        l2: pairwiseWeightDistances(head.weight, head.classes, head.features, dualNorm('l2')),
      }
    : null;

  const stream = new SampleStream(store.datasets, config.datasetId, dataset.shape);
  let completed = alreadyDone;
  ctx.progress(completed, indices.length, 'forward pass', runtime.provider);
  for (let start = 0; start < todo.length; start += config.batchSize) {
    if (ctx.stopRequested()) return 'stopped';
    const positions = todo.slice(start, start + config.batchSize);
    const batchIndices = positions.map((p) => indices[p]);
    const { x, labels } = stream.take(batchIndices);
    const clean = await forward(x, positions.length);
    const logits = clean.logits;
    // Reliability: the first batch twice, once per run (a randomized model misleads every attack).
    if (!store.runs.reliabilityFacts(runId).determinism) {
      const again = await forward(x, positions.length);
      store.runs.addReliabilityFacts(runId, { determinism: compareForwardPasses(logits, again.logits, positions.length) });
    }
    const classes = logits.length / positions.length;
    const rows: SampleResult[] = positions.map((position, k) => {
      const offset = k * classes;
      return {
        position,
        index: batchIndices[k],
        label: labels[k],
        pred: argmax(logits, offset, classes),
        logits: logits.slice(offset, offset + classes),
        logitMargin: logitMargin(logits, offset, classes),
        featureMarginLinf: distances ? featureMargin(logits, offset, classes, distances.linf) : null,
        featureMarginL2: distances ? featureMargin(logits, offset, classes, distances.l2) : null,
      };
    });
    if (config.attack && attackModel) {
      // Reliability: samples where the margin's input gradient is exactly zero give gradient attacks nothing to follow.
      const gradientNorms = await marginGradientNorms(attackModel, x, positions.length, logits, config.attack.norm);
      rows.forEach((row, k) => (row.marginGradientNorm = gradientNorms[k]));
      const batchIndex = Math.floor(positions[0] / config.batchSize);
      const batches = Math.ceil(indices.length / config.batchSize);
      const attacked = await attackBatch({
        model: attackModel,
        x,
        n: positions.length,
        predictions: Int32Array.from(rows, (r) => r.pred),
        labels,
        indices: batchIndices,
        batchIndex,
        settings: config.attack,
        forward,
        features: clean.features,
        fab: plan?.fab ?? null,
        stage: (name, fraction) =>
          ctx.progress(completed, indices.length, `${name}, batch ${batchIndex + 1} of ${batches}`, runtime.provider, { samples: positions.length, fraction }),
      });
      const margins = config.attack.attacks.some((a) => marginAttacks.includes(a));
      rows.forEach((row, k) => {
        row.outcomes = attacked.outcomes[k];
        if (margins) row.best = attacked.best[k];
      });
    }
    if (config.lipschitz && attackModel) {
      const batchIndex = Math.floor(positions[0] / config.batchSize);
      const batches = Math.ceil(indices.length / config.batchSize);
      const estimates = await lipschitzMargins(attackModel, x, positions.length, batchIndices, {
        ...config.lipschitz,
        onProgress: (fraction) => ctx.progress(completed, indices.length, `Lipschitz estimate, batch ${batchIndex + 1} of ${batches}`, runtime.provider, { samples: positions.length, fraction }),
      });
      rows.forEach((row, k) => (row.lipschitzMargin = estimates[k]));
    }
    if (config.perturbations) {
      const batchIndex = Math.floor(positions[0] / config.batchSize);
      const batches = Math.ceil(indices.length / config.batchSize);
      const families = await batchFamilyMargins({
        x,
        n: positions.length,
        shape: { channels: dataset.shape[0], height: dataset.shape[1], width: dataset.shape[2] },
        predictions: Int32Array.from(rows, (r) => r.pred),
        indices: batchIndices,
        seed: config.perturbations.seed,
        families: config.perturbations.families,
        predict: (images) => predictClasses(images, forward, config.batchSize),
        stage: (family, fraction) => ctx.progress(completed, indices.length, `${family}, batch ${batchIndex + 1} of ${batches}`, runtime.provider, { samples: positions.length, fraction }),
        stopRequested: ctx.stopRequested,
      });
      if (!families) return 'stopped';
      rows.forEach((row, k) => (row.families = families[k]));
    }
    store.runs.insertBatch(runId, rows);
    completed += rows.length;
    ctx.progress(completed, indices.length, 'forward pass', runtime.provider);
  }
  ctx.log(`finished: ${completed} samples`);
  return 'done';
}

/** The predicted class of each image, through the forward session in chunks of the run's batch size. */
async function predictClasses(images: Float32Array[], forward: (x: Float32Array, n: number) => Promise<ForwardOutputs>, batchSize: number): Promise<Int32Array> {
  const out = new Int32Array(images.length);
  const size = images[0]?.length ?? 0;
  for (let start = 0; start < images.length; start += batchSize) {
    const chunk = images.slice(start, start + batchSize);
    const x = new Float32Array(chunk.length * size);
    chunk.forEach((image, k) => x.set(image, k * size));
    const { logits } = await forward(x, chunk.length);
    const classes = logits.length / chunk.length;
    for (let k = 0; k < chunk.length; k++) out[start + k] = argmax(logits, k * classes, classes);
  }
  return out;
}

function equidistance(head: LinearHead): Equidistance {
  const pairs = (norm: 'l1' | 'l2') => upperTriangle(pairwiseWeightDistances(head.weight, head.classes, head.features, norm), head.classes);
  const l1 = pairs('l1');
  return { linf: fiveNumbers(l1), l2: fiveNumbers(pairs('l2')), pairs: l1.length };
}
