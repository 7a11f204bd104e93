import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetDetail, ImportSource, ModelDetail, RunConfig, RunDetail, RunSummary, RunWarning } from '../../src-preload/contract.js';
import { trapModelPath, type TrapModel } from '../engine/onnx/fixtures/traps.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { samplesDir } from '../paths.js';
import { ProjectStore } from '../store/project-store.js';
import { openSqlite } from '../store/sqlite.js';
import { openProjectFile } from './open-project.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

const paths = (...p: string[]): ImportSource => ({ kind: 'paths', paths: p });

// The export traps of issue 10 (tools/models/make_trap_models.py), imported and run as a user
// would: each is read correctly, or refused in one line that says why.
describe('models as exported in the wild', () => {
  let root: string;
  let service: BrinkService;
  let dataset: DatasetDetail;
  const models = new Map<TrapModel, ModelDetail>();
  const call = <T>(method: string, args: unknown = {}) => service.call(method, args) as Promise<T>;
  const model = (name: TrapModel) => models.get(name)!;
  const config = (name: TrapModel, extra: Partial<RunConfig> = {}): RunConfig => ({
    modelId: model(name).id,
    datasetId: dataset.id,
    subset: { mode: 'all' },
    batchSize: 16,
    device: 'cpu',
    attack: null,
    ...extra,
  });
  const audit = async (name: TrapModel, extra: Partial<RunConfig> = {}): Promise<RunDetail> => {
    const run = await call<RunSummary>('run.start', { ...config(name, extra), force: true });
    await service.jobs().waitFor(run.id);
    return call<RunDetail>('run.get', { id: run.id });
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-reading-'));
    service = new BrinkService({ host: testHost(root), samplesDir, version: '0.0.0-test', spawner: nodeSpawner(), intraOpThreads: 1 });
    await call('project.create', { name: 'Traps' });
    dataset = await call<DatasetDetail>('dataset.import', { source: paths(join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz')), limit: 40 });
    for (const name of ['plain', 'softmax', 'round', 'fixed-batch', 'pinned-batch', 'nhwc', 'two-inputs'] as const) {
      models.set(name, await call<ModelDetail>('model.import', { source: paths(trapModelPath(name)) }));
    }
  }, 60_000);

  afterAll(() => service.dispose());

  it('reads each export at import: logits before the Softmax, the NHWC layout, a freed or pinned batch, the image input', () => {
    expect(model('softmax').reading).toMatchObject({ logits: 'before-softmax', softmax: { op: 'Softmax', node: '/Softmax' } });
    expect(model('softmax').analysis?.head).toMatchObject({ classes: 10, features: 12 });
    expect(model('nhwc').reading).toMatchObject({ layout: 'NHWC', detectedLayout: 'NHWC', feedShape: ['batch', 1, 28, 28] });
    expect(model('nhwc').inputShape).toEqual(['batch', 1, 28, 28]);
    expect(model('fixed-batch').reading).toMatchObject({ fileBatch: 1, batchFreed: true, feedShape: ['batch', 1, 28, 28] });
    expect(model('pinned-batch').reading).toMatchObject({ fileBatch: 1, batchFreed: false, feedShape: [1, 1, 28, 28] });
    expect(model('pinned-batch').reading.batchFixedBecause).toMatch(/^it does not run at batch 2 \(/);
    expect(model('two-inputs').reading).toMatchObject({ imageInput: 'image', problem: expect.stringContaining("no value for 'temperature'") });
    expect(model('round').analysis).toMatchObject({ differentiable: true, zeroGradientOps: [{ op: 'Round', nodes: ['/Round'] }] });
  });

  it('runs the Softmax, NHWC and fixed-batch exports with the plain model’s logits and accuracy', async () => {
    const plain = await audit('plain');
    for (const name of ['softmax', 'nhwc', 'fixed-batch', 'pinned-batch'] as const) {
      const run = await audit(name);
      expect(run.error, name).toBeNull();
      expect(run.results!.accuracy, name).toBe(plain.results!.accuracy);
      expect(run.results!.logitMargin.median, name).toBeCloseTo(plain.results!.logitMargin.median, 4);
    }
  }, 120_000);

  it('attacks the model that runs at batch 1 only with FAB, as its dynamic twin', async () => {
    const attack = { attacks: ['fab' as const], norm: 'linf' as const, epsilons: [8 / 255], iterations: 10, restarts: 1, targeted: null, seed: 0 };
    const subset = { mode: 'first' as const, count: 6 };
    const pinned = await audit('pinned-batch', { attack, subset, batchSize: 4 });
    const plain = await audit('plain', { attack, subset, batchSize: 4 });
    expect(pinned.error).toBeNull();
    expect(pinned.results!.inputMargins!.found).toBe(6);
    expect(pinned.results!.inputMargins!.median).toBeCloseTo(plain.results!.inputMargins!.median!, 3);
  }, 60_000);

  it('refuses a run on an input that has no value, in one line, and lets the user choose the image input', async () => {
    const problem = "Brink feeds only the image input 'image', and the file stores no value for 'temperature' ([1]): re-export the model with it fixed as a constant";
    expect(await call<string[]>('run.check', config('two-inputs'))).toEqual([problem]);
    const switched = await call<ModelDetail>('model.update', { id: model('two-inputs').id, reading: { imageInput: 'temperature' } });
    expect(switched.reading).toMatchObject({ imageInput: 'temperature', problem: expect.stringContaining("no value for 'image'") });
    await expect(call('model.update', { id: model('two-inputs').id, reading: { imageInput: 'nope' } })).rejects.toThrow("the model has no input 'nope' to take the images (its inputs: image, temperature)");
    const back = await call<ModelDetail>('model.update', { id: model('two-inputs').id, reading: { imageInput: 'image' } });
    expect(back.reading.problem).toBe(problem);
  });

  it('switches the logits back to the file’s output and warns that margins are then probability differences; runs keep theirs', async () => {
    const id = model('softmax').id;
    const before = await call<RunSummary>('run.start', { ...config('softmax'), subset: { mode: 'first', count: 1 } });
    await service.jobs().waitFor(before.id);
    const output = await call<ModelDetail>('model.update', { id, reading: { logits: 'output' } });
    expect(output.reading.logits).toBe('output');
    expect(output.analysis?.head).toBeNull();
    const warnings = await call<RunWarning[]>('run.warnings', config('softmax'));
    expect(warnings.map((w) => w.kind)).toContain('logits');
    const back = await call<ModelDetail>('model.update', { id, reading: { logits: 'before-softmax' } });
    expect(back.analysis?.head).toMatchObject({ classes: 10 });
    await expect(call('model.update', { id: model('plain').id, reading: { logits: 'before-softmax' } })).rejects.toThrow(/does not end in a Softmax or LogSoftmax/);
    const store = ProjectStore.open(join(root, 'Traps.brink'));
    try {
      expect(store.runs.reading(before.id)).toMatchObject({ logits: 'before-softmax' });
    } finally {
      store.close();
    }
  }, 30_000);

  it('overrides the layout, and refuses a layout whose channels the preprocessing cannot fit', async () => {
    const id = model('nhwc').id;
    const nchw = await call<ModelDetail>('model.update', { id, reading: { layout: 'NCHW' } });
    expect(nchw.reading).toMatchObject({ layout: 'NCHW', detectedLayout: 'NHWC', feedShape: ['batch', 28, 28, 1] });
    expect(await call<string[]>('run.check', config('nhwc'))).toContain('the model takes 28 channel(s) but the dataset has 1 (the model may take NHWC images: set its layout on the model page)');
    await call('model.update', { id, reading: { layout: 'NHWC' } });
    await expect(call('model.update', { id, reading: { layout: 'NCHW' }, preprocessing: { valueRange: [0, 1], mean: [0.5, 0.5, 0.5], std: [1, 1, 1] } })).rejects.toThrow(
      'the model takes 28 channels, but 3 mean/std values were given',
    );
  });

  it('warns before an attack run on a model whose gradient is zero almost everywhere', async () => {
    const attack = { attacks: ['fab' as const], norm: 'linf' as const, epsilons: [], iterations: null, restarts: 1, targeted: null, seed: 0 };
    const warnings = await call<RunWarning[]>('run.warnings', config('round', { attack }));
    expect(warnings.find((w) => w.kind === 'gradients')?.message).toMatch(/^the model is differentiable, but its gradient is zero almost everywhere \(Round/);
    expect((await call<RunWarning[]>('run.warnings', config('round'))).map((w) => w.kind)).not.toContain('gradients');
  });
});

describe('a project from before Brink recorded how it reads models', () => {
  it('gets the detected reading and analysis when it opens', async () => {
    const root = mkdtempSync(join(tmpdir(), 'brink-reading-old-'));
    const path = join(root, 'old.brink');
    const service = new BrinkService({ host: testHost(root), samplesDir, version: '0.0.0-test', spawner: nodeSpawner() });
    await service.call('project.create', { name: 'old' });
    const imported = (await service.call('model.import', { source: paths(trapModelPath('softmax')) })) as ModelDetail;
    await service.dispose();
    const db = openSqlite(path, { mustExist: true });
    db.prepare("UPDATE models SET reading_json = NULL, analysis_json = json_remove(analysis_json, '$.zeroGradientOps')").run();
    db.close();
    const store = ProjectStore.open(path);
    expect(store.models.get(imported.id).reading).toMatchObject({ logits: 'output', softmax: null });
    store.close();
    const reopened = openProjectFile(path);
    try {
      expect(reopened.models.get(imported.id).reading).toMatchObject({ logits: 'before-softmax', softmax: { op: 'Softmax' } });
      expect(reopened.models.get(imported.id).analysis).toMatchObject({ zeroGradientOps: [], head: { classes: 10 } });
    } finally {
      reopened.close();
    }
  });
});
