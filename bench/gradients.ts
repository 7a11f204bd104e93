/**
 * Input-gradient throughput (issue 3, item 8): images/s of Brink's gradient model on
 * onnxruntime CPU against PyTorch CPU autograd on the same weights, with the forward-only
 * ratio beside it, measured in one run so that the ratios are fair on a shared machine whose
 * absolute speed drifts. Target: Brink's gradient at least 1.5x PyTorch's.
 *
 *   npx tsx bench/gradients.ts [--threads 1[,2...]] [--batch 128] [--repeats 10] [--warmup 3]
 *                              [--rounds 3] [--profile]
 *
 * The model is the golden ResNet (src-main/engine/autodiff/goldens/resnet/model.onnx: BatchNorm,
 * residual adds, MaxPool, GlobalAveragePool; input [batch, 3, 32, 32] in [0, 1], no
 * preprocessing to fold). Brink's side is the path `brink grad` and the attacks take
 * (src-main/engine/runtime/gradient-session.ts): shapes probed at batch 2, buildGradientModel,
 * one onnxruntime CPU session (createSession, the given intra-op threads) run through
 * BatchRunner at a fixed batch. (a) forward only: the plain model, fetching the logits;
 * (b) input gradient: the gradient model, fed x and a cotangent v, fetching d(sum v*logits)/dx.
 * Session setup is outside the timing on both sides; each figure is the median of --repeats
 * timed batches after --warmup untimed ones.
 *
 * PyTorch's side is tools/goldens/bench_torch.py under /usr/bin/python3 (same seed, so the same
 * weights; it checks its logits against the golden ones), spawned with the same --threads,
 * --batch, --reps and --warmup. Rounds interleave the two sides over time, so that a burst of
 * load hits one round of both rather than all of one side; the table gives medians over rounds.
 *
 * The same run checks correctness: Brink's gradient for the golden x and v (PyTorch float64
 * autograd, goldens/resnet/{x,v,grad}.npy) must be within 1e-4 relative error (max-abs
 * difference over max-abs reference); the exit status is 1 otherwise.
 *
 * --profile adds, per thread count, an onnxruntime profile of the gradient session and of the
 * plain forward session (SessionOptions.enableProfiling): kernel time per batch by op type,
 * split into the forward part and the backward nodes (named brink_grad/...), and the slowest
 * backward nodes.
 */
import { spawnSync } from 'node:child_process';
import { torchEnv } from './torch-env.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { buildGradientModel, type GradientModel } from '../src-main/engine/autodiff/backward.js';
import { readModel, writeModel } from '../src-main/engine/onnx/codec.js';
import { topologicalOrder, type OnnxModel } from '../src-main/engine/onnx/graph.js';
import { mergeShapes, probeShapes, staticShapes, type ModelRunner } from '../src-main/engine/onnx/shapes.js';
import { BatchRunner, createSession, decodeNpyFloat32, type FloatArray } from '../src-main/engine/runtime/index.js';
import { mulberry32 } from '../src-main/engine/random.js';
import { loadAverage, median, providerLine, table, timed, wholeNumber, type Timing } from './common.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const GOLDEN = join(root, 'src-main', 'engine', 'autodiff', 'goldens', 'resnet');
const TORCH_SCRIPT = join(root, 'tools', 'goldens', 'bench_torch.py');
const PYTHON = '/usr/bin/python3';
const TOLERANCE = 1e-4;
const TARGET = 1.5;

interface Options {
  threads: number[];
  batch: number;
  repeats: number;
  warmup: number;
  rounds: number;
  profile: boolean;
}


function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      threads: { type: 'string', default: '1' },
      batch: { type: 'string', default: '128' },
      repeats: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      profile: { type: 'boolean', default: false },
    },
  });
  return {
    threads: values.threads.split(',').map((t) => wholeNumber('threads', t.trim(), 1)),
    batch: wholeNumber('batch', values.batch, 1),
    repeats: wholeNumber('repeats', values.repeats, 1),
    warmup: wholeNumber('warmup', values.warmup, 0),
    rounds: wholeNumber('rounds', values.rounds, 1),
    profile: values.profile,
  };
}


function uniform(count: number, seed: number, lo: number, hi: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => lo + (hi - lo) * next());
}

