/**
 * Test support (not used by the app): tiny one-op models, an onnxruntime-node runner, and a
 * gradient check of Brink's backward graph against central finite differences of the forward.
 */
import * as ort from 'onnxruntime-node';
import { readModel, writeModel } from '../onnx/codec.js';
import { encode, valueInfo, type DimSpec } from '../onnx/fixtures/models.js';
import { opsetVersion, type OnnxModel } from '../onnx/graph.js';
import type { pb } from '../onnx/proto.js';
import { mergeShapes, probeShapes, staticShapes, type ShapeMap } from '../onnx/shapes.js';
import { mulberry32 } from '../random.js';
import type { BatchAxis, GradientTarget } from './builder.js';
import { batchedValues, buildGradientModel, GradientError, type GradientModel } from './backward.js';

const seedOf = (s: string) => [...s].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);

/** Values in [lo, hi) from a seed. */
export function uniform(count: number, seed: number | string, lo = -1, hi = 1): Float32Array {
  const next = mulberry32(typeof seed === 'string' ? seedOf(seed) : seed);
  return Float32Array.from({ length: count }, () => lo + (hi - lo) * next());
}

/** Distinct values spread over [-1, 1] in random order: no two within 1/count, so max ops have no near-ties. */
export function spread(count: number, seed: number | string): Float32Array {
  const next = mulberry32(typeof seed === 'string' ? seedOf(seed) : seed);
  const values = Array.from({ length: count }, (_, i) => -1 + (2 * (i + 0.5)) / count);
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return Float32Array.from(values);
}

export interface TinyGraph {
  /** Shape of the input 'x'. */
  x: DimSpec[];
  nodes: pb.INodeProto[];
  /** Random float constants by name and shape (values from the name, in [-1, 1]). */
  weights?: Record<string, number[]>;
  /** Float constants with given values. */
  floats?: Record<string, { dims: number[]; values: number[] }>;
  /** int64 constants (shapes, axes). */
  ints?: Record<string, number[]>;
  opset?: number;
  /** Defaults to 'y'. */
  output?: string;
}

export function tinyModel(t: TinyGraph): pb.IModelProto {
  const initializer: pb.ITensorProto[] = [
    ...Object.entries(t.weights ?? {}).map(([name, dims]) => floatProto(name, dims, uniform(dims.reduce((a, b) => a * b, 1), name))),
    ...Object.entries(t.floats ?? {}).map(([name, { dims, values }]) => floatProto(name, dims, Float32Array.from(values))),
    ...Object.entries(t.ints ?? {}).map(([name, values]): pb.ITensorProto => ({ name, dims: [values.length], dataType: 7, int64Data: values })),
  ];
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: t.opset ?? 17 }],
    graph: {
      name: 'tiny',
      input: [valueInfo('x', t.x)],
      output: [{ name: t.output ?? 'y', type: { tensorType: { elemType: 1 } } }],
      initializer,
      node: t.nodes.map((n, i) => ({ name: `${n.opType}_${i}`, ...n })),
    },
  };
}

function floatProto(name: string, dims: number[], values: Float32Array): pb.ITensorProto {
  return { name, dims, dataType: 1, rawData: new Uint8Array(values.buffer) };
}

export async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

/** The runner probeShapes takes: one onnxruntime-node session per call. */
export async function ortRun(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await session(bytes);
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

export async function shapesFor(model: OnnxModel, feeds: Record<string, ort.Tensor>): Promise<ShapeMap> {
  return mergeShapes(staticShapes(model), await probeShapes(model, ortRun, feeds));
}

/** Where the forward values keep their samples, from probes at two batch sizes (batchedValues). */
export async function batchedFor(model: OnnxModel, feeds: Record<string, ort.Tensor>, otherFeeds: Record<string, ort.Tensor>): Promise<Map<string, BatchAxis>> {
  const probe = async (f: Record<string, ort.Tensor>) => ({ shapes: await probeShapes(model, ortRun, f), batch: Object.values(f)[0].dims[0] });
  return batchedValues(await probe(feeds), await probe(otherFeeds));
}

export interface GradCheck {
  /** Brink's d(sum v·y)/dx. */
  gradient: Float32Array;
  /** The same by central differences, per input element. */
  numeric: Float64Array;
  /** max |gradient - numeric| / max(|numeric|, floor). */
  relativeError: number;
  built: GradientModel;
}

export interface GradCheckOptions {
  /** Input values; spread() by default. */
  x?: Float32Array;
  eps?: number;
  seed?: string;
  /** The execution provider the gradient graph is built for (run here on CPU all the same). */
  target?: GradientTarget;
}

/**
 * Builds the gradient model, runs it on x and a random cotangent, and compares with central
 * differences of sum(v·y) in each input element (float32 forward, float64 accumulation).
 */
export async function gradCheck(proto: pb.IModelProto, shape: number[], options: GradCheckOptions = {}): Promise<GradCheck> {
  const model = readModel(encode(proto));
  const input = model.graph.inputs[0].name;
  const count = shape.reduce((a, b) => a * b, 1);
  const x = options.x ?? spread(count, options.seed ?? 'x');
  const feeds = { [input]: new ort.Tensor('float32', x, shape) };
  const built = buildGradientModel(model, { shapes: await shapesFor(model, feeds), features: null, target: options.target });

  const forward = await session(encode(proto));
  const backward = await session(writeModel(built.model));
  try {
    const y = (await forward.run(feeds))[model.graph.outputs[0].name];
    const v = uniform(y.size, options.seed ?? 'v');
    const result = await backward.run({ ...feeds, [built.cotangent]: new ort.Tensor('float32', v, y.dims) });
    const gradient = result[built.gradient].data as Float32Array;
    const logits = result[built.logits].data as Float32Array;
    if (logits.some((value, i) => Math.abs(value - (y.data as Float32Array)[i]) > 1e-5 * (1 + Math.abs(value)))) {
      throw new Error('the gradient model changed the forward output');
    }
    await checkSharedForward(model, built, x, shape, feeds, y.dims, options.target);
    const eps = options.eps ?? 1e-3;
    const f = async (data: Float32Array) => {
      const out = (await forward.run({ [input]: new ort.Tensor('float32', data, shape) }))[model.graph.outputs[0].name].data as Float32Array;
      return out.reduce((sum, value, i) => sum + value * v[i], 0);
    };
    const numeric = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const plus = Float32Array.from(x);
      const minus = Float32Array.from(x);
      plus[i] += eps;
      minus[i] -= eps;
      numeric[i] = ((await f(plus)) - (await f(minus))) / (plus[i] - minus[i]);
    }
    let worst = 0;
    let scale = 1e-3;
    for (let i = 0; i < count; i++) {
      worst = Math.max(worst, Math.abs(gradient[i] - numeric[i]));
      scale = Math.max(scale, Math.abs(numeric[i]));
    }
    return { gradient, numeric, relativeError: worst / scale, built };
  } finally {
    await forward.release();
    await backward.release();
  }
}

