// DeepFool: Moosavi-Dezfooli, Fawzi and Frossard, "DeepFool: a simple and accurate method to
// fool deep neural networks", CVPR 2016 (arXiv:1511.04599), Algorithm 2 (multiclass), for the
// l2 and l_inf norms. Semantics and defaults follow Foolbox 3's DeepFoolAttack (loss 'logits'):
// the candidate classes are fixed once, from the clean logits; each step linearises
// f_k - f_orig for every candidate k, moves to the nearest linearised boundary, and the
// accumulated perturbation is applied with (1 + overshoot) and clipped to [0,1].
import type { DifferentiableModel } from './model.js';
import { forEachRowChunk } from './row-chunks.js';
import { argmax } from './logit-rows.js';
import { lpNorm } from './lp-ball.js';
import type { AttackResult, Batch } from './types.js';

export interface DeepFoolOptions {
  norm: 'l2' | 'linf';
  /** Maximum number of steps per sample; 50 as in Foolbox. */
  steps?: number;
  /** The accumulated perturbation is applied as (1 + overshoot) * p_total; 0.02 as in the paper and Foolbox. */
  overshoot?: number;
  /**
   * How many classes are considered: the class to move away from plus the top (candidates - 1)
   * others by clean logit; 10 as in Foolbox (capped at the number of classes).
   */
  candidates?: number;
  /** Called before each chunk of Jacobian rows, where the memory plan splits them. */
  onRowChunk?: (chunk: number, chunks: number) => void;
  /** Called after each step with the steps done and the most there can be (all of them once every sample is broken). */
  onProgress?: (done: number, total: number) => void;
}

export const DEEPFOOL_DEFAULTS = { steps: 50, overshoot: 0.02, candidates: 10 } as const;

/**
 * Foolbox adds 1e-8 to every gradient norm and 1e-4 to the chosen distance "for numerical
 * stability"; kept, so that a step always crosses a little beyond the linearised boundary.
 */
const NORM_FLOOR = 1e-8;
const DISTANCE_PAD = 1e-4;

/**
 * Runs DeepFool on every sample of the batch. A sample whose prediction already differs from
 * batch.classes counts as a success at iteration 0 with no perturbation (as in Foolbox, where
 * such a sample is adversarial from the start). Per step, one call covers all samples still
 * unbroken, with one cotangent e_k - e_orig per candidate k (a row each, sharing the sample's
 * forward pass), so each row's gradient is that of f_k - f_orig.
 */
export async function deepfool(model: DifferentiableModel, batch: Batch, options: DeepFoolOptions): Promise<AttackResult> {
  const { norm } = options;
  const steps = options.steps ?? DEEPFOOL_DEFAULTS.steps;
  const overshoot = options.overshoot ?? DEEPFOOL_DEFAULTS.overshoot;
  const c = model.classes;
  const k = Math.min(options.candidates ?? DEEPFOOL_DEFAULTS.candidates, c);
  validate(norm, steps, overshoot, k, c, batch);

  const { n, x: x0, classes } = batch;
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const x = x0.slice(0, n * per);
  const pTotal = new Float64Array(n * per);
  const success = new Uint8Array(n);
  const iterations = new Int32Array(n);

  const clean = await model.logits(x0, n);
  const candidates = candidateClasses(clean, classes, n, c, k);
  let active: number[] = [];
  for (let i = 0; i < n; i++) {
    if (argmax(clean.subarray(i * c, (i + 1) * c)) !== classes[i]) success[i] = 1;
    else active.push(i);
  }

  const others = k - 1;
  for (let step = 0; step < steps && active.length > 0; step++) {
    const xs = new Float32Array(active.length * per);
    const vs = new Float32Array(active.length * others * c);
    active.forEach((i, a) => {
      xs.set(x.subarray(i * per, (i + 1) * per), a * per);
      for (let j = 0; j < others; j++) {
        const r = a * others + j;
        vs[r * c + candidates[i * k + 1 + j]] = 1;
        vs[r * c + candidates[i * k]] = -1;
      }
    });
    // Each sample's nearest boundary over its candidates, chunk by chunk of the memory plan;
    // only the chosen row's gradient is kept (a tie keeps the first row, as one pass does).
    const m = active.length;
    const logits = new Float32Array(m * c);
    const best = Array.from({ length: m }, () => ({ row: -1, distance: Infinity }));
    const bestGrad = new Float32Array(m * per);
    await forEachRowChunk(model, xs, vs, m, others, (chunk) => {
      if (chunk.rowStart === 0) logits.set(chunk.logits, chunk.sample * c);
      const used = chunk.rowEnd - chunk.rowStart;
      for (let g = 0; g < chunk.count; g++) {
        const a = chunk.sample + g;
        const i = active[a];
        const near = nearestBoundary(logits.subarray(a * c, (a + 1) * c), chunk.grad, g * used, chunk.rowStart, used, per, candidates.subarray(i * k, (i + 1) * k), norm);
        if (best[a].row < 0 || near.distance < best[a].distance) {
          best[a] = { row: chunk.rowStart + near.row - g * used, distance: near.distance };
          bestGrad.set(chunk.grad.subarray(near.row * per, (near.row + 1) * per), a * per);
        }
      }
    }, options.onRowChunk);

    const stillActive: number[] = [];
    active.forEach((i, a) => {
      const ownLogits = logits.subarray(a * c, (a + 1) * c);
      if (step > 0 && argmax(ownLogits) !== classes[i]) {
        success[i] = 1;
        iterations[i] = step;
        return;
      }
      stillActive.push(i);
      applyStep(x, x0, pTotal, i, per, bestGrad.subarray(a * per, (a + 1) * per), best[a].distance + DISTANCE_PAD, norm, overshoot);
      iterations[i] = step + 1;
    });
    active = stillActive;
    options.onProgress?.(step + 1, steps);
  }
  options.onProgress?.(steps, steps);

  // The last step is not checked inside the loop (Foolbox leaves it to its caller's criterion).
  if (active.length > 0) {
    const xs = new Float32Array(active.length * per);
    active.forEach((i, a) => xs.set(x.subarray(i * per, (i + 1) * per), a * per));
    const logits = await model.logits(xs, active.length);
    active.forEach((i, a) => {
      if (argmax(logits.subarray(a * c, (a + 1) * c)) !== classes[i]) success[i] = 1;
    });
  }
  for (let i = 0; i < n; i++) if (success[i] === 0) x.set(x0.subarray(i * per, (i + 1) * per), i * per);
  return { adv: x, success, iterations };
}

