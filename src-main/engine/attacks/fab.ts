// FAB, the fast adaptive boundary attack: F. Croce and M. Hein, "Minimally distorted adversarial
// examples with a fast adaptive boundary attack", ICML 2020 (arXiv:1907.02044). Semantics and
// defaults follow AutoAttack's FABAttack_PT (autoattack/fab_pt.py, fab_base.py): each step
// linearises the classifier at the current point, picks the decision hyperplane that looks
// closest in l_p, projects both the current point and the original onto it inside the [0,1]
// box, and mixes the two projections with a weight biased towards the original; an adversarial
// point is kept if it is the smallest found and then pulled back towards the original.
import { ProjectionWorkspace } from './fab-projections.js';
import type { DifferentiableModel } from './model.js';
import { forEachRowChunk } from './row-chunks.js';
import { gaussian } from '../random.js';
import { mulberry32, type AttackResult, type Batch, type Norm } from './types.js';

export interface FabOptions {
  norm: Norm;
  /** Iterations per run (AutoAttack n_iter). Default 100. */
  steps?: number;
  /** Runs per target; the first starts at the input, the others at a random point (n_restarts). Default 1. */
  restarts?: number;
  /** Largest weight of the original's projection in the step (alpha_max). Default 0.1. */
  alphaMax?: number;
  /** Overshoot of the projection step (eta). Default 1.05. */
  eta?: number;
  /** Backward step towards the original once a point is adversarial (beta). Default 0.9. */
  beta?: number;
  /**
   * Targeted FAB over the k classes with the highest clean logits other than the sample's class
   * (AutoAttack's n_target_classes, 9 there; capped at classes - 1); absent: untargeted, which
   * needs the gradients of every logit difference at each step. Success means leaving the class,
   * whichever class is reached.
   */
  targeted?: number;
  /**
   * Only perturbations of at most eps count, and a sample found within eps is not attacked by
   * later runs (AutoAttack's robust-accuracy mode). Infinity (default): margin mode, every run
   * on every sample, the smallest adversarial example kept, no final check.
   */
  eps?: number;
  /** Seed of the random starts, drawn sample by sample in batch order: the same batch and seed give the same result. Default 0. */
  seed?: number;
  signal?: AbortSignal;
  /** Called after each iteration with iterations done and the total, and where the attack is (for the stage). */
  onProgress?: (done: number, total: number, at: FabProgress) => void;
  /** Called before each chunk of Jacobian rows (untargeted, with the rows in several chunks). */
  onRowChunk?: (chunk: number, chunks: number) => void;
}

/** Where a FAB run is: its target (targeted form; 0 of 1 untargeted) and its step within the run. */
export interface FabProgress {
  target: number;
  targets: number;
  step: number;
  steps: number;
}

export const FAB_DEFAULTS = { steps: 100, restarts: 1, alphaMax: 0.1, eta: 1.05, beta: 0.9, eps: Infinity, seed: 0 } as const;

/**
 * `iterations` counts over all the runs a sample took part in: the iteration of its first
 * adversarial example within eps, or all it ran where none was found (0: adversarial already).
 */
export interface FabResult extends AttackResult {
  /** ||adv - x||_p of the kept adversarial example per sample; Infinity where none (within eps). */
  norms: Float64Array;
  /** Milliseconds spent choosing hyperplanes and projecting (the attack's own CPU work, outside the model). */
  projectionMs: number;
}

type Resolved = Required<Omit<FabOptions, 'targeted' | 'signal' | 'onProgress' | 'onRowChunk'>> & Pick<FabOptions, 'targeted' | 'signal' | 'onProgress' | 'onRowChunk'>;