// A plain Uint8Array: decodeNpy's slice() would be a view, not a copy, on a Node Buffer.
const npy = (file: string) => decodeNpyFloat32(new Uint8Array(readFileSync(join(GOLDEN, file))), `goldens/resnet/${file}`);

// ---- Brink's gradient model -------------------------------------------------------------------

/** One CPU run that exposes every intermediate tensor (as gradient-session.ts probes). */
const probeRunner: ModelRunner<Record<string, ort.Tensor>> = async (bytes, feeds) => {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
};

/** Shapes probed at batch 2 (a dimension of 1 is how autodiff recognises a broadcast). */
async function gradientModel(model: OnnxModel, sampleShape: number[]): Promise<GradientModel> {
  const input = model.graph.inputs[0].name;
  const probeX = uniform(2 * sampleShape.reduce((a, b) => a * b, 1), 2, 0, 1);
  const feeds = { [input]: new ort.Tensor('float32', probeX, [2, ...sampleShape]) };
  const shapes = mergeShapes(staticShapes(model), await probeShapes(model, probeRunner, feeds));
  return buildGradientModel(model, { shapes, input });
}

interface Check {
  relativeError: number;
  maxAbsDiff: number;
  maxAbsReference: number;
  logitsMaxAbsDiff: number;
  samples: number;
}

/** max |a - b| and max |b|. */
function compare(got: Float32Array, reference: Float32Array): { diff: number; scale: number } {
  if (got.length !== reference.length) throw new Error(`${got.length} values against ${reference.length} in the reference`);
  let diff = 0;
  let scale = 0;
  reference.forEach((r, i) => {
    diff = Math.max(diff, Math.abs(got[i] - r));
    scale = Math.max(scale, Math.abs(r));
  });
  return { diff, scale };
}

/** Brink's gradient for the golden x and v against PyTorch's float64 autograd. */
async function checkGolden(session: InferenceSession, names: GradientModel): Promise<Check> {
  const [x, v, grad, logits] = ['x.npy', 'v.npy', 'grad.npy', 'logits.npy'].map(npy);
  const out = await session.run(
    { [names.input]: new ort.Tensor('float32', x.data, x.shape), [names.cotangent]: new ort.Tensor('float32', v.data, v.shape) },
    [names.gradient, names.logits],
  );
  const g = compare(out[names.gradient].data as Float32Array, grad.data);
  const l = compare(out[names.logits].data as Float32Array, logits.data);
  return { relativeError: g.diff / g.scale, maxAbsDiff: g.diff, maxAbsReference: g.scale, logitsMaxAbsDiff: l.diff, samples: x.shape[0] };
}

// ---- timing -----------------------------------------------------------------------------------



interface Brink {
  forward: BatchRunner;
  gradient: BatchRunner;
  names: GradientModel;
  /** The provider both sessions ran on. */
  provider: string;
  release(): Promise<void>;
}

async function brinkSessions(model: OnnxModel, built: GradientModel, threads: number, batch: number): Promise<Brink> {
  const forwardRuntime = await createSession(writeModel(model), { device: 'cpu', intraOpThreads: threads });
  const gradientRuntime = await createSession(writeModel(built.model), { device: 'cpu', intraOpThreads: threads });
  const forward = new BatchRunner(forwardRuntime.session, { batchSize: batch });
  const gradient = new BatchRunner(gradientRuntime.session, { batchSize: batch });
  return {
    forward,
    gradient,
    names: built,
    provider: [...new Set([forwardRuntime.provider, gradientRuntime.provider])].join(' and '),
    release: async () => {
      await forward.release();
      await gradient.release();
    },
  };
}

interface Batch {
  x: FloatArray;
  v: FloatArray;
}

function benchBatch(batch: number, sampleShape: number[], classes: number): Batch {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  return {
    x: { data: uniform(batch * size, 128, 0, 1), shape: [batch, ...sampleShape] },
    v: { data: uniform(batch * classes, 129, -1, 1), shape: [batch, classes] },
  };
}

async function benchBrink(brink: Brink, data: Batch, opts: Options): Promise<{ forward: Timing; gradient: Timing }> {
  const { input, cotangent, gradient } = brink.names;
  const forward = await timed(opts.batch, opts.warmup, opts.repeats, () =>
    brink.forward.run({ [input]: data.x }, { fetch: [brink.forward.outputNames[0]] }),
  );
  const grad = await timed(opts.batch, opts.warmup, opts.repeats, () =>
    brink.gradient.run({ [input]: data.x, [cotangent]: data.v }, { fetch: [gradient] }),
  );
  return { forward, gradient: grad };
}

