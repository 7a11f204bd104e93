import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetDetail, ModelDetail, ProjectInfo, RemovalImpact, RunConfig, RunDetail, RunSummary, SavedFile } from '../../src-preload/contract.js';
import { idxFile } from '../engine/data/test-fixtures.js';
import { classifierGraph, encode, model } from '../engine/onnx/fixtures/models.js';
import type { Spawner, WorkerHandle } from '../jobs/protocol.js';
import { samplesDir } from '../paths.js';
import { ProjectStore } from '../store/project-store.js';
import type { SampleResult } from '../store/run-repo.js';
import { exportFileName, exportRun } from './run-export.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

/** Workers that never compute: a started run stays running until asked to stop, then exits at once. */
function idleSpawner(): Spawner {
  return (): WorkerHandle => {
    const exits: ((code: number | null, signal: string | null) => void)[] = [];
    const exit = () => exits.splice(0).forEach((listener) => listener(0, null));
    return {
      send: (message) => {
        if (message.type === 'stop') setTimeout(exit, 0);
      },
      onMessage: () => undefined,
      onExit: (listener) => void exits.push(listener),
      kill: exit,
      pid: undefined,
    };
  };
}

const attack = { attacks: ['fab' as const], norm: 'linf' as const, epsilons: [0.1, 0.2], iterations: null, restarts: 1, targeted: null, seed: 0 };

/** Four samples: broken at 0.05, robust to 0.3, censored, and one misclassified. Accuracy 3/4, robust accuracy at 0.1 2/4. */
function attackRows(): SampleResult[] {
  const row = (position: number, label: number, pred: number, margin: number | null): SampleResult => ({
    position,
    index: position,
    label,
    pred,
    logits: Float32Array.from({ length: 10 }, (_, k) => (k === pred ? 2 : 0)),
    logitMargin: 2,
    featureMarginLinf: null,
    featureMarginL2: null,
    best: {
      found: margin !== null,
      margin,
      attack: margin !== null ? 'fab' : null,
      linf: margin,
      l2: margin,
      l1: margin,
      example: margin !== null ? new Float32Array(28 * 28).fill(0.5) : null,
      logits: margin !== null ? new Float32Array(10) : null,
      featureDistanceLinf: null,
      featureDistanceL2: null,
    },
    outcomes: [{ attack: 'fab', epsilon: 0, found: margin !== null, linf: margin, l2: margin, l1: margin, iterations: 10 }],
  });
  return [row(0, 0, 0, 0.05), row(1, 1, 1, 0.3), row(2, 2, 2, null), row(3, 3, 4, 0.5)];
}

