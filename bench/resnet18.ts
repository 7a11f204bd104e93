/**
 * A real-size model (issue 11, item 7): a ResNet-18 with 1000 classes at 224x224 (random weights,
 * seeded: the structure is what costs), FAB-T l_inf and DeepFool l_inf on a few images through the
 * real audit worker, beside PyTorch running AutoAttack's FAB-T on the same weights in the same run.
 *
 *   npx tsx bench/resnet18.ts [--images 8] [--iters 5] [--memory GB] [--threads N] [--keep]
 *
 * Brink's side runs as a user would: tools/models/export_resnet18.py writes the ONNX file and N
 * random uint8 images, then the CLI (`project create`, `model add` without mean/std, `dataset add`,
 * `audit --attack fab --norm linf --iters N --batch N --device cpu`, which with 1000 classes plans
 * AutoAttack's FAB-T over the top 9 classes, then `audit --attack deepfool` with DeepFool's own step
 * count; --batch is the image count, so that the recorded plan is for the batch that runs). The
 * bench polls the VmHWM of the worker the CLI's supervisor forks (found among the CLI's descendants
 * in /proc) and reads the run's recorded memory plan and verified margins from `brink export`.
 * samples/s is over the run's active time as the supervisor recorded it, model loading and Brink's
 * verification included: PyTorch's figure leaves its model building and a warm-up step out, so the
 * comparison favours PyTorch.
 *
 * PyTorch's side (bench/torch_fab_targeted.py) rebuilds the module from the exporter's code and seed,
 * checks its clean logits against Brink's, and runs FAB-T l_inf with the same targets (top 9 by the
 * clean logits), steps and thread count, in torch-env.ts's environment. Its adversarial examples are
 * checked by a fresh PyTorch forward pass (Brink's margins are verified and bisected by the product).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeNpy } from '../src-main/engine/runtime/index.js';
import type { RunPlan } from '../src-preload/contract.js';
import { descendants, isWorker, loadAverage, median, providerLine, statusKiB, table, wholeNumber } from './common.js';
import { PYTHON, torchUnavailable } from './torch-fab.js';
import { torchEnv } from './torch-env.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(root, 'src-main', 'cli', 'brink.ts');
const EXPORTER = join(root, 'tools', 'models', 'export_resnet18.py');
const TORCH_SCRIPT = fileURLToPath(new URL('torch_fab_targeted.py', import.meta.url));
const POLL_MS = 20;
/** AutoAttack's standard FAB-T target count, which Brink plans for models with more than 10 classes. */
const TARGETS = 9;

interface Options {
  images: number;
  iters: number;
  memory: number | null;
  threads: number;
  keep: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      images: { type: 'string', default: '8' },
      iters: { type: 'string', default: '5' },
      memory: { type: 'string' },
      threads: { type: 'string', default: String(cpus().length) },
      keep: { type: 'boolean', default: false },
    },
  });
  const memory = values.memory === undefined ? null : Number(values.memory);
  if (memory !== null && !(memory > 0)) throw new Error(`--memory takes a positive number of GB, got '${values.memory}'`);
  return {
    images: wholeNumber('images', values.images, 1),
    iters: wholeNumber('iters', values.iters, 1),
    memory,
    threads: wholeNumber('threads', values.threads, 1),
    keep: values.keep,
  };
}

/** One sample of `brink export`'s JSON, the fields used here. */
interface ExportedSample {
  pred: number;
  logits: number[];
  margin_found: boolean;
  input_margin: number | null;
}

interface Exported {
  run: { activeMs: number; status: string; doneCount: number; plan: RunPlan | null; provider: string | null };
  samples: ExportedSample[];
}

interface AuditMeasurement {
  wallSeconds: number;
  activeSeconds: number;
  workerPeakKiB: number;
  plan: RunPlan;
  samples: ExportedSample[];
}

interface TorchFigures {
  wall_s: number;
  cpu_s: number;
  found: number;
  median_linf: number | null;
  prediction_mismatches: number;
  max_logit_diff: number | null;
  threads: number;
  torch: string;
}

function cliArgs(args: string[]): string[] {
  return ['--import', 'tsx', CLI, ...args];
}

