/**
 * The deployable screener (issue 12, item 7): the classifier as Brink runs it (prepareGraph in
 * reading.ts: logits before a trailing Softmax, NCHW pixels in [0, 1], preprocessing folded),
 * followed by a brittleness score and the calibrated threshold, as one standard ONNX model with
 * three outputs: `logits`, `score` (float64, one per sample) and `brittle` (bool, one per sample).
 *
 * The score is computed in float64 from the float logits, as Brink computes margins in
 * JavaScript (margins.ts: the difference of two float32 logits, exact in a double), and the flag
 * is `score <= threshold` in float64: the analysis layer's rule (a sample is flagged when its
 * logit margin is at most the threshold, run-analysis.ts `screening`), ties included. So the
 * screener flags exactly the samples Brink flags, in any runtime.
 *
 * These edit the model in place; clone it first (codec.ts) to keep the original.
 */
import { readModel } from './codec.js';
import {
  attr,
  DataType,
  describeNode,
  feedInputs,
  freshName,
  implicitInputs,
  isDefaultDomain,
  opsetVersion,
  topologicalOrder,
  valueNames,
  type Dim,
  type Graph,
  type Node,
  type OnnxModel,
  type ValueInfo,
} from './graph.js';
import { detectLinearHead } from './surgery.js';
import { floatTensor, int64Tensor } from './tensor.js';

/** The screener's output names, the interface a deployment codes against. */
export const SCREENER_OUTPUTS = { logits: 'logits', score: 'score', brittle: 'brittle' } as const;

/** What a score network reads: the logits, or the penultimate features (the linear head's input). */
export type ScoreInput = 'logits' | 'features';

/** Per-feature standardisation in front of a score network: (v - mean) / std. */
export interface Standardisation {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
}

export type ScoreSpec =
  | { kind: 'logit-margin' }
  /** A score network (the learned pseudo-margin): ONNX bytes with one fed input [N, D] and a first output [N] or [N, 1]. */
  /**
   * `marginBound`: the network estimates sqrt(d / bound) (the learned pseudo-margin); the score
   * is then the input margin it stands for, output^2 * bound, in float64 as Brink computes it.
   */
  | { kind: 'network'; bytes: Uint8Array; input: ScoreInput; standardise?: Standardisation; marginBound?: number };

const FLOAT_TYPES: readonly number[] = [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16];

/** The whole screener from a prepared classifier graph (prepareGraph): logits, score, brittle. */
export function screenerModel(prepared: OnnxModel, score: ScoreSpec, threshold: number): OnnxModel {
  const model = screenerBase(prepared);
  if (score.kind === 'logit-margin') addLogitMargin(model);
  else spliceScoreNetwork(model, score.bytes, score.input, score.standardise, score.marginBound);
  return addBrittleFlag(model, threshold);
}

/**
 * Keeps only the classifier's first output (its logits, as prepareGraph leaves them), renamed
 * `logits`, and drops the nodes and constants that only fed the other outputs.
 */
export function screenerBase(model: OnnxModel): OnnxModel {
  const g = model.graph;
  const logits = g.outputs[0];
  if (!logits) throw new Error('the model has no outputs');
  if (logits.elemType !== 0 && !FLOAT_TYPES.includes(logits.elemType)) throw new Error(`the logits '${logits.name}' are not floats (type ${logits.elemType})`);
  if (logits.shape && logits.shape.length !== 2) throw new Error(`the logits '${logits.name}' have shape [${logits.shape.join(', ')}], not [batch, classes]`);
  g.outputs = [logits];
  pruneUnused(g);
  claimName(g, SCREENER_OUTPUTS.logits, logits.name);
  renameValue(g, logits.name, SCREENER_OUTPUTS.logits);
  for (const name of [SCREENER_OUTPUTS.score, SCREENER_OUTPUTS.brittle]) claimName(g, name);
  return model;
}

/**
 * score = top-1 logit minus top-2 logit (margins.ts `logitMargin`): TopK(2) on the logits, both
 * values cast to float64, then Sub. Adds the `score` output [batch] (float64).
 */
