/**
 * Test support (not used by the app): a multiclass linear classifier as an ONNX model
 * (Flatten -> Gemm), whose minimal adversarial perturbations are known in closed form when the
 * [0,1] box is inactive, and a constant classifier whose prediction no perturbation changes.
 */
import { readModel } from '../onnx/codec.js';
import { attr, encode, node } from '../onnx/fixtures/models.js';
import { tinyModel, uniform } from '../autodiff/test-harness.js';
import { onnxDifferentiableModel, type DifferentiableModel } from './model.js';
import { dualNorm } from './lp-ball.js';
import type { Norm } from './types.js';

export interface LinearClassifier {
  /** [classes, features], row-major: f(x) = W flatten(x) + b. */
  weights: Float64Array;
  bias: Float64Array;
  classes: number;
  sampleShape: [number, number, number];
}

/**
 * f(x) = W (x - 1/2) + b with W uniform in [-1, 1] and b uniform in [-bias, bias] (from the
 * seed): centred on the middle of the box, so that points near 0.5 have small margins.
 */
export function linearClassifier(options: { classes?: number; sampleShape?: [number, number, number]; bias?: number; seed?: string } = {}): LinearClassifier {
  const classes = options.classes ?? 4;
  const sampleShape = options.sampleShape ?? [1, 4, 4];
  const features = sampleShape[0] * sampleShape[1] * sampleShape[2];
  const seed = options.seed ?? 'linear';
  const weights = Float64Array.from(uniform(classes * features, `${seed} weights`));
  const offsets = uniform(classes, `${seed} bias`, -(options.bias ?? 0.05), options.bias ?? 0.05);
  const bias = Float64Array.from({ length: classes }, (_, i) => {
    let centre = 0;
    for (let k = 0; k < features; k++) centre += weights[i * features + k] * 0.5;
    return Math.fround(offsets[i] - centre);
  });
  return { weights, bias, classes, sampleShape };
}

/** The classifier as ONNX: input 'x' [n, ...sampleShape] -> Flatten -> Gemm (transB) -> logits 'y' [n, classes]. */
export function linearOnnx(lin: LinearClassifier) {
  const features = lin.weights.length / lin.classes;
  return readModel(
    encode(
      tinyModel({
        x: ['n', ...lin.sampleShape],
        nodes: [node('Flatten', ['x'], ['flat'], [attr.int('axis', 1)]), node('Gemm', ['flat', 'W', 'b'], ['y'], [attr.int('transB', 1)])],
        floats: {
          W: { dims: [lin.classes, features], values: Array.from(lin.weights, Math.fround) },
          b: { dims: [lin.classes], values: Array.from(lin.bias, Math.fround) },
        },
      }),
    ),
    'linear.onnx',
  );
}

/** The classifier wrapped for the attacks, on onnxruntime's CPU provider. */
export async function linearModel(lin: LinearClassifier, batchSize = 64): Promise<DifferentiableModel & { release(): Promise<void> }> {
  return onnxDifferentiableModel(linearOnnx(lin), { sampleShape: lin.sampleShape, classes: lin.classes, device: 'cpu', batchSize, intraOpThreads: 1 });
}

/** A classifier that predicts class 0 whatever the input: W = 0, b = (1, 0, ..., 0). */
export function constantClassifier(classes = 4, sampleShape: [number, number, number] = [1, 4, 4]): LinearClassifier {
  const features = sampleShape[0] * sampleShape[1] * sampleShape[2];
  return { weights: new Float64Array(classes * features), bias: Float64Array.from({ length: classes }, (_, i) => (i === 0 ? 1 : 0)), classes, sampleShape };
}

/** Logits in float64, [n, classes]. */
export function linearLogits(lin: LinearClassifier, x: Float32Array, n: number): Float64Array {
  const features = lin.weights.length / lin.classes;
  const out = new Float64Array(n * lin.classes);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < lin.classes; c++) {
      let f = lin.bias[c];
      for (let k = 0; k < features; k++) f += lin.weights[c * features + k] * x[i * features + k];
      out[i * lin.classes + c] = f;
    }
  }
  return out;
}

export interface LinearMargin {
  prediction: number;
  /** min_{j != i} (f_i - f_j) / ||w_i - w_j||_q, q the dual of the norm: the exact minimal norm without the box. */
  margin: number;
  /** The class whose boundary is nearest. */
  nearest: number;
  /** The class with the second largest logit (the class FMN's loss pushes towards). */
  runnerUp: number;
  /** The minimal perturbation itself; x + delta lies on the nearest boundary. */
  delta: Float64Array;
}

