// The session attacks and `brink grad` use: the model with its backward pass appended, built
// once per model and run by onnxruntime on the chosen device.
import ort from 'onnxruntime-node';
import { batchedValues, buildGradientModel, GradientError, type GradientModel } from '../autodiff/backward.js';
import { writeModel } from '../onnx/codec.js';
import { attachExternalData, hasExternalData } from '../onnx/external.js';
import { feedInputs, type OnnxModel } from '../onnx/graph.js';
import { mergeShapes, probeShapes, staticShapes, type ModelRunner, type ShapeMap } from '../onnx/shapes.js';
import type { ExternalDataFolder } from './external-data.js';
import { createSession, externalDataOptions, RuntimeProviderError, type Device, type Provider, type RuntimeSession } from './providers.js';

export interface GradientSession extends RuntimeSession {
  names: Omit<GradientModel, 'model'>;
}

/**
 * Probed shapes per model object and batch size: an attack model's plain and shared-forward
 * sessions probe the same graph, which no caller edits once it has asked for a session.
 */
const probes = new WeakMap<OnnxModel, Map<string, Promise<ShapeMap>>>();

/** One CPU run that exposes every intermediate tensor; shapes are the same on every device. */
const probeRunner =
  (externalData: { readonly dir: string } | undefined): ModelRunner<Record<string, ort.Tensor>> =>
  async (bytes, feeds) => {
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3, ...externalDataOptions(externalData) });
    try {
      return await session.run(feeds);
    } finally {
      await session.release();
    }
  };

/**
 * Builds the gradient model for inputs of `sampleShape` (one sample, without the batch axis).
 * Shapes are probed at batch 2, because a dimension of 1 is how broadcasting is recognised.
 * A model with external data needs `externalData`: the backward pass keeps pointing at the same
 * files, and weight values the rules read (the head, constant axes) are loaded from there.
 */
export async function createGradientSession(
  model: OnnxModel,
  options: {
    sampleShape: readonly number[];
    device: Device;
    intraOpThreads?: number;
    externalData?: ExternalDataFolder;
    /** Jacobian mode: this many cotangents per sample through one forward pass (buildGradientModel's rowsPerSample). */
    rowsPerSample?: number;
  },
): Promise<GradientSession> {
  const { externalData } = options;
  if (externalData) attachExternalData(model, externalData.read);
  else if (hasExternalData(model)) throw new GradientError('the model keeps weights in external data files, but no folder holding them was given');
  const fed = feedInputs(model.graph);
  if (fed.length !== 1) throw new GradientError(`the model takes ${fed.length} inputs; Brink differentiates models with one image input`);
  const input = fed[0];
  const probe = async (batch: number) => ({ shapes: await probedShapes(model, input.name, options.sampleShape, externalData, batch), batch });
  // A model whose input fixes the batch size runs at that size only, so it is probed there: at a
  // fixed batch of 1, a dimension of 1 on the batch axis is the batch and never a broadcast.
  const fixed = typeof input.shape?.[0] === 'number' ? input.shape[0] : null;
  const first = await probe(fixed ?? 2);
  const shapes = mergeShapes(staticShapes(model), first.shapes);
  const rows = options.rowsPerSample;
  if (rows !== undefined && fixed !== null) throw new GradientError(`the model fixes its batch size at ${fixed}, so no forward pass can be shared`);
  // A second probe at another batch size tells which axis of each value holds the samples.
  const rowsPerSample = rows === undefined ? undefined : { rows, batched: batchedValues(first, await secondProbe(() => probe(3))) };
  // Each provider tried gets the gradient graph built for it (GradientTarget); the names are the same in all.
  // A graph that cannot be built on the last provider tried fails as itself (a GradientError), not as a provider failure.
  let names: Omit<GradientModel, 'model'> | undefined;
  const buildErrors = new Map<Provider, unknown>();
  const build = (target: Provider) => {
    try {
      const { model: gradientModel, ...built } = buildGradientModel(model, { shapes, input: input.name, rowsPerSample, target });
      names = built;
      return writeModel(gradientModel);
    } catch (error) {
      buildErrors.set(target, error);
      throw error;
    }
  };
  try {
    const runtime = await createSession(build, { device: options.device, intraOpThreads: options.intraOpThreads, externalData });
    return { ...runtime, names: names as Omit<GradientModel, 'model'> };
  } catch (error) {
    const last = error instanceof RuntimeProviderError ? error.attempts.at(-1)?.provider : undefined;
    throw last !== undefined && buildErrors.has(last) ? buildErrors.get(last) : error;
  }
}

/** The shapes of every value of the model at `batch` samples, from one CPU run (cached per model object). */
function probedShapes(model: OnnxModel, input: string, sampleShape: readonly number[], externalData: ExternalDataFolder | undefined, batch: number): Promise<ShapeMap> {
  const key = `${batch}:${sampleShape.join('x')}`;
  const done = probes.get(model) ?? new Map<string, Promise<ShapeMap>>();
  probes.set(model, done);
  let shapes = done.get(key);
  if (!shapes) {
    const size = batch * sampleShape.reduce((a, b) => a * b, 1);
    const probeX = Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1000) / 1000);
    const feeds = { [input]: new ort.Tensor('float32', probeX, [batch, ...sampleShape]) };
    done.set(key, (shapes = probeShapes(model, probeRunner(externalData), feeds)));
  }
  return shapes;
}

/**
 * What the memory plan needs of a model (engine/attacks/memory-plan): the bytes of its weights
 * and, per sample, of its forward pass's intermediate values (what the backward keeps), from the
 * value shapes at batch 2 (the same probe the gradient session runs) at 4 bytes a value.
 */
export async function probeMemory(
  model: OnnxModel,
  options: { sampleShape: readonly number[]; externalData?: ExternalDataFolder },
): Promise<{ weightBytes: number; activationBytesPerSample: number; inputBytesPerSample: number }> {
  if (options.externalData) attachExternalData(model, options.externalData.read);
  const fed = feedInputs(model.graph);
  if (fed.length !== 1) throw new GradientError(`the model takes ${fed.length} inputs; Brink differentiates models with one image input`);
  const fixed = typeof fed[0].shape?.[0] === 'number' ? fed[0].shape[0] : null;
  const batch = fixed ?? 2;
  const shapes = await probedShapes(model, fed[0].name, options.sampleShape, options.externalData, batch);
  const size = (dims: readonly (number | string)[]) => dims.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
  const weights = new Set(model.graph.initializers.map((t) => t.name));
  let activations = 0;
  for (const n of model.graph.nodes) {
    for (const out of n.outputs) {
      const dims = shapes.get(out);
      if (out && dims && !weights.has(out) && n.opType !== 'Constant') activations += size(dims);
    }
  }
  const weightBytes = 4 * model.graph.initializers.reduce((a, t) => a + size(t.dims), 0);
  const inputBytesPerSample = 4 * size(options.sampleShape);
  return { weightBytes, activationBytesPerSample: (4 * activations) / batch, inputBytesPerSample };
}

/** A model that runs at batch 2 only (a batch size baked into a Reshape) has no sample axis to share. */
async function secondProbe<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new GradientError(`the model does not run at a second batch size, so no forward pass can be shared: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}
