/**
 * How Brink reads a model file as exported in the wild (issue 10): which fed input takes the
 * images, whether they come in NCHW or NHWC, where the logits are (the output, or the input of
 * a trailing Softmax), and whether a batch size the file fixes can be made symbolic. Detection
 * is pure graph inspection; readAs/prepareGraph edit the graph in place (clone it first) so that
 * every session sees one fed NCHW input and logits as its first output.
 */
import type { ImageLayout, LogitsSource, ModelReading } from '../../../src-preload/contract.js';
import { describeNode, DataType, feedInputs, freshName, implicitInputs, isDefaultDomain, producers, valueNames, type Dim, type Node, type OnnxModel, type ValueInfo } from './graph.js';
import { foldPreprocessing, type Preprocessing } from './surgery.js';

export type { ImageLayout, LogitsSource };

export interface GraphReading {
  /** The fed input that takes the images; null: the model's only fed input. */
  imageInput: string | null;
  layout: ImageLayout;
  logits: LogitsSource;
  /** Make a batch size fixed on the image input symbolic (only where a run at two sizes agreed). */
  freeBatch: boolean;
}

/** What a project keeps about how to read a model: the choices, and what the import found. */
export type ReadingSettings = Pick<ModelReading, 'imageInput' | 'layout' | 'logits' | 'softmax' | 'fileBatch' | 'batchFreed' | 'batchFixedBecause'>;

/** The reading Brink starts from: the detected image input and layout, the logits before a trailing Softmax, the file's batch. */
export function detectReading(model: OnnxModel): ReadingSettings {
  const imageInput = defaultImageInput(model);
  const shape = model.graph.inputs.find((v) => v.name === imageInput)?.shape ?? null;
  const softmax = findTrailingSoftmax(model);
  return {
    imageInput,
    layout: detectLayout(shape) ?? 'NCHW',
    logits: softmax ? 'before-softmax' : 'output',
    softmax,
    fileBatch: typeof shape?.[0] === 'number' ? shape[0] : null,
    batchFreed: false,
    batchFixedBecause: null,
  };
}

/**
 * How Brink read every model before it recorded a reading: its only fed input, NCHW, the file's
 * output as the logits, the batch as the file writes it. Runs made then are resumed this way.
 */
export function asTheFileSays(fed: readonly { name: string; shape: Dim[] | null }[]): ReadingSettings {
  const only = fed.length === 1 ? fed[0] : null;
  const batch = only?.shape?.[0];
  return {
    imageInput: only?.name ?? null,
    layout: 'NCHW',
    logits: 'output',
    softmax: null,
    fileBatch: typeof batch === 'number' ? batch : null,
    batchFreed: false,
    batchFixedBecause: null,
  };
}

/** The settings with what follows from them, for a model whose fed inputs (no initializer) are `fed`. */
export function modelReading(settings: ReadingSettings, fed: readonly { name: string; shape: Dim[] | null }[]): ModelReading {
  const shape = fed.find((v) => v.name === settings.imageInput)?.shape ?? null;
  const fedShape = feedShape(shape, settings.layout);
  return {
    ...settings,
    detectedLayout: detectLayout(shape),
    feedShape: fedShape && settings.batchFreed ? ['batch', ...fedShape.slice(1)] : fedShape,
    problem:
      unfedReason(fed, settings.imageInput) ??
      (settings.layout === 'NHWC' && shape && shape.length !== 4 ? `the image input has shape ${shapeText(shape)}, not the 4 axes of an NHWC image batch` : null),
  };
}

export const graphReading = (s: ReadingSettings): GraphReading => ({ imageInput: s.imageInput, layout: s.layout, logits: s.logits, freeBatch: s.batchFreed });

/** A Softmax or LogSoftmax whose output becomes the model's first output through shape movers only. */
export interface TrailingSoftmax {
  op: 'Softmax' | 'LogSoftmax';
  /** The node's name, or how describeNode names an unnamed one. */
  node: string;
  /** Its input: the logits. */
  input: string;
}