/**
 * The closed-form minimal perturbation of a linear classifier in the given norm (DESIGN.md
 * section 5): towards class j, l2 moves along -(w_i - w_j), l_inf along -sign(w_i - w_j), and l1
 * only in the coordinate where |w_i - w_j| is largest. When x + delta stays in [0,1] the box is
 * inactive and `margin` is the exact input margin.
 */
export function linearMargins(lin: LinearClassifier, x: Float32Array, n: number, norm: Norm): LinearMargin[] {
  const features = lin.weights.length / lin.classes;
  const logits = linearLogits(lin, x, n);
  const q = dualNorm(norm);
  const out: LinearMargin[] = [];
  for (let s = 0; s < n; s++) {
    const row = logits.subarray(s * lin.classes, (s + 1) * lin.classes);
    let i = 0;
    for (let c = 1; c < lin.classes; c++) if (row[c] > row[i]) i = c;
    let best: Pick<LinearMargin, 'margin' | 'nearest'> = { margin: Infinity, nearest: -1 };
    for (let j = 0; j < lin.classes; j++) {
      if (j === i) continue;
      const dw = Array.from({ length: features }, (_, k) => lin.weights[i * features + k] - lin.weights[j * features + k]);
      const margin = (row[i] - row[j]) / dualLength(dw, q);
      if (margin < best.margin) best = { margin, nearest: j };
    }
    const dw = Array.from({ length: features }, (_, k) => lin.weights[i * features + k] - lin.weights[best.nearest * features + k]);
    let runnerUp = i === 0 ? 1 : 0;
    for (let j = 0; j < lin.classes; j++) if (j !== i && row[j] > row[runnerUp]) runnerUp = j;
    out.push({ prediction: i, ...best, runnerUp, delta: minimalPerturbation(dw, best.margin, norm) });
  }
  return out;
}

function dualLength(v: number[], q: Norm): number {
  if (q === 'linf') return Math.max(...v.map(Math.abs));
  if (q === 'l1') return v.reduce((a, b) => a + Math.abs(b), 0);
  return Math.sqrt(v.reduce((a, b) => a + b * b, 0));
}

/** The perturbation of norm `margin` that lowers (w_i - w_j) . x fastest in that norm. */
function minimalPerturbation(dw: number[], margin: number, norm: Norm): Float64Array {
  if (norm === 'l2') {
    const length = dualLength(dw, 'l2');
    return Float64Array.from(dw, (w) => (-margin * w) / length);
  }
  if (norm === 'linf') return Float64Array.from(dw, (w) => -margin * Math.sign(w));
  const top = dw.reduce((best, w, k) => (Math.abs(w) > Math.abs(dw[best]) ? k : best), 0);
  return Float64Array.from(dw, (w, k) => (k === top ? -margin * Math.sign(w) : 0));
}

/**
 * n points drawn uniformly from [lo, hi]^D (from the seed), keeping only those whose minimal
 * perturbation in `norm` is at least `minMargin` and stays inside [0,1], so that the box is
 * inactive and the closed-form margin is the exact one.
 */
export function linearSamples(
  lin: LinearClassifier,
  norm: Norm,
  n: number,
  options: { seed?: string; minMargin?: number; lo?: number; hi?: number } = {},
): { x: Float32Array; margins: LinearMargin[] } {
  const features = lin.weights.length / lin.classes;
  const x = new Float32Array(n * features);
  const margins: LinearMargin[] = [];
  for (let attempt = 0; margins.length < n; attempt++) {
    if (attempt > 1000 * n) throw new Error(`found only ${margins.length} of ${n} samples with a ${norm} margin >= ${options.minMargin} inside the box`);
    const candidate = uniform(features, `${options.seed ?? 'samples'} ${attempt}`, options.lo ?? 0.25, options.hi ?? 0.75);
    const [m] = linearMargins(lin, candidate, 1, norm);
    if (m.margin < (options.minMargin ?? 0)) continue;
    if (!m.delta.every((d, k) => candidate[k] + d >= 0 && candidate[k] + d <= 1)) continue;
    x.set(candidate, margins.length * features);
    margins.push(m);
  }
  return { x, margins };
}
