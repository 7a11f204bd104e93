// What every attack sees of a classifier: logits, and vector-Jacobian products of the logits
// with respect to the [0,1] input, computed by Brink's gradient graph in onnxruntime.
import type { OnnxModel } from '../onnx/graph.js';
import { writeModel } from '../onnx/codec.js';
import type { InferenceSession } from 'onnxruntime-node';
import { BatchRunner, fixedBatchSize } from '../runtime/batcher.js';
import { createGradientSession, type GradientSession } from '../runtime/gradient-session.js';
import { GradientError } from '../autodiff/backward.js';
import type { ExternalDataFolder } from '../runtime/external-data.js';
import { createSession, type Device } from '../runtime/providers.js';

export interface DifferentiableModel {
  readonly classes: number;
  /** One sample's shape, e.g. [1, 28, 28]. */
  readonly sampleShape: readonly number[];
  /** Logits [n, classes] for n samples x [n, ...sampleShape]. */
  logits(x: Float32Array, n: number): Promise<Float32Array>;
  /** Logits and d(sum_i v_i · logits_i)/dx_i for each sample i; v is [n, classes]. */
  vjp(x: Float32Array, v: Float32Array, n: number): Promise<{ logits: Float32Array; grad: Float32Array }>;
  /**
   * `rows` vector-Jacobian products per sample: v is [n, rows, classes], the result's grad
   * [n, rows, ...sampleShape] (row r of sample i: d(v_ir · logits_i)/dx_i), logits [n, classes].
   */
  vjpRows(x: Float32Array, v: Float32Array, n: number, rows: number): Promise<{ logits: Float32Array; grad: Float32Array }>;
  /**
   * How attacks that need many rows per sample should call vjpRows to stay within the job's
   * memory plan (engine/attacks/row-chunks); absent: all samples and all rows in one call.
   */
  readonly rowPlan?: RowPlan;
}

/** Samples per group and Jacobian rows per call (engine/attacks/memory-plan). */
export interface RowPlan {
  samplesPerCall: number;
  rowsPerChunk: number;
}

/** Time spent in the model, split as the benchmarks report it. */
export interface ModelTimings {
  forwardMs: number;
  backwardMs: number;
  forwardCalls: number;
  backwardCalls: number;
}

/**
 * A DifferentiableModel on one onnxruntime session: the gradient model answers both calls
 * (a forward-only call feeds a zero cotangent and fetches only the logits, so onnxruntime
 * skips the backward nodes it does not need).
 */
export async function onnxDifferentiableModel(
  model: OnnxModel,
  options: {
    sampleShape: readonly number[];
    classes: number;
    device: Device;
    batchSize: number;
    intraOpThreads?: number;
    externalData?: ExternalDataFolder;
    rowPlan?: RowPlan;
  },
): Promise<DifferentiableModel & { timings: ModelTimings; provider: string; sharesForwardPass(rows: number): Promise<boolean>; release(): Promise<void> }> {
  const session = await createGradientSession(model, options);
  const runner = sizedRunners(session.session, options.batchSize);
  const forwardOnly = await createForwardRunner(model, options);
  const per = options.sampleShape.reduce((a, b) => a * b, 1);
  const timings: ModelTimings = { forwardMs: 0, backwardMs: 0, forwardCalls: 0, backwardCalls: 0 };
  const shared = new Map<number, Promise<SharedForward | null>>();
  const sharedForward = (rows: number) => {
    let s = shared.get(rows);
    if (!s) shared.set(rows, (s = createSharedForward(model, options, rows)));
    return s;
  };
  /** One timed call of a gradient session on x [n, ...sampleShape] and cotangents shaped `vShape`. */
  const backward = async (run: (samples: number) => BatchRunner, names: GradientSession['names'], x: Float32Array, v: Float32Array, n: number, vShape: number[]) => {
    const start = performance.now();
    const out = await run(n).run(
      {
        [names.input]: { data: x.subarray(0, n * per), shape: [n, ...options.sampleShape] },
        [names.cotangent]: { data: v.subarray(0, vShape.reduce((a, b) => a * b, 1)), shape: vShape },
      },
      { fetch: [names.logits, names.gradient] },
    );
    timings.backwardMs += performance.now() - start;
    timings.backwardCalls++;
    return { logits: out[names.logits].data, grad: out[names.gradient].data };
  };
  const vjp = (x: Float32Array, v: Float32Array, n: number) => backward(runner, session.names, x, v, n, [n, options.classes]);
  return {
    classes: options.classes,
    sampleShape: options.sampleShape,
    rowPlan: options.rowPlan,
    provider: session.provider,
    timings,
    async logits(x, n) {
      const start = performance.now();
      const out = await forwardOnly.run(x, n);
      timings.forwardMs += performance.now() - start;
      timings.forwardCalls++;
      return out;
    },
    vjp,
    /** Whether vjpRows with this many rows runs one forward pass per sample (else it replicates the samples). */
    async sharesForwardPass(rows) {
      return rows > 1 && (await sharedForward(rows)) !== null;
    },
    async vjpRows(x, v, n, rows) {
      const s = rows > 1 ? await sharedForward(rows) : null;
      if (!s) return vjpByReplication(vjp, x, v, n, rows, per, options.classes);
      return backward(s.runner, s.names, x, v, n, [n, rows, options.classes]);
    },
    async release() {
      await session.session.release();
      await forwardOnly.release();
      for (const s of shared.values()) await (await s.catch(() => null))?.session.release();
    },
  };
}

