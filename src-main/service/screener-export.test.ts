import { mkdtempSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDetail, RunConfig, RunSampleRow, RunSummary, ScreenerExport } from '../../src-preload/contract.js';
import { argmax } from '../engine/margins/margins.js';
import { readMetadataProps } from '../engine/onnx/metadata.js';
import { trapModelPath } from '../engine/onnx/fixtures/traps.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { samplesDir } from '../paths.js';
import { ProjectStore } from '../store/project-store.js';
import { SampleStream } from '../worker/sample-stream.js';
import { buildSampleProject } from './sample-project.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

// The exported screener, run by another ONNX runtime than Brink's (onnxruntime-web's WebAssembly
// build), flags the samples Brink flags: the forward margins the worker stored for the run,
// compared with the threshold as the analysis compares them (margin <= threshold).
ort.env.wasm.numThreads = 1;

const SAMPLES = 200;

interface WebOutputs {
  logits: Float32Array;
  score: Float64Array;
  brittle: Uint8Array;
}

/** The screener file in onnxruntime-web, `batch` samples per call (1 for a model that fixes its batch at 1). */
async function runWeb(path: string, x: Float32Array, n: number, batch: number): Promise<WebOutputs> {
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(path)));
  const per = x.length / n;
  const parts: WebOutputs[] = [];
  try {
    expect(session.outputNames).toEqual(['logits', 'score', 'brittle']);
    for (let start = 0; start < n; start += batch) {
      const rows = Math.min(batch, n - start);
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.slice(start * per, (start + rows) * per), [rows, 1, 28, 28]) });
      parts.push({ logits: out.logits.data as Float32Array, score: out.score.data as Float64Array, brittle: out.brittle.data as Uint8Array });
    }
  } finally {
    await session.release();
  }
  const join = <T extends Float32Array | Float64Array | Uint8Array>(make: (n: number) => T, key: keyof WebOutputs): T => {
    const all = make(parts.reduce((sum, p) => sum + p[key].length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p[key] as never, at);
      at += p[key].length;
    }
    return all;
  };
  return { logits: join((k) => new Float32Array(k), 'logits'), score: join((k) => new Float64Array(k), 'score'), brittle: join((k) => new Uint8Array(k), 'brittle') };
}

/**
 * Compares the screener's outputs with Brink's rows. onnxruntime-web's kernels round otherwise
 * than onnxruntime-node's in the last float32 bits, so a sample whose margin lies within that
 * rounding of the threshold may fall either way; every other flag must be Brink's. Returns the
 * number of samples that close to the threshold.
 */
function expectBrinkFlags(web: WebOutputs, rows: RunSampleRow[], threshold: number): number {
  const classes = web.logits.length / rows.length;
  let nearThreshold = 0;
  rows.forEach((row, k) => {
    const scale = Math.max(1, ...Array.from(web.logits.subarray(k * classes, (k + 1) * classes), Math.abs));
    const tolerance = 1e-5 * scale;
    expect(Math.abs(web.score[k] - row.logitMargin), `sample ${row.index}`).toBeLessThanOrEqual(tolerance);
    if (row.logitMargin > tolerance) expect(argmax(web.logits, k * classes, classes), `sample ${row.index}`).toBe(row.pred);
    expect(web.brittle[k] === 1, `sample ${row.index}`).toBe(web.score[k] <= threshold);
    if (Math.abs(row.logitMargin - threshold) <= tolerance) nearThreshold++;
    else expect(web.brittle[k] === 1, `sample ${row.index}: margin ${row.logitMargin}, threshold ${threshold}`).toBe(row.logitMargin <= threshold);
  });
  return nearThreshold;
}

