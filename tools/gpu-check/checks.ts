/**
 * The device check's measurements, one provider at a time: sessions are opened on exactly that
 * provider (no fallback), gradient graphs are built for it (GradientTarget), and every figure is
 * compared with a reference: PyTorch's float64 goldens, or the CPU run of the same inputs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { argmax } from '../../src-main/engine/attacks/logit-rows.js';
import { fab } from '../../src-main/engine/attacks/fab.js';
import { onnxDifferentiableModel } from '../../src-main/engine/attacks/model.js';
import type { DifferentiableModel } from '../../src-main/engine/attacks/model.js';
import { buildGradientModel } from '../../src-main/engine/autodiff/backward.js';
import { readModel, writeModel } from '../../src-main/engine/onnx/codec.js';
import type { OnnxModel } from '../../src-main/engine/onnx/graph.js';
import { mergeShapes, probeShapes, staticShapes } from '../../src-main/engine/onnx/shapes.js';
import { decodeNpyFloat32 } from '../../src-main/engine/runtime/npy.js';
import { createSession, RuntimeProviderError, sessionOptions, type Provider } from '../../src-main/engine/runtime/providers.js';
import { mulberry32 } from '../../src-main/engine/random.js';
import { median } from '../../bench/common.js';
import { loadSampleCnn } from '../../bench/sample-cnn.js';
import { nodePlacement, placementText, type Placement } from './placement.js';
import { relativeMaxError, type Availability, type CheckRow } from './report.js';

const GOLDENS = fileURLToPath(new URL('../../src-main/engine/autodiff/goldens', import.meta.url));
type Feeds = Record<string, ort.Tensor>;

export function goldenNames(): string[] {
  return readdirSync(GOLDENS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

const npy = (name: string, file: string) => decodeNpyFloat32(new Uint8Array(readFileSync(join(GOLDENS, name, file))), file);
const goldenModel = (name: string) => readModel(readFileSync(join(GOLDENS, name, 'model.onnx')), `${name}/model.onnx`);

/** Whether a session opens on exactly this provider, and onnxruntime's reason, made readable, when not. */
export async function availability(provider: Provider): Promise<Availability> {
  try {
    const { session } = await createSession(writeModel(goldenModel('mlp')), { device: provider });
    await session.release();
    return { provider, ok: true };
  } catch (error) {
    return { provider, ok: false, reason: error instanceof RuntimeProviderError ? error.reason : String(error) };
  }
}

export interface Measured {
  outputs: Record<string, Float32Array>;
  medianMs: number;
  placement: Placement;
}

/**
 * Runs a graph on one provider: a profiled session for one run tells where each node ran (the
 * profile's own overhead kept out of the timing), then a plain one gives the median time of
 * `repeats` runs after one warm-up run (kernel choice, cuDNN's algorithm search).
 */
export async function measure(bytes: Uint8Array, provider: Provider, feeds: Feeds, fetch: string[], repeats: number, threads: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'brink-gpu-check-'));
  try {
    const options = sessionOptions(provider, { intraOpThreads: threads });
    const profiled = await ort.InferenceSession.create(bytes, { ...options, enableProfiling: true, profileFilePrefix: join(dir, 'profile') });
    await profiled.run(feeds, fetch);
    profiled.endProfiling();
    await profiled.release();
    const file = readdirSync(dir).find((f) => f.startsWith('profile') && f.endsWith('.json'));
    const placement = nodePlacement(file ? (JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown[]) : [], provider);
    const session = await ort.InferenceSession.create(bytes, options);
    try {
      let out = await session.run(feeds, fetch);
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const start = performance.now();
        out = await session.run(feeds, fetch);
        times.push(performance.now() - start);
      }
      const outputs = Object.fromEntries(fetch.map((name) => [name, out[name].data as Float32Array]));
      return { outputs, medianMs: median(times), placement };
    } finally {
      await session.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The value shapes gradient rules need, from one CPU run at batch 2 (as the gradient session probes them). */
async function shapesAt(model: OnnxModel, input: string, sample: readonly number[]) {
  const x = new ort.Tensor('float32', uniform(2 * sample.reduce((a, b) => a * b, 1), 7), [2, ...sample]);
  const run = async (bytes: Uint8Array, feeds: Feeds) => {
    const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
    try {
      return await s.run(feeds);
    } finally {
      await s.release();
    }
  };
  return mergeShapes(staticShapes(model), await probeShapes(model, run, { [input]: x }));
}

export function uniform(count: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => next());
}

function mergePlacements(parts: Placement[]): Placement {
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  };
  const merged: Placement = { nodesByProvider: {}, elsewhere: {} };
  for (const p of parts) {
    add(merged.nodesByProvider, p.nodesByProvider);
    add(merged.elsewhere, p.elsewhere);
  }
  return merged;
}

