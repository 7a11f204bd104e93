// What every attack sees of a classifier: logits, and vector-Jacobian products of the logits
// with respect to the [0,1] input, computed by Brink's gradient graph in onnxruntime.
import type { OnnxModel } from '../onnx/graph.js';
import { writeModel } from '../onnx/codec.js';
import type { InferenceSession } from 'onnxruntime-node';
import { BatchRunner } from '../runtime/batcher.js';
import { createGradientSession } from '../runtime/gradient-session.js';
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
  options: { sampleShape: readonly number[]; classes: number; device: Device; batchSize: number; intraOpThreads?: number; externalData?: ExternalDataFolder },
): Promise<DifferentiableModel & { timings: ModelTimings; provider: string; release(): Promise<void> }> {
  const session = await createGradientSession(model, options);
  const { input, cotangent, logits, gradient } = session.names;
  const runner = sizedRunners(session.session, options.batchSize);
  const forwardOnly = await createForwardRunner(model, options);
  const per = options.sampleShape.reduce((a, b) => a * b, 1);
  const timings: ModelTimings = { forwardMs: 0, backwardMs: 0, forwardCalls: 0, backwardCalls: 0 };
  return {
    classes: options.classes,
    sampleShape: options.sampleShape,
    provider: session.provider,
    timings,
    async logits(x, n) {
      const start = performance.now();
      const out = await forwardOnly.run(x, n);
      timings.forwardMs += performance.now() - start;
      timings.forwardCalls++;
      return out;
    },
    async vjp(x, v, n) {
      const start = performance.now();
      const out = await runner(n).run(
        { [input]: { data: x.subarray(0, n * per), shape: [n, ...options.sampleShape] }, [cotangent]: { data: v.subarray(0, n * options.classes), shape: [n, options.classes] } },
        { fetch: [logits, gradient] },
      );
      timings.backwardMs += performance.now() - start;
      timings.backwardCalls++;
      return { logits: out[logits].data, grad: out[gradient].data };
    },
    async release() {
      await session.session.release();
      await forwardOnly.release();
    },
  };
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
 * size), which keeps the set of shapes small for providers that tune per shape.
 */
function sizedRunners(session: InferenceSession, batchSize: number): (rows: number) => BatchRunner {
  const runners = new Map<number, BatchRunner>();
  return (rows) => {
    const size = Math.min(batchSize, 2 ** Math.ceil(Math.log2(Math.max(1, rows))));
    let runner = runners.get(size);
    if (!runner) runners.set(size, (runner = new BatchRunner(session, { batchSize: size })));
    return runner;
  };
}

/**
 * The full Jacobian of the logits for n samples, by batch replication: each sample is repeated
 * once per class with a one-hot cotangent. Returns [n, classes, ...sampleShape].
 */
export async function jacobian(model: DifferentiableModel, x: Float32Array, n: number): Promise<{ logits: Float32Array; jac: Float32Array }> {
  const c = model.classes;
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(n * c * per);
  const vs = new Float32Array(n * c * c);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) {
      xs.set(x.subarray(i * per, (i + 1) * per), (i * c + k) * per);
      vs[(i * c + k) * c + k] = 1;
    }
  }
  const { logits, grad } = await model.vjp(xs, vs, n * c);
  const firstLogits = new Float32Array(n * c);
  for (let i = 0; i < n; i++) firstLogits.set(logits.subarray(i * c * c, i * c * c + c), i * c);
  return { logits: firstLogits, jac: grad };
}
