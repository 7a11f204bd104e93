/**
 * A long attack run (issue 15, item 7): the worker's memory must stay flat over 10,000 samples and
 * the host must keep answering calls while the run streams its progress and commits.
 *
 *   npx tsx bench/long-run.ts [--samples 10000] [--batch 128] [--interval 200] [--keep]
 *
 * The project is the sample project plus an .npz of N images made by repeating the 1,000 sample
 * images. The run (DeepFool l-inf on the sample robust CNN, CPU) is started through BrinkService, as
 * the CLI's `audit` and the web host start it: the job supervisor forks the worker entry with
 * child_process.fork (src-main/jobs/node-spawner.ts), so the worker is the product's, unwrapped. The
 * bench finds it among its own descendants in /proc and, every --interval ms, reads its VmRSS and
 * times one `run.get` and one `run.samples` page through the service (what the GUI's run view calls
 * while a run goes on), in this same process that receives the worker's progress and log messages;
 * then times run.get on the finished run with no worker beside it, to tell its own cost from contention.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunConfig, RunSummary } from '../src-preload/contract.js';
import { nodeSpawner } from '../src-main/jobs/node-spawner.js';
import { samplesDir } from '../src-main/paths.js';
import { importDataset } from '../src-main/service/dataset-import.js';
import { buildSampleProject } from '../src-main/service/sample-project.js';
import { BrinkService } from '../src-main/service/service.js';
import { testHost } from '../src-main/service/test-host.js';
import { ProjectStore } from '../src-main/store/project-store.js';
import { repeatedSampleNpz } from '../tools/datasets/repeated-sample.js';
import { descendants, isWorker, loadAverage, median, statusKiB, table, wholeNumber } from './common.js';

const MARKS = [0.1, 0.25, 0.5, 0.75, 1];

interface Sample {
  ms: number;
  done: number;
  workerKiB: number;
  hostKiB: number;
}

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '128' },
    interval: { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
  },
});
const count = wholeNumber('samples', values.samples, 100);
const batch = wholeNumber('batch', values.batch, 1);
const interval = wholeNumber('interval', values.interval, 10);

const dir = mkdtempSync(join(tmpdir(), 'brink-bench-long-run-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const project = join(dir, 'long-run.brink');
  await buildSampleProject(samplesDir, project);
  const npz = join(dir, `sample-x${count}.npz`);
  writeFileSync(npz, repeatedSampleNpz(count));
  const setup = ProjectStore.open(project);
  const dataset = await importDataset(setup, npz, { allowDuplicate: true });
  const modelId = setup.models.list().find((m) => m.name === 'fmnist-cnn-robust')!.id;
  setup.close();

  const service = new BrinkService({ host: testHost(dir), samplesDir, version: 'bench', spawner: nodeSpawner() });
  try {
    await service.openProject(project);
    const config: RunConfig = {
      modelId,
      datasetId: dataset.id,
      subset: { mode: 'first', count },
      batchSize: batch,
      device: 'cpu',
      attack: { attacks: ['deepfool'], norm: 'linf', epsilons: [0.05, 0.1], iterations: null, restarts: 1, targeted: null, seed: 0 },
    };
    console.log(`long run: DeepFool l-inf on fmnist-cnn-robust, ${count} samples (the 1,000 sample images repeated), batch ${batch}, device cpu, sampled every ${interval} ms`);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}; load average before: ${loadAverage()}`);

    let done = 0;
    const offProgress = service.events.on('run.progress', (p) => (done = p.done));
    const started = performance.now();
    const run = (await service.call('run.start', config)) as RunSummary;
    const finished = service.jobs().waitFor(run.id);
    let over = false;
    void finished.then(() => (over = true));

    const samples: Sample[] = [];
    const getMs: number[] = [];
    const pageMs: number[] = [];
    let worker: number | undefined;
    while (!over) {
      worker ??= descendants(process.pid).find(isWorker);
      const workerKiB = worker === undefined ? null : statusKiB(worker, 'VmRSS');
      if (workerKiB !== null) samples.push({ ms: performance.now() - started, done, workerKiB, hostKiB: process.memoryUsage().rss / 1024 });
      let t0 = performance.now();
      await service.call('run.get', { id: run.id });
      getMs.push(performance.now() - t0);
      t0 = performance.now();
      await service.call('run.samples', { id: run.id, offset: 0, limit: 100 });
      pageMs.push(performance.now() - t0);
      await sleep(interval);
    }
    offProgress();
    const summary = (await service.call('run.get', { id: run.id })) as RunSummary;
    if (summary.status !== 'done' || summary.doneCount !== count) throw new Error(`the run ended ${summary.status} at ${summary.doneCount}/${count}: ${summary.error ?? ''}`);
    const seconds = (performance.now() - started) / 1000;
    // The same call on the finished run with no worker beside it: its own cost at 10,000 rows, apart from contention.
    const idleMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await service.call('run.get', { id: run.id });
      idleMs.push(performance.now() - t0);
    }
    report(samples, getMs, pageMs, idleMs, seconds);
  } finally {
    await service.dispose();
  }
}

function report(samples: Sample[], getMs: number[], pageMs: number[], idleMs: number[], seconds: number): void {
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  // Once every sample is done the worker closes its sessions and its RSS falls: the 100% mark is the
  // last reading taken while it still computed, so that teardown cannot pass for flatness.
  const computing = samples.filter((s) => s.done < count);
  const at = (fraction: number) => computing.find((s) => s.done >= fraction * count) ?? computing.at(-1)!;
  console.log(`\nrun: ${seconds.toFixed(1)} s, ${samples.length} RSS samples\n`);
  console.log(
    table(
      ['progress', 'samples done', 'at (s)', 'worker RSS (MiB)', 'host RSS (MiB)'],
      MARKS.map((m) => {
        const s = at(m);
        return [`${m * 100}%`, String(s.done), (s.ms / 1000).toFixed(1), mib(s.workerKiB), mib(s.hostKiB)];
      }),
    ),
  );
  const growth = (at(1).workerKiB - at(0.25).workerKiB) / at(0.25).workerKiB;
  const peak = Math.max(...computing.map((s) => s.workerKiB));
  console.log(`\nworker RSS growth from 25% to 100%: ${(growth * 100).toFixed(1)}% (${growth < 0.1 ? 'flat' : 'grows'}); peak ${mib(peak)} MiB`);
  console.log(`host latency while the worker ran (${getMs.length} calls each): run.get median ${median(getMs).toFixed(2)} ms, max ${Math.max(...getMs).toFixed(2)} ms; run.samples (100 rows) median ${median(pageMs).toFixed(2)} ms, max ${Math.max(...pageMs).toFixed(2)} ms`);
  console.log(`run.get on the finished run, no worker running (${idleMs.length} calls): median ${median(idleMs).toFixed(2)} ms, max ${Math.max(...idleMs).toFixed(2)} ms`);
  console.log(`load average after: ${loadAverage()}`);
}

try {
  await main();
} finally {
  if (values.keep) console.log(`project kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
