import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Equidistance } from '../../src-preload/contract.js';
import { samplesDir } from '../paths.js';
import { newId, ProjectStore } from '../store/project-store.js';
import { importDataset } from './dataset-import.js';
import { runDetail } from './run-results.js';

describe("a run's results", () => {
  it('are computed once per state of the run: again when a batch lands, the status or the stored summary changes', async () => {
    const store = ProjectStore.create(join(mkdtempSync(join(tmpdir(), 'brink-run-results-')), 'p.brink'), 'p');
    const dataset = await importDataset(store, join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz'), { limit: 6 });
    const modelId = newId('m');
    store.models.insert({
      id: modelId,
      name: 'net',
      fileName: 'net.onnx',
      sha256: 'cd'.repeat(32),
      info: { irVersion: 8, opsets: [], producer: '', graphName: 'g', inputs: [], outputs: [], opHistogram: {}, nodeCount: 1, parameterCount: 0, initializerBytes: 0, externalData: false },
      preprocessing: { valueRange: [0, 1], mean: [0], std: [1] },
      labels: null,
      analysis: { differentiable: true, unsupported: [], head: null, headReason: 'test', zeroGradientOps: [] },
      bytes: new Uint8Array(3),
    });
    const id = newId('r');
    store.runs.create({ id, config: { modelId, datasetId: dataset.id, subset: { mode: 'all' }, batchSize: 2, device: 'cpu', attack: null }, sampleCount: 6, appVersion: 'test' });
    const row = (position: number, logitMargin: number) => ({ position, index: position, label: 0, pred: 0, logits: new Float32Array(10), logitMargin, featureMarginLinf: null, featureMarginL2: null, outcomes: [] });

    store.runs.insertBatch(id, [row(0, 1), row(1, 3)]);
    const first = runDetail(store, id).results!;
    expect(first).toMatchObject({ evaluated: 2, logitMargin: { median: 2 } });
    expect(runDetail(store, id).results).toBe(first);

    store.runs.insertBatch(id, [row(2, 5), row(3, 7)]);
    const grown = runDetail(store, id).results!;
    expect(grown).toMatchObject({ evaluated: 4, logitMargin: { median: 4 } });

    // The results read the margins without the logits: the same columns, no logits.
    const full = store.runs.marginColumns(id);
    const lean = store.runs.marginColumns(id, { withLogits: false });
    expect(full.classes).toBe(10);
    expect(lean).toEqual({ ...full, classes: 0, logits: new Float32Array(0) });

    store.runs.setStatus(id, 'done');
    expect(runDetail(store, id).results).not.toBe(grown);

    const five = { min: 1, q1: 1, median: 1, q3: 1, max: 1 };
    const equidistance = { linf: five, l2: five, pairs: 45 } as unknown as Equidistance;
    store.runs.setSummary(id, { equidistance });
    expect(runDetail(store, id).results!.equidistance).toEqual(equidistance);
    store.close();
  });
});