/** Runs FAB on a batch; `batch.classes` is the class each sample must leave (its prediction, for margins). */
export async function fab(model: DifferentiableModel, batch: Batch, options: FabOptions): Promise<FabResult> {
  const o = resolveOptions(options);
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const { n, classes } = batch;
  checkBatch(model, batch, per);
  const x = batch.x.subarray(0, n * per);
  const c = model.classes;

  const norms = new Float64Array(n).fill(Infinity);
  const adv = Float32Array.from(x);
  const iterations = new Int32Array(n);
  const reached = new Int32Array(n).fill(-1);
  const clean = await model.logits(x, n);
  // A sample that already leaves its class needs no perturbation (AutoAttack only attacks the
  // correctly classified points and returns the others as they are).
  for (let i = 0; i < n; i++) {
    if (argmax(clean, i * c, c) !== classes[i]) {
      norms[i] = 0;
      reached[i] = 0;
    }
  }
  const targets = o.targeted === undefined ? null : rankTargets(clean, classes, n, c, Math.min(o.targeted, c - 1));
  const targetCount = targets === null ? 1 : Math.min(o.targeted!, c - 1);

  const state: RunState = { model, o, per, x, classes, norms, adv, iterations, reached, rng: mulberry32(o.seed), projectionMs: 0, done: 0, total: targetCount * o.restarts * o.steps, target: 0, targets: targetCount, onRowChunk: o.onRowChunk };
  // AutoAttack's order: targets outside, restarts inside; a run only takes the samples still unbroken.
  for (let target = 0; target < targetCount; target++) {
    state.target = target;
    for (let restart = 0; restart < o.restarts; restart++) {
      const active: number[] = [];
      for (let i = 0; i < n; i++) if (!isSettled(norms[i], o.eps)) active.push(i);
      if (active.length > 0) {
        const runTargets = targets === null ? null : Int32Array.from(active, (i) => targets[i * targetCount + target]);
        await attackRun(state, Int32Array.from(active), runTargets, restart > 0);
      } else {
        state.done += o.steps;
        o.onProgress?.(state.done, state.total, { target, targets: targetCount, step: o.steps, steps: o.steps });
      }
    }
  }

  const success = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    success[i] = Number.isFinite(norms[i]) && norms[i] <= o.eps ? 1 : 0;
    if (!success[i]) {
      norms[i] = Infinity;
      adv.set(x.subarray(i * per, (i + 1) * per), i * per);
    }
    if (success[i]) iterations[i] = reached[i];
  }
  return { adv, success, iterations, norms, projectionMs: state.projectionMs };
}

interface RunState {
  model: DifferentiableModel;
  o: Resolved;
  per: number;
  x: Float32Array;
  classes: Int32Array;
  norms: Float64Array;
  adv: Float32Array;
  iterations: Int32Array;
  reached: Int32Array;
  rng: () => number;
  projectionMs: number;
  done: number;
  total: number;
  target: number;
  targets: number;
  onRowChunk?: (chunk: number, chunks: number) => void;
}

/** Found within eps, or adversarial from the start: later runs leave the sample alone. */
function isSettled(norm: number, eps: number): boolean {
  return norm === 0 || (Number.isFinite(eps) && norm <= eps);
}

