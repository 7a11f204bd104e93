/**
 * A synthetic l_inf audit run of a 10-class Fashion-MNIST-sized model, shaped like a real one
 * (shared by bench/analysis.ts and bench/report.ts; the shape is described in analysis.ts).
 */
import type { RunConfig } from '../src-preload/contract.js';
import { mulberry32 } from '../src-main/engine/random.js';
import type { SampleResult } from '../src-main/store/run-repo.js';

export const AUDIT_EPSILON = 8 / 255;
const IMAGE_SIZE = 28 * 28;

/** Standard normal deviates from a uniform generator (Box-Muller, one of the pair). */
export function normalFrom(rng: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

export interface SyntheticRun {
  rows: SampleResult[];
  config: RunConfig;
}

export function syntheticRun(n: number, classes: number, seed: number, ids: { modelId: string; datasetId: string }): SyntheticRun {
  const rng = mulberry32(seed);
  const normal = normalFrom(rng);
  // The head's pairwise weight distances ||w_i - w_j||_1 and _2, for the feature margins.
  const pairL1 = new Float64Array(classes * classes);
  const pairL2 = new Float64Array(classes * classes);
  for (let i = 0; i < classes; i++) {
    for (let j = i + 1; j < classes; j++) {
      pairL1[i * classes + j] = pairL1[j * classes + i] = 8 + 6 * rng();
      pairL2[i * classes + j] = pairL2[j * classes + i] = 0.8 + 0.6 * rng();
    }
  }
  const samples = Array.from({ length: n }, () => {
    const label = Math.floor(rng() * classes);
    const correct = rng() < 0.85;
    const pred = correct ? label : (label + 1 + Math.floor(rng() * (classes - 1))) % classes;
    const logits = new Float32Array(classes);
    for (let j = 0; j < classes; j++) logits[j] = 2 * normal();
    let runner = pred === 0 ? 1 : 0;
    for (let j = 0; j < classes; j++) if (j !== pred && logits[j] > logits[runner]) runner = j;
    logits[pred] = logits[runner] + Math.exp(0.3 + 0.9 * normal()) * (correct ? 1 : 0.35);
    const logitMargin = logits[pred] - logits[runner];
    const latent = 0.03 * Math.pow(logitMargin / 1.35, 0.9) * Math.exp(0.6 * normal());
    return { label, pred, logits, runner, logitMargin, latent };
  });
  // The attack budget: the 2% largest latent margins stay unfound (censored).
  const budget = Float64Array.from(samples, (s) => s.latent).sort()[Math.floor(0.98 * n)];
  const rows = samples.map(({ label, pred, logits, runner, logitMargin, latent }, position): SampleResult => {
    const found = latent < budget;
    const l2 = latent * 12 * (0.8 + 0.4 * rng());
    const featureDistance = latent * 60 * Math.exp(0.3 * normal());
    let example: Float32Array | null = null;
    let advLogits: Float32Array | null = null;
    if (found) {
      // A Fashion-MNIST-like image (about 60% background) moved by +-margin per pixel.
      example = new Float32Array(IMAGE_SIZE);
      for (let p = 0; p < IMAGE_SIZE; p++) {
        const pixel = rng() < 0.6 ? 0 : Math.round(255 * rng()) / 255;
        example[p] = Math.min(1, Math.max(0, pixel + (rng() < 0.5 ? -latent : latent)));
      }
      advLogits = Float32Array.from(logits);
      advLogits[runner] = logits[pred] + 0.01;
    }
    const apgdFound = found && latent <= AUDIT_EPSILON && rng() < 0.97;
    return {
      position,
      index: position,
      label,
      pred,
      logits,
      logitMargin,
      featureMarginLinf: logitMargin / pairL1[pred * classes + runner],
      featureMarginL2: logitMargin / pairL2[pred * classes + runner],
      best: {
        found,
        margin: found ? latent : null,
        attack: found ? 'fab' : null,
        linf: found ? latent : null,
        l2: found ? l2 : null,
        l1: found ? l2 * 15 : null,
        example,
        logits: advLogits,
        featureDistanceLinf: found ? featureDistance : null,
        featureDistanceL2: found ? featureDistance * 3 : null,
      },
      outcomes: [
        { attack: 'fab', epsilon: 0, found, linf: found ? latent : null, l2: found ? l2 : null, l1: found ? l2 * 15 : null, iterations: 100 },
        { attack: 'apgd-ce', epsilon: AUDIT_EPSILON, found: apgdFound, linf: apgdFound ? AUDIT_EPSILON * (0.9 + 0.1 * rng()) : null, l2: null, l1: null, iterations: 100 },
      ],
    };
  });
  const config: RunConfig = {
    ...ids,
    subset: { mode: 'first', count: n },
    batchSize: 100,
    device: 'cpu',
    attack: { attacks: ['fab', 'apgd-ce'], norm: 'linf', epsilons: [AUDIT_EPSILON], iterations: null, restarts: 1, targeted: null, seed: 0 },
  };
  return { rows, config };
}