export function addLogitMargin(model: OnnxModel): OnnxModel {
  const g = model.graph;
  const logits = requireOutput(g, SCREENER_OUTPUTS.logits);
  const classes = logits.shape?.[1];
  if (typeof classes === 'number' && classes < 2) throw new Error(`the model has ${classes} class; a logit margin needs at least 2`);
  const taken = valueNames(g);
  const name = (hint: string) => freshName(taken, `brink_screener_${hint}`);
  const [top2, indices, top2f64, first, second, k] = ['top2', 'top2_indices', 'top2_f64', 'top1_value', 'top2_value', 'k'].map(name);
  const [index0, index1] = [name('index0'), name('index1')];
  g.initializers.push(int64Tensor(index0, [], [0]), int64Tensor(index1, [], [1]));
  // TopK takes k as an attribute before opset 10, as an input from 10 on.
  const topK: Node =
    (opsetVersion(model) ?? 1) < 10
      ? { opType: 'TopK', domain: '', name: name('topk'), inputs: [SCREENER_OUTPUTS.logits], outputs: [top2, indices], attributes: [attr.int('axis', 1), attr.int('k', 2)] }
      : { opType: 'TopK', domain: '', name: name('topk'), inputs: [SCREENER_OUTPUTS.logits, k], outputs: [top2, indices], attributes: [attr.int('axis', 1)] };
  if (topK.inputs.length === 2) g.initializers.push(int64Tensor(k, [1], [2]));
  g.nodes.push(
    topK,
    { opType: 'Cast', domain: '', name: name('cast'), inputs: [top2], outputs: [top2f64], attributes: [attr.int('to', DataType.DOUBLE)] },
    { opType: 'Gather', domain: '', name: name('gather_top1'), inputs: [top2f64, index0], outputs: [first], attributes: [attr.int('axis', 1)] },
    { opType: 'Gather', domain: '', name: name('gather_top2'), inputs: [top2f64, index1], outputs: [second], attributes: [attr.int('axis', 1)] },
    { opType: 'Sub', domain: '', name: name('margin'), inputs: [first, second], outputs: [SCREENER_OUTPUTS.score], attributes: [] },
  );
  g.outputs.push({ name: SCREENER_OUTPUTS.score, elemType: DataType.DOUBLE, shape: [batchDim(logits)] });
  return model;
}

/**
 * Ops a score network may use: those whose meaning for float tensors is the same in every opset
 * from 13 on (they only gained types, or attributes whose defaults keep the old behaviour), so
 * that they run unchanged at the classifier's opset.
 */
const SCORE_NETWORK_OPS = new Set(['Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Identity', 'Flatten', 'Reshape']);
const SCORE_NETWORK_MIN_OPSET = 13;

/**
 * Splices a score network (the learned pseudo-margin) into a screener made by screenerBase: its
 * input reads the logits or the penultimate features (the linear head's input, surgery.ts
 * `detectLinearHead`), standardised first when `standardise` is given; its output, flattened to
 * [batch] and cast to float64, becomes the `score` output. The network's nodes run at the
 * classifier's opset, so it may use only SCORE_NETWORK_OPS.
 */
