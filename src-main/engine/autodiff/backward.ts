/**
 * Reverse-mode differentiation of an ONNX classifier: appends to the forward graph the nodes
 * that compute d(sum v * logits)/dx for a cotangent input v, written with standard ONNX
 * operators so that onnxruntime runs forward and backward in one session.
 */
import { cloneModel } from '../onnx/codec.js';
import {
  DataType,
  describeNode,
  feedInputs,
  freshName,
  isDefaultDomain,
  implicitInputs,
  opsetVersion,
  topologicalOrder,
  valueNames,
  type Node,
  type OnnxModel,
  type ValueInfo,
} from '../onnx/graph.js';
import type { ShapeMap } from '../onnx/shapes.js';
import { detectLinearHead } from '../onnx/surgery.js';
import { GradBuilder, GradientError, type BatchAxis, type GradientTarget } from './builder.js';
import { RULES } from './rules/index.js';
import { noGradient, type GradRule } from './rules/rule.js';

export { GradientError };
export type { GradientTarget };

export interface GradientOptions {
  /** Shapes of the forward values: staticShapes merged with probeShapes (batch >= 2). */
  shapes: ShapeMap;
  /** The differentiated input; defaults to the model's only fed input. */
  input?: string;
  /** Defaults to the model's first output. */
  logits?: string;
  /** Extra output for the penultimate features; defaults to the detected linear head's input, null for none. */
  features?: string | null;
  /**
   * Jacobian mode: this many cotangents per sample share one forward pass. The cotangent input
   * is then [batch, rows, classes] and the gradient [batch, rows, ...sample]. `batched`: where
   * each forward value keeps its samples (batchedValues).
   */
  rowsPerSample?: { rows: number; batched: ReadonlyMap<string, BatchAxis> };
  /** The execution provider that runs the graph (GradientTarget); 'cpu' by default. */
  target?: GradientTarget;
}

export interface GradientModel {
  model: OnnxModel;
  /** Input names: the image batch x and the cotangent v, shaped like the logits. */
  input: string;
  cotangent: string;
  /** Output names. */
  logits: string;
  features: string | null;
  gradient: string;
}

const FLOAT_TYPES: readonly number[] = [DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE];

/**
 * The gradient model is raised from opset 13-15 to 16 when that cannot change what the forward
 * nodes compute: MaxPool's backward then needs one ScatterElements with reduction 'add' (new in
 * 16) instead of one per interleaved group of windows, several times faster. The ops that got
 * new versions in opsets 14-16 (ONNX Changelog) only gained types, or attributes whose defaults
 * keep the old behaviour (Add, Sub, Mul, Div, Relu, Reshape, Identity, CumSum, GRU, LSTM, RNN in
 * 14; Pow, Shape in 15; LeakyRelu, PRelu, Where, GreaterOrEqual, LessOrEqual, ScatterElements,
 * ScatterND in 16), except these: RoiAlign-16 changed its default coordinate mode,
 * BatchNormalization-14 redefined its training outputs, and control flow would need its
 * subgraphs checked too. Below 13 the forms differ (axes as inputs, Softmax's axis), so older
 * models keep their opset; so do models with ops outside the default domain (local functions
 * import opsets of their own).
 */
const RAISED_OPSET = 16;
const CHANGED_BY_16 = new Set(['RoiAlign', 'If', 'Loop', 'Scan']);

function raiseOpset(model: OnnxModel): void {
  const opset = opsetVersion(model) ?? 1;
  const keepsMeaning = (n: Node) =>
    isDefaultDomain(n.domain) && !CHANGED_BY_16.has(n.opType) && (n.opType !== 'BatchNormalization' || n.outputs.filter(Boolean).length === 1);
  if (opset < 13 || opset >= RAISED_OPSET || !model.graph.nodes.every(keepsMeaning)) return;
  model.opsets = model.opsets.map((o) => (isDefaultDomain(o.domain) ? { ...o, version: RAISED_OPSET } : o));
  // Opset 16 came with IR version 8.
  model.irVersion = Math.max(model.irVersion, 8);
}

const ruleKey = (n: Node) => (isDefaultDomain(n.domain) ? n.opType : `${n.domain}::${n.opType}`);
const ruleFor = (n: Node): GradRule | undefined => (Object.hasOwn(RULES, ruleKey(n)) ? RULES[ruleKey(n)] : undefined);

