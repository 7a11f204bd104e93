/**
 * Graph surgery on the IR: folding the preprocessing into the graph (so every input lives in
 * [0,1] pixel space, the RobustBench convention of DESIGN.md section 5), exposing intermediate
 * tensors, and finding the linear head whose rows define the feature-space margin.
 * These edit the model in place; clone it first (codec.ts) to keep the original.
 */
import {
  constantTensor,
  DataType,
  describeNode,
  feedInputs,
  freshName,
  getFloat,
  getInt,
  implicitInputs,
  isDefaultDomain,
  producers,
  valueNames,
  type Node,
  type OnnxModel,
  type Tensor,
} from './graph.js';
import { floatTensor, floatValues } from './tensor.js';

interface Matrix {
  values: Float32Array;
  classes: number;
  features: number;
}

export interface Preprocessing {
  /** The fed input to fold into; defaults to the model's only fed input. */
  input?: string;
  /** The value range the model was trained on before mean/std, e.g. [0, 255]; default [0, 1]. */
  range?: [number, number];
  /** Per channel (NCHW axis 1), or one value for all channels; in the units of `range`. */
  mean: number[];
  std: number[];
}

const FLOAT_TYPES: readonly number[] = [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16];

/**
 * Makes the input x in [0,1]: the original input becomes (x*(hi-lo) + lo - mean) / std, written
 * as x*scale + shift (Mul then Add, constants per channel) in front of the graph. The input keeps
 * its name for callers.
 */
export function foldPreprocessing(model: OnnxModel, pre: Preprocessing): OnnxModel {
  const g = model.graph;
  const input = pickInput(model, pre.input);
  const info = g.inputs.find((v) => v.name === input)!;
  if (!FLOAT_TYPES.includes(info.elemType)) throw new Error(`input '${input}' is not a float tensor; cannot fold preprocessing into it`);
  const [lo, hi] = pre.range ?? [0, 1];
  const channels = Math.max(pre.mean.length, pre.std.length);
  if (channels === 0 || (pre.mean.length !== channels && pre.mean.length !== 1) || (pre.std.length !== channels && pre.std.length !== 1)) {
    throw new Error(`mean (${pre.mean.length} values) and std (${pre.std.length} values) must have one value each or one per channel`);
  }
  const at = (v: number[], c: number) => (v.length === 1 ? v[0] : v[c]);
  if (pre.std.some((s) => !(Math.abs(s) > 0) || !Number.isFinite(s)) || pre.mean.some((m) => !Number.isFinite(m)) || !(hi > lo)) {
    throw new Error('preprocessing needs finite means, non-zero stds and a range [lo, hi] with hi > lo');
  }
  const scale = Array.from({ length: channels }, (_, c) => (hi - lo) / at(pre.std, c));
  const shift = Array.from({ length: channels }, (_, c) => (lo - at(pre.mean, c)) / at(pre.std, c));
  const dims = channels === 1 ? [] : channelDims(info.shape, channels, input);

  for (const n of g.nodes) {
    if (implicitInputs(n).includes(input)) throw new Error(`input '${input}' is read inside a subgraph of ${describeNode(n)}; cannot fold preprocessing`);
  }
  const taken = valueNames(g);
  const normalized = freshName(taken, `${input}_normalized`);
  const scaled = freshName(taken, `${input}_scaled`);
  const scaleName = freshName(taken, `${input}_preprocess_scale`);
  const shiftName = freshName(taken, `${input}_preprocess_shift`);
  for (const n of g.nodes) n.inputs = n.inputs.map((v) => (v === input ? normalized : v));
  g.initializers.push(floatTensor(scaleName, dims, scale, info.elemType), floatTensor(shiftName, dims, shift, info.elemType));
  g.nodes.unshift(
    { opType: 'Mul', domain: '', name: freshName(taken, 'brink_preprocess_mul'), inputs: [input, scaleName], outputs: [scaled], attributes: [] },
    { opType: 'Add', domain: '', name: freshName(taken, 'brink_preprocess_add'), inputs: [scaled, shiftName], outputs: [normalized], attributes: [] },
  );
  return model;
}

