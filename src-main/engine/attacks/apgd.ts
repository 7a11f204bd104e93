/**
 * APGD, Auto-PGD (Croce & Hein, "Reliable evaluation of adversarial robustness with an ensemble
 * of diverse parameter-free attacks", ICML 2020, Algorithm 1; reference: AutoAttack's
 * autoattack/autopgd_base.py, APGDAttack and APGDAttack_targeted). A fixed-epsilon attack for
 * robust accuracy: APGD-CE (loss 'ce') and APGD-T (loss 'dlr-targeted', one run per target
 * class on the samples still unbroken), for the l_inf and l2 norms.
 *
 * Defaults are the reference's: n_iter 100, n_restarts 1, rho 0.75, seed 0, n_target_classes 9,
 * momentum 0.75 and initial step size 2*eps (both hard-coded there), checkpoints every
 * 22%, 19%, 16%, ... of the iterations down to 6% (n_iter_2, size_decr, n_iter_min).
 *
 * Where Brink differs from the reference, on purpose:
 * - A sample leaves the run at its first misclassified iterate, which becomes its adversarial
 *   example (the reference keeps iterating and stores the last misclassified one). Whether a
 *   sample is broken is the same; the unbroken samples' trajectories are the same.
 * - Random starts come from one stream per sample, restart and target (seeded by `seed` and the
 *   sample's id), so a sample's result does not depend on which other samples share its batch.
 * - The oscillation count of the first checkpoint compares the first iterate with the starting
 *   point, as in the paper; the reference compares it with a zero-filled row of its loss history.
 */
import type { DifferentiableModel } from './model.js';
import { argmax } from './logit-rows.js';
import { gaussian, streamSeed } from '../random.js';
import { mulberry32, type AttackResult, type Batch, type Norm } from './types.js';

/** 'ce': cross-entropy (APGD-CE); 'dlr': the untargeted DLR loss; 'dlr-targeted': APGD-T. */
export type ApgdLoss = 'ce' | 'dlr' | 'dlr-targeted';

export interface ApgdOptions {
  /** Default 'ce'. */
  loss?: ApgdLoss;
  /** 'linf' or 'l2'. */
  norm: Norm;
  /** The radius, or one per sample (the bisection over epsilon attacks each sample at its own). */
  eps: number | ArrayLike<number>;
  /** Iterations per run (n_iter); default 100. */
  steps?: number;
  /** Random restarts per run (n_restarts), each on the samples still unbroken; default 1. */
  restarts?: number;
  /** The oscillation threshold of the step-size rule (rho); default 0.75. */
  rho?: number;
  /** Weight of the new step against the previous one (alpha in the paper); default 0.75. */
  momentum?: number;
  /** APGD-T: how many target classes (n_target_classes), the top ones other than the sample's class; default 9, at most classes - 1. */
  targets?: number;
  /** Default 0. */
  seed?: number;
  /** Each sample's identity for its random stream, by default its index in the batch; a job passes dataset indices so that results do not depend on batching. */
  sampleIds?: ArrayLike<number>;
  /** Checked every iteration: an aborted attack rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each iteration with the iterations done and the most there can be (targets x restarts x steps). */
  onProgress?: (done: number, total: number) => void;
}

export const APGD_DEFAULTS = { loss: 'ce', steps: 100, restarts: 1, rho: 0.75, momentum: 0.75, targets: 9, seed: 0 } as const;

interface Settings {
  loss: ApgdLoss;
  norm: 'linf' | 'l2';
  steps: number;
  restarts: number;
  rho: number;
  momentum: number;
  targets: number;
  seed: number;
  signal?: AbortSignal;
}

/**
 * Attacks every sample of the batch away from batch.classes within its eps-ball (intersected
 * with [0,1]). A sample that the model already misclassifies counts as broken at its clean
 * input, as AutoAttack counts it. `iterations` adds up the steps of every run a sample was in.
 */
