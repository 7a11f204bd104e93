import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackSettings, RunPlan } from '../../src-preload/contract.js';
import type { MemoryProbe } from '../engine/attacks/memory-plan.js';
import { onnxDifferentiableModel, type DifferentiableModel } from '../engine/attacks/model.js';
import { readModel } from '../engine/onnx/codec.js';
import { probeMemory } from '../engine/runtime/gradient-session.js';
import { attackBatch } from './attack-batch.js';
import { fabForm, jobPlan, memoryBudget, rowsNeeded } from './job-plan.js';
import { planText } from '../../src-preload/run-plan.js';

// tools/models/make_many_class_model.py: [n, 3, 16, 16] -> 100 logits, random weights.
const manyClasses = fileURLToPath(new URL('../engine/onnx/fixtures/many-classes/cnn-100.onnx', import.meta.url));

const settings = (overrides: Partial<AttackSettings> = {}): AttackSettings => ({
  attacks: ['fab', 'deepfool'],
  norm: 'linf',
  epsilons: [],
  iterations: 10,
  restarts: 1,
  targeted: null,
  seed: 0,
  ...overrides,
});

describe('FAB and DeepFool on many classes', () => {
  it('follows AutoAttack: untargeted FAB up to 10 classes, targeted over the top 9 beyond, untargeted on request', () => {
    expect(fabForm(settings(), 10)).toMatchObject({ form: 'untargeted', targets: null });
    const many = fabForm(settings(), 100);
    expect(many).toMatchObject({ form: 'targeted', targets: 9 });
    expect(many.reason).toMatch(/100 classes.*AutoAttack/);
    expect(fabForm(settings({ fabUntargeted: true }), 1000)).toMatchObject({ form: 'untargeted', reason: expect.stringMatching(/as asked/) });
    expect(fabForm(settings({ targeted: 4 }), 1000)).toMatchObject({ form: 'targeted', targets: 4 });
    expect(fabForm(settings({ targeted: 20 }), 5)).toMatchObject({ form: 'targeted', targets: 4 });
  });

  it('needs C - 1 Jacobian rows only for untargeted FAB, 9 for DeepFool', () => {
    expect(rowsNeeded(settings(), 100)).toBe(9);
    expect(rowsNeeded(settings({ fabUntargeted: true }), 100)).toBe(99);
    expect(rowsNeeded(settings({ attacks: ['apgd-ce'] }), 100)).toBe(1);
    expect(rowsNeeded(settings({ attacks: ['deepfool'] }), 5)).toBe(4);
  });

  describe('on a 100-class model', () => {
    let model: DifferentiableModel & { release(): Promise<void> };
    let x: Float32Array;
    let predictions: Int32Array;
    const n = 4;
    beforeAll(async () => {
      const onnx = readModel(readFileSync(manyClasses), 'cnn-100.onnx');
      // Untargeted on request, with its 99 rows in chunks of at most 40.
      model = await onnxDifferentiableModel(onnx, { sampleShape: [3, 16, 16], classes: 100, device: 'cpu', batchSize: 2, intraOpThreads: 1, rowPlan: { samplesPerCall: 2, rowsPerChunk: 40 } });
      x = Float32Array.from({ length: n * 768 }, (_, i) => ((i * 7919) % 1000) / 1000);
      const logits = await model.logits(x, n);
      predictions = Int32Array.from({ length: n }, (_, i) => logits.subarray(i * 100, (i + 1) * 100).reduce((best, v, j, row) => (v > row[best] ? j : best), 0));
    });
    afterAll(() => model.release());

    const run = async (s: AttackSettings) => {
      const stages: string[] = [];
      const result = await attackBatch({
        model,
        x,
        n,
        predictions,
        labels: predictions,
        indices: [0, 1, 2, 3],
        batchIndex: 0,
        settings: s,
        fab: fabForm(s, 100),
        stage: (name) => stages.push(name),
      });
      return { result, stages };
    };

    it('runs FAB-T over the top 9 by default, and the stage says which target and step', async () => {
      const { result, stages } = await run(settings({ attacks: ['fab'] }));
      expect(stages).toContain('fab-t, target 1 of 9, step 1 of 10');
      expect(stages.some((s) => /^fab-t, target \d of 9, step \d+ of 10$/.test(s))).toBe(true);
      expect(result.best.filter((b) => b.found).length).toBe(n);
    });

    it('runs untargeted FAB on request, its rows in chunks, and says which chunk', async () => {
      const { result, stages } = await run(settings({ attacks: ['fab'], fabUntargeted: true, iterations: 3 }));
      expect(stages.some((s) => /^fab(, step \d of 3)?, row chunk \d of 3$/.test(s))).toBe(true);
      expect(result.best.filter((b) => b.found).length).toBe(n);
    });
  });
});