/** Why PyTorch cannot be run here, or null when it can. */
function torchUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch and numpy (${probe.stderr.trim().split('\n').pop() ?? 'no output'})`;
  return null;
}

interface TorchReport {
  forward_images_per_s: number;
  grad_images_per_s: number;
  forward_ms_median: number;
  grad_ms_median: number;
  forward_ms_min_max: [number, number];
  grad_ms_min_max: [number, number];
  threads: number;
  torch_version: string;
}

function benchTorch(threads: number, opts: Options): { forward: Timing; gradient: Timing; version: string } {
  const args = [TORCH_SCRIPT, '--threads', String(threads), '--batch', String(opts.batch), '--reps', String(opts.repeats), '--warmup', String(opts.warmup)];
  const run = spawnSync(PYTHON, args, { encoding: 'utf8', env: torchEnv(threads) });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) throw new Error(`bench_torch.py failed (exit ${run.status}): ${run.stderr.trim()}`);
  const r = JSON.parse(line) as TorchReport;
  if (r.threads !== threads) throw new Error(`bench_torch.py ran with ${r.threads} threads instead of ${threads}`);
  return {
    forward: { imagesPerSecond: r.forward_images_per_s, medianMs: r.forward_ms_median, minMs: r.forward_ms_min_max[0] },
    gradient: { imagesPerSecond: r.grad_images_per_s, medianMs: r.grad_ms_median, minMs: r.grad_ms_min_max[0] },
    version: r.torch_version,
  };
}

// ---- profiling --------------------------------------------------------------------------------

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

/** Kernel time (µs, summed over the profiled runs) per node, from onnxruntime's profile JSON. */
async function profileNodes(bytes: Uint8Array, threads: number, feeds: Record<string, ort.Tensor>, fetch: string[], runs: number, warmup: number) {
  const dir = mkdtempSync(join(tmpdir(), 'brink-profile-'));
  try {
    // Warm-up runs in a session of its own would not warm this one: profile them all, drop them after.
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'profile'),
      logSeverityLevel: 3,
    });
    const walls: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      await session.run(feeds, fetch);
      walls.push(performance.now() - t0);
    }
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error('onnxruntime wrote no profile');
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
    // Runs are delimited by model_run events; keep the nodes of the last `runs` of them.
    const runEnds = events.map((e, i) => (e.cat === 'Session' && e.name === 'model_run' ? i : -1)).filter((i) => i >= 0);
    const from = runEnds.length > runs ? runEnds[runEnds.length - runs - 1] : -1;
    const nodes = new Map<string, { op: string; us: number }>();
    events.forEach((e, i) => {
      if (i <= from || e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) return;
      const name = e.name.slice(0, -'_kernel_time'.length);
      const entry = nodes.get(name) ?? { op: e.args?.op_name ?? '?', us: 0 };
      entry.us += e.dur;
      nodes.set(name, entry);
    });
    return { nodes, wallMs: median(walls.slice(warmup)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `torchGradientMs`: PyTorch's fastest gradient batch at this thread count, when it ran; the
 * profile then prints the best ratio each part of the gradient session leaves reachable.
 */
async function profile(model: OnnxModel, built: GradientModel, data: Batch, threads: number, opts: Options, torchGradientMs?: number): Promise<void> {
  const runs = opts.repeats;
  const fwdFeeds = { [built.input]: new ort.Tensor('float32', data.x.data, data.x.shape) };
  const gradFeeds = { ...fwdFeeds, [built.cotangent]: new ort.Tensor('float32', data.v.data, data.v.shape) };
  const plain = await profileNodes(writeModel(model), threads, fwdFeeds, [model.graph.outputs[0].name], runs, opts.warmup);
  const grad = await profileNodes(writeModel(built.model), threads, gradFeeds, [built.gradient], runs, opts.warmup);
  const perBatch = (us: number) => us / runs / 1000;
  // onnxruntime renames what it rewrites (a suffix such as _nchwc) and adds layout nodes (Reorder*).
  const part = (name: string, op: string) =>
    name.startsWith('brink_grad/') || name.startsWith(built.gradient) ? 'backward' : op.startsWith('Reorder') ? 'layout' : 'forward';
  const byOp = (nodes: Map<string, { op: string; us: number }>) => {
    const totals = new Map<string, { part: string; op: string; ms: number; count: number }>();
    for (const [name, { op, us }] of nodes) {
      const key = `${part(name, op)} ${op}`;
      const t = totals.get(key) ?? { part: part(name, op), op, ms: 0, count: 0 };
      t.ms += perBatch(us);
      t.count += 1;
      totals.set(key, t);
    }
    return [...totals.values()].sort((a, b) => b.ms - a.ms);
  };
  const sum = (rows: { ms: number }[]) => rows.reduce((a, t) => a + t.ms, 0);
  const plainOps = byOp(plain.nodes);
  const gradOps = byOp(grad.nodes);
  const of = (p: string) => sum(gradOps.filter((t) => t.part === p)).toFixed(1);
  console.log(`\nprofile, ${threads} thread(s), batch ${opts.batch}: kernel ms per batch (mean of ${runs} runs after ${opts.warmup} warm-up)`);
  console.log(`  plain forward session: wall ${plain.wallMs.toFixed(1)} ms, kernels ${sum(plainOps).toFixed(1)} ms`);
  console.log(
    `  gradient session: wall ${grad.wallMs.toFixed(1)} ms, kernels ${sum(gradOps).toFixed(1)} ms ` +
      `(forward ${of('forward')}, layout ${of('layout')}, backward ${of('backward')})`,
  );
  const rows = (ops: { part: string; op: string; ms: number; count: number }[], session: string) =>
    ops.filter((t) => t.ms >= 0.05).map((t) => [session, t.part, t.op, String(t.count), t.ms.toFixed(2)]);
  console.log(table(['session', 'part', 'op (after onnxruntime fusion)', 'nodes', 'ms/batch'], [...rows(plainOps, 'plain'), ...rows(gradOps, 'gradient')], { nameColumn: true }));
  // What each slow backward node reads from the forward graph tells which rule emitted it. Weights
  // that backward nodes derive from forward constants (flipped, scaled by a BatchNorm's factor)
  // are traced back to those constants through the nodes that compute them.
  const nodes = built.model.graph.nodes;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const producer = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const forwardValues = new Set([...model.graph.nodes.flatMap((n) => [...n.inputs, ...n.outputs]), ...model.graph.initializers.map((t) => t.name)]);
  const fed = new Set([built.input, built.cotangent]);
  for (const n of topologicalOrder(built.model.graph)) if (n.inputs.some((v) => fed.has(v))) n.outputs.forEach((o) => fed.add(o));
  const reads = (name: string) => {
    const node = byName.get(name) ?? [...byName.entries()].find(([n]) => n && name.startsWith(n))?.[1];
    const found = new Set<string>();
    const visit = (v: string): void => {
      if (forwardValues.has(v)) found.add(v);
      else if (!fed.has(v)) producer.get(v)?.inputs.forEach(visit);
    };
    node?.inputs.forEach(visit);
    return [...found].join(', ') || '-';
  };
  if (torchGradientMs !== undefined && Number.isFinite(torchGradientMs)) ceilings(plainOps, gradOps, torchGradientMs);
  const slowest = [...grad.nodes].filter(([name, { op }]) => part(name, op) === 'backward').sort((a, b) => b[1].us - a[1].us).slice(0, 12);
  console.log(table(['slowest backward nodes', 'op', 'ms/batch', 'forward tensors read'], slowest.map(([name, { op, us }]) => [name, op, perBatch(us).toFixed(2), reads(name)]), { nameColumn: true }));
}

/**
 * The gradient ratio reachable if parts of the gradient session cost nothing: the convolutions
 * (forward, and their input gradients as Conv or ConvTranspose) bound it from above whatever the
 * rest becomes; the forward MaxPool costs what MaxPool with its Indices output costs against the
 * plain session's MaxPool (onnxruntime runs a scalar kernel when Indices is asked for), and the
 * Indices are the route issue 3 prescribes for MaxPool's gradient.
 */
function ceilings(plainOps: { part: string; op: string; ms: number }[], gradOps: { part: string; op: string; ms: number }[], torchMs: number): void {
  const ms = (ops: { part: string; op: string; ms: number }[], part: string, op: string) => ops.filter((t) => t.part === part && t.op === op).reduce((a, t) => a + t.ms, 0);
  const total = gradOps.reduce((a, t) => a + t.ms, 0);
  const convolutions = ms(gradOps, 'forward', 'Conv') + ms(gradOps, 'backward', 'Conv') + ms(gradOps, 'backward', 'ConvTranspose');
  const indicesCost = ms(gradOps, 'forward', 'MaxPool') - ms(plainOps, 'forward', 'MaxPool');
  const row = (what: string, kernelMs: number) => [what, kernelMs.toFixed(1), (torchMs / kernelMs).toFixed(2)];
  console.log(`ratios reachable against PyTorch's fastest gradient batch (${torchMs.toFixed(1)} ms), from the kernel times above; target ${TARGET}x:`);
  console.log(
    table(
      ['gradient session', 'kernel ms', 'Brink/PyTorch at most'],
      [
        row('as it is', total),
        row('forward MaxPool as cheap as without Indices', total - indicesCost),
        row('convolutions and the forward MaxPool with Indices only', convolutions + ms(gradOps, 'forward', 'MaxPool')),
        row('convolutions only (everything else free)', convolutions),
      ],
      { nameColumn: true },
    ),
  );
}