export async function apgd(model: DifferentiableModel, batch: Batch, options: ApgdOptions): Promise<AttackResult> {
  const s = settings(options, model.classes);
  const { n, classes } = batch;
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const eps = perSample(options.eps, n, 'eps');
  const ids = options.sampleIds === undefined ? Float64Array.from({ length: n }, (_, i) => i) : perSample(options.sampleIds, n, 'sampleIds');
  const adv = batch.x.slice(0, n * per);
  const success = new Uint8Array(n);
  const iterations = new Int32Array(n);
  const clean = await model.logits(batch.x, n);
  for (let i = 0; i < n; i++) if (argmax(clean.subarray(i * model.classes, (i + 1) * model.classes)) !== classes[i]) success[i] = 1;

  // APGD-T attacks the k-th most likely other class in its k-th round (ranked at the clean input).
  const rounds = s.loss === 'dlr-targeted' ? Array.from({ length: Math.min(s.targets, model.classes - 1) }, (_, k) => k) : [-1];
  let attempt = 0;
  const total = rounds.length * s.restarts * s.steps;
  const progress = (done: number) => options.onProgress?.(done, total);
  for (const rank of rounds) {
    for (let r = 0; r < s.restarts; r++, attempt++) {
      const todo = [...Array(n).keys()].filter((i) => !success[i]);
      if (todo.length === 0) break;
      const before = attempt * s.steps;
      const target = rank < 0 ? null : Int32Array.from(todo, (i) => rankedOtherClass(clean.subarray(i * model.classes, (i + 1) * model.classes), classes[i], rank));
      const run = await singleRun(model, s, {
        x: gather(batch.x, todo, per),
        y: Int32Array.from(todo, (i) => classes[i]),
        target,
        eps: Float64Array.from(todo, (i) => eps[i]),
        streams: todo.map((i) => streamSeed(s.seed, ids[i], attempt)),
      }, (done) => progress(before + done));
      progress(before + s.steps);
      todo.forEach((i, j) => {
        iterations[i] += run.steps[j];
        if (!run.broken[j]) return;
        success[i] = 1;
        adv.set(run.adv.subarray(j * per, (j + 1) * per), i * per);
      });
    }
  }
  progress(total);
  return { adv, success, iterations };
}

