/**
 * Forward-margin throughput (issue 4, item 10): images/s of Brink's forward-margin job on CPU
 * against PyTorch CPU on the same weights, measured in the same run so the ratio is fair on a
 * shared machine whose absolute speed drifts.
 *
 *   npx tsx bench/forward-margins.ts [--threads 1[,2...]] [--batch 128] [--repeats 10] [--warmup 2]
 *                                     [--rounds 3] [--models standard,robust]
 *
 * Brink's side is the audit worker's code path (src-main/worker/forward-margins.ts) without the
 * project file: the model is read, its normalisation folded into the graph and re-encoded,
 * the linear head detected; an onnxruntime CPU session runs fixed-shape batches through
 * BatchRunner; every batch is fed as the worker's SampleStream feeds it (uint8 / 255 into
 * float32 NCHW) and turned into the same per-sample rows (prediction, logits, logit margin,
 * feature margins). Setup (session, head distances) is outside the timing on both sides, as it
 * happens once per run; the SQLite commit and the progress messages are left out (they are
 * storage, not the forward pass).
 *
 * PyTorch's side is bench/torch_forward.py under /usr/bin/python3 (torch.no_grad, the same batch
 * size and thread count). It also checks that its logits equal Brink's for the first batch:
 * otherwise the two would not be computing the same thing and the ratio would mean nothing.
 */
import { spawnSync } from 'node:child_process';
import { torchEnv } from './torch-env.js';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { readDataset, type DatasetSamples } from '../src-main/engine/data/index.js';
import { argmax, dualNorm, featureMargin, logitMargin, pairwiseWeightDistances } from '../src-main/engine/margins/margins.js';
import { readModel, writeModel } from '../src-main/engine/onnx/codec.js';
import { detectLinearHead, foldPreprocessing } from '../src-main/engine/onnx/surgery.js';
import { BatchRunner, createSession, encodeNpy } from '../src-main/engine/runtime/index.js';
import type { SampleResult } from '../src-main/store/run-repo.js';
import { loadAverage, median, providerLine, table, timed, wholeNumber, type Timing } from './common.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const samples = join(root, 'resources', 'samples');
const IMAGES = join(samples, 'fmnist-test-1000-images-idx3-ubyte.gz');
const TORCH_SCRIPT = join(root, 'bench', 'torch_forward.py');
const PYTHON = '/usr/bin/python3';
// The sample models' normalisation (resources/samples/manifest.json), as `brink model add` is given it.
const PREPROCESSING = { range: [0, 1] as [number, number], mean: [0.286], std: [0.353] };

interface Options {
  threads: number[];
  batch: number;
  repeats: number;
  warmup: number;
  rounds: number;
  models: string[];
}


interface BrinkResult extends Timing {
  /** Logits and [logit, feature l_inf, feature l2] margins of the first batch, for the agreement check. */
  firstLogits: { data: Float32Array; shape: number[] };
  firstMargins: { data: Float64Array; shape: number[] };
}

interface TorchResult extends Timing {
  logitsMaxAbsDiff: number | null;
  marginsMaxAbsDiff: number | null;
}


function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      threads: { type: 'string', default: '1' },
      batch: { type: 'string', default: '128' },
      repeats: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      models: { type: 'string', default: 'standard,robust' },
    },
  });
  return {
    threads: values.threads.split(',').map((t) => wholeNumber('threads', t, 1)),
    batch: wholeNumber('batch', values.batch, 1),
    repeats: wholeNumber('repeats', values.repeats, 1),
    warmup: wholeNumber('warmup', values.warmup, 0),
    rounds: wholeNumber('rounds', values.rounds, 1),
    models: values.models.split(',').map((m) => m.trim()),
  };
}



