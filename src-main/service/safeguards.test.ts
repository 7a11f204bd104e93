import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DatasetDetail, DuplicateImport, ImportSource, ModelDetail, PreprocessingProbe, RunConfig, RunDetail, RunSummary, RunWarning } from '../../src-preload/contract.js';
import { withMetadata } from '../engine/onnx/fixtures/metadata.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { samplesDir } from '../paths.js';
import { ProjectStore } from '../store/project-store.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

const paths = (...p: string[]): ImportSource => ({ kind: 'paths', paths: p });
const sample = (name: string) => join(samplesDir, name);
const standard = sample('fmnist-cnn-standard.onnx');
const images = sample('fmnist-test-1000-images-idx3-ubyte.gz');
const labels = sample('fmnist-test-1000-labels-idx1-ubyte.gz');

describe('import, preprocessing and run safeguards (issue 10)', () => {
  let root: string;
  let service: BrinkService;
  const call = <T>(method: string, args: unknown = {}) => service.call(method, args) as Promise<T>;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-safeguards-'));
    service = new BrinkService({ host: testHost(root), samplesDir, version: '0.0.0-test', spawner: nodeSpawner(), intraOpThreads: 1 });
    await call('project.create', { name: 'Safeguards' });
    return () => service.dispose();
  });

  it('offers the model already in the project instead of importing the same file twice, and keeps names unique', async () => {
    const first = await call<ModelDetail>('model.import', { source: paths(standard) });
    const again = await call<DuplicateImport>('model.import', { source: paths(standard) });
    expect(again).toEqual({
      duplicateOf: { kind: 'model', id: first.id, name: 'fmnist-cnn-standard' },
      fileName: 'fmnist-cnn-standard.onnx',
      message: `fmnist-cnn-standard.onnx is already in this project as model “fmnist-cnn-standard” (${first.id}, the same file by SHA-256)`,
    });
    expect(await call<unknown[]>('model.list')).toHaveLength(1);
    const copy = await call<ModelDetail>('model.import', { source: paths(standard), allowDuplicate: true });
    expect(copy.name).toBe('fmnist-cnn-standard (2)');
    // Another file of the same name is no duplicate, but its name is taken.
    const other = join(root, 'fmnist-cnn-standard.onnx');
    copyFileSync(sample('fmnist-cnn-robust.onnx'), other);
    expect((await call<ModelDetail>('model.import', { source: paths(other) })).name).toBe('fmnist-cnn-standard (3)');
    await expect(call('model.update', { id: copy.id, name: 'FMNIST-CNN-standard' })).rejects.toThrow('a model named “FMNIST-CNN-standard” is already in this project; choose another name');
  });

  it('offers the dataset already in the project when the same samples come again, whatever the files are called', async () => {
    const first = await call<DatasetDetail>('dataset.import', { source: paths(images, labels) });
    const renamed = join(root, 'copy-images-idx3-ubyte.gz');
    copyFileSync(images, renamed);
    copyFileSync(labels, join(root, 'copy-labels-idx1-ubyte.gz'));
    const again = await call<DuplicateImport>('dataset.import', { source: paths(renamed) });
    expect(again.duplicateOf).toEqual({ kind: 'dataset', id: first.id, name: first.name });
    expect(again.message).toMatch(/^copy-images-idx3-ubyte\.gz is already in this project as dataset “fmnist-test-1000” \(d-[0-9a-f]+, the same samples and labels by SHA-256\)$/);
    const copy = await call<DatasetDetail>('dataset.import', { source: paths(images, labels), allowDuplicate: true });
    expect(copy.name).toBe('fmnist-test-1000 (2)');
    // Fewer samples are other samples.
    expect(await call<DatasetDetail>('dataset.import', { source: paths(images, labels), limit: 10 })).toMatchObject({ count: 10, name: 'fmnist-test-1000 (3)' });
  });

  it('keeps preprocessing unconfirmed until it is given, and says so before a run', async () => {
    const model = await call<ModelDetail>('model.import', { source: paths(standard) });
    const dataset = await call<DatasetDetail>('dataset.import', { source: paths(images, labels) });
    expect(model.preprocessingConfirmed).toBe(false);
    const config: RunConfig = { modelId: model.id, datasetId: dataset.id, subset: { mode: 'first', count: 4 }, batchSize: 4, device: 'cpu', attack: null };
    const [warning] = await call<RunWarning[]>('run.warnings', config);
    expect(warning).toMatchObject({ kind: 'preprocessing', needsConfirmation: false });
    expect(warning.message).toMatch(/^the model's preprocessing is unconfirmed: Brink assumed inputs in \[0, 1\] with mean 0 and std 1;/);
    // Saving the same values confirms them.
    const confirmed = await call<ModelDetail>('model.update', { id: model.id, preprocessing: model.preprocessing });
    expect(confirmed.preprocessingConfirmed).toBe(true);
    expect(await call<RunWarning[]>('run.warnings', config)).toEqual([]);
  });

  it('refuses an implausible epsilon until forced, and records the preprocessing each run used', async () => {
    const model = await call<ModelDetail>('model.import', { source: paths(standard) });
    const dataset = await call<DatasetDetail>('dataset.import', { source: paths(images, labels) });
    await call('model.update', { id: model.id, preprocessing: { valueRange: [0, 1], mean: [0.286], std: [0.353] } });
    const config: RunConfig = {
      modelId: model.id,
      datasetId: dataset.id,
      subset: { mode: 'first', count: 2 },
      batchSize: 2,
      device: 'cpu',
      attack: { attacks: ['apgd-ce'], norm: 'linf', epsilons: [8], iterations: 2, restarts: 1, targeted: null, seed: 0 },
    };
    const [warning] = await call<RunWarning[]>('run.warnings', config);
    expect(warning).toMatchObject({ kind: 'epsilon', needsConfirmation: true, suggestion: [8 / 255] });
    await expect(call('run.start', config)).rejects.toThrow(/did you mean 8\/255\?$/);
    const run = await call<RunSummary>('run.start', { ...config, force: true });
    expect(run.preprocessing).toEqual({ valueRange: [0, 1], mean: [0.286], std: [0.353], confirmed: true });
    expect(run.preprocessingChanged).toBe(false);
    await service.jobs().waitFor(run.id);

    await call('model.update', { id: model.id, preprocessing: { valueRange: [0, 1], mean: [0.5], std: [0.5] } });
    const [listed] = await call<RunSummary[]>('run.list');
    expect(listed).toMatchObject({ id: run.id, status: 'done', preprocessing: { mean: [0.286] }, preprocessingChanged: true });
    // Back to the run's settings: no longer made with other settings.
    await call('model.update', { id: model.id, preprocessing: { valueRange: [0, 1], mean: [0.286], std: [0.353] } });
    expect((await call<RunSummary>('run.get', { id: run.id })).preprocessingChanged).toBe(false);
  }, 60_000);

  it('runs with the preprocessing it was created with, even when the model changed before the worker started', async () => {
    const model = await call<ModelDetail>('model.import', { source: paths(standard) });
    const dataset = await call<DatasetDetail>('dataset.import', { source: paths(images, labels) });
    await call('model.update', { id: model.id, preprocessing: { valueRange: [0, 1], mean: [0.286], std: [0.353] } });
    // Queued behind the service's back, so that the edit below lands before any worker reads the model.
    const store = ProjectStore.open(join(root, 'Safeguards.brink'));
    const config: RunConfig = { modelId: model.id, datasetId: dataset.id, subset: { mode: 'first', count: 100 }, batchSize: 50, device: 'cpu', attack: null };
    store.runs.create({ id: 'r-00000000', config, sampleCount: 100, appVersion: 'test' });
    store.close();
    await call('model.update', { id: model.id, preprocessing: { valueRange: [0, 255], mean: [0], std: [1] } });
    service.jobs().pump();
    await service.jobs().waitFor('r-00000000');
    const run = await call<RunDetail>('run.get', { id: 'r-00000000' });
    expect(run).toMatchObject({ status: 'done', preprocessing: { mean: [0.286], std: [0.353] }, preprocessingChanged: true });
    expect(run.results!.accuracy).toBeGreaterThan(0.85);
  }, 60_000);

  it('tries the common preprocessing conventions in a worker and proposes the best, here the model metadata’s', async () => {
    const file = join(root, 'standard-with-metadata.onnx');
    writeFileSync(file, withMetadata(new Uint8Array(readFileSync(standard)), { image_mean: '[0.286]', image_std: '[0.353]' }));
    const model = await call<ModelDetail>('model.import', { source: paths(file) });
    const dataset = await call<DatasetDetail>('dataset.import', { source: paths(images, labels) });
    const probe = await call<PreprocessingProbe>('model.probePreprocessing', { id: model.id, datasetId: dataset.id, samples: 200 });
    expect(probe).toMatchObject({ modelId: model.id, datasetId: dataset.id, samples: 200, seed: 0, chance: 0.1 });
    const byId = Object.fromEntries(probe.candidates.map((c) => [c.id, c]));
    expect(Object.keys(byId)).toEqual(['identity', 'symmetric', 'imagenet', 'byte', 'metadata']);
    expect(byId.identity).toMatchObject({ current: true, label: '[0, 1] as is' });
    expect(byId.imagenet).toMatchObject({ accuracy: null, skipped: 'needs 3 channels; the images have 1' });
    expect(byId.metadata).toMatchObject({ source: 'image_mean, image_std', preprocessing: { valueRange: [0, 1], mean: [0.286], std: [0.353] } });
    // The sample CNN scores 91.3% on the 1000 images with its own normalisation and far less without.
    expect(byId.metadata.accuracy).toBeGreaterThan(0.85);
    expect(byId.identity.accuracy).toBeLessThan(byId.metadata.accuracy! - 0.1);
    expect(probe.candidates[probe.proposed!].id).toBe('metadata');
  }, 60_000);

  it('refuses to probe a dataset the model cannot take, before starting a worker', async () => {
    const model = await call<ModelDetail>('model.import', { source: paths(standard) });
    const other = join(root, 'tiny-images-idx3-ubyte');
    writeFileSync(other, Buffer.concat([Buffer.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 4]), Buffer.alloc(16)]));
    writeFileSync(join(root, 'tiny-labels-idx1-ubyte'), Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 0]));
    const dataset = await call<DatasetDetail>('dataset.import', { source: paths(other) });
    await expect(call('model.probePreprocessing', { id: model.id, datasetId: dataset.id })).rejects.toThrow(
      /^cannot test preprocessing on tiny: the model takes 28×28 images but the dataset's are 4×4$/,
    );
  });
});