interface SharedForward {
  session: InferenceSession;
  names: GradientSession['names'];
  runner: (samples: number) => BatchRunner;
}

/**
 * The gradient model in Jacobian mode for `rows` cotangents per sample, or null where the model
 * cannot share its forward pass (a batch size baked into a shape, an opset before 13, logits
 * without a row per sample): its callers then replicate the samples. A run holds
 * batchSize / rows samples, so that its backward tensors have the plain session's batch size.
 */
async function createSharedForward(
  model: OnnxModel,
  options: { sampleShape: readonly number[]; device: Device; batchSize: number; intraOpThreads?: number; externalData?: ExternalDataFolder },
  rows: number,
): Promise<SharedForward | null> {
  try {
    const s = await createGradientSession(model, { ...options, rowsPerSample: rows });
    return { session: s.session, names: s.names, runner: sizedRunners(s.session, Math.max(1, Math.floor(options.batchSize / rows))) };
  } catch (e) {
    if (e instanceof GradientError) return null;
    throw e;
  }
}

/** vjpRows as plain vector-Jacobian products: each sample repeated once per row. */
async function vjpByReplication(
  vjp: DifferentiableModel['vjp'],
  x: Float32Array,
  v: Float32Array,
  n: number,
  rows: number,
  per: number,
  classes: number,
): Promise<{ logits: Float32Array; grad: Float32Array }> {
  const xs = new Float32Array(n * rows * per);
  for (let i = 0; i < n; i++) for (let r = 0; r < rows; r++) xs.set(x.subarray(i * per, (i + 1) * per), (i * rows + r) * per);
  const out = await vjp(xs, v.subarray(0, n * rows * classes), n * rows);
  const logits = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) logits.set(out.logits.subarray(i * rows * classes, i * rows * classes + classes), i * classes);
  return { logits, grad: out.grad };
}

/** The plain model for forward passes: cheaper than the gradient graph even with the backward pruned. */
async function createForwardRunner(
  model: OnnxModel,
  options: { sampleShape: readonly number[]; device: Device; batchSize: number; intraOpThreads?: number; externalData?: ExternalDataFolder },
): Promise<{ run(x: Float32Array, n: number): Promise<Float32Array>; release(): Promise<void> }> {
  const runtime = await createSession(writeModel(model), { device: options.device, intraOpThreads: options.intraOpThreads, externalData: options.externalData });
  const runner = sizedRunners(runtime.session, options.batchSize);
  const input = runtime.session.inputNames[0];
  const output = runtime.session.outputNames[0];
  const per = options.sampleShape.reduce((a, b) => a * b, 1);
  return {
    run: async (x, n) => (await runner(n).run({ [input]: { data: x.subarray(0, n * per), shape: [n, ...options.sampleShape] } }, { fetch: [output] }))[output].data,
    release: () => runtime.session.release(),
  };
}

/**
 * Attacks send fewer rows as samples break; padding every call to the full batch would cost a
 * full batch each time. Calls are padded to the next power of two instead (at most the batch
 * size), which keeps the set of shapes small for providers that tune per shape. A model that
 * fixes its batch size runs every call at that size (in several runs when more rows come).
 */
function sizedRunners(session: InferenceSession, batchSize: number): (rows: number) => BatchRunner {
  const runners = new Map<number, BatchRunner>();
  const fixed = fixedBatchSize(session);
  return (rows) => {
    const size = fixed ?? Math.min(batchSize, 2 ** Math.ceil(Math.log2(Math.max(1, rows))));
    let runner = runners.get(size);
    if (!runner) runners.set(size, (runner = new BatchRunner(session, { batchSize: size })));
    return runner;
  };
}
