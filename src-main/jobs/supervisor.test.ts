import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelDetail, RunConfig, RunDetail, RunProgress, RunSummary } from '../../src-preload/contract.js';
import { encode, model, node, valueInfo } from '../engine/onnx/fixtures/models.js';
import { samplesDir } from '../paths.js';
import { BrinkService } from '../service/service.js';
import { ProjectStore } from '../store/project-store.js';
import { ORPHAN_CAUSE } from '../store/run-repo.js';
import { nodeSpawner } from './node-spawner.js';
import type { Spawner, WorkerHandle } from './protocol.js';
import { testHost as host } from '../service/test-host.js';

/** Records every worker it starts, so a test can kill one the way a crash would. */
function recordingSpawner(): { spawner: Spawner; workers: WorkerHandle[] } {
  const workers: WorkerHandle[] = [];
  const spawn = nodeSpawner();
  return {
    workers,
    spawner: () => {
      const worker = spawn();
      workers.push(worker);
      return worker;
    },
  };
}

describe('audit jobs on the sample project', () => {
  const services: BrinkService[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) await s.dispose();
  });

  async function sampleProject(spawner: Spawner = nodeSpawner()) {
    const root = mkdtempSync(join(tmpdir(), 'brink-jobs-'));
    const service = new BrinkService({ host: host(root), samplesDir, version: 'test', spawner, intraOpThreads: 1 });
    services.push(service);
    await service.call('project.openSample', {});
    const models = (await service.call('model.list', {})) as ModelDetail[];
    const [dataset] = (await service.call('dataset.list', {})) as { id: string }[];
    const config = (name: string, overrides: Partial<RunConfig> = {}): RunConfig => ({
      modelId: models.find((m) => m.name === name)!.id,
      datasetId: dataset.id,
      subset: { mode: 'all' },
      batchSize: 64,
      device: 'cpu',
      attack: null,
      ...overrides,
    });
    const finish = async (config: RunConfig) => {
      const run = (await service.call('run.start', config)) as RunSummary;
      await service.jobs().waitFor(run.id);
      return (await service.call('run.get', { id: run.id })) as RunDetail;
    };
    return { root, service, config, finish, dataset };
  }

  async function samplesOf(service: BrinkService, id: string) {
    return (await service.call('run.samples', { id, offset: 0, limit: 1000 })) as { total: number; rows: unknown[] };
  }

  it('computes predictions and margins in a worker: the robust model scores its recorded accuracy', async () => {
    const { finish, config } = await sampleProject();
    const run = await finish(config('fmnist-cnn-robust'));
    expect(run.status).toBe('done');
    expect(run.provider).toBe('cpu');
    // resources/samples/manifest.json: clean_accuracy_sample1000 = 0.848 (PyTorch).
    expect(run.results!.accuracy).toBeCloseTo(0.848, 3);
    expect(run.results!.equidistance!.pairs).toBe(45);
    expect(run.results!.histogram.counts.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('after a SIGKILL mid-run, resume computes only the missing samples and ends equal to an uninterrupted run', async () => {
    const { spawner, workers } = recordingSpawner();
    const { service, finish, config } = await sampleProject(spawner);
    const reference = await finish(config('fmnist-cnn-standard', { batchSize: 16, subset: { mode: 'random', count: 600, seed: 7 } }));

    const started = (await service.call('run.start', config('fmnist-cnn-standard', { batchSize: 16, subset: { mode: 'random', count: 600, seed: 7 } }))) as RunSummary;
    const killedAt = await new Promise<number>((resolve) => {
      const off = service.events.on('run.progress', (p: RunProgress) => {
        if (p.runId === started.id && p.done >= 160 && p.status === 'running') {
          off();
          process.kill(workers.at(-1)!.pid!, 'SIGKILL');
          resolve(p.done);
        }
      });
    });
    await service.jobs().waitFor(started.id);
    const interrupted = (await service.call('run.get', { id: started.id })) as RunDetail;
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.doneCount).toBeGreaterThanOrEqual(killedAt);
    expect(interrupted.doneCount).toBeLessThan(600);

    const resumedFrom = interrupted.doneCount;
    await service.call('run.resume', { id: started.id });
    const progressSeen: number[] = [];
    const off = service.events.on('run.progress', (p) => p.runId === started.id && progressSeen.push(p.done));
    await service.jobs().waitFor(started.id);
    off();
    expect(Math.min(...progressSeen)).toBeGreaterThanOrEqual(resumedFrom);

    const resumed = (await service.call('run.get', { id: started.id })) as RunDetail;
    expect(resumed.status).toBe('done');
    expect(await samplesOf(service, started.id)).toEqual(await samplesOf(service, reference.id));
  });

  it('a cancelled run stops, keeps what it committed, and leaves the project file intact', async () => {
    const { service, config, root } = await sampleProject();
    const run = (await service.call('run.start', config('fmnist-cnn-robust', { batchSize: 8 }))) as RunSummary;
    await new Promise<void>((resolve) => {
      const off = service.events.on('run.progress', (p) => {
        if (p.runId === run.id && p.done >= 40) {
          off();
          void service.call('run.cancel', { id: run.id }).then(() => resolve());
        }
      });
    });
    await service.jobs().waitFor(run.id);
    const cancelled = (await service.call('run.get', { id: run.id })) as RunDetail;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.doneCount).toBeGreaterThanOrEqual(40);
    expect(cancelled.doneCount).toBeLessThan(1000);
    const db = new Database(join(root, 'home', 'Fashion-MNIST sample.brink'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('a model that cannot run fails its run with a readable reason and leaves other runs intact', async () => {
    const { service, finish, config, root, dataset } = await sampleProject();
    const good = await finish(config('fmnist-cnn-robust', { subset: { mode: 'first', count: 100 } }));
    const broken = join(root, 'custom-op.onnx');
    writeFileSync(
      broken,
      encode(
        model(
          { name: 'g', node: [node('Mystery', ['input'], ['logits'], [], 'com.example')], input: [valueInfo('input', ['batch', 1, 28, 28])], output: [valueInfo('logits', ['batch', 10])] },
          { opsetImport: [{ domain: '', version: 13 }, { domain: 'com.example', version: 1 }] },
        ),
      ),
    );
    const imported = (await service.call('model.import', { source: { kind: 'paths', paths: [broken] } })) as ModelDetail;
    const failed = await finish({ ...config('fmnist-cnn-robust'), modelId: imported.id, datasetId: dataset.id });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/Mystery/);
    expect(failed.error).not.toContain('\n');
    const still = (await service.call('run.get', { id: good.id })) as RunDetail;
    expect(still).toMatchObject({ status: 'done', doneCount: 100 });
  });

  it('reports incompatibilities before a run starts', async () => {
    const { service, config } = await sampleProject();
    expect(await service.call('run.check', config('fmnist-cnn-robust'))).toEqual([]);
    const tooMany = config('fmnist-cnn-robust', { subset: { mode: 'first', count: 5000 } });
    expect(await service.call('run.check', tooMany)).toEqual(['the dataset has 1000 samples; a subset of 5000 is too large']);
    await expect(service.call('run.start', tooMany)).rejects.toThrow(/too large/);
  });

  it('a project reopened after a crash shows the running run as interrupted', async () => {
    const { service, config, finish, root } = await sampleProject();
    const run = await finish(config('fmnist-cnn-robust', { subset: { mode: 'first', count: 64 } }));
    await service.dispose();
    const path = join(root, 'home', 'Fashion-MNIST sample.brink');
    const db = new Database(path);
    db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(run.id);
    db.close();
    const store = ProjectStore.open(path);
    expect(store.runs.markOrphansInterrupted()).toBe(1);
    expect(store.runs.summary(run.id)).toMatchObject({ status: 'interrupted', error: ORPHAN_CAUSE });
    store.close();
  });
});