/** Values that depend on the inputs through ops that pass gradients (not through Shape, comparisons, ...). */
function activeValues(order: Node[], inputs: Iterable<string>): Set<string> {
  const active = new Set(inputs);
  for (const n of order) {
    if (ruleFor(n) === noGradient) continue;
    if ([...n.inputs, ...implicitInputs(n)].some((v) => active.has(v))) for (const o of n.outputs) if (o) active.add(o);
  }
  return active;
}

/** The nodes between input and logits, in forward order. */
function pathNodes(order: Node[], active: Set<string>, logits: string): Node[] {
  const needed = new Set([logits]);
  const path: Node[] = [];
  for (const n of [...order].reverse()) {
    const reads = [...n.inputs, ...implicitInputs(n)];
    if (!n.outputs.some((o) => needed.has(o)) || !reads.some((v) => active.has(v))) continue;
    path.push(n);
    for (const v of reads) if (active.has(v)) needed.add(v);
  }
  return path.reverse();
}

export interface DifferentiabilityReport {
  differentiable: boolean;
  /** Each op type on the input-to-logits path that has no gradient rule, with its nodes. */
  unsupported: { op: string; nodes: string[] }[];
}

export function analyzeDifferentiability(model: OnnxModel, options: { input?: string; logits?: string } = {}): DifferentiabilityReport {
  const { input, logits } = endpoints(model, options);
  const order = topologicalOrder(model.graph);
  const unsupported = missingRules(model.graph, order, activeValues(order, [input]), logits);
  return { differentiable: unsupported.length === 0, unsupported };
}

function missingRules(graph: OnnxModel['graph'], order: Node[], active: Set<string>, target: string): DifferentiabilityReport['unsupported'] {
  const missing = new Map<string, string[]>();
  for (const n of pathNodes(order, active, target)) if (!ruleFor(n)) missing.set(ruleKey(n), [...(missing.get(ruleKey(n)) ?? []), n.name || `#${graph.nodes.indexOf(n)}`]);
  return [...missing].map(([op, nodes]) => ({ op, nodes }));
}

/** The image gradient of an audited classifier: d(sum v * logits)/dx, with the logits and features kept as outputs. */
export function buildGradientModel(model: OnnxModel, options: GradientOptions): GradientModel {
  const out = cloneModel(model);
  raiseOpset(out);
  const graph = out.graph;
  const { input, logits } = endpoints(out, options);
  const order = topologicalOrder(graph);
  const active = activeValues(order, [input]);
  requireRules(graph, order, active, logits);
  const xInfo = floatInput(graph, input);
  const taken = valueNames(graph);
  const forwardInitializers = new Set(graph.initializers.map((t) => t.name));
  const opset = opsetVersion(out) ?? 1;
  const perRow = options.rowsPerSample;
  if (perRow && !(Number.isSafeInteger(perRow.rows) && perRow.rows >= 1)) throw new GradientError(`rows per sample must be a whole number >= 1, got ${perRow.rows}`);
  if (perRow && opset < 13) throw new GradientError(`shared forward passes need opset 13 or later (the model has ${opset}); replicate the samples instead`);
  // The input holds one sample per row by definition, whatever the probes saw.
  const mode = perRow ? { rows: perRow.rows, batched: new Map([...perRow.batched, [input, { axis: 0, per: 1 }]]) } : null;
  const logitsAxis = mode?.batched.get(logits);
  if (mode && (logitsAxis?.axis !== 0 || logitsAxis.per !== 1)) throw new GradientError(`shared forward passes need logits with one row per sample ('${logits}' has none)`);
  const g = new GradBuilder(graph, opset, options.shapes, active, xInfo.elemType, taken, mode, options.target);
  const cotangent = freshName(taken, 'brink_cotangent');
  const fixed = (name: string) => {
    const dims = g.shape(name).slice(1);
    if (!dims.every((d): d is number => typeof d === 'number')) throw new GradientError(`shared forward passes need the sizes of '${name}' after the batch axis`);
    return dims;
  };
  const seed = perRow ? g.backwardValue(g.reshape(cotangent, g.ints([-1, ...fixed(logits)]))) : cotangent;
  const grads = walkBack(pathNodes(order, active, logits), active, g, logits, seed);

  const gradient = freshName(taken, 'brink_gradient');
  const summed = g.sum(grads.get(input)) ?? g.zerosLike(input);
  const dx = perRow ? g.reshape(summed, g.ints([-1, perRow.rows, ...fixed(input)])) : summed;
  graph.nodes.push({ opType: 'Identity', domain: '', name: gradient, inputs: [dx], outputs: [gradient], attributes: [] });

  const wanted = options.features === undefined ? detectLinearHead(out, logits).head?.featuresTensor ?? null : options.features;
  const features = wanted === logits ? null : wanted;
  const declared = new Map([...graph.valueInfo, ...graph.outputs, ...graph.inputs].map((v) => [v.name, v]));
  const info = (name: string): ValueInfo => {
    const known = declared.get(name);
    return { name, elemType: known?.elemType || g.floatType, shape: known?.shape ? [...known.shape] : null };
  };
  const cotangentInfo = info(logits);
  const gradientInfo: ValueInfo = { ...xInfo, name: gradient };
  if (perRow) {
    cotangentInfo.shape = cotangentInfo.shape ? [cotangentInfo.shape[0], perRow.rows, ...cotangentInfo.shape.slice(1)] : null;
    gradientInfo.shape = xInfo.shape ? [xInfo.shape[0], perRow.rows, ...xInfo.shape.slice(1)] : null;
  }
  graph.inputs.push({ ...cotangentInfo, name: cotangent });
  const logitsInfo = graph.outputs.find((o) => o.name === logits) ?? info(logits);
  graph.outputs = [logitsInfo, ...(features ? [info(features)] : []), gradientInfo];
  removeDeadNodes(out, forwardInitializers);
  return { model: out, input, cotangent, logits, features, gradient };
}

