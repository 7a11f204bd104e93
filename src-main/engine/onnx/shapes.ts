/**
 * Tensor shapes: what the model declares (inputs, outputs, value_info, initializers, Constant
 * nodes), completed by one probe run that exposes every intermediate tensor as an output.
 */
import { cloneModel, writeModel } from './codec.js';
import { constantTensor, feedInputs, type Dim, type OnnxModel } from './graph.js';

/** value name -> shape; a string dimension is symbolic ('batch') or unknown ('?'). */
export type ShapeMap = Map<string, Dim[]>;

/** Shapes the model states itself. */
export function staticShapes(model: OnnxModel): ShapeMap {
  const g = model.graph;
  const shapes: ShapeMap = new Map();
  for (const v of [...g.valueInfo, ...g.inputs, ...g.outputs]) if (v.shape) shapes.set(v.name, [...v.shape]);
  for (const t of g.initializers) shapes.set(t.name, [...t.dims]);
  for (const n of g.nodes) {
    if (n.opType !== 'Constant' || !n.outputs[0]) continue;
    const t = constantTensor(g, n.outputs[0]);
    if (t) shapes.set(n.outputs[0], [...t.dims]);
  }
  return shapes;
}

/**
 * Runs a model and returns its outputs' dims. engine/onnx does not load onnxruntime itself:
 * callers pass a runner (the runtime module, or a test's onnxruntime-node session).
 */
export type ModelRunner<F> = (modelBytes: Uint8Array, feeds: F) => Promise<Record<string, { readonly dims: readonly number[] }>>;

/**
 * Concrete shapes of every value the main graph computes, from one run on `feeds`. Probe with
 * a batch of at least 2: a dimension of 1 is how autodiff recognises a broadcast.
 */
export async function probeShapes<F>(model: OnnxModel, run: ModelRunner<F>, feeds: F): Promise<ShapeMap> {
  const probe = cloneModel(model);
  const g = probe.graph;
  const listed = new Set(g.outputs.map((o) => o.name));
  // onnxruntime accepts a graph input listed as an output too: that is how the fed shapes come back.
  for (const name of [...feedInputs(g).map((v) => v.name), ...g.nodes.flatMap((n) => n.outputs)]) {
    if (!name || listed.has(name)) continue;
    listed.add(name);
    g.outputs.push({ name, elemType: 0, shape: null });
  }
  const results = await run(writeModel(probe), feeds);
  const shapes: ShapeMap = new Map();
  for (const [name, value] of Object.entries(results)) shapes.set(name, [...value.dims]);
  return shapes;
}

/** Declared shapes, with dimensions the model leaves unknown ('?') or absent filled from a probe. */
export function mergeShapes(declared: ShapeMap, probed: ShapeMap): ShapeMap {
  const merged: ShapeMap = new Map(probed);
  for (const [name, dims] of declared) {
    const seen = probed.get(name);
    merged.set(name, seen && seen.length === dims.length ? dims.map((d, i) => (d === '?' ? seen[i] : d)) : dims);
  }
  return merged;
}
