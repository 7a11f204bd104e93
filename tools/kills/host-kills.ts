// SIGKILL of the host process (the CLI, which forks the audit worker) at random moments:
//  - host-import: during `dataset add`: the project must pass integrity_check and hold the dataset
//    either not at all or whole (count, SHA-256 and the stored pixels equal an uninterrupted import);
//  - host-run: during `audit`: the orphaned worker must exit, the next open must mark the run
//    interrupted with its cause, every committed row must equal an uninterrupted run's, and resuming
//    must complete the run to exactly the uninterrupted results.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants, isWorker } from '../../bench/common.js';
import type { RunDetail, RunSampleRow, RunSummary } from '../../src-preload/contract.js';
import { nodeSpawner } from '../../src-main/jobs/node-spawner.js';
import { samplesDir } from '../../src-main/paths.js';
import { sha256Of } from '../../src-main/service/dataset-import.js';
import { buildSampleProject } from '../../src-main/service/sample-project.js';
import { BrinkService } from '../../src-main/service/service.js';
import { testHost } from '../../src-main/service/test-host.js';
import { ProjectStore } from '../../src-main/store/project-store.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(root, 'src-main', 'cli', 'brink.ts');
/** How long an orphaned worker may outlive its host before the check calls it a runaway. */
const ORPHAN_LIMIT_MS = 5000;

export interface HostImportReport {
  /** Kills that landed while `dataset add` ran, and moments that came after it had finished. */
  kills: number;
  missed: number;
  /** After a kill: the dataset absent, or present and equal to the uninterrupted import. */
  absent: number;
  complete: number;
  /** Present but not equal: half imported (must stay 0). */
  partial: number;
  corrupt: string[];
  referenceMs: number;
}

export interface HostRunReport {
  kills: number;
  missed: number;
  corrupt: string[];
  /** Workers still alive ORPHAN_LIMIT_MS after their host was killed (must stay 0). */
  runawayWorkers: number;
  /** How long each orphaned worker outlived its host. */
  orphanMs: number[];
  /** The runs' status and cause on the next open, when the kill landed. */
  causes: string[];
  committedAtKill: number[];
  lostOrWrong: number;
  unequal: number;
  referenceMs: number;
}