export interface InputGradientModel {
  model: OnnxModel;
  /** The differentiated output, kept as the first graph output. */
  output: string;
  /** Per differentiated input, the name of the output that holds its gradient (shaped like the input). */
  gradients: Record<string, string>;
}

/**
 * Reverse mode from a scalar output (a loss) to any named graph inputs: weights fed as inputs,
 * targets, the image. The graph's outputs become the scalar and one gradient per input. An
 * input the output does not depend on gets zeros. `shapes` must be probed at the batch the
 * model will run with: a mean's gradient (ReduceMean) divides by the probed count.
 */
export function buildInputGradientModel(model: OnnxModel, options: { shapes: ShapeMap; output: string; wrt: readonly string[] }): InputGradientModel {
  const out = cloneModel(model);
  raiseOpset(out);
  const graph = out.graph;
  const { output, wrt } = options;
  if (wrt.length === 0) throw new GradientError('name at least one input to differentiate with respect to');
  const infos = wrt.map((name) => {
    if (!feedInputs(graph).some((v) => v.name === name)) throw new GradientError(`the model has no input '${name}'`);
    return floatInput(graph, name);
  });
  const outputInfo = graph.outputs.find((o) => o.name === output);
  if (!outputInfo) throw new GradientError(`the model has no output '${output}'`);
  const size = options.shapes.get(output);
  if (!size || size.some((d) => d !== 1)) throw new GradientError(`'${output}' must be a scalar to differentiate (shape [${size?.join(', ') ?? '?'}])`);
  const forwardInitializers = new Set(graph.initializers.map((t) => t.name));
  const order = topologicalOrder(graph);
  const active = activeValues(order, wrt);
  requireRules(graph, order, active, output);
  const g = new GradBuilder(graph, opsetVersion(out) ?? 1, options.shapes, active, infos[0].elemType, valueNames(graph));
  const grads = walkBack(pathNodes(order, active, output), active, g, output, g.fill(g.shapeOf(output), 1));
  const gradients: Record<string, string> = {};
  const gradientInfos = infos.map((info) => {
    const name = freshName(valueNames(graph), `brink_gradient/${info.name}`);
    const summed = g.sum(grads.get(info.name)) ?? g.zerosLike(info.name);
    graph.nodes.push({ opType: 'Identity', domain: '', name, inputs: [summed], outputs: [name], attributes: [] });
    gradients[info.name] = name;
    return { ...info, name };
  });
  graph.outputs = [outputInfo, ...gradientInfos];
  removeDeadNodes(out, forwardInitializers);
  return { model: out, output, gradients };
}