export function spliceScoreNetwork(model: OnnxModel, network: Uint8Array, input: ScoreInput, standardise?: Standardisation, marginBound?: number): OnnxModel {
  const g = model.graph;
  const logits = requireOutput(g, SCREENER_OUTPUTS.logits);
  const opset = opsetVersion(model) ?? 1;
  if (opset < SCORE_NETWORK_MIN_OPSET) throw new Error(`the classifier imports opset ${opset}; a score network is spliced into opset ${SCORE_NETWORK_MIN_OPSET} or later`);
  const net = readModel(network, 'the score network');
  const fed = feedInputs(net.graph);
  if (fed.length !== 1) throw new Error(`the score network takes ${fed.length} inputs; it must take one [batch, width] input`);
  const netOutput = net.graph.outputs[0];
  if (!netOutput) throw new Error('the score network has no outputs');
  const odd = net.graph.nodes.find((n) => !isDefaultDomain(n.domain) || !SCORE_NETWORK_OPS.has(n.opType) || n.attributes.some((a) => a.type === 'graph' || a.type === 'graphs'));
  if (odd) throw new Error(`the score network uses ${describeNode(odd)}; a screener splices only ${[...SCORE_NETWORK_OPS].join(', ')}`);
  const outWidth = netOutput.shape?.slice(1).reduce<number | null>((a, d) => (a === null || typeof d !== 'number' ? null : a * d), 1);
  if (outWidth !== null && outWidth !== undefined && outWidth !== 1) throw new Error(`the score network's output '${netOutput.name}' has shape [${netOutput.shape!.join(', ')}], not one score per sample`);

  const source = input === 'logits' ? SCREENER_OUTPUTS.logits : featuresOf(model);
  const width = fed[0].shape?.[1];
  const sourceWidth = input === 'logits' ? logits.shape?.[1] : detectLinearHead(model, SCREENER_OUTPUTS.logits).head?.features;
  if (typeof width === 'number' && typeof sourceWidth === 'number' && width !== sourceWidth) {
    throw new Error(`the score network reads ${width} values per sample, but the ${input === 'logits' ? 'logits have' : 'penultimate features have'} ${sourceWidth}`);
  }
  const taken = valueNames(g);
  const name = (hint: string) => freshName(taken, `brink_score_${hint}`);
  const elemType = fed[0].elemType || DataType.FLOAT;
  // The network reads its input type; the classifier's values are cast when they differ (a float64 classifier, say).
  let fedValue = source;
  const sourceType = input === 'logits' ? logits.elemType : 0;
  if (sourceType !== 0 && sourceType !== elemType) {
    const cast = name('input_cast');
    g.nodes.push({ opType: 'Cast', domain: '', name: name('cast_input'), inputs: [source], outputs: [cast], attributes: [attr.int('to', elemType)] });
    fedValue = cast;
  }
  if (standardise) fedValue = addStandardisation(g, fedValue, standardise, elemType, name, typeof width === 'number' ? width : null);

  const renamed = new Map<string, string>([[fed[0].name, fedValue]]);
  const rename = (v: string) => {
    if (!v) return v;
    let to = renamed.get(v);
    if (!to) renamed.set(v, (to = name(v)));
    return to;
  };
  for (const t of net.graph.initializers) if (t.name !== fed[0].name) g.initializers.push({ ...t, name: rename(t.name) });
  for (const n of topologicalOrder(net.graph)) {
    g.nodes.push({ ...n, name: name(n.name || n.opType), inputs: n.inputs.map(rename), outputs: n.outputs.map(rename), attributes: [...n.attributes] });
  }
  const flat = name('flat');
  const shape = name('shape');
  g.initializers.push(int64Tensor(shape, [1], [-1]));
  g.nodes.push({ opType: 'Reshape', domain: '', name: name('reshape'), inputs: [rename(netOutput.name), shape], outputs: [flat], attributes: [] });
  if (marginBound === undefined) {
    g.nodes.push({ opType: 'Cast', domain: '', name: name('cast_score'), inputs: [flat], outputs: [SCREENER_OUTPUTS.score], attributes: [attr.int('to', DataType.DOUBLE)] });
  } else {
    // (o * o) * bound in float64, the order and precision of engine/learn/target.ts marginOfOutput.
    const [wide, squared, bound] = [name('output_f64'), name('squared'), name('margin_bound')];
    g.initializers.push(floatTensor(bound, [], [marginBound], DataType.DOUBLE));
    g.nodes.push(
      { opType: 'Cast', domain: '', name: name('cast_output'), inputs: [flat], outputs: [wide], attributes: [attr.int('to', DataType.DOUBLE)] },
      { opType: 'Mul', domain: '', name: name('square'), inputs: [wide, wide], outputs: [squared], attributes: [] },
      { opType: 'Mul', domain: '', name: name('scale'), inputs: [squared, bound], outputs: [SCREENER_OUTPUTS.score], attributes: [] },
    );
  }
  g.outputs.push({ name: SCREENER_OUTPUTS.score, elemType: DataType.DOUBLE, shape: [batchDim(logits)] });
  return model;
}

function featuresOf(model: OnnxModel): string {
  const found = detectLinearHead(model, SCREENER_OUTPUTS.logits);
  if (!found.head) throw new Error(`the penultimate features cannot be found: ${found.reason}`);
  return found.head.featuresTensor;
}