function channelDims(shape: (number | string)[] | null, channels: number, input: string): number[] {
  if (!shape || shape.length < 2) throw new Error(`input '${input}' has no channel axis (NCHW) for per-channel mean/std`);
  if (typeof shape[1] === 'number' && shape[1] !== channels) {
    throw new Error(`input '${input}' has ${shape[1]} channels but mean/std give ${channels}`);
  }
  return [1, channels, ...shape.slice(2).map(() => 1)];
}

function pickInput(model: OnnxModel, name: string | undefined): string {
  const fed = feedInputs(model.graph);
  if (name !== undefined) {
    if (!fed.some((v) => v.name === name)) throw new Error(`the model has no input '${name}'`);
    return name;
  }
  if (fed.length !== 1) throw new Error(`the model has ${fed.length} inputs; say which one is the image`);
  return fed[0].name;
}

/** Adds intermediate values to the graph outputs (in place), with their declared type when known. */
export function exposeOutputs(model: OnnxModel, names: string[]): OnnxModel {
  const g = model.graph;
  const listed = new Set(g.outputs.map((o) => o.name));
  const declared = new Map([...g.valueInfo, ...g.inputs].map((v) => [v.name, v]));
  const made = new Set([...g.nodes.flatMap((n) => n.outputs), ...g.inputs.map((v) => v.name)]);
  for (const name of names) {
    if (listed.has(name)) continue;
    if (!made.has(name)) throw new Error(`the graph computes no value '${name}'`);
    const info = declared.get(name);
    g.outputs.push(info ? { ...info, shape: info.shape && [...info.shape] } : { name, elemType: 0, shape: null });
    listed.add(name);
  }
  return model;
}

export interface LinearHead {
  classes: number;
  /** D, the width of the penultimate features. */
  features: number;
  /** [classes, features] row-major: logits = weight · features + bias. */
  weight: Float32Array;
  /** [classes]; zeros when the layer has no bias. */
  bias: Float32Array;
  /** The penultimate features: the Gemm or MatMul input (after any Flatten/Reshape). */
  featuresTensor: string;
  /** The node names that make the head, for the model page. */
  nodes: string[];
}

const HEAD_MOVERS = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze']);

export type HeadDetection = { head: LinearHead; reason?: undefined } | { head: null; reason: string };

/**
 * Finds the linear layer that produces the logits: Gemm (any transB, alpha, beta), or MatMul
 * with an optional bias Add, whose weights are constants.
 */
export function detectLinearHead(model: OnnxModel, logits = model.graph.outputs[0]?.name): HeadDetection {
  const g = model.graph;
  if (!logits) return { head: null, reason: 'the model has no outputs' };
  const made = producers(g);
  let node = made.get(logits);
  // Shape movers keep each sample's logits in the head's row order (a bypassed Softmax is an Identity).
  while (node && isDefaultDomain(node.domain) && HEAD_MOVERS.has(node.opType)) node = made.get(node.inputs[0]);
  if (!node) return { head: null, reason: `the output '${logits}' is not computed by a node` };
  if (!isDefaultDomain(node.domain)) return { head: null, reason: `the output '${logits}' comes from ${describeNode(node)}, not a Gemm or MatMul` };
  if (node.opType === 'Gemm') return gemmHead(model, node);
  if (node.opType === 'MatMul') return matMulHead(model, node, null);
  if (node.opType === 'Add') {
    for (const [m, b] of [[0, 1], [1, 0]]) {
      const mm = made.get(node.inputs[m]);
      if (mm && isDefaultDomain(mm.domain) && mm.opType === 'MatMul' && constantTensor(g, node.inputs[b])) return matMulHead(model, mm, node);
    }
    return { head: null, reason: `the output '${logits}' comes from ${describeNode(node)} without a MatMul and a constant bias` };
  }
  return { head: null, reason: `the output '${logits}' comes from ${describeNode(node)}, not a Gemm or MatMul` };
}

