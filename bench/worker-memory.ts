/**
 * Peak memory of the audit worker (issue 4, item 10): a forward-margin run over 1,000 and over
 * 10,000 samples must need about the same memory, because the worker streams the dataset chunk
 * by chunk and commits each batch instead of holding everything.
 *
 *   npx tsx bench/worker-memory.ts [--counts 1000,10000] [--batch 128] [--images FILE.gz] [--keep]
 *
 * For each count, a fresh project is built through the real CLI (`project create`, `model add`,
 * `dataset add --limit N` of the same IDX file, so only the count differs), then `audit` runs as
 * a user would run it: the CLI's supervisor forks the worker (src-main/jobs/node-spawner.ts). The
 * bench finds that worker among the CLI's descendants in /proc and polls its VmHWM (the kernel's
 * peak resident set size) until it exits, so the product runs unmodified and unwrapped.
 * VmHWM only grows, so polling can miss at most what the worker adds in its last poll interval.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { descendants, isWorker, loadAverage, statusKiB, table } from './common.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'src-main', 'cli', 'brink.ts');
const MODEL = join(root, 'resources', 'samples', 'fmnist-cnn-standard.onnx');
const DEFAULT_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
const POLL_MS = 5;

interface Options {
  counts: number[];
  batch: number;
  images: string;
  keep: boolean;
}

/** What one audit cost: the worker's and the CLI's peak RSS, and the wall time of the whole command. */
interface Measurement {
  samples: number;
  workerPeakKiB: number;
  cliPeakKiB: number;
  auditSeconds: number;
  /** The run's own active time as the supervisor recorded it (model loading included). */
  activeSeconds: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      counts: { type: 'string', default: '1000,10000' },
      batch: { type: 'string', default: '128' },
      images: { type: 'string', default: DEFAULT_IMAGES },
      keep: { type: 'boolean', default: false },
    },
  });
  const whole = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} takes positive whole numbers, got '${v}'`);
    return n;
  };
  return {
    counts: values.counts.split(',').map((c) => whole('counts', c)),
    batch: whole('batch', values.batch),
    images: values.images,
    keep: values.keep,
  };
}

/** The CLI as `npm run brink` starts it (tsx), with settings kept in the bench's own folder. */
function cliArgs(args: string[]): string[] {
  return ['--import', 'tsx', CLI, ...args];
}

/** Runs a setup command to the end and returns its --json answer. */
function brink(env: NodeJS.ProcessEnv, args: string[]): Record<string, unknown> {
  const run = spawnSync(process.execPath, cliArgs([...args, '--json']), { cwd: root, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`brink ${args.join(' ')} failed (exit ${run.status}): ${run.stderr.trim()}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

/** Runs `brink audit` and polls the peak RSS of the CLI and of the worker it forks until both exit. */
async function measureAudit(env: NodeJS.ProcessEnv, project: string, modelId: string, datasetId: string, opts: Options): Promise<Omit<Measurement, 'samples' | 'activeSeconds'>> {
  const started = performance.now();
  const cli = spawn(process.execPath, cliArgs(['audit', project, '--model', modelId, '--dataset', datasetId, '--device', 'cpu', '--batch', String(opts.batch), '--json']), {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const workers = new Map<number, number>(); // pid -> peak KiB seen
  let cliPeakKiB = 0;
  const poll = () => {
    const pid = cli.pid;
    if (pid === undefined) return;
    cliPeakKiB = Math.max(cliPeakKiB, statusKiB(pid, 'VmHWM') ?? 0);
    // The process tree is only scanned until the worker is known; after that its status suffices.
    if (workers.size === 0) for (const child of descendants(pid)) if (isWorker(child)) workers.set(child, 0);
    for (const [worker, peak] of workers) workers.set(worker, Math.max(peak, statusKiB(worker, 'VmHWM') ?? 0));
  };
  const timer = setInterval(poll, POLL_MS);
  const code = await new Promise<number | null>((resolve) => cli.once('exit', (c) => resolve(c)));
  clearInterval(timer);
  const auditSeconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`brink audit failed (exit ${code}): ${stderr.trim()}\n${stdout.trim()}`);
  if (workers.size !== 1) throw new Error(`expected one worker process under the CLI, found ${workers.size}`);
  return { workerPeakKiB: [...workers.values()][0], cliPeakKiB, auditSeconds };
}

async function measure(samples: number, base: string, opts: Options): Promise<Measurement> {
  const dir = join(base, `n${samples}`);
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, BRINK_HOME: join(dir, 'home') };
  const project = join(dir, `bench-${samples}.brink`);
  brink(env, ['project', 'create', project]);
  const model = brink(env, ['model', 'add', project, MODEL, '--mean', '0.286', '--std', '0.353']);
  const dataset = brink(env, ['dataset', 'add', project, opts.images, '--limit', String(samples)]);
  const audit = await measureAudit(env, project, String(model.id), String(dataset.id), opts);
  // The run must have covered every sample, or the comparison would be between different work.
  const { runs } = brink(env, ['runs', project]) as { runs: { status: string; doneCount: number; sampleCount: number; activeMs: number }[] };
  const run = runs[0];
  if (runs.length !== 1 || run.status !== 'done' || run.doneCount !== samples) {
    throw new Error(`the ${samples}-sample run ended ${run?.status} at ${run?.doneCount}/${run?.sampleCount}`);
  }
  return { samples, activeSeconds: run.activeMs / 1000, ...audit };
}


const mib = (kib: number) => (kib / 1024).toFixed(1);

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const base = mkdtempSync(join(tmpdir(), 'brink-bench-memory-'));
  console.log(`worker memory: forward-margin audit of ${MODEL.slice(root.length)} on the first N images of ${opts.images}, batch ${opts.batch}, device cpu`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}; load average before: ${loadAverage()}`);
  try {
    const results: Measurement[] = [];
    for (const samples of opts.counts) results.push(await measure(samples, base, opts));
    const first = results[0];
    console.log();
    console.log(
      table(
        ['samples', 'worker peak RSS (MiB)', `ratio to ${first.samples}`, 'CLI peak RSS (MiB)', 'audit wall (s)', 'run active (s)'],
        results.map((r) => [String(r.samples), mib(r.workerPeakKiB), (r.workerPeakKiB / first.workerPeakKiB).toFixed(3), mib(r.cliPeakKiB), r.auditSeconds.toFixed(1), r.activeSeconds.toFixed(2)]),
      ),
    );
    console.log(`\nload average after: ${loadAverage()}`);
  } finally {
    if (opts.keep) console.log(`projects kept in ${base}`);
    else rmSync(base, { recursive: true, force: true });
  }
}

await main();