async function benchBrink(modelPath: string, dataset: DatasetSamples, threads: number, opts: Options): Promise<BrinkResult> {
  // Model preparation exactly as forwardMargins() does it.
  const graph = foldPreprocessing(readModel(readFileSync(modelPath), basename(modelPath)), PREPROCESSING);
  const detection = detectLinearHead(graph);
  if (!detection.head) throw new Error(`${basename(modelPath)}: no linear head (${detection.reason})`);
  const head = detection.head;
  const runtime = await createSession(writeModel(graph), { device: 'cpu', intraOpThreads: threads });
  console.log(`${basename(modelPath)}: ${providerLine(runtime.provider)}`);
  const runner = new BatchRunner(runtime.session, { batchSize: opts.batch });
  const input = runtime.session.inputNames[0];
  const output = runtime.session.outputNames[0];
  const distances = {
    linf: pairwiseWeightDistances(head.weight, head.classes, head.features, dualNorm('linf')),
    l2: pairwiseWeightDistances(head.weight, head.classes, head.features, dualNorm('l2')),
  };
  const [channels, height, width] = dataset.shape;
  const perSample = channels * height * width;
  const pixels = dataset.data;
  // SampleStream divides by 255 for uint8 sources and passes float sources through.
  const scale = pixels instanceof Uint8Array ? 255 : 1;

  /** One pass over every image, batch by batch, as the worker's loop runs it; returns the rows. */
  const pass = async (): Promise<SampleResult[][]> => {
    const batches: SampleResult[][] = [];
    for (let start = 0; start < dataset.count; start += opts.batch) {
      const count = Math.min(opts.batch, dataset.count - start);
      // Feeding, as SampleStream.take: one float32 NCHW batch of the requested samples.
      const x = new Float32Array(count * perSample);
      const labels = new Int32Array(count);
      for (let k = 0; k < count; k++) {
        const at = (start + k) * perSample;
        for (let p = 0; p < perSample; p++) x[k * perSample + p] = pixels[at + p] / scale;
        labels[k] = dataset.labels[start + k];
      }
      const logits = (await runner.run({ [input]: { data: x, shape: [count, channels, height, width] } }, { fetch: [output] }))[output];
      const classes = logits.shape[1];
      batches.push(
        Array.from({ length: count }, (_, k) => {
          const offset = k * classes;
          return {
            position: start + k,
            index: start + k,
            label: labels[k],
            pred: argmax(logits.data, offset, classes),
            logits: logits.data.slice(offset, offset + classes),
            logitMargin: logitMargin(logits.data, offset, classes),
            featureMarginLinf: featureMargin(logits.data, offset, classes, distances.linf),
            featureMarginL2: featureMargin(logits.data, offset, classes, distances.l2),
          };
        }),
      );
    }
    return batches;
  };

  try {
    const timing = await timed(dataset.count, opts.warmup, opts.repeats, pass);
    const first = (await pass())[0];
    const classes = first[0].logits.length;
    const firstLogits = new Float32Array(first.length * classes);
    const firstMargins = new Float64Array(first.length * 3);
    first.forEach((row, k) => {
      firstLogits.set(row.logits, k * classes);
      firstMargins.set([row.logitMargin, row.featureMarginLinf ?? NaN, row.featureMarginL2 ?? NaN], k * 3);
    });
    return {
      ...timing,
      firstLogits: { data: firstLogits, shape: [first.length, classes] },
      firstMargins: { data: firstMargins, shape: [first.length, 3] },
    };
  } finally {
    await runner.release();
  }
}

