import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelDetail, ProjectInfo, RunConfig, RunDetail, RunFamilies, RunSummary } from '../../src-preload/contract.js';
import { argmax } from '../engine/margins/margins.js';
import { readModel, writeModel } from '../engine/onnx/codec.js';
import { foldPreprocessing } from '../engine/onnx/surgery.js';
import { FAMILY_TABLE } from '../engine/perturb/families.js';
import { noiseField } from '../engine/perturb/noise.js';
import { BatchRunner, createSession } from '../engine/runtime/index.js';
import { samplesDir } from '../paths.js';
import { BrinkService } from '../service/service.js';
import { testHost as host } from '../service/test-host.js';
import { exportRun } from '../service/run-export.js';
import { ProjectStore } from '../store/project-store.js';
import { nodeSpawner } from './node-spawner.js';

describe('perturbation family runs', () => {
  const services: BrinkService[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) await s.dispose();
  });

  it('gives every sample a margin per family that a fresh forward pass confirms, and the corruption table', async () => {
    const root = mkdtempSync(join(tmpdir(), 'brink-families-'));
    const service = new BrinkService({ host: host(root), samplesDir, version: 'test', spawner: nodeSpawner(), intraOpThreads: 1 });
    services.push(service);
    await service.call('project.openSample', {});
    const models = (await service.call('model.list', {})) as ModelDetail[];
    const [dataset] = (await service.call('dataset.list', {})) as { id: string }[];
    const families = ['brightness', 'jpeg', 'rotation'] as const;
    const config: RunConfig = {
      modelId: models.find((m) => m.name === 'fmnist-cnn-standard')!.id,
      datasetId: dataset.id,
      subset: { mode: 'first', count: 24 },
      batchSize: 12,
      device: 'cpu',
      attack: null,
      perturbations: { families: [...families], seed: 4 },
    };
    const started = (await service.call('run.start', config)) as RunSummary;
    await service.jobs().waitFor(started.id);
    const run = (await service.call('run.get', { id: started.id })) as RunDetail;
    expect(run.status).toBe('done');

    const store = ProjectStore.open(((await service.call('project.current', {})) as ProjectInfo).path);
    const stored = store.runs.familyMargins(run.id);
    const columns = store.runs.marginColumns(run.id);
    const images = store.datasets.read(dataset.id, 0, 24).data;
    const csv = join(root, 'families.csv');
    await exportRun(store, run.id, csv, 'csv');
    store.close();
    const [header, first] = readFileSync(csv, 'utf8').split('\n');
    expect(header).toContain('logit_margin,feature_margin_linf,feature_margin_l2,margin_brightness,found_brightness,margin_jpeg,found_jpeg,margin_rotation,found_rotation,logit_0');
    const cells = Object.fromEntries(header.split(',').map((h, i) => [h, first.split(',')[i]]));
    const brightness0 = stored.get('brightness')![0];
    expect(cells['margin_brightness']).toBe(brightness0.strength === null ? '' : String(brightness0.strength));
    expect(cells['found_brightness']).toBe(String(brightness0.strength !== null));
    const standard = readModel(new Uint8Array(readFileSync(join(samplesDir, 'fmnist-cnn-standard.onnx'))), 'standard.onnx');
    const session = await createSession(writeModel(foldPreprocessing(standard, { mean: [0.286], std: [0.353] })), { device: 'cpu' });
    const runner = new BatchRunner(session.session, { batchSize: 1 });
    const shape = { channels: 1, height: 28, width: 28 };
    for (const family of families) {
      const rows = stored.get(family)!;
      expect(rows.map((r) => r.position)).toEqual([...Array(24).keys()]);
      for (const row of rows) {
        const pred = columns.preds[row.position];
        if (row.strength === null) continue;
        expect(row.strength).toBeGreaterThan(0);
        expect(row.below).toBeLessThan(row.strength);
        const clean = Float32Array.from(images.subarray(row.position * 784, (row.position + 1) * 784), (v) => v / 255);
        const image = await FAMILY_TABLE[family].render(clean, shape, row.strength, row.direction!, noiseField(4, row.position, 784));
        const logits = (await runner.run({ input: { data: image, shape: [1, 1, 28, 28] } }))['logits'].data;
        expect(argmax(logits), `${family} at ${row.strength} changes sample ${row.position}`).not.toBe(pred);
        expect(argmax(logits)).toBe(row.prediction);
      }
      expect(rows.every((r) => (family === 'rotation') === (r.severityPredictions === null))).toBe(true);
    }
    await session.session.release();

    const analysis = (await service.call('run.families', { id: run.id })) as RunFamilies;
    expect(analysis.severityTable).toBe('CIFAR-10-C');
    expect(analysis.labeled).toBe(true);
    expect(analysis.families.map((f) => f.family)).toEqual([...families]);
    for (const f of analysis.families) {
      expect(f.found + f.censored).toBe(24);
      expect(f.curve[0].robustAccuracy).toBeCloseTo(analysis.cleanAccuracy!, 12);
      expect(f.curve.every((p, i) => i === 0 || p.robustAccuracy <= f.curve[i - 1].robustAccuracy)).toBe(true);
    }
    const jpeg = analysis.families.find((f) => f.family === 'jpeg')!;
    expect(jpeg.severities!.map((s) => s.parameter)).toEqual([80, 65, 58, 50, 40]);
    expect(analysis.meanCorruptionAccuracy).toBeCloseTo(
      analysis.families.flatMap((f) => f.severities ?? []).reduce((s, v) => s + v.accuracy, 0) / 10,
      12,
    );
    expect(await service.call('run.families', { id: (await service.call('run.start', { ...config, perturbations: null }) as RunSummary).id })).toBeNull();
  }, 180_000);
});
