import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttackSettings, ModelDetail, ProjectInfo, RunConfig, RunDetail, RunProgress, RunSampleRow, RunSummary } from '../../src-preload/contract.js';
import { argmax } from '../engine/margins/margins.js';
import { readModel, writeModel } from '../engine/onnx/codec.js';
import { encode, model, node, valueInfo } from '../engine/onnx/fixtures/models.js';
import { foldPreprocessing } from '../engine/onnx/surgery.js';
import { BatchRunner, createSession } from '../engine/runtime/index.js';
import { samplesDir } from '../paths.js';
import { BrinkService } from '../service/service.js';
import { ProjectStore } from '../store/project-store.js';
import { nodeSpawner } from './node-spawner.js';
import type { Spawner, WorkerHandle } from './protocol.js';
import { testHost as host } from '../service/test-host.js';

const fast: AttackSettings = { attacks: ['fab', 'deepfool', 'apgd-ce'], norm: 'linf', epsilons: [0.05, 0.1], iterations: 10, restarts: 1, targeted: null, seed: 3 };

describe('attack runs', () => {
  const services: BrinkService[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) await s.dispose();
  });

  async function sample(spawner: Spawner = nodeSpawner()) {
    const root = mkdtempSync(join(tmpdir(), 'brink-attacks-'));
    const service = new BrinkService({ host: host(root), samplesDir, version: 'test', spawner, intraOpThreads: 1 });
    services.push(service);
    await service.call('project.openSample', {});
    const models = (await service.call('model.list', {})) as ModelDetail[];
    const [dataset] = (await service.call('dataset.list', {})) as { id: string }[];
    const robust = models.find((m) => m.name === 'fmnist-cnn-robust')!.id;
    const config = (overrides: Partial<RunConfig> = {}): RunConfig => ({
      modelId: robust,
      datasetId: dataset.id,
      subset: { mode: 'random', count: 48, seed: 5 },
      batchSize: 16,
      device: 'cpu',
      attack: fast,
      ...overrides,
    });
    const finish = async (c: RunConfig) => {
      const run = (await service.call('run.start', c)) as RunSummary;
      await service.jobs().waitFor(run.id);
      return (await service.call('run.get', { id: run.id })) as RunDetail;
    };
    const rows = async (id: string) => ((await service.call('run.samples', { id, offset: 0, limit: 1000 })) as { rows: RunSampleRow[] }).rows;
    return { root, service, config, finish, rows, robust, datasetId: dataset.id };
  }

  it('backs every input margin on the robust CNN by a stored example that a fresh forward pass confirms', async () => {
    const { service, config, finish, rows } = await sample();
    const run = await finish(config());
    expect(run.status).toBe('done');
    expect(run.results!.inputMargins).toMatchObject({ norm: 'linf', found: 48, censored: 0 });
    const robustModel = readModel(new Uint8Array(readFileSync(join(samplesDir, 'fmnist-cnn-robust.onnx'))), 'robust.onnx');
    const session = await createSession(writeModel(foldPreprocessing(robustModel, { mean: [0.286], std: [0.353] })), { device: 'cpu' });
    const runner = new BatchRunner(session.session, { batchSize: 16 });
    const store = ProjectStore.open(((await service.call('project.current', {})) as ProjectInfo).path);
    for (const row of await rows(run.id)) {
      expect(row.marginFound).toBe(true);
      expect(row.inputMargin!).toBeGreaterThan(0);
      expect(row.inputMargin).toBe(row.advLinf);
      const adv = store.runs.adversarial(run.id, row.position)!.example;
      expect(adv.every((v) => v >= 0 && v <= 1)).toBe(true);
      const logits = (await runner.run({ input: { data: adv, shape: [1, 1, 28, 28] } }))['logits'].data;
      expect(argmax(logits)).not.toBe(row.pred);
    }
    store.close();
    await session.session.release();
    const brittle = (await service.call('run.samples', { id: run.id, offset: 0, limit: 1000, maxInputMargin: 0.05, sort: 'inputMargin' })) as { total: number; rows: RunSampleRow[] };
    expect(brittle.total).toBe((await rows(run.id)).filter((r) => r.inputMargin! <= 0.05).length);
    expect(brittle.rows.every((r) => r.inputMargin! <= 0.05)).toBe(true);
    // Robust accuracy from margins and from APGD can only be at or below clean accuracy.
    for (const r of run.results!.robustness) {
      expect(r.combined).toBeLessThanOrEqual(run.results!.accuracy!);
      expect(r.combined).toBeLessThanOrEqual(r.fromMargins!);
    }
  }, 120_000);

  it('records "no adversarial example within budget" for a model whose prediction cannot change, never a zero margin', async () => {
    const { service, config, finish, root } = await sample();
    const path = join(root, 'constant.onnx');
    // logits = 0 * x + (1, 0, ..., 0): the prediction is class 0 whatever the input.
    writeFileSync(
      path,
      encode(
        model({
          name: 'constant',
          node: [node('Flatten', ['input'], ['flat'], []), node('Gemm', ['flat', 'W', 'b'], ['logits'], [{ name: 'transB', type: 2, i: 1 }])],
          input: [valueInfo('input', ['batch', 1, 28, 28])],
          output: [valueInfo('logits', ['batch', 10])],
          initializer: [
            { name: 'W', dims: [10, 784], dataType: 1, rawData: new Uint8Array(10 * 784 * 4) },
            { name: 'b', dims: [10], dataType: 1, rawData: new Uint8Array(Float32Array.from({ length: 10 }, (_, i) => (i === 0 ? 1 : 0)).buffer) },
          ],
        }),
      ),
    );
    const constant = (await service.call('model.import', { source: { kind: 'paths', paths: [path] } })) as ModelDetail;
    const run = await finish(config({ modelId: constant.id, subset: { mode: 'first', count: 16 }, attack: { ...fast, attacks: ['fab', 'fmn'] } }));
    expect(run.status).toBe('done');
    expect(run.results!.inputMargins).toMatchObject({ found: 0, censored: 16, median: null });
    const { rows } = (await service.call('run.samples', { id: run.id, offset: 0, limit: 16 })) as { rows: RunSampleRow[] };
    for (const row of rows) expect(row).toMatchObject({ marginFound: false, inputMargin: null, bestAttack: null });
    const count = async (filter: string) => ((await service.call('run.samples', { id: run.id, offset: 0, limit: 1, filter })) as { total: number }).total;
    expect([await count('censored'), await count('found'), await count('all')]).toEqual([16, 0, 16]);
  }, 120_000);

  it('a killed attack run resumes to exactly the results of an uninterrupted one', async () => {
    const workers: WorkerHandle[] = [];
    const spawn = nodeSpawner();
    const { service, config, finish, rows } = await sample(() => {
      const worker = spawn();
      workers.push(worker);
      return worker;
    });
    const settings = { ...fast, attacks: ['fab', 'apgd-ce'] as AttackSettings['attacks'] };
    const reference = await finish(config({ attack: settings }));
    const started = (await service.call('run.start', config({ attack: settings }))) as RunSummary;
    await new Promise<void>((resolve) => {
      const off = service.events.on('run.progress', (p: RunProgress) => {
        if (p.runId === started.id && p.done >= 16 && p.status === 'running') {
          off();
          process.kill(workers.at(-1)!.pid!, 'SIGKILL');
          resolve();
        }
      });
    });
    await service.jobs().waitFor(started.id);
    expect(((await service.call('run.get', { id: started.id })) as RunDetail).status).toBe('interrupted');
    await service.call('run.resume', { id: started.id });
    await service.jobs().waitFor(started.id);
    expect(await rows(started.id)).toEqual(await rows(reference.id));
  }, 180_000);

  it('a run of one batch reports how far its attacks have got, so that its progress moves before the batch commits', async () => {
    const { service, config } = await sample();
    const events: RunProgress[] = [];
    service.events.on('run.progress', (p: RunProgress) => events.push(p));
    const run = (await service.call('run.start', config({ subset: { mode: 'first', count: 8 }, batchSize: 8, attack: { ...fast, attacks: ['fab', 'apgd-ce'] } }))) as RunSummary;
    await service.jobs().waitFor(run.id);
    const within = events.filter((p) => p.runId === run.id && p.batch !== null);
    expect(within.length).toBeGreaterThan(0);
    expect(within.every((p) => p.done === 0 && p.batch!.samples === 8 && p.batch!.fraction >= 0 && p.batch!.fraction <= 1)).toBe(true);
    // FAB, then APGD-CE at each of two epsilons: each attack's last step ends a third of the batch.
    expect(within.map((p) => p.batch!.fraction)).toEqual(expect.arrayContaining([1 / 3, 2 / 3, 1]));
    expect(events.filter((p) => p.runId === run.id).at(-1)).toMatchObject({ status: 'done', done: 8, batch: null });
  }, 120_000);
});