/** One run (AutoAttack's attack_single_run) over the samples `active`. */
async function attackRun(s: RunState, active: Int32Array, targets: Int32Array | null, randomStart: boolean): Promise<void> {
  const { model, o, per } = s;
  const m = active.length;
  const x0 = new Float32Array(m * per);
  for (let k = 0; k < m; k++) x0.set(s.x.subarray(active[k] * per, (active[k] + 1) * per), k * per);
  const x1 = Float32Array.from(x0);
  if (randomStart) randomStartInPlace(s, x1, active);
  const labels = Int32Array.from(active, (i) => s.classes[i]);
  const workspace = new ProjectionWorkspace(per);
  const w = new Float64Array(per);
  const d1 = new Float64Array(per);

  for (let step = 0; step < o.steps; step++) {
    o.signal?.throwIfAborted();
    const planes = targets === null ? await closestPlanes(s, x1, labels, w) : await targetPlanes(s, x1, labels, targets, w);
    const start = performance.now();
    for (let k = 0; k < m; k++) {
      const wk = planes.w(k);
      const bk = planes.b[k];
      const a1 = Math.max(workspace.project(o.norm, x1, k * per, wk, bk), 1e-8);
      d1.set(workspace.d);
      const a2 = Math.max(workspace.project(o.norm, x0, k * per, wk, bk), 1e-8);
      const d2 = workspace.d;
      const alpha = Math.min(Math.max(a1 / (a1 + a2), 0), o.alphaMax);
      for (let j = 0; j < per; j++) {
        const at = k * per + j;
        const v = (x1[at] + o.eta * d1[j]) * (1 - alpha) + (x0[at] + o.eta * d2[j]) * alpha;
        // Clipped to the box; a NaN (from a NaN gradient) leaves the value where it was.
        x1[at] = v < 0 ? 0 : v > 1 ? 1 : Number.isNaN(v) ? x1[at] : v;
      }
    }
    s.projectionMs += performance.now() - start;

    const logits = await model.logits(x1, m);
    for (let k = 0; k < m; k++) {
      const i = active[k];
      s.iterations[i]++;
      if (argmax(logits, k * model.classes, model.classes) === labels[k]) continue;
      const size = distance(x1, x0, k * per, per, o.norm);
      if (s.reached[i] < 0 && size <= o.eps) s.reached[i] = s.iterations[i];
      if (size < s.norms[i]) {
        s.norms[i] = size;
        s.adv.set(x1.subarray(k * per, (k + 1) * per), i * per);
      }
      for (let j = k * per; j < (k + 1) * per; j++) x1[j] = x0[j] + (x1[j] - x0[j]) * o.beta;
    }
    s.done++;
    o.onProgress?.(s.done, s.total, { target: s.target, targets: s.targets, step: step + 1, steps: o.steps });
  }
}

interface Planes {
  /** Normal of sample k's hyperplane {z : w·z = b}. */
  w(k: number): Float64Array;
  b: Float64Array;
}

/**
 * Untargeted (get_diff_logits_grads_batch): from the full Jacobian, the linearised boundary to
 * every other class j, f_j - f_y + (g_j - g_y)·(z - x1) = 0, and the one whose l_p distance
 * |f_j - f_y| / ||g_j - g_y||_q (q the dual norm) is smallest. The gradients of f_j - f_y come
 * straight from the graph with cotangents e_j - e_y (C - 1 rows per sample, j in increasing
 * order, y skipped), in the chunks of the model's memory plan; only each sample's best row is
 * kept, and a tie keeps the first row, as one pass over all rows does.
 */
async function closestPlanes(s: RunState, x1: Float32Array, labels: Int32Array, w: Float64Array): Promise<Planes> {
  const { model, per, o } = s;
  const c = model.classes;
  const m = labels.length;
  const rows = c - 1;
  const vs = new Float32Array(m * rows * c);
  for (let k = 0; k < m; k++) {
    for (let r = 0; r < rows; r++) {
      const j = r < labels[k] ? r : r + 1;
      vs[(k * rows + r) * c + j] = 1;
      vs[(k * rows + r) * c + labels[k]] = -1;
    }
  }
  const bestRow = new Int32Array(m).fill(-1);
  const bestDistance = new Float64Array(m).fill(Infinity);
  const bestGrad = new Float32Array(m * per);
  const logits = new Float32Array(m * c);
  let spent = 0;
  await forEachRowChunk(
    model,
    x1,
    vs,
    m,
    rows,
    (chunk) => {
      const start = performance.now();
      if (chunk.rowStart === 0) logits.set(chunk.logits, chunk.sample * c);
      const used = chunk.rowEnd - chunk.rowStart;
      for (let i = 0; i < chunk.count; i++) {
        const k = chunk.sample + i;
        const y = labels[k];
        for (let r = chunk.rowStart; r < chunk.rowEnd; r++) {
          const j = r < y ? r : r + 1;
          const at = (i * used + r - chunk.rowStart) * per;
          const size = dualNormOf(chunk.grad, at, per, o.norm);
          const dist = Math.abs(logits[k * c + j] - logits[k * c + y]) / (1e-12 + size);
          if (bestRow[k] < 0 || dist < bestDistance[k]) {
            bestRow[k] = r;
            bestDistance[k] = dist;
            bestGrad.set(chunk.grad.subarray(at, at + per), k * per);
          }
        }
      }
      spent += performance.now() - start;
    },
    s.onRowChunk,
  );
  const start = performance.now();
  const b = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const y = labels[k];
    const bestJ = bestRow[k] < y ? bestRow[k] : bestRow[k] + 1;
    let wx = 0;
    for (let q = 0; q < per; q++) wx += bestGrad[k * per + q] * x1[k * per + q];
    b[k] = -(logits[k * c + bestJ] - logits[k * c + y]) + wx;
  }
  s.projectionMs += spent + performance.now() - start;
  return {
    b,
    w(k) {
      for (let q = 0; q < per; q++) w[q] = bestGrad[k * per + q];
      return w;
    },
  };
}