describe('the job plan', () => {
  const probe: MemoryProbe = { weightBytes: 47e6, activationBytesPerSample: 32e6, inputBytesPerSample: 0.6e6 };
  const plan = (previous: RunPlan | null, memoryGb: number | null = 8) => jobPlan(probe, { settings: settings({ fabUntargeted: true }), classes: 1000, batchSize: 8, memoryGb, previous });

  it('uses the budget set on the run, else a share of the free memory', () => {
    expect(memoryBudget(2)).toEqual({ bytes: 2e9, source: 'set', note: null });
    expect(memoryBudget(null, { free: 10e9 })).toEqual({ bytes: 6e9, source: 'free memory', note: null });
    const p = plan(null)!;
    expect(p).toMatchObject({ budgetBytes: 8e9, budgetSource: 'set', batch: 8, rows: 999, outOfMemory: null });
    expect(p.rowsPerChunk).toBeLessThan(999);
    expect(p.expectedPeakBytes).toBeLessThanOrEqual(8e9);
    expect(p.fab).toMatchObject({ form: 'untargeted' });
    expect(p.deepfoolCandidates).toBe(10);
  });

  it("on CUDA and WebGPU takes a share of the GPU's free memory, and says so; the machine's when the GPU's cannot be read", () => {
    const gpu = () => ({ gpu: { name: 'NVIDIA H100 80GB HBM3', totalBytes: 80e9, freeBytes: 78e9, source: 'nvidia-smi' as const } });
    const cuda = memoryBudget(null, { provider: 'cuda', free: 10e9, gpu });
    expect(cuda).toMatchObject({ bytes: 39e9, source: 'gpu memory' });
    expect(cuda.note).toBe('50% of the 78.0 GB free of 80.0 GB on NVIDIA H100 80GB HBM3 (nvidia-smi)');
    expect(memoryBudget(null, { provider: 'webgpu', free: 10e9, gpu }).bytes).toBe(39e9);
    expect(memoryBudget(null, { provider: 'cpu', free: 10e9, gpu })).toEqual({ bytes: 6e9, source: 'free memory', note: null });
    expect(memoryBudget(3, { provider: 'cuda', free: 10e9, gpu })).toEqual({ bytes: 3e9, source: 'set', note: null });
    const blind = memoryBudget(null, { provider: 'cuda', free: 10e9, gpu: () => ({ unreadable: 'nvidia-smi is not available' }) });
    expect(blind).toMatchObject({ bytes: 6e9, source: 'free memory' });
    expect(blind.note).toMatch(/could not be read \(nvidia-smi is not available\): 60% of the machine's free memory/);
    const p = jobPlan(probe, { settings: settings({}), classes: 1000, batchSize: 8, memoryGb: null, previous: null, provider: 'cuda', gpu })!;
    expect(p).toMatchObject({ budgetBytes: 39e9, budgetSource: 'gpu memory', budgetNote: cuda.note });
    expect(planText(p)).toMatch(/^39\.0 GB budget \(50% of the 78\.0 GB free of 80\.0 GB on NVIDIA H100/);
  });

  it('after an out-of-memory exit plans half the batch, keeps that cap on later starts, and gives up at the smallest', () => {
    const first = plan(null)!;
    const oom = (p: RunPlan): RunPlan => ({ ...p, outOfMemory: { count: (p.outOfMemory?.count ?? 0) + 1, atBatch: 3, pending: true } });
    const second = plan(oom(first))!;
    expect(second).toMatchObject({ batch: 4, rowsPerChunk: first.rowsPerChunk, outOfMemory: { count: 1, atBatch: 3, pending: false } });
    // A plain resume (a pause, not a crash) does not grow back.
    expect(plan(second)).toMatchObject({ batch: 4, rowsPerChunk: first.rowsPerChunk });
    const smallest = { ...second, batch: 1, rowsPerChunk: 1 };
    expect(plan(oom(smallest))).toBeNull();
  });

  it('measures a model from its value shapes', async () => {
    const p = await probeMemory(readModel(readFileSync(manyClasses), 'cnn-100.onnx'), { sampleShape: [3, 16, 16] });
    // Conv 4x16x16, ReLU 4x16x16, MaxPool 4x4x4, Flatten 64, Gemm 100 values per sample, 4 bytes each.
    expect(p.activationBytesPerSample).toBe(4 * (1024 + 1024 + 64 + 64 + 100));
    expect(p.weightBytes).toBe(4 * (4 * 3 * 9 + 4 + 100 * 64 + 100));
    expect(p.inputBytesPerSample).toBe(4 * 768);
  });
});