/** Throws naming every op on the path to `target` that has no gradient rule. */
function requireRules(graph: OnnxModel['graph'], order: Node[], active: Set<string>, target: string): void {
  const missing = missingRules(graph, order, active, target);
  if (missing.length === 0) return;
  const list = missing.map((u) => `${u.op} (${u.nodes.slice(0, 3).join(', ')}${u.nodes.length > 3 ? ', ...' : ''})`);
  throw new GradientError(`no gradient rule for ${list.join('; ')}`);
}

function floatInput(graph: OnnxModel['graph'], name: string): ValueInfo {
  const info = graph.inputs.find((v) => v.name === name) as ValueInfo;
  if (!FLOAT_TYPES.includes(info.elemType)) throw new GradientError(`input '${name}' is not a float tensor (type ${info.elemType}); gradients need floats`);
  return info;
}

/** The walker (STYLE.md): visit the path in reverse, sum what arrives at each node, apply its rule. */
function walkBack(path: Node[], active: Set<string>, g: GradBuilder, target: string, seed: string): Map<string, string[]> {
  const grads = new Map<string, string[]>([[target, [seed]]]);
  const add = (v: string, grad: string) => grads.set(v, [...(grads.get(v) ?? []), grad]);
  for (const node of [...path].reverse()) {
    const dys = node.outputs.map((o) => g.sum(grads.get(o)));
    if (dys.every((d) => d === null)) continue;
    const rule = ruleFor(node) as GradRule;
    const dy = dys[0] ?? g.zerosLike(node.outputs[0]);
    const inputGrads = rule(node, dy, g, dys);
    if (inputGrads.length !== node.inputs.length) {
      throw new GradientError(`the ${ruleKey(node)} rule gave ${inputGrads.length} gradients for the ${node.inputs.length} inputs of ${describeNode(node)}`);
    }
    node.inputs.forEach((v, i) => {
      const make = inputGrads[i];
      if (make && active.has(v)) add(v, make());
    });
  }
  return grads;
}

/**
 * Where each forward value keeps its samples, from shapes probed at two batch sizes: the one
 * axis whose size follows the batch (batch * per at both sizes). Values with no such axis, or
 * more than one, hold no samples of their own (constants, shapes) or cannot share a forward pass.
 */
export function batchedValues(first: { shapes: ShapeMap; batch: number }, second: { shapes: ShapeMap; batch: number }): Map<string, BatchAxis> {
  const batched = new Map<string, BatchAxis>();
  for (const [name, dims] of first.shapes) {
    const other = second.shapes.get(name);
    if (!other || other.length !== dims.length) continue;
    const moved = dims.map((d, i) => i).filter((i) => dims[i] !== other[i]);
    if (moved.length !== 1) continue;
    const [axis] = moved;
    const [a, b] = [dims[axis], other[axis]];
    if (typeof a !== 'number' || typeof b !== 'number' || a % first.batch !== 0 || a / first.batch !== b / second.batch) continue;
    batched.set(name, { axis, per: a / first.batch });
  }
  return batched;
}

function endpoints(model: OnnxModel, options: { input?: string; logits?: string }): { input: string; logits: string } {
  const fed = feedInputs(model.graph);
  const input = options.input ?? (fed.length === 1 ? fed[0].name : undefined);
  if (!input || !fed.some((v) => v.name === input)) throw new GradientError(input ? `the model has no input '${input}'` : `the model has ${fed.length} inputs; say which one to differentiate`);
  const logits = options.logits ?? model.graph.outputs[0]?.name;
  if (!logits) throw new GradientError('the model has no outputs');
  return { input, logits };
}

/**
 * Drops nodes whose outputs no graph output needs (the forward graph's other heads, a backward
 * Mul folded into weights), and the constants the builder made only for them.
 */
function removeDeadNodes(model: OnnxModel, forwardInitializers: ReadonlySet<string>): void {
  const g = model.graph;
  const needed = new Set(g.outputs.map((o) => o.name));
  const keep = new Set<Node>();
  for (const n of [...topologicalOrder(g)].reverse()) {
    if (!n.outputs.some((o) => needed.has(o))) continue;
    keep.add(n);
    for (const v of [...n.inputs, ...implicitInputs(n)]) needed.add(v);
  }
  g.nodes = g.nodes.filter((n) => keep.has(n));
  g.initializers = g.initializers.filter((t) => forwardInitializers.has(t.name) || needed.has(t.name));
}
