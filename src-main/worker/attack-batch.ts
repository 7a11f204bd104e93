import type { AttackName, AttackSettings, RunPlan } from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import { apgd } from '../engine/attacks/apgd.js';
import { deepfool } from '../engine/attacks/deepfool.js';
import { fab } from '../engine/attacks/fab.js';
import { fmn } from '../engine/attacks/fmn.js';
import type { DifferentiableModel } from '../engine/attacks/model.js';
import { withinEpsilon, type AttackResult, type Batch } from '../engine/attacks/types.js';
import { verifyAdversarials, type VerifiedAdversarials } from '../engine/attacks/verify.js';
import type { AttackOutcome, BestAdversarial } from '../store/run-repo.js';

export interface AttackBatchInput {
  model: DifferentiableModel;
  x: Float32Array;
  n: number;
  /** The model's predictions: margins are distances to the model's own decision. */
  predictions: Int32Array;
  labels: Int32Array;
  /** Dataset indices, so that per-sample random streams do not depend on how samples are batched. */
  indices: number[];
  /** Batches are fixed slices of the run, so a resumed batch gets the same seed as before. */
  batchIndex: number;
  settings: AttackSettings;
  /** What the batch is doing, and the fraction of its attack steps done (each attack, and APGD at each epsilon, an equal share). */
  stage(name: string, fraction: number): void;
  /**
   * The run's forward session, which also gives the penultimate features h where the model has
   * a linear head: the best adversarials go through it once, for their stored logits and their
   * feature distance. Without it, model.logits gives the logits and no distance is recorded.
   */
  forward?: (x: Float32Array, n: number) => Promise<ForwardOutputs>;
  /** h(x) of the batch's samples, [n, D], from that same session; null without a linear head. */
  features?: Float32Array | null;
  /** FAB's form from the job's plan (worker/job-plan); absent: as settings.targeted says. */
  fab?: RunPlan['fab'];
}

/** One forward pass: logits [n, classes] and, where the model has a linear head, its input features [n, D]. */
export interface ForwardOutputs {
  logits: Float32Array;
  features: Float32Array | null;
}

export interface AttackBatchResult {
  best: BestAdversarial[];
  outcomes: AttackOutcome[][];
}