function addStandardisation(g: Graph, value: string, s: Standardisation, elemType: number, name: (hint: string) => string, width: number | null): string {
  if (s.mean.length !== s.std.length || s.mean.length === 0) throw new Error(`standardisation has ${s.mean.length} means and ${s.std.length} stds`);
  if (width !== null && s.mean.length !== width) throw new Error(`standardisation has ${s.mean.length} values for a score network that reads ${width}`);
  if (Array.from(s.std).some((v) => !(Math.abs(v) > 0) || !Number.isFinite(v)) || Array.from(s.mean).some((v) => !Number.isFinite(v))) {
    throw new Error('standardisation needs finite means and non-zero finite stds');
  }
  const [mean, std, centred, scaled] = [name('mean'), name('std'), name('centred'), name('standardised')];
  g.initializers.push(floatTensor(mean, [s.mean.length], s.mean, elemType), floatTensor(std, [s.std.length], s.std, elemType));
  g.nodes.push(
    { opType: 'Sub', domain: '', name: name('centre'), inputs: [value, mean], outputs: [centred], attributes: [] },
    { opType: 'Div', domain: '', name: name('scale'), inputs: [centred, std], outputs: [scaled], attributes: [] },
  );
  return scaled;
}

/**
 * brittle = score <= threshold, in float64 (the analysis layer flags a margin at most the
 * threshold). LessOrEqual exists from opset 12; before, Not(Greater) says the same for every
 * score that is a number.
 */
export function addBrittleFlag(model: OnnxModel, threshold: number): OnnxModel {
  if (Number.isNaN(threshold)) throw new Error('the threshold is not a number');
  const g = model.graph;
  const score = requireOutput(g, SCREENER_OUTPUTS.score);
  const taken = valueNames(g);
  const name = (hint: string) => freshName(taken, `brink_screener_${hint}`);
  const constant = name('threshold');
  g.initializers.push(floatTensor(constant, [], [threshold], DataType.DOUBLE));
  if ((opsetVersion(model) ?? 1) >= 12) {
    g.nodes.push({ opType: 'LessOrEqual', domain: '', name: name('flag'), inputs: [SCREENER_OUTPUTS.score, constant], outputs: [SCREENER_OUTPUTS.brittle], attributes: [] });
  } else {
    const above = name('above');
    g.nodes.push(
      { opType: 'Greater', domain: '', name: name('above'), inputs: [SCREENER_OUTPUTS.score, constant], outputs: [above], attributes: [] },
      { opType: 'Not', domain: '', name: name('flag'), inputs: [above], outputs: [SCREENER_OUTPUTS.brittle], attributes: [] },
    );
  }
  g.outputs.push({ name: SCREENER_OUTPUTS.brittle, elemType: DataType.BOOL, shape: score.shape && [...score.shape] });
  return model;
}

function requireOutput(g: Graph, name: string): ValueInfo {
  const found = g.outputs.find((o) => o.name === name);
  if (!found) throw new Error(`the screener has no '${name}' output yet`);
  return found;
}

/** The logits' batch axis as the file declares it (a fixed size stays fixed), '?' when unknown. */
const batchDim = (logits: ValueInfo): Dim => logits.shape?.[0] ?? '?';

/** Drops the nodes and initializers that no output needs (they fed outputs the screener leaves out). */
function pruneUnused(g: Graph): void {
  const needed = new Set(g.outputs.map((o) => o.name));
  const kept = new Set<Node>();
  for (const n of topologicalOrder(g).reverse()) {
    if (!n.outputs.some((o) => needed.has(o))) continue;
    kept.add(n);
    for (const v of [...n.inputs, ...implicitInputs(n)]) if (v) needed.add(v);
  }
  g.nodes = g.nodes.filter((n) => kept.has(n));
  const listed = new Set(g.inputs.map((v) => v.name));
  g.initializers = g.initializers.filter((t) => needed.has(t.name) || listed.has(t.name));
  g.valueInfo = g.valueInfo.filter((v) => needed.has(v.name));
}

/** Makes `name` free for an output: a different value already called so is renamed. */
function claimName(g: Graph, name: string, except?: string): void {
  if (name === except || !valueNames(g).has(name)) return;
  renameValue(g, name, freshName(valueNames(g), `${name}_original`));
}

/** Renames a value everywhere the graph names it; a value read inside a subgraph cannot be renamed. */
function renameValue(g: Graph, from: string, to: string): void {
  if (from === to) return;
  const swap = (v: string) => (v === from ? to : v);
  for (const n of g.nodes) {
    if (implicitInputs(n).includes(from)) throw new Error(`'${from}' is read inside a subgraph of ${describeNode(n)}; it cannot be renamed`);
    n.inputs = n.inputs.map(swap);
    n.outputs = n.outputs.map(swap);
  }
  for (const list of [g.inputs, g.outputs, g.valueInfo]) for (const v of list) if (v.name === from) v.name = to;
  for (const t of g.initializers) if (t.name === from) t.name = to;
}