/** Ops between the Softmax and the output that only move values around: the logits stay the logits. */
const SHAPE_MOVERS = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze']);

/** The Softmax or LogSoftmax that ends the graph (behind Identity, Reshape, Flatten or Squeeze), or null. */
export function findTrailingSoftmax(model: OnnxModel): TrailingSoftmax | null {
  const node = trailingSoftmaxNode(model);
  return node ? { op: node.opType as TrailingSoftmax['op'], node: node.name || describeNode(node), input: node.inputs[0] } : null;
}

function trailingSoftmaxNode(model: OnnxModel): Node | null {
  const output = model.graph.outputs[0]?.name;
  if (!output) return null;
  const made = producers(model.graph);
  let node = made.get(output);
  while (node && isDefaultDomain(node.domain) && SHAPE_MOVERS.has(node.opType)) node = made.get(node.inputs[0]);
  if (!node || !isDefaultDomain(node.domain) || (node.opType !== 'Softmax' && node.opType !== 'LogSoftmax')) return null;
  return node;
}

/**
 * The input that most likely takes images: the only fed input, else the only float input of
 * rank 4 (an image batch) among several; null when that does not single one out.
 */
export function defaultImageInput(model: OnnxModel): string | null {
  const fed = feedInputs(model.graph);
  if (fed.length === 1) return fed[0].name;
  const images = fed.filter((v) => v.elemType === DataType.FLOAT && v.shape?.length === 4);
  return images.length === 1 ? images[0].name : null;
}

/** Channel counts images come with: grey, RGB, RGBA. */
const CHANNELS = new Set<Dim>([1, 3, 4]);

/**
 * The layout a 4-D image input's shape says: NHWC when only its last axis looks like channels
 * ([N, 28, 28, 1], [N, H, W, 3]); NCHW when its second does; null when the shape does not tell.
 */
export function detectLayout(shape: readonly Dim[] | null): ImageLayout | null {
  if (!shape || shape.length !== 4) return null;
  if (CHANNELS.has(shape[1])) return 'NCHW';
  if (CHANNELS.has(shape[3])) return 'NHWC';
  return null;
}

/** [batch, channels, height, width] as Brink feeds an input of this shape and layout. */
export function feedShape(shape: readonly Dim[] | null, layout: ImageLayout): Dim[] | null {
  if (!shape) return null;
  if (layout === 'NCHW' || shape.length !== 4) return [...shape];
  return [shape[0], shape[3], shape[1], shape[2]];
}

/**
 * Why the graph cannot be fed with images alone, or null: an image input that is not fed, or
 * another fed input with no value in the file (inputs with an initializer take that value).
 */
export function unfedInputs(model: OnnxModel, imageInput: string | null): string | null {
  return unfedReason(feedInputs(model.graph), imageInput);
}

function unfedReason(fed: readonly { name: string; shape: Dim[] | null }[], imageInput: string | null): string | null {
  const image = imageInput ?? (fed.length === 1 ? fed[0].name : null);
  if (image === null) {
    return `the model takes ${fed.length} inputs (${fed.map((v) => v.name).join(', ')}); choose the one that takes the images`;
  }
  if (!fed.some((v) => v.name === image)) return `the model has no input '${image}' to feed images to`;
  const others = fed.filter((v) => v.name !== image);
  if (others.length === 0) return null;
  const described = others.map((v) => `'${v.name}' (${shapeText(v.shape)})`).join(', ');
  return `Brink feeds only the image input '${image}', and the file stores no value for ${described}: re-export the model with ${others.length === 1 ? 'it' : 'them'} fixed as ${others.length === 1 ? 'a constant' : 'constants'}`;
}

const shapeText = (shape: Dim[] | null) => (shape ? `[${shape.join(', ')}]` : 'shape unknown');

/**
 * The model as Brink reads it, in place: the trailing Softmax bypassed when the logits are its
 * input, the image input taking NCHW, and its batch axis symbolic when asked. Other inputs are
 * left as they are (prepareGraph refuses them). Returns the image input's name.
 */