function validate(norm: string, steps: number, overshoot: number, k: number, classes: number, batch: Batch): void {
  if (norm !== 'l2' && norm !== 'linf') throw new RangeError(`DeepFool supports the l2 and linf norms, got '${norm}'`);
  if (!(Number.isSafeInteger(steps) && steps >= 0)) throw new RangeError(`DeepFool steps must be a whole number >= 0, got ${steps}`);
  if (!(overshoot >= 0 && Number.isFinite(overshoot))) throw new RangeError(`DeepFool overshoot must be a finite number >= 0, got ${overshoot}`);
  if (!(Number.isSafeInteger(k) && k >= 2)) {
    throw new RangeError(`DeepFool needs at least 2 candidate classes (the model has ${classes}), got ${k}`);
  }
  for (let i = 0; i < batch.n; i++) {
    if (!(batch.classes[i] >= 0 && batch.classes[i] < classes)) throw new RangeError(`sample ${i}: class ${batch.classes[i]} is outside 0..${classes - 1}`);
  }
}

/** Per sample: the class to move away from, then the (k - 1) other classes with the largest clean logits. */
function candidateClasses(logits: Float32Array, classes: Int32Array, n: number, c: number, k: number): Int32Array {
  const out = new Int32Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * c, (i + 1) * c);
    const order = Array.from({ length: c }, (_, j) => j)
      .filter((j) => j !== classes[i])
      .sort((a, b) => row[b] - row[a] || a - b);
    out[i * k] = classes[i];
    for (let j = 1; j < k; j++) out[i * k + j] = order[j - 1];
  }
  return out;
}

/**
 * Among the candidates firstCandidate .. firstCandidate + others - 1 (rows firstRow.. of grad),
 * the linearised boundary nearest in the run's norm:
 * |f_k - f_orig| / ||grad(f_k - f_orig)||_q, q the dual norm (l2 -> l2, linf -> l1).
 */
function nearestBoundary(
  logits: Float32Array,
  grad: Float32Array,
  firstRow: number,
  firstCandidate: number,
  others: number,
  per: number,
  candidates: Int32Array,
  norm: 'l2' | 'linf',
): { row: number; distance: number } {
  let best = { row: firstRow, distance: Infinity };
  for (let j = 0; j < others; j++) {
    const row = firstRow + j;
    const loss = logits[candidates[1 + firstCandidate + j]] - logits[candidates[0]];
    const g = grad.subarray(row * per, (row + 1) * per);
    const distance = Math.abs(loss) / (lpNorm(g, norm === 'l2' ? 'l2' : 'l1') + NORM_FLOOR);
    if (distance < best.distance) best = { row, distance };
  }
  return best;
}

/**
 * p_total += the step onto the chosen boundary (l2: distance * g / ||g||_2; linf: distance *
 * sign(g)), then x = clip(x0 + (1 + overshoot) * p_total) to [0,1].
 */
function applyStep(
  x: Float32Array,
  x0: Float32Array,
  pTotal: Float64Array,
  i: number,
  per: number,
  g: Float32Array,
  distance: number,
  norm: 'l2' | 'linf',
  overshoot: number,
): void {
  const scale = norm === 'l2' ? distance / (lpNorm(g, 'l2') + NORM_FLOOR) : distance;
  for (let e = 0; e < per; e++) {
    const at = i * per + e;
    pTotal[at] += norm === 'l2' ? scale * g[e] : scale * Math.sign(g[e]);
    const value = x0[at] + (1 + overshoot) * pTotal[at];
    x[at] = value < 0 ? 0 : value > 1 ? 1 : value;
  }
}
