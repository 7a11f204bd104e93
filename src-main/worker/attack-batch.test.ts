import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackSettings } from '../../src-preload/contract.js';
import { apgd } from '../engine/attacks/apgd.js';
import { deepfool } from '../engine/attacks/deepfool.js';
import { fab } from '../engine/attacks/fab.js';
import { fmn } from '../engine/attacks/fmn.js';
import type { DifferentiableModel } from '../engine/attacks/model.js';
import { linearClassifier, linearModel, linearSamples } from '../engine/attacks/test-models.js';
import type { Batch } from '../engine/attacks/types.js';
import { attackBatch } from './attack-batch.js';

const lin = linearClassifier({ classes: 4 });
let model: DifferentiableModel & { release(): Promise<void> };
let batch: Batch;
beforeAll(async () => {
  model = await linearModel(lin);
  const { x, margins } = linearSamples(lin, 'linf', 6, { minMargin: 0.03, seed: 'progress' });
  batch = { x, n: 6, classes: Int32Array.from(margins, (m) => m.prediction) };
});
afterAll(() => model.release());

/** Every (done, total) an attack reports. */
function recorder() {
  const calls: [number, number][] = [];
  return { calls, onProgress: (done: number, total: number) => void calls.push([done, total]) };
}

function expectSteps(calls: [number, number][], total: number): void {
  expect(calls.length).toBeGreaterThan(0);
  expect(calls.every(([, t]) => t === total)).toBe(true);
  expect(calls.map(([d]) => d)).toEqual([...calls.map(([d]) => d)].sort((a, b) => a - b));
  expect(calls.at(-1)).toEqual([total, total]);
}

describe('attacks report their steps', () => {
  it('FAB: steps x restarts x targets', async () => {
    const r = recorder();
    await fab(model, batch, { norm: 'linf', steps: 7, restarts: 2, targeted: 3, onProgress: r.onProgress });
    expectSteps(r.calls, 7 * 2 * 3);
  });

  it('DeepFool: each step, then all of them once every sample is broken', async () => {
    const r = recorder();
    await deepfool(model, batch, { norm: 'l2', steps: 20, onProgress: r.onProgress });
    expectSteps(r.calls, 20);
  });

  it('FMN: each step', async () => {
    const r = recorder();
    await fmn(model, batch, { norm: 'l2', steps: 9, onProgress: r.onProgress });
    expect(r.calls.map(([d]) => d)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expectSteps(r.calls, 9);
  });

  it('APGD-T: iterations x restarts x targets, skipping ahead where every sample broke early', async () => {
    const r = recorder();
    await apgd(model, batch, { loss: 'dlr-targeted', norm: 'linf', eps: 0.5, steps: 10, restarts: 2, targets: 3, onProgress: r.onProgress });
    expectSteps(r.calls, 10 * 2 * 3);
  });
});

describe('an attack batch in the worker', () => {
  it('shows each attack and its steps as the stage, ending on the last step', async () => {
    const stages: string[] = [];
    const settings: AttackSettings = { attacks: ['fmn', 'apgd-ce'], norm: 'linf', epsilons: [0.05], iterations: 6, restarts: 1, targeted: null, seed: 0 };
    await attackBatch({
      model,
      x: batch.x,
      n: batch.n,
      predictions: batch.classes,
      labels: batch.classes,
      indices: [0, 1, 2, 3, 4, 5],
      batchIndex: 0,
      settings,
      stage: (name) => stages.push(name),
    });
    expect(stages[0]).toBe('fmn');
    expect(stages).toContain('fmn, step 6 of 6');
    expect(stages).toContain('apgd-ce at 0.05');
    expect(stages.at(-1)).toBe('apgd-ce at 0.05, step 6 of 6');
  });

  it('reports how far the batch has got, so that a run of one batch moves: each attack and epsilon an equal share, rising to 1', async () => {
    const fractions: number[] = [];
    const settings: AttackSettings = { attacks: ['fmn', 'apgd-ce'], norm: 'linf', epsilons: [0.02, 0.05], iterations: 6, restarts: 1, targeted: null, seed: 0 };
    await attackBatch({
      model,
      x: batch.x,
      n: batch.n,
      predictions: batch.classes,
      labels: batch.classes,
      indices: [0, 1, 2, 3, 4, 5],
      batchIndex: 0,
      settings,
      stage: (_name, fraction) => fractions.push(fraction),
    });
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    // fmn, then APGD at each of two epsilons: three phases of a third each.
    expect(fractions).toContain(1 / 3);
    expect(fractions).toContain(2 / 3);
    for (let k = 1; k < fractions.length; k++) expect(fractions[k]).toBeGreaterThanOrEqual(fractions[k - 1]);
  });
});
