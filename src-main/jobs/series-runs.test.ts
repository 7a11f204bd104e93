import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetSummary, RunSampleRow, SeriesAnalysis, SeriesSummary } from '../../src-preload/contract.js';
import { samplesDir } from '../paths.js';
import { BrinkService } from '../service/service.js';
import { testHost as host } from '../service/test-host.js';
import { nodeSpawner } from './node-spawner.js';

/** Wu & Yu's statistics recomputed from the per-sample rows the run page reads. */
function fromRows(rows: RunSampleRow[], d: (row: RunSampleRow) => number | null) {
  const signed = rows.map((r) => ({ r, d: d(r) })).filter((x) => x.d !== null).map(({ r, d }) => (r.correct ? d! : -d!));
  return { minimum: Math.min(...signed), average: signed.reduce((a, v) => a + Math.abs(v), 0) / signed.length, count: signed.length };
}

describe('checkpoint series on the committed sample checkpoints', () => {
  const services: BrinkService[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) await s.dispose();
  });

  it('imports the checkpoints in epoch order, runs one configuration on each, and gives the minimum and average signed margins', async () => {
    const root = mkdtempSync(join(tmpdir(), 'brink-series-'));
    const service = new BrinkService({ host: host(root), samplesDir, version: 'test', spawner: nodeSpawner(), intraOpThreads: 1 });
    services.push(service);
    await service.invoke('project.openSample', {});
    const [dataset] = (await service.invoke('dataset.list', {})) as DatasetSummary[];
    const series = (await service.invoke('series.add', {
      name: 'FMNIST training',
      source: { kind: 'paths', paths: [join(samplesDir, 'checkpoints')] },
      preprocessing: { valueRange: [0, 1], mean: [0.286], std: [0.353] },
    })) as SeriesSummary;
    expect(series.checkpoints.map((c) => c.name)).toEqual([1, 2, 4, 8].map((e) => `FMNIST training · fmnist-cnn-epoch-${e}`));

    const base = { datasetId: dataset.id, subset: { mode: 'first' as const, count: 8 }, batchSize: 8, device: 'cpu' as const };
    const lipschitz = { norm: 'l2' as const, radius: 5, samples: 4, seed: 1 };
    const queued = await service.invoke('series.run', { id: series.id, ...base, attack: null, lipschitz });
    expect(queued.map((r) => r.modelId)).toEqual(series.checkpoints.map((c) => c.modelId));
    for (const run of queued) await service.jobs().waitFor(run.id);
    // Nothing is missing any more: the same configuration queues nothing.
    expect(await service.invoke('series.run', { id: series.id, ...base, attack: null, lipschitz, onlyMissing: true })).toEqual([]);

    const analysis = (await service.invoke('series.get', { id: series.id })) as SeriesAnalysis;
    expect(analysis.dataset?.id).toBe(dataset.id);
    const edges = analysis.checkpoints[0].histogram.edges;
    for (const checkpoint of analysis.checkpoints) {
      expect(checkpoint).toMatchObject({ marginSource: 'lipschitz', norm: 'l2', evaluated: 8, censored: 0 });
      const { rows } = await service.invoke('run.samples', { id: checkpoint.run!.id, offset: 0, limit: 8 });
      const expected = fromRows(rows, (r) => r.lipschitzMargin);
      expect(checkpoint.minimumMargin).toBeCloseTo(expected.minimum, 12);
      expect(checkpoint.averageMargin).toBeCloseTo(expected.average, 12);
      expect(checkpoint.accuracy).toBe(rows.filter((r) => r.correct).length / 8);
      expect(checkpoint.histogram.edges).toEqual(edges);
      expect(checkpoint.histogram.counts.reduce((a, b) => a + b, 0)).toBe(expected.count);
    }

    // A margin attack takes over from the estimate as d, checkpoint by checkpoint.
    const attacked = await service.invoke('series.run', {
      id: series.id,
      ...base,
      subset: { mode: 'first', count: 4 },
      attack: { attacks: ['deepfool'], norm: 'l2', epsilons: [], iterations: null, restarts: 1, targeted: null, seed: 0 },
      lipschitz,
    });
    for (const run of attacked) await service.jobs().waitFor(run.id);
    const after = (await service.invoke('series.get', { id: series.id, datasetId: dataset.id })) as SeriesAnalysis;
    for (const checkpoint of after.checkpoints) {
      expect(checkpoint).toMatchObject({ marginSource: 'attack', evaluated: 4 });
      const { rows } = await service.invoke('run.samples', { id: checkpoint.run!.id, offset: 0, limit: 4 });
      expect(checkpoint.minimumMargin).toBeCloseTo(fromRows(rows, (r) => r.inputMargin).minimum, 12);
      // Each estimate should lie below its verified attack margin on these samples.
      for (const r of rows) expect(r.lipschitzMargin!).toBeLessThanOrEqual(r.inputMargin!);
    }
  }, 120_000);
});
