import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttackSettings, ModelDetail, RunConfig, RunDetail, RunPlan, RunProgress, RunSampleRow, RunSummary } from '../../src-preload/contract.js';
import { samplesDir } from '../paths.js';
import { BrinkService } from '../service/service.js';
import { testHost as host } from '../service/test-host.js';
import { nodeSpawner } from './node-spawner.js';
import type { Spawner, WorkerHandle } from './protocol.js';

const attack: AttackSettings = { attacks: ['fab', 'deepfool'], norm: 'linf', epsilons: [], iterations: 10, restarts: 1, targeted: null, seed: 1 };

describe('attack runs within a memory budget', () => {
  const services: BrinkService[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) await s.dispose();
  });

  async function sample() {
    const workers: WorkerHandle[] = [];
    const spawn = nodeSpawner();
    const spawner: Spawner = () => {
      const worker = spawn();
      workers.push(worker);
      return worker;
    };
    const root = mkdtempSync(join(tmpdir(), 'brink-memory-'));
    const service = new BrinkService({ host: host(root), samplesDir, version: 'test', spawner, intraOpThreads: 1 });
    services.push(service);
    await service.call('project.openSample', {});
    const models = (await service.call('model.list', {})) as ModelDetail[];
    const [dataset] = (await service.call('dataset.list', {})) as { id: string }[];
    const config = (overrides: Partial<RunConfig> = {}): RunConfig => ({
      modelId: models.find((m) => m.name === 'fmnist-cnn-robust')!.id,
      datasetId: dataset.id,
      subset: { mode: 'first', count: 12 },
      batchSize: 8,
      device: 'cpu',
      attack,
      ...overrides,
    });
    const get = async (id: string) => (await service.call('run.get', { id })) as RunDetail;
    const finish = async (c: RunConfig) => {
      const run = (await service.call('run.start', c)) as RunSummary;
      await service.jobs().waitFor(run.id);
      return get(run.id);
    };
    const rows = async (id: string) => ((await service.call('run.samples', { id, offset: 0, limit: 100 })) as { rows: RunSampleRow[] }).rows;
    /** Starts a run and kills its worker with SIGKILL, as the out-of-memory killer does, once FAB runs. */
    const killDuringFab = async (c: RunConfig) => {
      const run = (await service.call('run.start', c)) as RunSummary;
      await new Promise<void>((resolve) => {
        const off = service.events.on('run.progress', (p: RunProgress) => {
          if (p.runId === run.id && p.status === 'running' && p.stage.startsWith('fab')) {
            off();
            process.kill(workers.at(-1)!.pid!, 'SIGKILL');
            resolve();
          }
        });
      });
      await service.jobs().waitFor(run.id);
      return get(run.id);
    };
    return { service, config, finish, rows, get, killDuringFab };
  }

  it('a small budget chunks the Jacobian rows, records its plan, and gives the margins of an unchunked run', async () => {
    const { config, finish, rows } = await sample();
    const whole = await finish(config({ memoryGb: 4 }));
    // The sample CNN needs ~0.18 MB of activations per sample: 3 MB leaves room for a few rows per call only.
    const small = await finish(config({ memoryGb: 0.003 }));
    expect(whole.status).toBe('done');
    expect(small.status).toBe('done');
    expect(whole.plan).toMatchObject({ budgetBytes: 4e9, budgetSource: 'set', batch: 8, rows: 9, rowsPerChunk: 9, fits: true });
    expect(small.plan).toMatchObject({ budgetBytes: 3e6, budgetSource: 'set', rows: 9, fits: true });
    expect(small.plan!.rowsPerChunk).toBeLessThan(9);
    expect(small.plan!.batch).toBeLessThan(8);
    expect(small.plan!.expectedPeakBytes).toBeLessThanOrEqual(3e6);
    expect(small.plan!.fab).toMatchObject({ form: 'untargeted' });
    expect(small.log.some((l) => l.line.startsWith('memory plan: 3 MB budget (set)'))).toBe(true);
    const margins = (r: RunSampleRow[]) => r.map((s) => [s.position, s.inputMargin, s.bestAttack, s.advLinf]);
    expect(margins(await rows(small.id))).toEqual(margins(await rows(whole.id)));
  });

  it('shows the plan before the run starts, as the worker will make it', async () => {
    const { config, service, finish } = await sample();
    expect(await service.call('run.plan', config({ attack: null }))).toBeNull();
    const preview = (await service.call('run.plan', config({ memoryGb: 0.003 }))) as RunPlan;
    const run = await finish(config({ memoryGb: 0.003 }));
    const { baseBytes, ...recorded } = run.plan!;
    expect(baseBytes).toBeGreaterThan(0);
    expect(recorded).toEqual(preview);
    expect(preview.fab!.reason).toMatch(/^untargeted: the model has 10 classes/);
  });

  it('a worker killed for memory records "out of memory at batch B", and resume retries with half the batch', async () => {
    const { config, killDuringFab, service, get, rows, finish } = await sample();
    const killed = await killDuringFab(config({ memoryGb: 4 }));
    expect(killed.status).toBe('interrupted');
    expect(killed.error).toMatch(/^out of memory at batch 1 with 8 samples and 9 Jacobian rows per call \(budget 4\.0 GB\): the system killed the job process \(SIGKILL\).*resume to retry with a smaller plan/);
    expect(killed.log.at(-1)!.line).toBe(killed.error);
    expect(killed.plan!.outOfMemory).toEqual({ count: 1, atBatch: 1, pending: true });

    await service.call('run.resume', { id: killed.id });
    await service.jobs().waitFor(killed.id);
    const resumed = await get(killed.id);
    expect(resumed.status).toBe('done');
    expect(resumed.plan).toMatchObject({ batch: 4, rowsPerChunk: 9, outOfMemory: { count: 1, atBatch: 1, pending: false } });
    const reference = await finish(config({ memoryGb: 4 }));
    const margins = (r: RunSampleRow[]) => r.map((s) => [s.position, s.inputMargin, s.bestAttack]);
    expect(margins(await rows(resumed.id))).toEqual(margins(await rows(reference.id)));
  });

  it('out of memory with the smallest plan fails the run with a readable reason', async () => {
    const { config, killDuringFab } = await sample();
    // 2 MB: below what one sample and one row need, so the plan is the smallest (and says so).
    const failed = await killDuringFab(config({ memoryGb: 0.002, batchSize: 1, subset: { mode: 'first', count: 2 } }));
    expect(failed.plan).toMatchObject({ batch: 1, rowsPerChunk: 1, fits: false });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^out of memory at batch 1 with 1 sample and 1 Jacobian row per call .*the smallest plan there is/);
  });
});
