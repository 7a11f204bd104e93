import type Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProjectInfo } from '../../src-preload/contract.js';
import { mulberry32 } from '../engine/random.js';
import { messageOf } from '../errors.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { samplesDir } from '../paths.js';
import { newId, ProjectStore } from '../store/project-store.js';
import { importDataset } from './dataset-import.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

const sampleImages = join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz');

/** SQLite's page limit on the store's own connection: the file cannot grow, as on a full disk. */
function fillDisk(store: ProjectStore): void {
  const db = (store as unknown as { db: Database.Database }).db;
  // No free pages left inside the file either.
  db.exec('VACUUM');
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
}

function rowsOf(store: ProjectStore) {
  return { datasets: store.datasets.list(), info: store.info() };
}

describe('a full disk', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'brink-full-'));
  });

  it('fails an import with "the disk is full" and keeps everything imported before', async () => {
    const store = ProjectStore.create(join(root, 'p.brink'), 'p');
    const first = await importDataset(store, sampleImages, { limit: 50 });
    const before = rowsOf(store);
    fillDisk(store);
    const failure = await importDataset(store, sampleImages, { allowDuplicate: true }).catch((error: unknown) => error);
    expect(messageOf(failure)).toBe('the disk is full: free some space and try again (everything saved before is kept)');
    expect(rowsOf(store)).toEqual(before);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
    const reopened = ProjectStore.open(join(root, 'p.brink'));
    expect(reopened.datasets.get(first.id).count).toBe(50);
    expect(reopened.datasets.read(first.id, 0, 50).count).toBe(50);
    reopened.close();
  });

  it("fails a run's batch commit with the same message and keeps the batches committed before", async () => {
    const store = ProjectStore.create(join(root, 'r.brink'), 'r');
    const dataset = await importDataset(store, sampleImages, { limit: 4 });
    const modelId = newId('m');
    store.models.insert({
      id: modelId,
      name: 'net',
      fileName: 'net.onnx',
      sha256: 'ab'.repeat(32),
      info: { irVersion: 8, opsets: [], producer: '', graphName: 'g', inputs: [], outputs: [], opHistogram: {}, nodeCount: 1, parameterCount: 0, initializerBytes: 0, externalData: false },
      preprocessing: { valueRange: [0, 1], mean: [0], std: [1] },
      labels: null,
      analysis: { differentiable: true, unsupported: [], head: null, headReason: 'test', zeroGradientOps: [] },
      bytes: new Uint8Array(3),
    });
    const runId = newId('r');
    const attack = { attacks: ['fab' as const], norm: 'linf' as const, epsilons: [0.1], iterations: 1, restarts: 1, targeted: null, seed: 0 };
    store.runs.create({ id: runId, config: { modelId, datasetId: dataset.id, subset: { mode: 'all' }, batchSize: 1, device: 'cpu', attack }, sampleCount: 4, appVersion: 'test' });
    const row = (position: number, example: Float32Array | null) => ({
      position,
      index: position,
      label: 0,
      pred: 0,
      logits: new Float32Array(10),
      logitMargin: 1,
      featureMarginLinf: null,
      featureMarginL2: null,
      best: { found: true, margin: 0.05, attack: 'fab' as const, linf: 0.05, l2: null, l1: null, example, logits: null, featureDistanceLinf: null, featureDistanceL2: null },
      outcomes: [{ attack: 'fab' as const, epsilon: 0.1, found: true, linf: 0.05, l2: null, l1: null, iterations: 1 }],
    });
    store.runs.insertBatch(runId, [row(0, null), row(1, null)]);
    fillDisk(store);
    // Adversarial examples of a megabyte each (random, so they do not deflate) need pages the full disk cannot give.
    const next = mulberry32(3);
    const noise = () => Float32Array.from({ length: 1 << 18 }, next);
    const failure = (() => {
      try {
        store.runs.insertBatch(runId, [row(2, noise()), row(3, noise())]);
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(messageOf(failure)).toMatch(/^the disk is full/);
    expect([...store.runs.donePositions(runId)].sort()).toEqual([0, 1]);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });
});

describe('a project another Brink has open, or that is read-only', () => {
  let root: string;
  let service: BrinkService;
  let path: string;
  const call = <T>(s: BrinkService, method: string, args: unknown = {}) => s.call(method, args) as Promise<T>;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-lock-'));
    service = new BrinkService({ host: testHost(root), samplesDir, version: 'test', spawner: nodeSpawner() });
    path = (await call<ProjectInfo>(service, 'project.create', { name: 'Shared' })).path;
  });
  afterEach(async () => {
    await service.dispose();
  });

  it('is refused while another live Brink holds it, and taken over once that one has gone', async () => {
    await service.dispose();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(`${path}-lock`, JSON.stringify({ pid: other.pid, host: hostname() }));
      await expect(service.openProject(path)).rejects.toThrow(`Shared.brink is open in another Brink (process ${other.pid}); close it there first`);
      expect(await call(service, 'project.current')).toBeNull();
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    // The holder died without releasing it: the lock is stale.
    expect((await service.openProject(path)).name).toBe('Shared');
    expect(JSON.parse(readFileSync(`${path}-lock`, 'utf8'))).toEqual({ pid: process.pid, host: hostname() });
    await call(service, 'project.close');
    expect(existsSync(`${path}-lock`)).toBe(false);
  });

  it('opens a read-only file read-only: everything shown, every change refused in one line', async () => {
    await service.dispose();
    chmodSync(path, 0o444);
    const info = await service.openProject(path);
    expect(info).toMatchObject({ name: 'Shared', readOnly: true });
    await expect(call(service, 'project.rename', { name: 'Renamed' })).rejects.toThrow();
    const failure = await call(service, 'project.rename', { name: 'Renamed' }).catch((error: unknown) => error);
    expect(messageOf(failure)).toBe('the project is read-only (its file or folder cannot be written): open a copy to change it');
    expect((await call<ProjectInfo>(service, 'project.current')).name).toBe('Shared');
    // Nothing beside it either: no lock for a project that nothing writes.
    expect(existsSync(`${path}-lock`)).toBe(false);
  });
});