function gemmHead(model: OnnxModel, node: Node): HeadDetection {
  if (getInt(node, 'transA', 0) !== 0) return { head: null, reason: `${describeNode(node)} transposes its input (transA=1)` };
  const b = constant(model, node.inputs[1], node);
  if (typeof b === 'string') return { head: null, reason: b };
  const transB = getInt(node, 'transB', 0) !== 0;
  const weight = rowsByClass(b.values, b.dims, transB);
  if (typeof weight === 'string') return { head: null, reason: weight };
  const alpha = getFloat(node, 'alpha', 1);
  const classes = weight.classes;
  for (let i = 0; i < weight.values.length; i++) weight.values[i] *= alpha;
  let bias: Float32Array = new Float32Array(classes);
  if (node.inputs[2]) {
    const c = constant(model, node.inputs[2], node);
    if (typeof c === 'string') return { head: null, reason: c };
    const full = perClass(c.values, classes);
    if (!full) return { head: null, reason: `the bias of ${describeNode(node)} has shape [${c.dims}], not one value per class` };
    const beta = getFloat(node, 'beta', 1);
    bias = full.map((v) => v * beta);
  }
  return done(node.inputs[0], weight, bias, [node.name]);
}

function matMulHead(model: OnnxModel, mm: Node, add: Node | null): HeadDetection {
  const b = constant(model, mm.inputs[1], mm);
  if (typeof b === 'string') return { head: null, reason: b };
  const weight = rowsByClass(b.values, b.dims, false);
  if (typeof weight === 'string') return { head: null, reason: weight };
  let bias: Float32Array = new Float32Array(weight.classes);
  if (add) {
    const biasName = add.inputs[0] === mm.outputs[0] ? add.inputs[1] : add.inputs[0];
    const c = constant(model, biasName, add);
    if (typeof c === 'string') return { head: null, reason: c };
    const full = perClass(c.values, weight.classes);
    if (!full) return { head: null, reason: `the bias of ${describeNode(add)} has shape [${c.dims}], not one value per class` };
    bias = full;
  }
  return done(mm.inputs[0], weight, bias, add ? [mm.name, add.name] : [mm.name]);
}

function constant(model: OnnxModel, name: string, node: Node): { values: Float32Array; dims: number[] } | string {
  const t: Tensor | null = constantTensor(model.graph, name);
  if (!t) return `the weights '${name}' of ${describeNode(node)} are not a constant`;
  if (!t.data && !t.loadExternal) return `the weights '${name}' of ${describeNode(node)} are stored outside the model file`;
  if (!FLOAT_TYPES.includes(t.dataType)) return `the weights '${name}' of ${describeNode(node)} are not floats`;
  return { values: floatValues(t), dims: t.dims };
}

/** W as [C, D] from a stored [D, C] (or [C, D] when already transposed). */
function rowsByClass(values: Float32Array, dims: number[], classesFirst: boolean): Matrix | string {
  if (dims.length !== 2) return `the weights have shape [${dims}], not a matrix`;
  const [rows, cols] = dims;
  if (classesFirst) return { values: Float32Array.from(values), classes: rows, features: cols };
  const out = new Float32Array(rows * cols);
  for (let d = 0; d < rows; d++) for (let c = 0; c < cols; c++) out[c * rows + d] = values[d * cols + c];
  return { values: out, classes: cols, features: rows };
}

function perClass(values: Float32Array, classes: number): Float32Array | null {
  if (values.length === classes) return Float32Array.from(values);
  if (values.length === 1) return new Float32Array(classes).fill(values[0]);
  return null;
}

function done(featuresTensor: string, weight: Matrix, bias: Float32Array, nodes: string[]): HeadDetection {
  return {
    head: { classes: weight.classes, features: weight.features, weight: weight.values, bias, featuresTensor, nodes },
  };
}
