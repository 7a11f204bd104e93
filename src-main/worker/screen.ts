import type { Device } from '../../src-preload/contract.js';
import { cloneModel, writeModel } from '../engine/onnx/codec.js';
import type { OnnxModel } from '../engine/onnx/graph.js';
import { detectLinearHead, exposeOutputs } from '../engine/onnx/surgery.js';
import { applyPseudoMargin } from '../engine/learn/pseudo-margin.js';
import { BatchRunner, createSession, fixedBatchSize } from '../engine/runtime/index.js';
import type { ProjectStore } from '../store/project-store.js';
import { forwardGraph } from './forward-graph.js';
import { SampleStream, unitPixels } from './sample-stream.js';

/** The inputs to screen: a stored dataset's samples, or pixels decoded by the host (uint8 or float32 NCHW). */
export type ScreenInputs =
  | { kind: 'dataset'; datasetId: string; count: number }
  | { kind: 'pixels'; shape: [number, number, number]; count: number; data: Uint8Array | Float32Array };

export interface ScreenRequest {
  modelId: string;
  inputs: ScreenInputs;
  batchSize: number;
  device: Device;
  intraOpThreads?: number;
  /** A stored pseudo-margin to apply to each input (to its logits or penultimate features), in this process too. */
  pseudoMarginId?: string;
}

export interface ScreenedLogits {
  /** count x classes, in input order. */
  logits: Float32Array;
  classes: number;
  provider: string;
  /** Milliseconds of the forward passes alone (session creation left out). */
  forwardMs: number;
  /** The pseudo-margin network's output per input, when one was asked for. */
  pseudoMargin: Float32Array | null;
}

/**
 * One forward pass per input through the model as forward runs read it (worker/forward-graph:
 * the model's reading and preprocessing folded in), batch by batch. Runs in a job process:
 * onnxruntime's run() blocks the thread it runs on.
 */
export async function screenLogits(store: ProjectStore, request: ScreenRequest, progress: (done: number, total: number, provider: string | null) => void, stopRequested: () => boolean = () => false): Promise<ScreenedLogits | null> {
  const model = store.models.get(request.modelId);
  const { inputs } = request;
  const shape = inputs.kind === 'dataset' ? store.datasets.get(inputs.datasetId).shape : inputs.shape;
  const take = batchReader(store, inputs, shape, request.batchSize);
  progress(0, inputs.count, null);
  const { graph, externalData } = forwardGraph(store, model.id, model.reading, model.preprocessing);
  const pseudoMargin = request.pseudoMarginId ? store.pseudoMargins.get(request.pseudoMarginId) : null;
  // A pseudo-margin that reads penultimate features gets them from the same forward pass.
  const features = pseudoMargin?.input === 'features' ? penultimateTensor(graph) : null;
  try {
    const runtime = await createSession(writeModel(features ? exposeOutputs(cloneModel(graph), [features]) : graph), { device: request.device, intraOpThreads: request.intraOpThreads, externalData: externalData ?? undefined });
    try {
      const runner = new BatchRunner(runtime.session, { batchSize: fixedBatchSize(runtime.session) ?? request.batchSize });
      const input = runtime.session.inputNames[0];
      const output = runtime.session.outputNames[0];
      const parts: Float32Array[] = [];
      const featureParts: Float32Array[] = [];
      let forwardMs = 0;
      for (let start = 0; start < inputs.count; start += request.batchSize) {
        if (stopRequested()) return null;
        const n = Math.min(request.batchSize, inputs.count - start);
        const batch = take(start, n);
        const began = performance.now();
        const out = await runner.run({ [input]: { data: batch, shape: [n, ...shape] } }, { fetch: features ? [output, features] : [output] });
        forwardMs += performance.now() - began;
        parts.push(out[output].data.slice());
        if (features) featureParts.push(out[features].data.slice());
        progress(start + n, inputs.count, runtime.provider);
      }
      const logits = concat(parts);
      const classes = logits.length / inputs.count;
      let scored: Float32Array | null = null;
      if (pseudoMargin) {
        const fed = features ? concat(featureParts) : logits;
        scored = await applyPseudoMargin(store.pseudoMargins.onnx(pseudoMargin.id), fed, fed.length / inputs.count);
      }
      return { logits, classes, provider: runtime.provider, forwardMs, pseudoMargin: scored };
    } finally {
      await runtime.session.release().catch(() => undefined);
    }
  } finally {
    externalData?.remove();
  }
}

/** Inputs [start, start + n) as [0,1] float32 pixels, in one buffer reused from batch to batch. */
function batchReader(store: ProjectStore, inputs: ScreenInputs, shape: [number, number, number], batchSize: number): (start: number, n: number) => Float32Array {
  if (inputs.kind === 'dataset') {
    const stream = new SampleStream(store.datasets, inputs.datasetId, shape);
    return (start, n) => stream.take(Int32Array.from({ length: n }, (_, k) => start + k)).x;
  }
  const perSample = shape[0] * shape[1] * shape[2];
  const x = new Float32Array(Math.min(batchSize, inputs.count) * perSample);
  return (start, n) => {
    unitPixels(inputs.data, start * perSample, n * perSample, x, 0);
    return x.subarray(0, n * perSample);
  };
}

function penultimateTensor(graph: OnnxModel): string {
  const found = detectLinearHead(graph);
  if (!found.head) throw new Error(`the pseudo-margin reads penultimate features, and they cannot be found: ${found.reason}`);
  return found.head.featuresTensor;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