// ---- report -----------------------------------------------------------------------------------



/** Figures of one thread count over all rounds (images/s; ratios Brink / PyTorch per round). */
interface Case {
  threads: number;
  brinkForward: number[];
  brinkGradient: number[];
  torchForward: number[];
  torchGradient: number[];
  forwardRatios: number[];
  gradientRatios: number[];
  /** Fastest single passes over all rounds (ms): the least disturbed by other load. */
  best: { brinkForward: number; brinkGradient: number; torchForward: number; torchGradient: number };
}

const med = (values: number[], digits: number) => (values.length ? median(values).toFixed(digits) : '-');
const spread = (values: number[]) => (values.length ? `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}` : '-');

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const model = readModel(readFileSync(join(GOLDEN, 'model.onnx')), 'goldens/resnet/model.onnx');
  const golden = npy('x.npy');
  const sampleShape = golden.shape.slice(1);
  const classes = npy('v.npy').shape[1];
  const unavailable = torchUnavailable();
  console.log(
    `input gradients, golden ResNet [batch, ${sampleShape.join(', ')}] -> ${classes} logits; batch ${opts.batch}, ` +
      `median of ${opts.repeats} batches after ${opts.warmup} warm-up, ${opts.rounds} round(s)`,
  );
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}; onnxruntime-node ${ort.env.versions.node}; load average before: ${loadAverage()}`);
  if (unavailable) console.log(`PyTorch side skipped: ${unavailable}`);

  const t0 = performance.now();
  const built = await gradientModel(model, sampleShape);
  const backwardNodes = built.model.graph.nodes.length - model.graph.nodes.length;
  console.log(`gradient model: ${model.graph.nodes.length} forward + ${backwardNodes} backward nodes, built in ${(performance.now() - t0).toFixed(0)} ms`);

  // Correctness, on the session that is benchmarked (the golden batch is 4; the session takes any).
  const data = benchBatch(opts.batch, sampleShape, classes);
  const sessions = new Map<number, Brink>();
  for (const threads of opts.threads) sessions.set(threads, await brinkSessions(model, built, threads, opts.batch));
  console.log(providerLine([...new Set([...sessions.values()].map((s) => s.provider))].join(', ')));
  const check = await checkGolden(sessions.get(opts.threads[0])!.gradient.session, built);
  const ok = check.relativeError <= TOLERANCE;
  console.log(
    `correctness (goldens/resnet, ${check.samples} samples, PyTorch float64 autograd): gradient relative error ` +
      `${check.relativeError.toExponential(2)} (max |diff| ${check.maxAbsDiff.toExponential(2)} / max |ref| ` +
      `${check.maxAbsReference.toExponential(2)}) ${ok ? '<=' : '>'} ${TOLERANCE}: ${ok ? 'ok' : 'FAILED'}; ` +
      `logits max |diff| ${check.logitsMaxAbsDiff.toExponential(2)}`,
  );

  const cases: Case[] = opts.threads.map((threads) => ({
    threads,
    brinkForward: [],
    brinkGradient: [],
    torchForward: [],
    torchGradient: [],
    forwardRatios: [],
    gradientRatios: [],
    best: { brinkForward: Infinity, brinkGradient: Infinity, torchForward: Infinity, torchGradient: Infinity },
  }));
  let torchVersion = '';
  for (let round = 0; round < opts.rounds; round++) {
    for (const c of cases) {
      const brink = await benchBrink(sessions.get(c.threads)!, data, opts);
      c.brinkForward.push(brink.forward.imagesPerSecond);
      c.brinkGradient.push(brink.gradient.imagesPerSecond);
      c.best.brinkForward = Math.min(c.best.brinkForward, brink.forward.minMs);
      c.best.brinkGradient = Math.min(c.best.brinkGradient, brink.gradient.minMs);
      let line = `round ${round + 1}, ${c.threads} thread(s): Brink forward ${brink.forward.medianMs.toFixed(1)} ms, gradient ${brink.gradient.medianMs.toFixed(1)} ms`;
      if (!unavailable) {
        const torch = benchTorch(c.threads, opts);
        torchVersion = torch.version;
        c.torchForward.push(torch.forward.imagesPerSecond);
        c.torchGradient.push(torch.gradient.imagesPerSecond);
        c.forwardRatios.push(brink.forward.imagesPerSecond / torch.forward.imagesPerSecond);
        c.gradientRatios.push(brink.gradient.imagesPerSecond / torch.gradient.imagesPerSecond);
        c.best.torchForward = Math.min(c.best.torchForward, torch.forward.minMs);
        c.best.torchGradient = Math.min(c.best.torchGradient, torch.gradient.minMs);
        line += `; PyTorch forward ${torch.forward.medianMs.toFixed(1)} ms, gradient ${torch.gradient.medianMs.toFixed(1)} ms`;
      }
      console.log(`${line} (load ${loadAverage()})`);
    }
  }

  console.log(`\nimages/s at batch ${opts.batch}, medians over ${opts.rounds} round(s) (ratios: Brink / PyTorch per round; PyTorch ${torchVersion || 'not run'}):`);
  console.log(
    table(
      ['threads', 'Brink fwd', 'PyTorch fwd', 'fwd ratio', 'Brink grad', 'PyTorch grad', 'grad ratio', 'grad ratio range', 'Brink grad/fwd time'],
      cases.map((c) => [
        String(c.threads),
        med(c.brinkForward, 0),
        med(c.torchForward, 0),
        med(c.forwardRatios, 2),
        med(c.brinkGradient, 0),
        med(c.torchGradient, 0),
        med(c.gradientRatios, 2),
        spread(c.gradientRatios),
        (median(c.brinkForward) / median(c.brinkGradient)).toFixed(2),
      ]), { nameColumn: true }
    ),
  );
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
  const ratio = (torch: number, brink: number) => (Number.isFinite(torch) ? (torch / brink).toFixed(2) : '-');
  console.log('\nfastest single batch over all rounds (ms; the least disturbed by other load on a shared machine):');
  console.log(
    table(
      ['threads', 'Brink fwd', 'PyTorch fwd', 'fwd ratio', 'Brink grad', 'PyTorch grad', 'grad ratio'],
      cases.map(({ threads, best: b }) => [
        String(threads),
        ms(b.brinkForward),
        ms(b.torchForward),
        ratio(b.torchForward, b.brinkForward),
        ms(b.brinkGradient),
        ms(b.torchGradient),
        ratio(b.torchGradient, b.brinkGradient),
      ]), { nameColumn: true }
    ),
  );
  if (!unavailable) {
    for (const c of cases) {
      const r = median(c.gradientRatios);
      console.log(
        `${c.threads} thread(s): gradient Brink/PyTorch ${r.toFixed(2)}x (median over rounds), ` +
          `${ratio(c.best.torchGradient, c.best.brinkGradient)}x (fastest batches); target ${TARGET}x: ${r >= TARGET ? 'met' : 'not met'}`,
      );
    }
  }
  console.log(`load average after: ${loadAverage()}`);

  if (opts.profile) for (const c of cases) await profile(model, built, data, c.threads, opts, unavailable ? undefined : c.best.torchGradient);
  for (const s of sessions.values()) await s.release();
  if (!ok) {
    console.error(`Brink's gradient differs from PyTorch's autograd by ${check.relativeError.toExponential(2)} (relative), more than ${TOLERANCE}`);
    process.exitCode = 1;
  }
}

await main();