describe('run management in the service', () => {
  let root: string;
  let service: BrinkService;
  let project: string;
  let modelId: string;
  let datasetId: string;
  let events: string[];
  const call = <T>(method: string, args: unknown = {}) => service.call(method, args) as Promise<T>;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-runs-'));
    service = new BrinkService({ host: testHost(root), samplesDir, version: 'test', spawner: idleSpawner() });
    project = (await call<ProjectInfo>('project.create', { name: 'Audit' })).path;
    const modelPath = join(root, 'net.onnx');
    writeFileSync(modelPath, encode(model(classifierGraph())));
    modelId = (await call<ModelDetail>('model.import', { source: { kind: 'paths', paths: [modelPath] } })).id;
    const images = join(root, 'set-images-idx3-ubyte');
    writeFileSync(images, idxFile([6, 28, 28], new Uint8Array(6 * 28 * 28).fill(128)));
    writeFileSync(join(root, 'set-labels-idx1-ubyte'), idxFile([6], Uint8Array.from([0, 1, 2, 3, 4, 5])));
    datasetId = (await call<DatasetDetail>('dataset.import', { source: { kind: 'paths', paths: [images] } })).id;
    events = [];
    for (const name of ['runs.changed', 'models.changed', 'datasets.changed'] as const) service.events.on(name, () => events.push(name));
  });
  afterEach(async () => {
    await service.dispose();
  });

  const config = (overrides: Partial<RunConfig> = {}): RunConfig => ({ modelId, datasetId, subset: { mode: 'all' }, batchSize: 4, device: 'cpu', attack: null, ...overrides });

  /** A finished run written straight into the project, as a worker would have left it. */
  function storedRun(id: string, rows: SampleResult[], overrides: Partial<RunConfig> = {}): string {
    const store = ProjectStore.open(project);
    try {
      store.runs.create({ id, config: config(overrides), sampleCount: rows.length, appVersion: 'test' });
      store.runs.insertBatch(id, rows);
      store.runs.setStatus(id, 'done');
    } finally {
      store.close();
    }
    return id;
  }

  it('runs fewer samples than the batch size in one batch of their own size, not padded to the batch', async () => {
    const started = await call<RunSummary>('run.start', config({ subset: { mode: 'first', count: 2 }, batchSize: 128 }));
    const run = await call<RunDetail>('run.get', { id: started.id });
    expect(run.config.batchSize).toBe(2);
    await call('run.cancel', { id: started.id });
  });

  it('names and annotates a run; a blank name clears it, and the list says so', async () => {
    const id = storedRun('r-00000000000a', attackRows(), { attack });
    const named = await call<RunSummary>('run.update', { id, name: '  FAB sweep  ', notes: 'before retraining' });
    expect(named).toMatchObject({ id, name: 'FAB sweep', notes: 'before retraining' });
    expect(events).toContain('runs.changed');
    expect((await call<RunSummary[]>('run.list'))[0]).toMatchObject({ name: 'FAB sweep', notes: 'before retraining' });
    expect(await call<RunSummary>('run.update', { id, name: '' })).toMatchObject({ name: null, notes: 'before retraining' });
    await expect(call('run.update', { id, name: 'x'.repeat(201) })).rejects.toThrow(/at most 200 characters/);
    await expect(call('run.update', { id: 'r-0123456789ff', name: 'ghost' })).rejects.toThrow(/no run r-0123456789ff/);
  });

  it('lists each run with its attacks, norm, epsilons, accuracy and robust accuracy at its first epsilon, as the run page computes them', async () => {
    const attacked = storedRun('r-00000000000b', attackRows(), { attack });
    storedRun('r-00000000000c', attackRows().map(({ best: _best, outcomes: _outcomes, ...row }) => row));
    const list = await call<RunSummary[]>('run.list');
    const withAttack = list.find((run) => run.id === attacked)!;
    expect(withAttack).toMatchObject({ attack: { attacks: ['fab'], norm: 'linf', epsilons: [0.1, 0.2] }, accuracy: 0.75, robustAccuracy: { epsilon: 0.1, value: 0.5 } });
    const detail = await call<RunDetail>('run.get', { id: attacked });
    expect(detail.robustAccuracy).toEqual({ epsilon: 0.1, value: detail.results!.robustness[0].combined });
    expect(list.find((run) => run.id !== attacked)).toMatchObject({ attack: null, accuracy: 0.75, robustAccuracy: null });
  });

  it('lists the runs a model or dataset would take with it, removes them with it, and tells every view', async () => {
    const a = storedRun('r-00000000000d', attackRows(), { attack });
    const b = storedRun('r-00000000000e', attackRows());
    const impact = await call<RemovalImpact>('model.removalImpact', { id: modelId });
    expect(impact.runs.map((run) => run.id).sort()).toEqual([a, b]);
    expect((await call<RemovalImpact>('dataset.removalImpact', { id: datasetId })).runs).toHaveLength(2);
    await expect(call('model.removalImpact', { id: 'm-0123456789ff' })).rejects.toThrow(/m-0123456789ff/);
    await call('model.remove', { id: modelId });
    expect(events).toEqual(expect.arrayContaining(['models.changed', 'runs.changed']));
    expect(await call<RunSummary[]>('run.list')).toEqual([]);
    await expect(call('run.get', { id: a })).rejects.toThrow(/no run/);
  });

  it('refuses to remove a model or dataset while a run of it is in progress', async () => {
    const run = await call<RunSummary>('run.start', config());
    expect(service.jobs().isActive(run.id)).toBe(true);
    await expect(call('model.remove', { id: modelId })).rejects.toThrow('a run of this model is in progress; pause or cancel it first');
    await expect(call('dataset.remove', { id: datasetId })).rejects.toThrow('a run of this dataset is in progress; pause or cancel it first');
    expect(await call<RunSummary[]>('run.list')).toHaveLength(1);
  });

  it('says since when a run is running, so that its time keeps counting after a resume', async () => {
    const run = await call<RunSummary>('run.start', config());
    const running = (await call<RunSummary[]>('run.list'))[0];
    expect(running.status).toBe('running');
    expect(Date.parse(running.runningSince!)).toBeGreaterThanOrEqual(Date.parse(run.createdAt));
    await call('run.pause', { id: run.id });
    await service.jobs().waitFor(run.id);
    const paused = await call<RunSummary>('run.get', { id: run.id });
    expect(paused).toMatchObject({ status: 'paused', runningSince: null });
    await call('run.resume', { id: run.id });
    const resumed = (await call<RunSummary[]>('run.list'))[0];
    expect(resumed.status).toBe('running');
    expect(Date.parse(resumed.runningSince!)).toBeGreaterThanOrEqual(Date.parse(running.runningSince!));
  });

  it('exports a run through the host with the CLI’s writer, and refuses adversarial examples of a run without a minimal-norm attack', async () => {
    const id = storedRun('r-00000000000f', attackRows(), { attack });
    await call('run.update', { id, name: 'Sweep #1' });
    const saved = await call<SavedFile>('run.export', { id, format: 'csv' });
    expect(saved).toEqual({ kind: 'saved', path: join(root, 'saved', `sweep-1-${id}-results.csv`) });
    const cliCopy = join(root, 'cli.csv');
    const store = ProjectStore.open(project);
    try {
      await exportRun(store, id, cliCopy);
    } finally {
      store.close();
    }
    const csv = readFileSync((saved as { path: string }).path, 'utf8');
    expect(csv).toBe(readFileSync(cliCopy, 'utf8'));
    expect(csv.split('\n')[0]).toMatch(/^index,label,pred,correct,logit_margin,/);

    const json = JSON.parse(readFileSync((await call<{ path: string }>('run.export', { id, format: 'json' })).path, 'utf8'));
    expect(json.run).toMatchObject({ id, name: 'Sweep #1' });
    expect(json.samples).toHaveLength(4);

    const npy = readFileSync((await call<{ path: string }>('run.export', { id, format: 'npy' })).path);
    expect(npy.subarray(1, 6).toString()).toBe('NUMPY');
    expect(npy.toString('latin1', 10, 80)).toContain("'shape': (4, 1, 28, 28)");

    const forward = storedRun('r-000000000010', attackRows().map(({ best: _best, outcomes: _outcomes, ...row }) => row));
    await expect(call('run.export', { id: forward, format: 'npy' })).rejects.toThrow(/ran no minimal-norm attack .*: it stores no adversarial examples to export/);
  });

  it('saves bytes from the page through the host under the name it suggests', async () => {
    const saved = await call<SavedFile>('file.save', { name: 'robust-accuracy.svg', data: Buffer.from('<svg/>').toString('base64') });
    expect(saved).toEqual({ kind: 'saved', path: join(root, 'saved', 'robust-accuracy.svg') });
    expect(readFileSync(join(root, 'saved', 'robust-accuracy.svg'), 'utf8')).toBe('<svg/>');
    await expect(call('file.save', { name: 'chart.png', data: 'not base64!' })).rejects.toThrow(/data must be base64/);
    expect(existsSync(join(root, 'saved', 'chart.png'))).toBe(false);
  });

  it('names export files after the run, or its model and dataset', () => {
    const run = { id: 'r-0123456789ab', name: null, modelName: 'ResNet-18 (robust)', datasetName: 'CIFAR-10 test' };
    expect(exportFileName(run, 'csv')).toBe('resnet-18-robust-on-cifar-10-test-r-0123456789ab-results.csv');
    expect(exportFileName({ ...run, name: 'Étude ε' }, 'npy')).toBe('étude-ε-r-0123456789ab-adversarial.npy');
  });
});