export function readAs(model: OnnxModel, reading: GraphReading): string {
  const fed = feedInputs(model.graph);
  const input = reading.imageInput ?? (fed.length === 1 ? fed[0].name : null);
  if (input === null || !fed.some((v) => v.name === input)) throw new Error(unfedInputs(model, reading.imageInput) ?? `no input '${input}'`);
  if (reading.logits === 'before-softmax') bypassSoftmax(model);
  if (reading.freeBatch) freeBatchAxis(model, input);
  if (reading.layout === 'NHWC') acceptNchw(model, input);
  return input;
}

/**
 * readAs, then the preprocessing folded in front: a graph whose one fed input takes NCHW pixels
 * in [0, 1] and whose first output is the logits. Throws (one line) when other inputs need values.
 */
export function prepareGraph(model: OnnxModel, reading: GraphReading, preprocessing?: Omit<Preprocessing, 'input'>): OnnxModel {
  const problem = unfedInputs(model, reading.imageInput);
  if (problem) throw new Error(problem);
  const input = readAs(model, reading);
  return preprocessing ? foldPreprocessing(model, { ...preprocessing, input }) : model;
}

/** The Softmax (or LogSoftmax) becomes an Identity: the movers after it now carry the logits. */
function bypassSoftmax(model: OnnxModel): void {
  const node = trailingSoftmaxNode(model);
  if (!node) throw new Error('the model does not end in a Softmax or LogSoftmax; its output is already the logits');
  Object.assign(node, { opType: 'Identity', domain: '', inputs: [node.inputs[0]], attributes: [] });
}

/**
 * The fixed batch size on the input becomes a symbolic axis; the outputs and intermediate shapes
 * that repeat that size on their first axis forget it (onnxruntime infers them again), since a
 * declared size would win over the probed one when gradients are built.
 */
export function freeBatchAxis(model: OnnxModel, input: string): void {
  const g = model.graph;
  const info = g.inputs.find((v) => v.name === input);
  const fixed = info?.shape?.[0];
  if (!info || typeof fixed !== 'number') return;
  const symbol = freshName(new Set(g.inputs.flatMap((v) => (v.shape ?? []).filter((d): d is string => typeof d === 'string'))), 'batch');
  info.shape = [symbol, ...info.shape!.slice(1)];
  const forget = (v: ValueInfo, to: Dim) => {
    if (v.shape && v.shape[0] === fixed) v.shape = [to, ...v.shape.slice(1)];
  };
  for (const v of g.outputs) forget(v, symbol);
  for (const v of g.valueInfo) forget(v, '?');
}

/**
 * Lets an NHWC model take NCHW images: the input keeps its name, now [N, C, H, W], and one
 * Transpose in front hands the graph the [N, H, W, C] it was exported for.
 */
function acceptNchw(model: OnnxModel, input: string): void {
  const g = model.graph;
  const info = g.inputs.find((v) => v.name === input)!;
  if (info.shape && info.shape.length !== 4) throw new Error(`input '${input}' has shape ${shapeText(info.shape)}, not the 4 axes of an NHWC image batch`);
  for (const n of g.nodes) {
    if (implicitInputs(n).includes(input)) throw new Error(`input '${input}' is read inside a subgraph of ${describeNode(n)}; cannot change its layout`);
  }
  const taken = valueNames(g);
  const nhwc = freshName(taken, `${input}_nhwc`);
  for (const n of g.nodes) n.inputs = n.inputs.map((v) => (v === input ? nhwc : v));
  for (const o of g.outputs) if (o.name === input) throw new Error(`input '${input}' is also an output; cannot change its layout`);
  info.shape = feedShape(info.shape, 'NHWC');
  g.nodes.unshift({
    opType: 'Transpose',
    domain: '',
    name: freshName(taken, 'brink_nchw_to_nhwc'),
    inputs: [input],
    outputs: [nhwc],
    attributes: [{ name: 'perm', type: 'ints', value: [0, 2, 3, 1] }],
  });
}