function settings(options: ApgdOptions, classes: number): Settings {
  if (options.norm !== 'linf' && options.norm !== 'l2') {
    throw new RangeError(`APGD runs for the linf and l2 norms, not ${options.norm}; for l1 margins use FAB or FMN`);
  }
  const s: Settings = {
    loss: options.loss ?? APGD_DEFAULTS.loss,
    norm: options.norm,
    steps: options.steps ?? APGD_DEFAULTS.steps,
    restarts: options.restarts ?? APGD_DEFAULTS.restarts,
    rho: options.rho ?? APGD_DEFAULTS.rho,
    momentum: options.momentum ?? APGD_DEFAULTS.momentum,
    targets: options.targets ?? APGD_DEFAULTS.targets,
    seed: options.seed ?? APGD_DEFAULTS.seed,
    signal: options.signal,
  };
  for (const [name, value] of [['steps', s.steps], ['restarts', s.restarts], ['targets', s.targets]] as const) {
    if (!(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`APGD ${name} must be a whole number > 0, got ${value}`);
  }
  if (!(s.rho > 0 && s.rho < 1) || !(s.momentum > 0 && s.momentum <= 1)) {
    throw new RangeError(`APGD needs 0 < rho < 1 and 0 < momentum <= 1, got rho ${s.rho} and momentum ${s.momentum}`);
  }
  const needed = s.loss === 'ce' ? 2 : s.loss === 'dlr' ? 3 : 4;
  if (classes < needed) throw new RangeError(`the ${s.loss} loss needs at least ${needed} classes; the model has ${classes}`);
  return s;
}

function perSample(value: number | ArrayLike<number>, n: number, name: string): Float64Array {
  const out = typeof value === 'number' ? new Float64Array(n).fill(value) : Float64Array.from(value);
  if (out.length !== n) throw new RangeError(`${name} has ${out.length} values for ${n} samples`);
  if (name === 'eps' && out.some((e) => !(e >= 0 && Number.isFinite(e)))) throw new RangeError('eps must be finite and >= 0 for every sample');
  return out;
}

/** The class with the (rank+1)-th largest logit among those other than y. */
function rankedOtherClass(row: Float32Array, y: number, rank: number): number {
  const others = [...row.keys()].filter((j) => j !== y).sort((a, b) => row[b] - row[a] || a - b);
  return others[rank];
}

function gather(x: Float32Array, rows: readonly number[], per: number): Float32Array {
  const out = new Float32Array(rows.length * per);
  rows.forEach((i, j) => out.set(x.subarray(i * per, (i + 1) * per), j * per));
  return out;
}

interface Run {
  x: Float32Array;
  y: Int32Array;
  target: Int32Array | null;
  eps: Float64Array;
  streams: number[];
}

/**
 * One APGD run (the reference's attack_single_run) on m samples. Loss and gradient are taken at
 * the same point, as the reference does: a forward pass gives the logits, from which the loss's
 * gradient with respect to the logits is the cotangent of the vector-Jacobian product.
 */
/** `onIteration`: called with the iterations done so far. */
async function singleRun(model: DifferentiableModel, s: Settings, run: Run, onIteration: (done: number) => void): Promise<{ broken: Uint8Array; adv: Float32Array; steps: Int32Array }> {
  const m = run.y.length;
  const c = model.classes;
  const per = run.x.length / m;
  const xAdv = randomStart(run, s.norm, per);
  const xOld = xAdv.slice();
  const grad = new Float32Array(m * per);
  const broken = new Uint8Array(m);
  const adv = new Float32Array(m * per);
  const steps = new Int32Array(m);
  const lossHistory = new Float64Array(m * (s.steps + 1));
  let active = [...Array(m).keys()];

  /** Forward at xAdv: breaks off the misclassified samples, then takes the gradient of the rest; returns their losses. */
  const evaluate = async (step: number): Promise<Float64Array> => {
    s.signal?.throwIfAborted();
    const logits = await model.logits(gather(xAdv, active, per), active.length);
    const rows: number[] = [];
    active = active.filter((i, j) => {
      if (argmax(logits.subarray(j * c, (j + 1) * c)) === run.y[i]) {
        rows.push(j);
        return true;
      }
      broken[i] = 1;
      steps[i] = step;
      adv.set(xAdv.subarray(i * per, (i + 1) * per), i * per);
      return false;
    });
    const loss = new Float64Array(m);
    if (active.length === 0) return loss;
    const v = new Float32Array(active.length * c);
    active.forEach((i, k) => {
      const row = logits.subarray(rows[k] * c, (rows[k] + 1) * c);
      loss[i] = lossAndGradient(s.loss, row, run.y[i], run.target?.[i] ?? -1, v.subarray(k * c, (k + 1) * c));
    });
    const g = (await model.vjp(gather(xAdv, active, per), v, active.length)).grad;
    active.forEach((i, k) => grad.set(g.subarray(k * per, (k + 1) * per), i * per));
    return loss;
  };

  const loss0 = await evaluate(0);
  const xBest = xAdv.slice();
  const gradBest = grad.slice();
  const lossBest = Float64Array.from(loss0);
  const lossBestLastCheck = lossBest.slice();
  const reducedLastCheck = new Uint8Array(m).fill(1);
  const stepSize = Float64Array.from(run.eps, (e) => 2 * e);
  for (const i of active) lossHistory[i * (s.steps + 1)] = loss0[i];

  const checkpoints = checkpointIterations(s.steps);
  let lastCheck = 0;

  for (let it = 0; it < s.steps && active.length > 0; it++) {
    const a = it > 0 ? s.momentum : 1;
    for (const i of active) step(i, a);
    const loss = await evaluate(it + 1);
    onIteration(it + 1);
    for (const i of active) {
      lossHistory[i * (s.steps + 1) + it + 1] = loss[i];
      if (loss[i] > lossBest[i]) {
        lossBest[i] = loss[i];
        xBest.set(xAdv.subarray(i * per, (i + 1) * per), i * per);
        gradBest.set(grad.subarray(i * per, (i + 1) * per), i * per);
      }
    }
    if (!checkpoints.includes(it + 1)) continue;
    const interval = it + 1 - lastCheck;
    lastCheck = it + 1;
    for (const i of active) {
      const history = lossHistory.subarray(i * (s.steps + 1), (i + 1) * (s.steps + 1));
      let increases = 0;
      for (let h = it + 2 - interval; h <= it + 1; h++) if (history[h] > history[h - 1]) increases++;
      // Halve when the loss rose in too few steps (the reference's test is <=, the paper's <), or
      // when neither the step size nor the best loss changed at the last checkpoint.
      const halve = increases <= interval * s.rho || (!reducedLastCheck[i] && lossBestLastCheck[i] >= lossBest[i]);
      reducedLastCheck[i] = halve ? 1 : 0;
      lossBestLastCheck[i] = lossBest[i];
      if (!halve) continue;
      stepSize[i] /= 2;
      xAdv.set(xBest.subarray(i * per, (i + 1) * per), i * per);
      grad.set(gradBest.subarray(i * per, (i + 1) * per), i * per);
    }
  }
  for (const i of active) steps[i] = s.steps;
  return { broken, adv, steps };

  /** x <- P(x + a (P(x + eta * direction(grad)) - x) + (1 - a) (x - x_prev)), P the projection onto the eps-ball and the box. */
  function step(i: number, a: number): void {
    const lo = i * per;
    const x = run.x.subarray(lo, lo + per);
    const cur = xAdv.subarray(lo, lo + per);
    const prev = xOld.subarray(lo, lo + per);
    const g = grad.subarray(lo, lo + per);
    const e = run.eps[i];
    const next = new Float64Array(per);
    if (s.norm === 'linf') {
      for (let k = 0; k < per; k++) {
        const low = Math.max(x[k] - e, 0);
        const high = Math.min(x[k] + e, 1);
        const z = clamp(cur[k] + stepSize[i] * Math.sign(g[k]), low, high);
        next[k] = clamp(cur[k] + (z - cur[k]) * a + (cur[k] - prev[k]) * (1 - a), low, high);
      }
    } else {
      const gn = norm2(g) + 1e-12;
      for (let k = 0; k < per; k++) next[k] = cur[k] + (stepSize[i] * g[k]) / gn;
      projectL2(next, x, e);
      for (let k = 0; k < per; k++) next[k] = cur[k] + (next[k] - cur[k]) * a + (cur[k] - prev[k]) * (1 - a);
      projectL2(next, x, e);
    }
    prev.set(cur);
    cur.set(next);
  }
}

/**
 * The iterations after which the step size is reviewed: the paper's p_0 = 0, p_1 = 0.22,
 * p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), as the reference rounds them: intervals of
 * int(0.22 n), each int(0.03 n) shorter, at least int(0.06 n) (all at least 1).
 * For 100 iterations: 22, 41, 57, 70, 80, 87, 93, 99.
 */
export function checkpointIterations(steps: number): number[] {
  const shrink = Math.max(Math.floor(0.03 * steps), 1);
  const shortest = Math.max(Math.floor(0.06 * steps), 1);
  const out: number[] = [];
  for (let at = 0, interval = Math.max(Math.floor(0.22 * steps), 1); at + interval <= steps; interval = Math.max(interval - shrink, shortest)) {
    at += interval;
    out.push(at);
  }
  return out;
}

/** The reference's l2 "projection": scale x' - x down to length eps if longer, then clip to [0,1] (which only shortens it). */
function projectL2(point: Float64Array, x: Float32Array, eps: number): void {
  let sq = 0;
  for (let k = 0; k < point.length; k++) sq += (point[k] - x[k]) ** 2;
  const len = Math.sqrt(sq);
  const scale = Math.min(eps, len) / (len + 1e-12);
  for (let k = 0; k < point.length; k++) point[k] = clamp(x[k] + (point[k] - x[k]) * scale, 0, 1);
}

/** linf: uniform in the cube, rescaled so its largest coordinate reaches eps; l2: a normal draw scaled onto the sphere. Then clipped to [0,1]. */
function randomStart(run: Run, norm: 'linf' | 'l2', per: number): Float32Array {
  const out = new Float32Array(run.x.length);
  const t = new Float64Array(per);
  run.streams.forEach((seed, i) => {
    const next = mulberry32(seed);
    for (let k = 0; k < per; k++) t[k] = norm === 'linf' ? 2 * next() - 1 : gaussian(next);
    const size = norm === 'linf' ? t.reduce((acc, v) => Math.max(acc, Math.abs(v)), 0) : Math.sqrt(t.reduce((acc, v) => acc + v * v, 0));
    const scale = run.eps[i] / (size + 1e-12);
    for (let k = 0; k < per; k++) out[i * per + k] = clamp(run.x[i * per + k] + scale * t[k], 0, 1);
  });
  return out;
}


function norm2(v: Float32Array): number {
  let sq = 0;
  for (let k = 0; k < v.length; k++) sq += v[k] * v[k];
  return Math.sqrt(sq);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The loss APGD maximises at one sample's logits z, and its gradient with respect to z written
 * into dz (the cotangent of the vector-Jacobian product).
 * - ce: log sum_j exp(z_j) - z_y.
 * - dlr: -(z_y - max_{j != y} z_j) / (z_pi1 - z_pi3 + 1e-12), pi the classes by decreasing logit.
 * - dlr-targeted: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12).
 */
export function lossAndGradient(loss: ApgdLoss, z: Float32Array, y: number, t: number, dz: Float32Array): number {
  dz.fill(0);
  if (loss === 'ce') {
    let max = -Infinity;
    for (let j = 0; j < z.length; j++) max = Math.max(max, z[j]);
    let sum = 0;
    for (let j = 0; j < z.length; j++) sum += Math.exp(z[j] - max);
    for (let j = 0; j < z.length; j++) dz[j] = Math.exp(z[j] - max) / sum;
    dz[y] -= 1;
    return max + Math.log(sum) - z[y];
  }
  const pi = topClasses(z, 4);
  const other = loss === 'dlr' ? (pi[0] === y ? pi[1] : pi[0]) : t;
  const numerator = z[y] - z[other];
  // The denominator as a weighted sum of logits: z_pi1 - z_pi3, or z_pi1 - (z_pi3 + z_pi4)/2.
  const weights: [number, number][] = loss === 'dlr' ? [[pi[0], 1], [pi[2], -1]] : [[pi[0], 1], [pi[2], -0.5], [pi[3], -0.5]];
  const denominator = weights.reduce((acc, [j, w]) => acc + w * z[j], 0) + 1e-12;
  dz[y] -= 1 / denominator;
  dz[other] += 1 / denominator;
  for (const [j, w] of weights) dz[j] += (w * numerator) / denominator ** 2;
  return -numerator / denominator;
}

/** The indices of the k largest values, largest first (ties by index). */
function topClasses(z: Float32Array, k: number): number[] {
  const top: number[] = [];
  for (let j = 0; j < z.length; j++) {
    let at = top.length;
    while (at > 0 && z[top[at - 1]] < z[j]) at--;
    if (at < k) {
      top.splice(at, 0, j);
      if (top.length > k) top.pop();
    }
  }
  return top;
}