interface Cli {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

function cli(args: string[], home: string): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: root,
    env: { ...process.env, BRINK_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function completed(args: string[], home: string): Promise<string> {
  const run = cli(args, home);
  const code = await run.exited;
  if (code !== 0) throw new Error(`brink ${args.join(' ')} failed (exit ${code}): ${run.output()}`);
  return run.output();
}

/** The SHA-256 of what the project actually stores for the dataset, read back chunk by chunk. */
function storedSha256(store: ProjectStore, id: string): string {
  const dataset = store.datasets.get(id);
  return sha256Of({ ...store.datasets.read(id, 0, dataset.count), count: dataset.count });
}

export async function hostImportCampaign(options: { kills: number; rng: () => number; file: string }): Promise<HostImportReport> {
  const dir = mkdtempSync(join(tmpdir(), 'brink-host-import-'));
  const home = join(dir, 'home');
  try {
    const base = join(dir, 'base.brink');
    ProjectStore.create(base, 'kills').close();
    const project = (name: string) => {
      const path = join(dir, `${name}.brink`);
      copyFileSync(base, path);
      return path;
    };
    const args = (path: string) => ['dataset', 'add', path, options.file, '--json'];

    const referencePath = project('reference');
    const started = performance.now();
    await completed(args(referencePath), home);
    const referenceMs = performance.now() - started;
    const store = ProjectStore.open(referencePath);
    const [summary] = store.datasets.list();
    const reference = { count: summary.count, sha256: store.datasets.get(summary.id).sha256 };
    if (storedSha256(store, summary.id) !== reference.sha256) throw new Error('the uninterrupted import stored other samples than it hashed');
    store.close();

    const report: HostImportReport = { kills: 0, missed: 0, absent: 0, complete: 0, partial: 0, corrupt: [], referenceMs };
    for (let k = 0; k < options.kills; k++) {
      const path = project(`kill-${k}`);
      const run = cli(args(path), home);
      await sleep(options.rng() * referenceMs);
      if (run.child.exitCode === null && run.child.kill('SIGKILL')) report.kills++;
      else report.missed++;
      await run.exited;
      const after = ProjectStore.open(path);
      const integrity = after.integrityCheck();
      if (integrity !== 'ok') report.corrupt.push(integrity);
      const datasets = after.datasets.list();
      if (datasets.length === 0) report.absent++;
      else if (
        datasets.length === 1 &&
        datasets[0].count === reference.count &&
        after.datasets.get(datasets[0].id).sha256 === reference.sha256 &&
        storedSha256(after, datasets[0].id) === reference.sha256
      ) report.complete++;
      else report.partial++;
      after.close();
    }
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function hostRunCampaign(options: { kills: number; rng: () => number; samples?: number; attack?: 'deepfool' | 'fab' }): Promise<HostRunReport> {
  const dir = mkdtempSync(join(tmpdir(), 'brink-host-run-'));
  const home = join(dir, 'home');
  const service = new BrinkService({ host: testHost(dir), samplesDir, version: 'test', spawner: nodeSpawner(), intraOpThreads: 1 });
  try {
    const base = join(dir, 'base.brink');
    await buildSampleProject(samplesDir, base);
    const seed = ProjectStore.open(base);
    const modelId = seed.models.list().find((m) => m.name === 'fmnist-cnn-robust')!.id;
    const datasetId = seed.datasets.list()[0].id;
    seed.close();
    const project = (name: string) => {
      const path = join(dir, `${name}.brink`);
      copyFileSync(base, path);
      return path;
    };
    // Small batches: more commits, so more moments between and during them.
    const args = (path: string) => [
      'audit', path, '--model', modelId, '--dataset', datasetId, '--random', String(options.samples ?? 48), '--seed', '5',
      '--batch', '8', '--device', 'cpu', '--attack', options.attack ?? 'deepfool', '--norm', 'linf', '--eps', '0.05,0.1', '--json',
    ];
    const open = async (path: string) => {
      await service.openProject(path);
      const [run] = (await service.call('run.list', {})) as RunSummary[];
      return run;
    };
    const rows = async (id: string) => ((await service.call('run.samples', { id, offset: 0, limit: 1000 })) as { rows: RunSampleRow[] }).rows;

    const referencePath = project('reference');
    const referenceRun = cli(args(referencePath), home);
    // Kill moments are drawn over the worker's life, from its fork to the CLI's exit.
    await workerOf(referenceRun);
    const started = performance.now();
    if ((await referenceRun.exited) !== 0) throw new Error(`the uninterrupted audit failed: ${referenceRun.output()}`);
    const referenceMs = performance.now() - started;
    const reference = new Map((await rows((await open(referencePath)).id)).map((r) => [r.position, JSON.stringify(r)]));

    const report: HostRunReport = { kills: 0, missed: 0, corrupt: [], runawayWorkers: 0, orphanMs: [], causes: [], committedAtKill: [], lostOrWrong: 0, unequal: 0, referenceMs };
    for (let k = 0; k < options.kills; k++) {
      const path = project(`kill-${k}`);
      const run = cli(args(path), home);
      const pid = await workerOf(run);
      await sleep(options.rng() * referenceMs);
      const landed = run.child.exitCode === null && run.child.kill('SIGKILL');
      await run.exited;
      if (landed) {
        report.kills++;
        const killedAt = performance.now();
        while (pid !== null && alive(pid) && performance.now() - killedAt < ORPHAN_LIMIT_MS) await sleep(10);
        report.orphanMs.push(Math.round(performance.now() - killedAt));
        if (pid !== null && alive(pid)) {
          report.runawayWorkers++;
          process.kill(pid, 'SIGKILL');
        }
      } else report.missed++;
      const reader = ProjectStore.open(path);
      const integrity = reader.integrityCheck();
      reader.close();
      if (integrity !== 'ok') report.corrupt.push(integrity);
      const interrupted = (await service.call('run.get', { id: (await open(path)).id })) as RunDetail;
      const committed = await rows(interrupted.id);
      for (const row of committed) if (reference.get(row.position) !== JSON.stringify(row)) report.lostOrWrong++;
      if (interrupted.status !== 'done') {
        report.committedAtKill.push(committed.length);
        report.causes.push(`${interrupted.status}: ${interrupted.error ?? '(no cause)'}`);
        await service.call('run.resume', { id: interrupted.id });
        await service.jobs().waitFor(interrupted.id);
      }
      const done = await rows(interrupted.id);
      if (done.length !== reference.size || !done.every((r) => reference.get(r.position) === JSON.stringify(r))) report.unequal++;
    }
    return report;
  } finally {
    await service.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The worker the CLI forks, once it exists; null if the CLI ended without one. */
async function workerOf(run: Cli): Promise<number | null> {
  for (;;) {
    const pid = run.child.pid;
    if (pid === undefined || run.child.exitCode !== null) return null;
    const worker = descendants(pid).find(isWorker);
    if (worker !== undefined) return worker;
    await sleep(5);
  }
}

/** Running, as opposed to gone or a zombie (exited, not yet reaped by whoever adopted it). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
