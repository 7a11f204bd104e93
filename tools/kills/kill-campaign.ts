// SIGKILL of an attack run's worker at random moments: after each kill the project must pass
// integrity_check and every committed row must equal the uninterrupted run's row at that position;
// resumed to the end, the run must equal the uninterrupted one row for row.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttackSettings, ModelDetail, ProjectInfo, RunConfig, RunDetail, RunSampleRow, RunSummary } from '../../src-preload/contract.js';
import { nodeSpawner } from '../../src-main/jobs/node-spawner.js';
import type { WorkerHandle } from '../../src-main/jobs/protocol.js';
import { samplesDir } from '../../src-main/paths.js';
import { BrinkService } from '../../src-main/service/service.js';
import { testHost } from '../../src-main/service/test-host.js';
import { ProjectStore } from '../../src-main/store/project-store.js';

export interface KillOptions {
  /** Kill points in all (one run takes as many as it lasts; then a new run starts). */
  kills: number;
  /** Uniform in [0, 1): the moment of each kill as a fraction of an uninterrupted run's duration. */
  rng: () => number;
  samples?: number;
}

export interface KillReport {
  /** Kills that landed while the worker ran. */
  kills: number;
  /** Kill points that came after the run had finished. */
  missed: number;
  runs: number;
  /** Failures of integrity_check after a kill. */
  corrupt: string[];
  /** Committed rows, after a kill, that differ from the uninterrupted run's. */
  lostOrWrong: number;
  /** Runs whose resumed results differ from the uninterrupted run's. */
  unequal: number;
  /** Rows the run had committed when each kill landed: where in the run the kills fell. */
  committedAtKill: number[];
  referenceMs: number;
}

const attack: AttackSettings = { attacks: ['fab', 'apgd-ce'], norm: 'linf', epsilons: [0.05, 0.1], iterations: 10, restarts: 1, targeted: null, seed: 3 };

export async function killCampaign(options: KillOptions): Promise<KillReport> {
  const workers: WorkerHandle[] = [];
  const spawn = nodeSpawner();
  const root = mkdtempSync(join(tmpdir(), 'brink-kills-'));
  const service = new BrinkService({
    host: testHost(root),
    samplesDir,
    version: 'test',
    spawner: () => {
      const worker = spawn();
      workers.push(worker);
      return worker;
    },
    intraOpThreads: 1,
  });
  try {
    await service.call('project.openSample', {});
    const models = (await service.call('model.list', {})) as ModelDetail[];
    const [dataset] = (await service.call('dataset.list', {})) as { id: string }[];
    const config: RunConfig = {
      modelId: models.find((m) => m.name === 'fmnist-cnn-robust')!.id,
      datasetId: dataset.id,
      subset: { mode: 'random', count: options.samples ?? 48, seed: 5 },
      // Small batches: more commits, so more moments between and during them.
      batchSize: 8,
      device: 'cpu',
      attack,
    };
    const projectPath = ((await service.call('project.current', {})) as ProjectInfo).path;
    const rows = async (id: string) => ((await service.call('run.samples', { id, offset: 0, limit: 1000 })) as { rows: RunSampleRow[] }).rows;
    const status = async (id: string) => ((await service.call('run.get', { id })) as RunDetail).status;

    const started = performance.now();
    const first = (await service.call('run.start', config)) as RunSummary;
    await service.jobs().waitFor(first.id);
    const referenceMs = performance.now() - started;
    const reference = new Map((await rows(first.id)).map((r) => [r.position, JSON.stringify(r)]));

    const report: KillReport = { kills: 0, missed: 0, runs: 0, corrupt: [], lostOrWrong: 0, unequal: 0, committedAtKill: [], referenceMs };
    let run: string | null = null;
    for (let k = 0; k < options.kills; k++) {
      const spawned = workers.length;
      if (run === null) {
        run = ((await service.call('run.start', config)) as RunSummary).id;
        report.runs++;
      } else {
        await service.call('run.resume', { id: run });
      }
      await until(() => workers.length > spawned);
      await sleep(options.rng() * referenceMs);
      const worker = workers.at(-1)!;
      const landed = (await status(run)) === 'running' && worker.pid !== undefined;
      if (landed) {
        process.kill(worker.pid!, 'SIGKILL');
        report.kills++;
      } else {
        report.missed++;
      }
      await service.jobs().waitFor(run);
      const reader = ProjectStore.open(projectPath);
      const integrity = reader.integrityCheck();
      reader.close();
      if (integrity !== 'ok') report.corrupt.push(integrity);
      const committed = await rows(run);
      if (landed) report.committedAtKill.push(committed.length);
      for (const row of committed) if (reference.get(row.position) !== JSON.stringify(row)) report.lostOrWrong++;
      if ((await status(run)) === 'done') {
        if (!(await equalToReference(run))) report.unequal++;
        run = null;
      }
    }
    if (run !== null) {
      await service.call('run.resume', { id: run });
      await service.jobs().waitFor(run);
      if (!(await equalToReference(run))) report.unequal++;
    }
    return report;

    async function equalToReference(id: string): Promise<boolean> {
      const done = await rows(id);
      return done.length === reference.size && done.every((r) => reference.get(r.position) === JSON.stringify(r));
    }
  } finally {
    await service.dispose();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}