describe('the exported screener in onnxruntime-web', () => {
  let root: string;
  let service: BrinkService;
  let store: ProjectStore;
  let datasetId: string;
  let x: Float32Array;
  const models = new Map<string, ModelDetail>();
  const call = <T>(method: string, args: unknown = {}) => service.call(method, args) as Promise<T>;

  async function audit(model: string, attack: RunConfig['attack'], count = SAMPLES): Promise<{ run: RunSummary; rows: RunSampleRow[] }> {
    const config: RunConfig = { modelId: models.get(model)!.id, datasetId, subset: { mode: 'first', count }, batchSize: 50, device: 'cpu', attack };
    const run = await call<RunSummary>('run.start', { ...config, force: true });
    await service.jobs().waitFor(run.id);
    const { rows } = await call<{ rows: RunSampleRow[] }>('run.samples', { id: run.id, offset: 0, limit: 1000, sort: 'index' });
    expect(rows).toHaveLength(count);
    return { run: await call<RunSummary>('run.get', { id: run.id }), rows };
  }

  const exportScreener = (model: string, threshold: unknown) =>
    call<ScreenerExport>('screener.export', { modelId: models.get(model)!.id, score: { kind: 'logit-margin' }, threshold });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-screener-'));
    const path = join(root, 'sample.brink');
    await buildSampleProject(samplesDir, path);
    service = new BrinkService({ host: testHost(root), samplesDir, version: '0.0.0-test', spawner: nodeSpawner(), intraOpThreads: 1 });
    await service.openProject(path);
    for (const m of await call<ModelDetail[]>('model.list')) models.set(m.name, await call<ModelDetail>('model.get', { id: m.id }));
    for (const trap of ['softmax', 'pinned-batch', 'fixed-batch'] as const) {
      models.set(trap, await call<ModelDetail>('model.import', { source: { kind: 'paths', paths: [trapModelPath(trap)] } }));
    }
    store = ProjectStore.open(path);
    datasetId = store.datasets.list()[0].id;
    x = Float32Array.from(new SampleStream(store.datasets, datasetId, [1, 28, 28]).take(Int32Array.from({ length: SAMPLES }, (_, k) => k)).x);
  }, 120_000);

  afterAll(async () => {
    store?.close();
    await service?.dispose();
  });

  it.each([
    ['fmnist-cnn-standard', 64],
    ['fmnist-cnn-robust', 64],
    ['softmax', 64],
    ['fixed-batch', 64],
    ['pinned-batch', 1],
  ])('%s: the same logits, margins and flags as Brink’s forward run, at a typed threshold', async (model, batch) => {
    const detail = models.get(model)!;
    if (model.startsWith('fmnist')) expect(detail.preprocessing.std).toEqual([0.353]);
    if (model === 'softmax') expect(detail.reading.logits).toBe('before-softmax');
    if (model === 'pinned-batch') expect(detail.reading.feedShape).toEqual([1, 1, 28, 28]);
    const { rows } = await audit(model, null);
    const margins = rows.map((r) => r.logitMargin).sort((a, b) => a - b);
    const threshold = (margins[SAMPLES / 2 - 1] + margins[SAMPLES / 2]) / 2;
    const exported = await exportScreener(model, { kind: 'value', value: threshold });
    expect(exported.file).toEqual({ kind: 'saved', path: join(root, 'saved', exported.fileName) });
    const bytes = readFileSync(join(root, 'saved', exported.fileName));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(exported.sha256);
    const web = await runWeb(join(root, 'saved', exported.fileName), x, SAMPLES, batch);
    expect(expectBrinkFlags(web, rows, threshold)).toBe(0);
    expect(web.brittle.reduce((a, b) => a + b, 0)).toBe(SAMPLES / 2);
  }, 60_000);

  it('calibrated on an attack run: the analysis’ operating point, its flags, and the metadata that says where it came from', async () => {
    const attack = { attacks: ['deepfool' as const], norm: 'l2' as const, epsilons: [0.5], iterations: null, restarts: 1, targeted: null, seed: 0 };
    const { run, rows } = await audit('fmnist-cnn-standard', attack, 100);
    const analysis = await call<{ screening: { threshold: number; tpr: number; fpr: number; epsilon: number } }>('run.analysis', { id: run.id });
    const exported = await exportScreener('fmnist-cnn-standard', { kind: 'calibrated', runId: run.id });
    expect(exported.calibration).toMatchObject({ ...analysis.screening, runId: run.id, norm: 'l2', samples: 100, tprTarget: 0.95 });
    expect(exported.threshold).toBe(analysis.screening.threshold);

    const path = join(root, 'saved', exported.fileName);
    const props = Object.fromEntries(readMetadataProps(new Uint8Array(readFileSync(path))).map((p) => [p.key, p.value]));
    const model = models.get('fmnist-cnn-standard')!;
    expect(props).toMatchObject({
      'brink.kind': 'screener',
      'brink.source_model_sha256': model.sha256,
      'brink.score': 'logit-margin',
      'brink.threshold_source': 'calibrated',
      'brink.calibration_run': run.id,
      'brink.norm': 'l2',
      'brink.epsilon': '0.5',
      'brink.tpr_target': '0.95',
      'brink.version': '0.0.0-test',
    });
    expect(Number(props['brink.threshold'])).toBe(exported.threshold);
    expect(Number(props['brink.tpr'])).toBe(analysis.screening.tpr);
    expect(Number(props['brink.fpr'])).toBe(analysis.screening.fpr);
    expect(Date.parse(props['brink.created'])).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.parse(props['brink.labels'])).toEqual(model.labels);

    // The threshold is one sample's margin: that sample may fall either way in another runtime.
    const web = await runWeb(path, x.subarray(0, 100 * 784), 100, 50);
    expect(expectBrinkFlags(web, rows, exported.threshold)).toBeLessThanOrEqual(1);

    const other = await exportScreener('fmnist-cnn-standard', { kind: 'calibrated', runId: run.id, epsilon: 1, tprTarget: 0.9 });
    const atOne = await call<{ screening: { threshold: number } }>('run.analysis', { id: run.id, epsilons: [1], tprTarget: 0.9 });
    expect(other.calibration).toMatchObject({ epsilon: 1, tprTarget: 0.9, threshold: atOne.screening.threshold });

    await expect(exportScreener('fmnist-cnn-robust', { kind: 'calibrated', runId: run.id })).rejects.toThrow(/audited fmnist-cnn-standard, not this model/);
  }, 120_000);

  it('refuses a forward run as calibration, and a pseudo-margin the project does not hold', async () => {
    const { run } = await audit('fmnist-cnn-robust', null, 10);
    await expect(exportScreener('fmnist-cnn-robust', { kind: 'calibrated', runId: run.id })).rejects.toThrow(/ran no attack/);
    await expect(
      call('screener.export', { modelId: models.get('fmnist-cnn-robust')!.id, score: { kind: 'pseudo-margin', id: 'p-0123456789ab' }, threshold: { kind: 'value', value: 1 } }),
    ).rejects.toThrow(/no pseudo-margin p-0123456789ab/);
  }, 60_000);
});
