import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditGroupStart, Leaderboard, ModelDetail, RunAnalysis, RunFamilies, RunSampleRow, RunSummary } from '../../src-preload/contract.js';
import { samplesDir } from '../paths.js';
import { leaderboard, LeaderboardFigures } from '../service/leaderboard.js';
import { runAnalysis } from '../service/run-analysis.js';
import { runFamilies } from '../service/run-families.js';
import { BrinkService } from '../service/service.js';
import { ProjectStore } from '../store/project-store.js';
import { testHost as host } from '../service/test-host.js';
import { nodeSpawner } from './node-spawner.js';

// Both sample models audited as two groups on one random subset: an l_inf FAB group and a
// perturbation-family group. Kept small (16 samples, 20 FAB iterations) so that it runs in seconds.
describe('audit groups and the leaderboard on the two sample models', () => {
  let service: BrinkService;
  let models: ModelDetail[];
  let datasetId: string;
  let attackGroup: AuditGroupStart;
  let familyGroup: AuditGroupStart;
  const subset = { mode: 'random', count: 16, seed: 11 } as const;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'brink-leaderboard-'));
    service = new BrinkService({ host: host(root), samplesDir, version: 'test', spawner: nodeSpawner(), intraOpThreads: 1 });
    await service.call('project.openSample', {});
    models = await service.invoke('model.list', {}) as ModelDetail[];
    datasetId = (await service.invoke('dataset.list', {}))[0].id;
    const shared = { datasetId, subset, batchSize: 8, device: 'cpu' as const, modelIds: models.map((m) => m.id) };
    attackGroup = await service.invoke('run.startMany', {
      ...shared,
      attack: { attacks: ['fab'], norm: 'linf', epsilons: [0.1], iterations: 20, restarts: 1, targeted: null, seed: 2 },
    });
    familyGroup = await service.invoke('run.startMany', { ...shared, attack: null, perturbations: { families: ['brightness', 'rotation'], seed: 3 } });
    for (const run of [...attackGroup.runs, ...familyGroup.runs]) await service.jobs().waitFor(run.id);
  }, 300_000);

  afterAll(async () => {
    await service.dispose();
  });

  const rows = async (id: string) => (await service.invoke('run.samples', { id, offset: 0, limit: 1000 })).rows as RunSampleRow[];

  it('queues one run per model under one group, on the same samples in the same order', async () => {
    expect(attackGroup.runs.map((r) => r.modelId)).toEqual(models.map((m) => m.id));
    expect(attackGroup.group).not.toBe(familyGroup.group);
    const listed = await service.invoke('run.list', {});
    for (const group of [attackGroup, familyGroup]) {
      for (const run of group.runs) expect(listed.find((r) => r.id === run.id)).toMatchObject({ auditGroup: group.group, status: 'done', sampleCount: 16 });
    }
    const [a, b] = await Promise.all(attackGroup.runs.map((r) => rows(r.id)));
    expect(a.map((r) => r.index)).toEqual(b.map((r) => r.index));
    expect(a.map((r) => r.label)).toEqual(b.map((r) => r.label));
    expect(new Set(a.map((r) => r.index)).size).toBe(16);
  });

  it('joins an earlier group only on the same samples, and refuses a model listed twice', async () => {
    const shared = { datasetId, batchSize: 8, device: 'cpu' as const, attack: null, perturbations: { families: ['brightness' as const], seed: 3 } };
    await expect(service.invoke('run.startMany', { ...shared, subset: { mode: 'first', count: 16 }, modelIds: [models[0].id], group: attackGroup.group })).rejects.toThrow(
      /evaluates other samples/,
    );
    await expect(service.invoke('run.startMany', { ...shared, subset, modelIds: [models[0].id], group: 'g-0123456789ab' })).rejects.toThrow(/no audit group g-0123456789ab/);
    await expect(service.invoke('run.startMany', { ...shared, subset, modelIds: [models[0].id, models[0].id] })).rejects.toThrow(/listed twice/);
    expect((await service.invoke('run.list', {})).length).toBe(4);
  });

  it('puts each model in one row whose every number is what run.analysis and run.families say', async () => {
    const board: Leaderboard = await service.invoke('leaderboard.get', {});
    expect(board.comparisons).toEqual([{ key: `${datasetId}/random/16/11`, datasetId, datasetName: expect.any(String), subset, models: 2 }]);
    expect(board.families.map((f) => f.family)).toEqual(['linf', 'brightness', 'rotation']);
    expect(board.rows.map((r) => r.modelName).sort()).toEqual(models.map((m) => m.name).sort());
    expect(board.unfinished).toBe(0);
    for (const row of board.rows) {
      const model = models.find((m) => m.id === row.modelId)!;
      const detail = await service.invoke('model.get', { id: model.id });
      const attackRun = attackGroup.runs.find((r) => r.modelId === row.modelId)!;
      const familyRun = familyGroup.runs.find((r) => r.modelId === row.modelId)!;
      const analysis: RunAnalysis = await service.invoke('run.analysis', { id: attackRun.id });
      const families = (await service.invoke('run.families', { id: familyRun.id })) as RunFamilies;
      const detection = analysis.detection.find((d) => d.epsilon === 0.1)!;
      const robust = analysis.robustAccuracy.find((p) => p.epsilon === 0.1)!;

      expect(row.modelSha256).toBe(detail.sha256);
      expect(row.architecture).toEqual({ parameters: detail.parameterCount, nodes: detail.nodeCount, opTypes: Object.keys(detail.opHistogram).length, opset: expect.any(Number), inputSize: [1, 28, 28] });
      expect(row.samples).toBe(16);
      expect(row.cleanAccuracy).toBe(analysis.accuracy);
      expect(row.cleanAccuracy).toBe(families.cleanAccuracy);
      expect(row.attack).toEqual({
        runId: attackRun.id,
        norm: 'linf',
        epsilon: 0.1,
        robustAccuracy: robust.combined,
        robustAccuracySource: 'all attacks',
        kendallTau: analysis.consistency!.kendallTau,
        auroc: detection.auroc,
        fprAt95Tpr: detection.fprAt95Tpr,
        verifiedShare: analysis.found / 16,
        censoredShare: analysis.censored / 16,
      });
      const linf = row.margins.find((m) => m.family === 'linf')!;
      expect(linf).toMatchObject({ runId: attackRun.id, median: analysis.medianInputMargin, found: analysis.found, censored: analysis.censored, kendallTau: analysis.consistency!.kendallTau });
      expect(linf.median).not.toBeNull();
      for (const name of ['brightness', 'rotation'] as const) {
        const f = families.families.find((x) => x.family === name)!;
        expect(row.margins.find((m) => m.family === name)).toEqual({
          family: name,
          title: f.title,
          unit: f.parameter,
          runId: familyRun.id,
          median: f.medianStrength,
          medianParameter: f.medianParameter,
          samples: 16,
          found: f.found,
          censored: f.censored,
          kendallTau: f.kendallTau,
          threshold: f.detection.threshold,
          auroc: f.detection.auroc,
          fprAt95Tpr: f.detection.fprAt95Tpr,
        });
      }
      expect(row.meanCorruptionAccuracy).toEqual({ value: families.meanCorruptionAccuracy, corruptions: 1, runId: familyRun.id });
      expect(row.runs.map((r) => [r.id, r.norm, r.families, r.auditGroup])).toEqual([
        [attackRun.id, 'linf', [], attackGroup.group],
        [familyRun.id, null, ['brightness', 'rotation'], familyGroup.group],
      ]);
      const summaries = (await service.invoke('run.list', {})).filter((r) => r.id === attackRun.id || r.id === familyRun.id);
      expect(row.runTimeMs).toBe(summaries.reduce((s, r) => s + r.activeMs, 0));
    }
    // Each finished run is analysed once, however often the leaderboard is read.
    const store = ProjectStore.open((await service.invoke('project.current', {}))!.path);
    let analysed = 0;
    const figures = new LeaderboardFigures({
      analysis: (id) => (analysed++, runAnalysis(store, id)),
      families: (id) => (analysed++, runFamilies(store, id)),
    });
    expect(leaderboard(store, figures)).toEqual(board);
    expect(analysed).toBe(4);
    expect(leaderboard(store, figures)).toEqual(board);
    expect(analysed).toBe(4);
    store.close();
    // The adversarially trained sample model is the more robust one at the audit epsilon.
    const byName = Object.fromEntries(board.rows.map((r) => [r.modelName, r]));
    expect(byName['fmnist-cnn-robust'].attack!.robustAccuracy!).toBeGreaterThan(byName['fmnist-cnn-standard'].attack!.robustAccuracy!);
  });

  it('merges only finished runs: a newer run of the same norm replaces the older one when it is done', async () => {
    const started: RunSummary = await service.invoke('run.start', {
      modelId: models[0].id,
      datasetId,
      subset,
      batchSize: 8,
      device: 'cpu',
      attack: { attacks: ['fab'], norm: 'linf', epsilons: [0.05], iterations: 20, restarts: 1, targeted: null, seed: 2 },
    });
    await service.jobs().waitFor(started.id);
    const row = (await service.invoke('leaderboard.get', {})).rows.find((r) => r.modelId === models[0].id)!;
    expect(row.attack).toMatchObject({ runId: started.id, epsilon: 0.05 });
    expect(row.runs.map((r) => r.id)).toContain(familyGroup.runs.find((r) => r.modelId === models[0].id)!.id);
    await service.invoke('run.remove', { id: started.id });
  }, 120_000);

  it('marks a row whose runs were made with other model settings than the model has now', async () => {
    const changed = models[1];
    const detail = await service.invoke('model.get', { id: changed.id });
    await service.invoke('model.update', { id: changed.id, preprocessing: { ...detail.preprocessing, std: detail.preprocessing.std.map((s) => s * 2) } });
    const rows = (await service.invoke('leaderboard.get', {})).rows;
    expect(rows.find((r) => r.modelId === changed.id)!.settingsChanged).toBe(true);
    expect(rows.find((r) => r.modelId === models[0].id)!.settingsChanged).toBe(false);
  });
});