/** ||g||_q for the dual q of `norm` (l_inf -> l1, l2 -> l2, l1 -> l_inf), g = values[at, at + per). */
function dualNormOf(values: Float32Array, at: number, per: number, norm: Norm): number {
  let acc = 0;
  if (norm === 'linf') {
    for (let q = 0; q < per; q++) acc += Math.abs(values[at + q]);
    return acc;
  }
  if (norm === 'l2') {
    for (let q = 0; q < per; q++) acc += values[at + q] * values[at + q];
    return Math.sqrt(acc);
  }
  for (let q = 0; q < per; q++) acc = Math.max(acc, Math.abs(values[at + q]));
  return acc;
}

/** Targeted (get_diff_logits_grads_batch_targeted): one vector-Jacobian product with cotangent e_t - e_y. */
async function targetPlanes(s: RunState, x1: Float32Array, labels: Int32Array, targets: Int32Array, w: Float64Array): Promise<Planes> {
  const { model, per } = s;
  const c = model.classes;
  const m = labels.length;
  const v = new Float32Array(m * c);
  for (let k = 0; k < m; k++) {
    v[k * c + targets[k]] = 1;
    v[k * c + labels[k]] = -1;
  }
  const { logits, grad } = await model.vjp(x1, v, m);
  const b = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    let wx = 0;
    for (let q = 0; q < per; q++) wx += grad[k * per + q] * x1[k * per + q];
    b[k] = -(logits[k * c + targets[k]] - logits[k * c + labels[k]]) + wx;
  }
  return {
    b,
    w(k) {
      for (let q = 0; q < per; q++) w[q] = grad[k * per + q];
      return w;
    },
  };
}

/**
 * AutoAttack's random start: uniform in [-1,1] (l_inf) or Gaussian (l2, l1) noise rescaled to
 * half of min(best norm so far, eps) in the attack's norm, then clipped to the box. The best
 * norm so far is the original FAB's choice (fra31/fab-attack, shared across restarts); in
 * margin mode with nothing found yet, the box's diameter stands in for eps.
 */