/** Seeds differ per batch and per attack but are fixed by the run's seed. */
function batchSeed(seed: number, batchIndex: number, attack: AttackName): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const code of `${batchIndex}:${attack}`) h = Math.imul(h ^ code.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

async function runMarginAttack(name: AttackName, input: AttackBatchInput, batch: Batch, share: Share): Promise<AttackResult> {
  const { settings } = input;
  const steps = settings.iterations ?? undefined;
  const seed = batchSeed(settings.seed, input.batchIndex, name);
  if (name === 'fab') {
    const targeted = input.fab ? (input.fab.targets ?? undefined) : (settings.targeted ?? undefined);
    const stage = new StageText(input, targeted === undefined ? 'fab' : 'fab-t', share);
    return fab(input.model, batch, {
      norm: settings.norm,
      steps,
      restarts: settings.restarts,
      targeted,
      seed,
      onProgress: (done, total, at) => stage.step(done, total, targeted === undefined ? '' : `target ${at.target + 1} of ${at.targets}, `, `step ${at.step} of ${at.steps}`),
      onRowChunk: (chunk, chunks) => stage.chunk(chunk, chunks),
    });
  }
  const stage = new StageText(input, name, share);
  const onProgress = (done: number, total: number) => stage.step(done, total, '', `step ${done} of ${total}`);
  if (name === 'deepfool') {
    return deepfool(input.model, batch, { norm: settings.norm as 'l2' | 'linf', steps, onProgress, onRowChunk: (chunk, chunks) => stage.chunk(chunk, chunks) });
  }
  return fmn(input.model, batch, { norm: settings.norm, steps, onProgress });
}

/**
 * A margin attack's stage, e.g. "fab-t, target 3 of 9, step 40 of 100" or, where the memory plan
 * splits the Jacobian rows, "fab, step 40 of 100, row chunk 2 of 10"; at most every
 * STEP_PROGRESS_MS, and at the end.
 */
class StageText {
  private last = -Infinity;
  private where = '';
  private fraction = 0;
  constructor(
    private readonly input: AttackBatchInput,
    private readonly label: string,
    private readonly share: Share,
  ) {}

  step(done: number, total: number, target: string, step: string): void {
    this.where = `${target}${step}`;
    this.fraction = (this.share.phase + (total > 0 ? Math.min(1, done / total) : 1)) / this.share.phases;
    this.show(done >= total);
  }

  chunk(chunk: number, chunks: number): void {
    if (chunks > 1) this.show(false, `, row chunk ${chunk + 1} of ${chunks}`);
  }

  private show(force: boolean, extra = ''): void {
    const now = performance.now();
    if (!force && now - this.last < STEP_PROGRESS_MS) return;
    this.last = now;
    this.input.stage(`${this.label}${this.where ? `, ${this.where}` : ''}${extra}`, this.fraction);
  }
}

/** How often an attack's steps update the stage: a batch of a large model can take minutes. */
const STEP_PROGRESS_MS = 250;

/** Which of the batch's attack phases this is (each attack, and APGD at each epsilon, is one), of how many. */
interface Share {
  phase: number;
  phases: number;
}

/** The attack's steps as the stage, e.g. "fab, step 40 of 100", at most every STEP_PROGRESS_MS and at the end. */
function stepProgress(input: AttackBatchInput, label: string, { phase, phases }: Share): (done: number, total: number) => void {
  let last = -Infinity;
  return (done, total) => {
    const now = performance.now();
    if (done < total && now - last < STEP_PROGRESS_MS) return;
    last = now;
    input.stage(`${label}, step ${done} of ${total}`, (phase + (total > 0 ? Math.min(1, done / total) : 1)) / phases);
  };
}

function normOf(v: VerifiedAdversarials, norm: AttackSettings['norm'], i: number): number {
  return norm === 'linf' ? v.linf[i] : norm === 'l2' ? v.l2[i] : v.l1[i];
}

/**
 * Runs a batch through the run's attacks. Minimal-norm attacks (FAB, DeepFool, FMN) move each
 * sample away from the model's prediction; fixed-epsilon APGD attacks move it away from its
 * label at each epsilon. Every candidate is verified before it counts; a sample's margin is the
 * smallest verified norm in the run's norm, and the attack that found it is kept.
 */
export async function attackBatch(input: AttackBatchInput): Promise<AttackBatchResult> {
  const { model, x, n, settings } = input;
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const outcomes: AttackOutcome[][] = Array.from({ length: n }, () => []);
  const best: BestAdversarial[] = Array.from({ length: n }, () => ({
    found: false,
    margin: null,
    attack: null,
    linf: null,
    l2: null,
    l1: null,
    example: null,
    logits: null,
    featureDistanceLinf: null,
    featureDistanceL2: null,
  }));
  const offer = (name: AttackName, v: VerifiedAdversarials, i: number) => {
    const norm = normOf(v, settings.norm, i);
    if (best[i].margin !== null && best[i].margin! <= norm) return;
    best[i] = { found: true, margin: norm, attack: name, linf: v.linf[i], l2: v.l2[i], l1: v.l1[i], example: v.adv.slice(i * per, (i + 1) * per), logits: null, featureDistanceLinf: null, featureDistanceL2: null };
  };

  const marginNames = settings.attacks.filter((a) => a === 'fab' || a === 'deepfool' || a === 'fmn');
  const fixedNames = settings.attacks.filter((a) => a === 'apgd-ce' || a === 'apgd-t');
  const phases = marginNames.length + fixedNames.length * settings.epsilons.length;
  let phase = 0;

  const towardsPrediction: Batch = { x, n, classes: input.predictions };
  for (const name of marginNames) {
    input.stage(name, phase / phases);
    const result = await runMarginAttack(name, input, towardsPrediction, { phase: phase++, phases });
    const verified = await verifyAdversarials(model, towardsPrediction, result.adv);
    for (let i = 0; i < n; i++) {
      const found = verified.found[i] === 1;
      outcomes[i].push({
        attack: name,
        epsilon: 0,
        found,
        linf: found ? verified.linf[i] : null,
        l2: found ? verified.l2[i] : null,
        l1: found ? verified.l1[i] : null,
        iterations: result.iterations[i],
      });
      if (found) offer(name, verified, i);
    }
  }

  const towardsLabel: Batch = { x, n, classes: input.labels };
  for (const name of fixedNames) {
    for (const eps of settings.epsilons) {
      input.stage(`${name} at ${formatEpsilon(eps)}`, phase / phases);
      const result = await apgd(model, towardsLabel, {
        loss: name === 'apgd-ce' ? 'ce' : 'dlr-targeted',
        norm: settings.norm,
        eps,
        steps: settings.iterations ?? undefined,
        restarts: settings.restarts,
        targets: settings.targeted ?? undefined,
        seed: settings.seed,
        sampleIds: input.indices,
        onProgress: stepProgress(input, `${name} at ${formatEpsilon(eps)}`, { phase: phase++, phases }),
      });
      const verified = await verifyAdversarials(model, towardsLabel, result.adv, 0);
      for (let i = 0; i < n; i++) {
        // A label-changing point beyond epsilon (float error at the ball's edge) is not a break at this epsilon.
        const broken = verified.found[i] === 1 && withinEpsilon(normOf(verified, settings.norm, i), eps);
        outcomes[i].push({
          attack: name,
          epsilon: eps,
          found: broken,
          linf: broken ? verified.linf[i] : null,
          l2: broken ? verified.l2[i] : null,
          l1: broken ? verified.l1[i] : null,
          iterations: result.iterations[i],
        });
        // On a correctly classified sample, label and prediction agree: the point bounds the margin too.
        if (broken && input.labels[i] === input.predictions[i] && settings.attacks.some((a) => a === 'fab' || a === 'deepfool' || a === 'fmn')) {
          offer(name, verified, i);
        }
      }
    }
  }

  const kept = best.map((b, i) => (b.example ? i : -1)).filter((i) => i >= 0);
  if (kept.length) {
    const examples = new Float32Array(kept.length * per);
    kept.forEach((i, r) => examples.set(best[i].example!, r * per));
    // One pass gives the logits kept with each example and, with a linear head, h(x_adv).
    const out = input.forward ? await input.forward(examples, kept.length) : { logits: await model.logits(examples, kept.length), features: null };
    const clean = input.features ?? null;
    const width = clean ? clean.length / n : 0;
    kept.forEach((i, r) => {
      best[i].logits = out.logits.slice(r * model.classes, (r + 1) * model.classes);
      if (clean && out.features) {
        const d = featureDistances(clean.subarray(i * width, (i + 1) * width), out.features.subarray(r * width, (r + 1) * width));
        best[i].featureDistanceLinf = d.linf;
        best[i].featureDistanceL2 = d.l2;
      }
    });
  }
  return { best, outcomes };
}

/** ||h(x) - h(x_adv)|| in l_inf (the paper's "feature dist", Fig. 6) and in l2, summed in float64. */
function featureDistances(h: Float32Array, hAdv: Float32Array): { linf: number; l2: number } {
  let linf = 0;
  let sq = 0;
  for (let k = 0; k < h.length; k++) {
    const d = Math.abs(h[k] - hAdv[k]);
    if (d > linf) linf = d;
    sq += d * d;
  }
  return { linf, l2: Math.sqrt(sq) };
}