/** Runs a CLI command to the end and returns its --json answer. */
function brink(env: NodeJS.ProcessEnv, args: string[]): Record<string, unknown> {
  const run = spawnSync(process.execPath, cliArgs([...args, '--json']), { cwd: root, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`brink ${args.join(' ')} failed (exit ${run.status}): ${run.stderr.trim()}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

function python(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const run = spawnSync(PYTHON, args, { cwd: root, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${args[0]} failed (exit ${run.status}): ${run.stderr.trim()}`);
  return run.stdout;
}

/** Runs one `brink audit`, polling its worker's peak RSS, then reads the run back through `brink export`. */
async function audit(env: NodeJS.ProcessEnv, dir: string, project: string, ids: { model: string; dataset: string }, attackArgs: string[], opts: Options): Promise<AuditMeasurement> {
  // One batch of all the images, so that the recorded plan is for the batch the worker really runs.
  const args = ['audit', project, '--model', ids.model, '--dataset', ids.dataset, ...attackArgs, '--batch', String(opts.images), '--device', 'cpu', '--json'];
  if (opts.memory !== null) args.push('--memory', String(opts.memory));
  const started = performance.now();
  const cli = spawn(process.execPath, cliArgs(args), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let worker: number | null = null;
  let peakKiB = 0;
  // VmHWM only grows, so polling misses at most what the worker adds in its last interval.
  const timer = setInterval(() => {
    if (worker === null && cli.pid !== undefined) worker = descendants(cli.pid).find(isWorker) ?? null;
    if (worker !== null) peakKiB = Math.max(peakKiB, statusKiB(worker, 'VmHWM') ?? 0);
  }, POLL_MS);
  const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
  clearInterval(timer);
  const wallSeconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`brink ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`);
  if (worker === null) throw new Error('no audit worker was seen under the CLI: the poll interval may be too long');
  const run = (JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { run: string }).run;
  const out = join(dir, `${run}.json`);
  brink(env, ['export', project, '--run', run, '--out', out]);
  const exported = JSON.parse(readFileSync(out, 'utf8')) as Exported;
  if (exported.run.status !== 'done' || exported.run.doneCount !== opts.images) throw new Error(`run ${run} ended ${exported.run.status} at ${exported.run.doneCount}/${opts.images}`);
  if (!exported.run.plan) throw new Error(`run ${run} recorded no memory plan`);
  console.log(`run ${run}: ${providerLine(exported.run.provider ?? 'not recorded')}`);
  return { wallSeconds, activeSeconds: exported.run.activeMs / 1000, workerPeakKiB: peakKiB, plan: exported.run.plan, samples: exported.samples };
}

/** Runs torch_fab_targeted.py on the same images, to leave Brink's predicted classes, checking its logits against Brink's. */
function torchFabT(dir: string, dataset: string, samples: ExportedSample[], opts: Options): TorchFigures {
  const classes = join(dir, 'classes.npy');
  const logits = join(dir, 'logits.npy');
  writeFileSync(classes, encodeNpy({ data: Int32Array.from(samples, (s) => s.pred), shape: [samples.length] }));
  writeFileSync(logits, encodeNpy({ data: Float32Array.from(samples.flatMap((s) => s.logits)), shape: [samples.length, samples[0].logits.length] }));
  const args = [TORCH_SCRIPT, '--images', dataset, '--classes', classes, '--brink-logits', logits];
  args.push('--targeted', String(TARGETS), '--iters', String(opts.iters), '--threads', String(opts.threads));
  return JSON.parse(python(args, torchEnv(opts.threads)).trim().split('\n').pop() ?? '{}') as TorchFigures;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
/** What the worker should peak at: the plan's expected peak inside the budget plus what the process held when it planned. */
const plannedPeak = (plan: RunPlan) => plan.expectedPeakBytes + (plan.baseBytes ?? 0);
const verifiedMedian = (samples: ExportedSample[]) => {
  const found = samples.filter((s) => s.margin_found && s.input_margin !== null).map((s) => s.input_margin!);
  return { found: found.length, median: found.length ? median(found) : NaN };
};

function planLine(plan: RunPlan): string {
  const parts = [`budget ${mib(plan.budgetBytes)} MiB (${plan.budgetSource})`, `expected peak ${mib(plan.expectedPeakBytes)} MiB`];
  if (plan.baseBytes !== undefined) parts.push(`+ ${mib(plan.baseBytes)} MiB held before`);
  parts.push(`${plan.batch} samples per gradient call`, `${plan.rowsPerChunk} of ${plan.rows} Jacobian rows per call`);
  if (plan.fab) parts.push(`FAB ${plan.fab.form}${plan.fab.targets ? ` over ${plan.fab.targets} targets` : ''}`);
  if (plan.deepfoolCandidates !== null) parts.push(`DeepFool over ${plan.deepfoolCandidates} candidate classes`);
  return parts.join(', ');
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const noTorch = torchUnavailable();
  const dir = mkdtempSync(join(tmpdir(), 'brink-bench-resnet18-'));
  console.log(`ResNet-18 (1000 classes, 224x224, random weights): ${opts.images} random images, FAB-T l_inf (top ${TARGETS}, ${opts.iters} steps) and DeepFool l_inf (its own 50 steps), batch ${opts.images}, device cpu`);
  console.log(`PyTorch: FAB-T l_inf, same weights, targets and steps, ${opts.threads} threads; memory budget: ${opts.memory === null ? 'the product default (a share of the free memory)' : `${opts.memory} GB`}`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}; load average before: ${loadAverage()}`);
  try {
    if (noTorch) throw new Error(`this bench needs PyTorch for the ONNX export: ${noTorch}`);
    python([EXPORTER, dir, '--images', String(opts.images)]);
    const dataset = join(dir, 'images.npz');
    python(['-c', 'import sys, numpy as np; d = sys.argv[1]; np.savez(d + "/images.npz", x=np.load(d + "/images.npy"), y=np.load(d + "/labels.npy"))', dir]);
    const env = { ...process.env, BRINK_HOME: join(dir, 'home') };
    const project = join(dir, 'resnet18.brink');
    brink(env, ['project', 'create', project]);
    const ids = { model: String(brink(env, ['model', 'add', project, join(dir, 'resnet18.onnx')]).id), dataset: String(brink(env, ['dataset', 'add', project, dataset]).id) };

    const fab = await audit(env, dir, project, ids, ['--attack', 'fab', '--norm', 'linf', '--iters', String(opts.iters)], opts);
    const deepfool = await audit(env, dir, project, ids, ['--attack', 'deepfool', '--norm', 'linf'], opts);
    const torch = torchFabT(dir, dataset, fab.samples, opts);
    if (torch.prediction_mismatches) throw new Error(`PyTorch's clean predictions differ from Brink's on ${torch.prediction_mismatches} images`);

    const n = opts.images;
    const fabMargins = verifiedMedian(fab.samples);
    const dfMargins = verifiedMedian(deepfool.samples);
    console.log();
    console.log(
      table(
        ['side', 'attack', 'samples/s', 'seconds', 'found', 'median l_inf margin', 'worker peak RSS (MiB)', 'planned peak + held (MiB)', 'budget (MiB)'],
        [
          ['Brink', 'FAB-T', (n / fab.activeSeconds).toFixed(3), fab.activeSeconds.toFixed(1), `${fabMargins.found}/${n}`, fabMargins.median.toFixed(5), mib(fab.workerPeakKiB * 1024), mib(plannedPeak(fab.plan)), mib(fab.plan.budgetBytes)],
          ['Brink', 'DeepFool', (n / deepfool.activeSeconds).toFixed(3), deepfool.activeSeconds.toFixed(1), `${dfMargins.found}/${n}`, dfMargins.median.toFixed(5), mib(deepfool.workerPeakKiB * 1024), mib(plannedPeak(deepfool.plan)), mib(deepfool.plan.budgetBytes)],
          ['PyTorch', 'FAB-T', (n / torch.wall_s).toFixed(3), torch.wall_s.toFixed(1), `${torch.found}/${n}`, (torch.median_linf ?? NaN).toFixed(5), '', '', ''],
        ],
        { nameColumn: true },
      ),
    );
    console.log(`\nFAB-T samples/s, Brink / PyTorch: ${(torch.wall_s / fab.activeSeconds).toFixed(2)}`);
    console.log(`Brink seconds: the run's active time (model loading and verification included); the CLI commands took ${fab.wallSeconds.toFixed(1)} s and ${deepfool.wallSeconds.toFixed(1)} s`);
    console.log(`Brink margins: verified by the product (fresh forward pass, then bisection); PyTorch's: its kept examples, checked by a fresh PyTorch forward pass`);
    console.log(`PyTorch: torch ${torch.torch}, ${torch.threads} threads, ${(torch.cpu_s / torch.wall_s).toFixed(2)} cpu/wall; clean logits within ${torch.max_logit_diff?.toExponential(1)} of Brink's`);
    console.log(`plan (FAB-T run):    ${planLine(fab.plan)}`);
    console.log(`plan (DeepFool run): ${planLine(deepfool.plan)}`);
    console.log(`\nload average after: ${loadAverage()}`);
  } finally {
    if (opts.keep) console.log(`files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