const SHARED_ROWS = 3;

/**
 * Jacobian mode against the plain gradient model: SHARED_ROWS cotangents per sample through one
 * forward pass must give, row by row, what the plain model gives for each cotangent alone.
 */
async function checkSharedForward(
  model: OnnxModel,
  plain: GradientModel,
  x: Float32Array,
  shape: number[],
  feeds: Record<string, ort.Tensor>,
  logitsDims: readonly number[],
  target: GradientTarget | undefined,
): Promise<void> {
  const input = model.graph.inputs[0].name;
  // Below opset 13 the mode is refused; a fixed batch cannot be probed at a second size.
  if ((opsetVersion(model) ?? 1) < 13 || typeof model.graph.inputs[0].shape?.[0] === 'number') return;
  const larger = [shape[0] + 1, ...shape.slice(1)];
  const shapes = await shapesFor(model, feeds);
  let shared: GradientModel;
  try {
    const batched = await batchedFor(model, feeds, { [input]: new ort.Tensor('float32', spread(larger.reduce((a, b) => a * b, 1), 'batch'), larger) });
    shared = buildGradientModel(model, { shapes, features: null, rowsPerSample: { rows: SHARED_ROWS, batched }, target });
  } catch (e) {
    // Models that bake the batch size into a shape, or whose outputs do not keep samples on the
    // first axis (an op test with x as a weight matrix), have no per-sample rows to share.
    if (e instanceof GradientError || /dimension|shape|broadcast/i.test(String(e))) return;
    throw e;
  }
  const plainSession = await session(writeModel(plain.model));
  const sharedSession = await session(writeModel(shared.model));
  try {
    const classes = logitsDims.slice(1).reduce((a, b) => a * b, 1);
    const batch = shape[0];
    const per = x.length / batch;
    const v = uniform(batch * SHARED_ROWS * classes, 'rows');
    const out = (await sharedSession.run({ ...feeds, [shared.cotangent]: new ort.Tensor('float32', v, [batch, SHARED_ROWS, classes]) }))[shared.gradient];
    if (out.dims.join() !== [batch, SHARED_ROWS, ...shape.slice(1)].join()) throw new Error(`shared forward pass: gradient shaped [${out.dims}]`);
    const got = out.data as Float32Array;
    for (let k = 0; k < SHARED_ROWS; k++) {
      const vk = new Float32Array(batch * classes);
      for (let b = 0; b < batch; b++) vk.set(v.subarray((b * SHARED_ROWS + k) * classes, (b * SHARED_ROWS + k + 1) * classes), b * classes);
      const want = (await plainSession.run({ ...feeds, [plain.cotangent]: new ort.Tensor('float32', vk, logitsDims) }))[plain.gradient].data as Float32Array;
      let worst = 0;
      let scale = 1e-6;
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < per; j++) {
          worst = Math.max(worst, Math.abs(got[(b * SHARED_ROWS + k) * per + j] - want[b * per + j]));
          scale = Math.max(scale, Math.abs(want[b * per + j]));
        }
      }
      if (worst > 1e-5 * scale) throw new Error(`shared forward pass: row ${k} differs from the plain gradient by ${worst} (scale ${scale})`);
    }
  } finally {
    await plainSession.release();
    await sharedSession.release();
  }
}
