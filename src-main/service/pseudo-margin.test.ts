import { mkdtempSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDetail, PseudoMarginProgress, RunSummary } from '../../src-preload/contract.js';
import { kendallTauB } from '../engine/metrics/rank.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { samplesDir } from '../paths.js';
import { ProjectStore } from '../store/project-store.js';
import { pseudoMarginScores } from './pseudo-margin-scores.js';
import { BrinkService } from './service.js';
import { testHost as host } from './test-host.js';

/**
 * The sample project's robust CNN: its logit margin is the less consistent of the two sample
 * CNNs (FAB l_inf on all 1000 samples: tau 0.598 against 0.837 for the standard CNN), the case
 * a pseudo-margin is for. A shorter audit here keeps the test quick.
 */
describe('pseudo-margins learned from an audit of the robust sample CNN', () => {
  let service: BrinkService;
  let runId: string;
  let modelId: string;
  let projectPath: string;

  beforeAll(async () => {
    service = new BrinkService({ host: host(mkdtempSync(join(tmpdir(), 'brink-pm-'))), samplesDir, version: 'test', spawner: nodeSpawner(), intraOpThreads: 1 });
    projectPath = (await service.invoke('project.openSample', {})).path;
    const models = (await service.invoke('model.list', {})) as ModelDetail[];
    modelId = models.find((m) => m.name === 'fmnist-cnn-robust')!.id;
    const [dataset] = await service.invoke('dataset.list', {});
    const run = (await service.invoke('run.start', {
      modelId,
      datasetId: dataset.id,
      subset: { mode: 'random', count: 150, seed: 2 },
      batchSize: 50,
      device: 'cpu',
      attack: { attacks: ['deepfool'], norm: 'linf', epsilons: [0.1], iterations: null, restarts: 1, targeted: null, seed: 0 },
    })) as RunSummary;
    await service.jobs().waitFor(run.id);
    runId = run.id;
  }, 120_000);
  afterAll(() => service.dispose());

  const train = async (args: { input: 'logits' | 'features' | 'both'; epochs: number; seed?: number }) => {
    const events: PseudoMarginProgress[] = [];
    const off = service.events.on('pseudoMargin.progress', (p) => events.push(p));
    const job = await service.invoke('pseudoMargin.train', { runId, ...args });
    const final = await service.pseudoMarginTrainings().waitFor(job.jobId);
    off();
    return { job, final, events };
  };

  it('trains on logits and features, keeps the better held-out tau, and reports both scores beside each other', async () => {
    const { final, events } = await train({ input: 'both', epochs: 30, seed: 4 });
    expect(final.status, final.error ?? '').toBe('done');
    expect(events.some((e) => e.stage === 'training on logits' && e.epoch === 30 && e.loss !== null)).toBe(true);
    expect(events.some((e) => e.stage === 'training on features')).toBe(true);
    const [listed] = await service.invoke('pseudoMargin.list', { modelId });
    expect(listed.id).toBe(final.pseudoMarginId);
    const detail = await service.invoke('pseudoMargin.get', { id: listed.id });
    const v = detail.validation;
    expect(detail.losses).toHaveLength(30);
    expect(detail.settings).toMatchObject({ input: 'both', variant: 'code', seed: 4, epochs: 30, width: 512, learningRate: 1e-4, marginBound: 1 });
    expect(v.samples).toBe(30);
    expect(detail.validationPositions).toHaveLength(30);
    expect(v.positives + v.negatives).toBe(30);
    expect(v.other?.input).toBe(detail.input === 'logits' ? 'features' : 'logits');
    // The kept input is the one with the better held-out tau.
    expect(v.pseudoMargin.kendallTau!).toBeGreaterThanOrEqual(v.other!.kendallTau ?? -Infinity);
    for (const score of [v.pseudoMargin, v.logitMargin]) {
      expect(score.kendallTau).toBeGreaterThan(-1);
      expect(score.kendallTau).toBeLessThan(1);
      expect(score.roc.length).toBeGreaterThan(1);
      if (v.positives > 0 && v.negatives > 0) expect(score.auroc).toBeGreaterThan(0);
    }
    expect(v.better).toBe(v.pseudoMargin.kendallTau! > v.logitMargin.kendallTau!);
    expect(v.verdict.startsWith(v.better ? 'Better than the logit margin' : 'Not better than the logit margin')).toBe(true);

    // Applied to every sample of the run, the stored network gives the held-out tau back.
    const store = ProjectStore.open(projectPath);
    try {
      const scores = await pseudoMarginScores(store, { spawn: nodeSpawner(), intraOpThreads: 1 }, runId, listed.id);
      expect(scores.positions).toHaveLength(150);
      const columns = store.runs.marginColumns(runId);
      const held = detail.validationPositions.map((p) => columns.positions.indexOf(p));
      const tau = kendallTauB(Float64Array.from(held, (k) => columns.inputMargin[k]), Float64Array.from(held, (k) => scores.margin[k]));
      expect(tau).toBeCloseTo(v.pseudoMargin.kendallTau!, 10);
      expect(kendallTauB(Float64Array.from(held, (k) => columns.inputMargin[k]), Float64Array.from(held, (k) => columns.logitMargin[k]))).toBeCloseTo(v.logitMargin.kendallTau!, 10);
    } finally {
      store.close();
    }
  }, 180_000);

  it('screens new inputs with a pseudo-margin, calibrated on its held-out samples, and exports a screener that flags them alike in onnxruntime-web', async () => {
    const { final } = await train({ input: 'features', epochs: 20, seed: 1 });
    expect(final.status, final.error ?? '').toBe('done');
    const id = final.pseudoMarginId!;
    const [dataset] = await service.invoke('dataset.list', {});
    const score = { kind: 'pseudo-margin' as const, id };
    const screened = await service.invoke('screen.run', {
      modelId,
      inputs: { kind: 'dataset', datasetId: dataset.id },
      score,
      threshold: { kind: 'calibrated', runId, epsilon: 0.1, tprTarget: 0.9 },
    });
    // Calibrated on the 30 held-out samples of the run it learned from, never on its training samples.
    expect(screened.calibration).toMatchObject({ runId, samples: 30, epsilon: 0.1, tprTarget: 0.9 });
    const store = ProjectStore.open(projectPath);
    let scores: Awaited<ReturnType<typeof pseudoMarginScores>>;
    try {
      scores = await pseudoMarginScores(store, { spawn: nodeSpawner(), intraOpThreads: 1 }, runId, id);
    } finally {
      store.close();
    }
    const { rows } = await service.invoke('run.samples', { id: runId, offset: 0, limit: 1000 });
    for (const row of rows) {
      const k = scores.positions.indexOf(row.position);
      expect(screened.inputs[row.index].score).toBeCloseTo(scores.margin[k], 5);
    }
    expect(screened.inputs.every((input) => input.brittle === input.score <= screened.threshold)).toBe(true);

    const exported = await service.invoke('screener.export', {
      modelId,
      score: { kind: 'pseudo-margin', id },
      threshold: { kind: 'calibrated', runId, epsilon: 0.1, tprTarget: 0.9 },
    });
    expect(exported.threshold).toBe(screened.threshold);
    expect(exported.metadata.find((m) => m.key === 'brink.pseudo_margin')?.value).toBe(id);
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync((exported.file as { path: string }).path)));
    try {
      const block = (() => {
        const s = ProjectStore.open(projectPath);
        try {
          return s.datasets.read(dataset.id, 0, 64);
        } finally {
          s.close();
        }
      })();
      const x = Float32Array.from(block.data, (v) => v / 255);
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [64, 1, 28, 28]) });
      const web = out.score.data as Float64Array;
      const flags = out.brittle.data as Uint8Array;
      let disagreements = 0;
      for (let k = 0; k < 64; k++) {
        expect(web[k]).toBeCloseTo(screened.inputs[k].score, 4);
        if (Boolean(flags[k]) !== screened.inputs[k].brittle) disagreements++;
      }
      // Another runtime rounds its kernels otherwise: an input within a rounding of the threshold may fall either way.
      expect(disagreements).toBeLessThanOrEqual(1);
    } finally {
      await session.release();
    }
  }, 240_000);

  it('stores nothing when cancelled, and removes a stored one', async () => {
    const before = await service.invoke('pseudoMargin.list', { modelId });
    const job = await service.invoke('pseudoMargin.train', { runId, input: 'logits', epochs: 100_000 });
    const ended = service.pseudoMarginTrainings().waitFor(job.jobId);
    await new Promise<void>((resolve) => {
      const off = service.events.on('pseudoMargin.progress', (p) => p.epoch >= 2 && (off(), resolve()));
    });
    await service.invoke('pseudoMargin.cancel', { jobId: job.jobId });
    expect((await ended).status).toBe('cancelled');
    expect(await service.invoke('pseudoMargin.list', { modelId })).toHaveLength(before.length);
    await service.invoke('pseudoMargin.remove', { id: before[0].id });
    expect(await service.invoke('pseudoMargin.list', { modelId })).toHaveLength(before.length - 1);
  }, 120_000);

  it('refuses a run without input margins before starting a process', async () => {
    const [dataset] = await service.invoke('dataset.list', {});
    const forward = (await service.invoke('run.start', { modelId, datasetId: dataset.id, subset: { mode: 'first', count: 10 }, batchSize: 10, device: 'cpu', attack: null })) as RunSummary;
    await service.jobs().waitFor(forward.id);
    await expect(service.invoke('pseudoMargin.train', { runId: forward.id })).rejects.toThrow(/no minimal-norm attack/);
  }, 60_000);
});