/** Why PyTorch cannot be run here, or null when it can. */
function torchUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch, onnx and numpy (${probe.stderr.trim().split('\n').pop() ?? 'no output'})`;
  return null;
}

function benchTorch(modelPath: string, threads: number, brink: BrinkResult, opts: Options): TorchResult {
  const dir = mkdtempSync(join(tmpdir(), 'brink-bench-'));
  try {
    const logitsPath = join(dir, 'logits.npy');
    const marginsPath = join(dir, 'margins.npy');
    writeFileSync(logitsPath, encodeNpy(brink.firstLogits));
    writeFileSync(marginsPath, encodeNpy(brink.firstMargins));
    const args = [
      TORCH_SCRIPT,
      ...['--model', modelPath, '--images', IMAGES, '--threads', String(threads), '--batch', String(opts.batch)],
      ...['--repeats', String(opts.repeats), '--warmup', String(opts.warmup)],
      ...['--brink-logits', logitsPath, '--brink-margins', marginsPath],
    ];
    const run = spawnSync(PYTHON, args, { encoding: 'utf8', env: torchEnv(threads) });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) throw new Error(`torch_forward.py failed (exit ${run.status}): ${run.stderr.trim()}`);
    if (run.status !== 0) process.stderr.write(run.stderr);
    const report = JSON.parse(line) as {
      images_per_s: number;
      median_ms: number;
      min_ms: number;
      logits_max_abs_diff?: number;
      margins_max_abs_diff?: number;
    };
    return {
      imagesPerSecond: report.images_per_s,
      medianMs: report.median_ms,
      minMs: report.min_ms,
      logitsMaxAbsDiff: report.logits_max_abs_diff ?? null,
      marginsMaxAbsDiff: report.margins_max_abs_diff ?? null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}



/** One model at one thread count, over all rounds. */
interface Case {
  model: string;
  threads: number;
  brink: number[];
  torch: number[];
  ratios: number[];
  /** Ratio of the fastest passes: less sensitive to other load than the medians. */
  bestRatios: number[];
  logitsDiff: number;
  marginsDiff: number;
}

const fmt = (values: number[], digits: number) => (values.length ? median(values).toFixed(digits) : '-');
const range = (values: number[]) => (values.length ? `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}` : '-');

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const dataset = await readDataset(IMAGES);
  const unavailable = torchUnavailable();
  console.log(
    `forward margins: ${dataset.count} images ${dataset.shape.join('x')}, batch ${opts.batch}, ` +
      `median of ${opts.repeats} passes after ${opts.warmup} warm-up, ${opts.rounds} rounds`,
  );
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}; onnxruntime-node ${ort.env.versions.node}; load average before: ${loadAverage()}`);
  if (unavailable) console.log(`PyTorch side skipped: ${unavailable}`);

  const cases: Case[] = opts.models.flatMap((model) =>
    opts.threads.map((threads) => ({ model, threads, brink: [], torch: [], ratios: [], bestRatios: [], logitsDiff: 0, marginsDiff: 0 })),
  );
  // Rounds interleave the two sides over time, so a burst of load on this shared machine hits
  // one round of both rather than all of one side; the table shows medians over rounds.
  for (let round = 0; round < opts.rounds; round++) {
    for (const c of cases) {
      const modelPath = join(samples, `fmnist-cnn-${c.model}.onnx`);
      const brink = await benchBrink(modelPath, dataset, c.threads, opts);
      c.brink.push(brink.imagesPerSecond);
      if (unavailable) continue;
      const torch = benchTorch(modelPath, c.threads, brink, opts);
      c.torch.push(torch.imagesPerSecond);
      c.ratios.push(brink.imagesPerSecond / torch.imagesPerSecond);
      c.bestRatios.push(torch.minMs / brink.minMs);
      // A missing figure counts as a disagreement.
      c.logitsDiff = Math.max(c.logitsDiff, torch.logitsMaxAbsDiff ?? Infinity);
      c.marginsDiff = Math.max(c.marginsDiff, torch.marginsMaxAbsDiff ?? Infinity);
    }
  }

  const rows = cases.map((c) => [
    c.model,
    String(c.threads),
    String(opts.batch),
    fmt(c.brink, 0),
    fmt(c.torch, 0),
    fmt(c.ratios, 2),
    range(c.ratios),
    fmt(c.bestRatios, 2),
    unavailable ? '-' : c.logitsDiff.toExponential(1),
    unavailable ? '-' : c.marginsDiff.toExponential(1),
  ]);
  console.log();
  console.log(
    table(['model', 'threads', 'batch', 'Brink img/s', 'PyTorch img/s', 'Brink/PyTorch', 'ratio range', 'best-pass ratio', 'logits max|d|', 'margins max|d|'], rows),
  );
  console.log(`\nload average after: ${loadAverage()}`);
  if (!unavailable && cases.some((c) => !(c.logitsDiff < 1e-4))) {
    console.error('logits disagree with PyTorch by 1e-4 or more: the two sides do not compute the same function');
    process.exitCode = 1;
  }
}

await main();