/** Forward and gradient goldens: every golden model's logits and input gradient against PyTorch's float64 ones. */
export async function goldenRows(provider: Provider, repeats: number, threads: number): Promise<CheckRow[]> {
  const rows: { check: string; errors: [string, number][]; images: number; ms: number; placements: Placement[] }[] = [
    { check: 'forward goldens', errors: [], images: 0, ms: 0, placements: [] },
    { check: 'gradient goldens', errors: [], images: 0, ms: 0, placements: [] },
  ];
  for (const name of goldenNames()) {
    const model = goldenModel(name);
    const [x, v, grad, logits] = ['x.npy', 'v.npy', 'grad.npy', 'logits.npy'].map((f) => npy(name, f));
    const input = model.graph.inputs[0].name;
    const output = model.graph.outputs[0].name;
    const xs = new ort.Tensor('float32', x.data, x.shape);
    const forward = await measure(writeModel(model), provider, { [input]: xs }, [output], repeats, threads);
    const built = buildGradientModel(model, { shapes: await shapesAt(model, input, x.shape.slice(1)), target: provider });
    const feeds = { [input]: xs, [built.cotangent]: new ort.Tensor('float32', v.data, v.shape) };
    const backward = await measure(writeModel(built.model), provider, feeds, [built.gradient], repeats, threads);
    for (const [row, run, want] of [
      [rows[0], forward, { name: output, data: logits.data }],
      [rows[1], backward, { name: built.gradient, data: grad.data }],
    ] as const) {
      row.errors.push([name, relativeMaxError(run.outputs[want.name], want.data)]);
      row.images += x.shape[0];
      row.ms += run.medianMs;
      row.placements.push(run.placement);
    }
  }
  return rows.map((r) => {
    const [worst, maxError] = r.errors.reduce((a, b) => (b[1] > a[1] ? b : a));
    return {
      check: `${r.check} (${r.errors.length} models)`,
      provider,
      maxError,
      reference: 'PyTorch float64',
      imagesPerSecond: (r.images * 1000) / r.ms,
      placement: placementText(mergePlacements(r.placements)),
      note: `worst: ${worst}`,
    };
  });
}

/** The margins a FAB run found and its images/s (the attack's whole time, its own CPU work included). */
export interface FabRun {
  norms: Float64Array;
  imagesPerSecond: number;
}

async function timedFab(model: DifferentiableModel, x: Float32Array, n: number, classes: Int32Array, steps: number): Promise<FabRun> {
  const start = performance.now();
  const result = await fab(model, { x, n, classes }, { norm: 'linf', steps, restarts: 1, seed: 0 });
  return { norms: result.norms, imagesPerSecond: (n * 1000) / (performance.now() - start) };
}

/** FAB l_inf on the sample robust CNN (its normalisation folded in, Fashion-MNIST sample images). */
export async function sampleCnnFab(provider: Provider, samples: number, steps: number, threads: number): Promise<FabRun & { placement: Placement }> {
  const cnn = await loadSampleCnn(samples, { batchSize: samples, threads, device: provider });
  try {
    const run = await timedFab(cnn.model, cnn.x, samples, cnn.classes, steps);
    return { ...run, placement: await gradientPlacement(cnn.graph, provider, cnn.x.subarray(0, 2 * (cnn.x.length / samples)), [1, 28, 28], threads) };
  } finally {
    await cnn.model.release();
  }
}

/** Where the gradient graph built for `provider` runs its nodes, on two samples. */
async function gradientPlacement(model: OnnxModel, provider: Provider, x: Float32Array, sample: number[], threads: number): Promise<Placement> {
  const input = model.graph.inputs[0].name;
  const built = buildGradientModel(model, { shapes: await shapesAt(model, input, sample), target: provider });
  const classes = 10;
  const feeds = { [input]: new ort.Tensor('float32', x, [2, ...sample]), [built.cotangent]: new ort.Tensor('float32', uniform(2 * classes, 3), [2, classes]) };
  return (await measure(writeModel(built.model), provider, feeds, [built.gradient], 0, threads)).placement;
}

export interface ResnetRun {
  gradient: Float32Array;
  gradientImagesPerSecond: number;
  placement: Placement;
  fab: FabRun;
}

/** The golden ResNet at a full batch: its input gradient (throughput, values) and FAB over the batch. */
export async function resnetAtBatch(provider: Provider, batch: number, fabSteps: number, repeats: number, threads: number): Promise<ResnetRun> {
  const model = goldenModel('resnet');
  const input = model.graph.inputs[0].name;
  const sample = [3, 32, 32];
  const x = uniform(batch * 3 * 32 * 32, 11);
  const built = buildGradientModel(model, { shapes: await shapesAt(model, input, sample), target: provider });
  const feeds = { [input]: new ort.Tensor('float32', x, [batch, ...sample]), [built.cotangent]: new ort.Tensor('float32', uniform(batch * 10, 13), [batch, 10]) };
  const measured = await measure(writeModel(built.model), provider, feeds, [built.gradient], repeats, threads);
  const attacked = await onnxDifferentiableModel(model, { sampleShape: sample, classes: 10, device: provider, batchSize: batch, intraOpThreads: threads });
  try {
    const logits = await attacked.logits(x, batch);
    const classes = Int32Array.from({ length: batch }, (_, i) => argmax(logits.subarray(i * 10, (i + 1) * 10)));
    return {
      gradient: measured.outputs[built.gradient],
      gradientImagesPerSecond: (batch * 1000) / measured.medianMs,
      placement: measured.placement,
      fab: await timedFab(attacked, x, batch, classes, fabSteps),
    };
  } finally {
    await attacked.release();
  }
}