function randomStartInPlace(s: RunState, x1: Float32Array, active: Int32Array): void {
  const { o, per, rng } = s;
  const diameter = o.norm === 'linf' ? 1 : o.norm === 'l2' ? Math.sqrt(per) : per;
  const noise = new Float64Array(per);
  for (let k = 0; k < active.length; k++) {
    const radius = 0.5 * Math.min(s.norms[active[k]], o.eps, diameter);
    let size = 0;
    for (let j = 0; j < per; j++) {
      const t = o.norm === 'linf' ? 2 * rng() - 1 : gaussian(rng);
      noise[j] = t;
      if (o.norm === 'linf') size = Math.max(size, Math.abs(t));
      else if (o.norm === 'l2') size += t * t;
      else size += Math.abs(t);
    }
    if (o.norm === 'l2') size = Math.sqrt(size);
    if (!(size > 0)) continue;
    for (let j = 0; j < per; j++) {
      const v = x1[k * per + j] + (radius * noise[j]) / size;
      x1[k * per + j] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
}

/**
 * For each sample, the classes other than its own by decreasing clean logit, first `k` of them
 * (AutoAttack: the 2nd, 3rd, ... highest logits of the clean input).
 */
function rankTargets(clean: Float32Array, classes: Int32Array, n: number, c: number, k: number): Int32Array {
  const out = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    const others = Array.from({ length: c }, (_, j) => j).filter((j) => j !== classes[i]);
    others.sort((a, b) => clean[i * c + b] - clean[i * c + a] || a - b);
    for (let t = 0; t < k; t++) out[i * k + t] = others[t];
  }
  return out;
}

/** Index of the first largest value in row [from, from + c), as torch.max does. */
function argmax(values: Float32Array, from: number, c: number): number {
  let best = 0;
  for (let j = 1; j < c; j++) if (values[from + j] > values[from + best]) best = j;
  return best;
}

function distance(a: Float32Array, b: Float32Array, from: number, per: number, norm: Norm): number {
  let acc = 0;
  for (let j = from; j < from + per; j++) {
    const d = Math.abs(a[j] - b[j]);
    if (norm === 'linf') acc = Math.max(acc, d);
    else if (norm === 'l1') acc += d;
    else acc += d * d;
  }
  return norm === 'l2' ? Math.sqrt(acc) : acc;
}

function resolveOptions(options: FabOptions): Resolved {
  const o: Resolved = { ...FAB_DEFAULTS, ...stripUndefined(options) } as Resolved;
  if (!['linf', 'l2', 'l1'].includes(o.norm)) throw new RangeError(`FAB: norm must be linf, l2 or l1, got ${String(o.norm)}`);
  const positiveInteger = (name: string, v: number) => {
    if (!(Number.isSafeInteger(v) && v > 0)) throw new RangeError(`FAB: ${name} must be a positive integer, got ${v}`);
  };
  positiveInteger('steps', o.steps);
  positiveInteger('restarts', o.restarts);
  if (o.targeted !== undefined) positiveInteger('targeted (number of target classes)', o.targeted);
  if (!(o.alphaMax >= 0 && o.alphaMax <= 1)) throw new RangeError(`FAB: alphaMax must be in [0, 1], got ${o.alphaMax}`);
  if (!(o.eta > 0 && Number.isFinite(o.eta))) throw new RangeError(`FAB: eta must be a positive number, got ${o.eta}`);
  if (!(o.beta > 0 && o.beta <= 1)) throw new RangeError(`FAB: beta must be in (0, 1], got ${o.beta}`);
  if (!(o.eps > 0)) throw new RangeError(`FAB: eps must be positive (Infinity for margins), got ${o.eps}`);
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`FAB: seed must be an integer, got ${o.seed}`);
  return o;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkBatch(model: DifferentiableModel, batch: Batch, per: number): void {
  const { n, x, classes } = batch;
  if (model.classes < 2) throw new RangeError(`FAB needs a classifier with at least 2 classes, got ${model.classes}`);
  if (x.length < n * per) throw new RangeError(`FAB: the batch holds ${x.length} values, fewer than ${n} samples of ${per}`);
  if (classes.length < n) throw new RangeError(`FAB: ${classes.length} classes given for ${n} samples`);
  for (let i = 0; i < n; i++) {
    if (!(classes[i] >= 0 && classes[i] < model.classes)) throw new RangeError(`FAB: sample ${i} has class ${classes[i]}, outside 0..${model.classes - 1}`);
  }
  for (let k = 0; k < n * per; k++) {
    if (!(x[k] >= 0 && x[k] <= 1)) {
      throw new RangeError(`FAB: sample ${Math.floor(k / per)} has value ${x[k]} outside [0, 1]; inputs must be pixels in [0, 1]`);
    }
  }
}
