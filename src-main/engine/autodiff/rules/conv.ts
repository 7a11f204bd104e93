/**
 * Convolution and pooling. Input gradients of windowed ops are transposed convolutions with the
 * forward geometry (or, at stride 1, convolutions with flipped weights); the padding and
 * output_padding are chosen so that the result has exactly the input's size, whatever strides,
 * dilations, asymmetric pads or auto_pad the forward used.
 */
import { attr, DataType, describeNode, getInt, getInts, getString, type Node } from '../../onnx/graph.js';
import { GradientError, type GradBuilder } from '../builder.js';
import { reluMask } from './elementwise.js';
import { only, type GradRule, type RuleTable } from './rule.js';

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Padding before each spatial axis, auto_pad resolved (the ONNX spec's SAME formulas). */
  begin: number[];
}

function windowOf(n: Node, inSizes: number[], kernel: number[]): Window {
  const k = kernel.length;
  const strides = getInts(n, 'strides') ?? Array(k).fill(1);
  const dilations = getInts(n, 'dilations') ?? Array(k).fill(1);
  const autoPad = getString(n, 'auto_pad', 'NOTSET');
  let begin = (getInts(n, 'pads') ?? Array(2 * k).fill(0)).slice(0, k);
  if (autoPad === 'VALID') begin = Array(k).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    begin = inSizes.map((size, i) => {
      const total = Math.max(0, (Math.ceil(size / strides[i]) - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
      return autoPad === 'SAME_LOWER' ? Math.ceil(total / 2) : Math.floor(total / 2);
    });
  }
  return { kernel, strides, dilations, begin };
}

/**
 * Attributes of the ConvTranspose that maps an output-sized gradient back onto the input: the
 * end padding crops what the forward windows covered past the input, and output_padding adds
 * the trailing rows no window reached (their gradient is zero).
 */
function transposedWindow(w: Window, inSizes: number[], outSizes: number[]): { pads: number[]; outputPadding: number[] } {
  const tail = inSizes.map((size, i) => (outSizes[i] - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 - size - w.begin[i]);
  return { pads: [...w.begin, ...tail.map((t) => Math.max(t, 0))], outputPadding: tail.map((t) => Math.max(-t, 0)) };
}

function windowAttributes(w: Window, pads: number[]) {
  return [attr.ints('kernel_shape', w.kernel), attr.ints('strides', w.strides), attr.ints('dilations', w.dilations), attr.ints('pads', pads)];
}

function requireConstant(n: Node, g: GradBuilder, inputs: string[]): void {
  for (const v of inputs) if (v && g.active(v)) throw new GradientError(`${describeNode(n)}: gradients through '${v}' (weights computed from the input) are not supported`);
}

/** Spatial sizes of a windowed op's input and output, which must be fixed numbers. */
function sizes(n: Node, g: GradBuilder): { inSizes: number[]; outSizes: number[]; spatial: number[] } {
  const spatial = range(2, g.rank(n.inputs[0]));
  return { inSizes: g.dims(n.inputs[0], spatial), outSizes: g.dims(n.outputs[0], spatial), spatial };
}

/** Below this many input channels the stride-1 Conv form loses to ConvTranspose (see conv). */
const MIN_CHANNELS_FOR_CONV = 8;

/**
 * Conv's input gradient is the transposed convolution of dy with the same weights. At stride 1
 * that is also a plain Conv of dy with the kernel flipped and in/out channels swapped (per group),
 * padded by d·(K - 1) less the transposed convolution's pads, which onnxruntime runs 1.5-2x faster
 * (its NCHWc kernels; the weight reshuffle is folded into a constant). Not for few input channels (an
 * RGB stem): NCHWc pads that Conv's outputs to a block of 8 or 16 channels, and ConvTranspose wins.
 */
const conv: GradRule = (n, dy, g) => {
  requireConstant(n, g, n.inputs.slice(1));
  return only(n, () => {
    const { inSizes, outSizes, spatial } = sizes(n, g);
    const w = windowOf(n, inSizes, getInts(n, 'kernel_shape') ?? g.dims(n.inputs[1], spatial));
    const t = transposedWindow(w, inSizes, outSizes);
    const group = getInt(n, 'group', 1);
    const [channels] = g.dims(n.inputs[0], [1]);
    const { grad, weights } = withChannelScale(dy, n.inputs[1], w.kernel.length, g);
    const reach = w.kernel.map((k, i) => (k - 1) * w.dilations[i]);
    const pads = [...reach.map((r, i) => r - t.pads[i]), ...reach.map((r, i) => r - t.pads[reach.length + i] + t.outputPadding[i])];
    if (w.strides.every((s) => s === 1) && channels >= MIN_CHANNELS_FOR_CONV && pads.every((p) => p >= 0) && g.opset >= 10) {
      return g.op('Conv', [grad, flippedWeights(weights, group, channels, w.kernel, g)], [...windowAttributes(w, pads), attr.int('group', group)]);
    }
    const attrs = [...windowAttributes(w, t.pads), attr.ints('output_padding', t.outputPadding), attr.int('group', group)];
    return g.op('ConvTranspose', [grad, weights], attrs);
  });
};

/** When dy is a BatchNormalization's backward (dy' times a factor per channel), the factor goes into the weights' output channels instead. */
function withChannelScale(dy: string, weights: string, spatialRank: number, g: GradBuilder): { grad: string; weights: string } {
  const scaled = g.channelScaled(dy);
  if (!scaled) return { grad: dy, weights };
  return { grad: scaled.grad, weights: g.op('Mul', [weights, g.reshape(scaled.scale, g.ints([-1, 1, ...Array(spatialRank).fill(1)]))]) };
}

/** Conv weights [C_out, C_in/group, k...] as those of the Conv from dy back to x: [C_in, C_out/group, k...], flipped in space. */
function flippedWeights(weights: string, group: number, channels: number, kernel: number[], g: GradBuilder): string {
  const byGroup = g.reshape(weights, g.ints([group, -1, channels / group, ...kernel]));
  const swapped = g.reshape(g.transpose(byGroup, [0, 2, 1, ...kernel.map((_, i) => 3 + i)]), g.ints([channels, -1, ...kernel]));
  return g.slice(swapped, kernel.map(() => -1), kernel.map(() => -Infinity), kernel.map((_, i) => 2 + i), kernel.map(() => -1));
}

/**
 * Where a ConvTranspose's output starts in its full result ((in - 1)·stride + output_padding +
 * dilated kernel): its begin pads, or, with auto_pad or output_shape, the share of the cropped
 * total that goes first: the smaller half for SAME_UPPER, the larger otherwise (the ONNX spec's
 * split, which onnxruntime follows; the finite-difference tests pin it).
 */
function transposedBegin(n: Node, full: number[], outSizes: number[]): number[] {
  const autoPad = getString(n, 'auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET' && !getInts(n, 'output_shape')) return full.map((_, i) => getInts(n, 'pads')?.[i] ?? 0);
  return full.map((size, i) => {
    const total = Math.max(0, size - outSizes[i]);
    return autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
  });
}

/**
 * ConvTranspose spreads each input pixel over a window of its output, so its input gradient
 * gathers dy back over the same windows: a Conv with the same weights (ConvTranspose's
 * [C_in, C_out/group, k...] is Conv's layout for C_in outputs), strides, dilations and group,
 * starting where the forward's output starts; its end padding reaches the last input pixel's
 * window, leaving out the rows output_padding appended, which no window reached.
 */
const convTranspose: GradRule = (n, dy, g) => {
  requireConstant(n, g, n.inputs.slice(1));
  return only(n, () => {
    const { inSizes, outSizes, spatial } = sizes(n, g);
    const kernel = getInts(n, 'kernel_shape') ?? g.dims(n.inputs[1], spatial);
    const w = windowOf(n, [], kernel);
    const outputPadding = getInts(n, 'output_padding') ?? kernel.map(() => 0);
    const reach = inSizes.map((size, i) => (size - 1) * w.strides[i] + (kernel[i] - 1) * w.dilations[i] + 1);
    const begin = transposedBegin(n, reach.map((r, i) => r + outputPadding[i]), outSizes);
    const end = reach.map((r, i) => Math.max(0, r - outSizes[i] - begin[i]));
    return g.op('Conv', [dy, n.inputs[1]], [...windowAttributes({ ...w, begin }, [...begin, ...end]), attr.int('group', getInt(n, 'group', 1))]);
  });
};

/**
 * MaxPool routes each output's gradient to the element its Indices output names (flat indices
 * into the unpadded input, so pads and ceil_mode need no care). Windows that cannot overlap
 * name every element at most once: on CPU, MaxUnpool puts the gradient there (float32;
 * onnxruntime's kernel is about 6x faster than ScatterElements with reduction 'add' on the
 * sample CNN); CUDA has no MaxUnpool kernel, so there a plain ScatterElements does it.
 * Overlapping windows can pick one element twice: opset 16 scatters with reduction 'add';
 * before that, outputs are split into interleaved groups whose windows cannot overlap,
 * scattered one group at a time and summed (MaxUnpool per group measured slower than the add).
 * WebGPU fails at run time on a MaxPool that outputs Indices, so there the maxima are found by
 * comparison instead (routeByComparison).
 */
const maxPool: GradRule = (n, dy, g) =>
  only(n, () => {
    // Each window sends its gradient to one element, equal to the window's output: a Relu just
    // before (the usual conv, relu, pool) masks that element iff it masks the output, so its
    // mask is taken here over the pooled tensor (a quarter of the size for 2x2 windows).
    const relu = g.soleReluBefore(n.inputs[0], n);
    if (getInt(n, 'storage_order', 0) !== 0) throw new GradientError(`${describeNode(n)}: column-major Indices (storage_order=1) are not supported`);
    const route = g.target === 'webgpu' ? routeByComparison : routeToMaxima;
    const routed = route(n, relu ? reluMask(n.outputs[0], dy, g) : dy, g);
    return relu ? g.reluApplied(routed) : routed;
  });

function routeToMaxima(n: Node, dy: string, g: GradBuilder): string {
  const x = n.inputs[0];
  const indices = g.forwardOutput(n, 1, 'indices', x);
  const kernel = getInts(n, 'kernel_shape') ?? [];
  const w = windowOf(n, [], kernel);
  const groups = kernel.map((k, i) => Math.ceil(((k - 1) * w.dilations[i] + 1) / w.strides[i]));
  const disjoint = groups.every((s) => s === 1);
  const spatial = range(2, g.rank(x));
  const [inSizes, outSizes] = [x, n.outputs[0]].map((v) => spatial.map((a) => g.shape(v)[a]));
  if (disjoint && g.target === 'cpu' && g.floatType === DataType.FLOAT && g.opset >= 9 && [...inSizes, ...outSizes].every((d) => typeof d === 'number')) {
    // onnxruntime requires output_shape to hold the extent MaxUnpool infers from its
    // attributes, (out - 1) * stride + kernel - pads: end pads make up what ceil_mode or a
    // dilation added, and the flat indices place every value whatever the pads say.
    const excess = (outSizes as number[]).map((o, i) => Math.max(0, (o - 1) * w.strides[i] + kernel[i] - (inSizes[i] as number)));
    const attrs = [attr.ints('kernel_shape', kernel), attr.ints('strides', w.strides), attr.ints('pads', [...kernel.map(() => 0), ...excess])];
    return g.op('MaxUnpool', [dy, indices, g.shapeOf(x)], attrs);
  }
  const flat = g.ints([-1]);
  const zeros = g.zeros(g.reshape(g.op('Size', [x]), g.ints([1])));
  const scatter = (grad: string, idx: string, add: boolean) => g.scatter(zeros, g.reshape(idx, flat), g.reshape(grad, flat), 0, add);
  if (disjoint) return g.reshape(scatter(dy, indices, false), g.shapeOf(x));
  if (g.opset >= 16) return g.reshape(scatter(dy, indices, true), g.shapeOf(x));
  const axes = range(2, 2 + kernel.length);
  const parts = residues(groups).map((r) =>
    scatter(g.slice(dy, r, r.map(() => Infinity), axes, groups), g.slice(indices, r, r.map(() => Infinity), axes, groups), false),
  );
  return g.reshape(g.sum(parts) as string, g.shapeOf(x));
}

/**
 * MaxPool's backward from its input and output alone (no Indices): for each offset in the window
 * (row-major, the order onnxruntime and PyTorch scan), the strided view of x (padded with -inf)
 * that the offset reads in every window is compared with the pooled output; of the offsets
 * holding the maximum, the first takes the window's gradient (scores K - offset for a hit, 0
 * otherwise, and the highest wins: ties go to the first maximum, as with Indices). A grouped
 * ConvTranspose whose kernel for offset o is one-hot at o then adds each offset's share back
 * where it was read, with the forward geometry (as averagePool's backward does).
 */
function routeByComparison(n: Node, dy: string, g: GradBuilder): string {
  const { inSizes, outSizes, spatial } = sizes(n, g);
  const x = n.inputs[0];
  const [channels] = g.dims(x, [1]);
  const w = windowOf(n, inSizes, getInts(n, 'kernel_shape') ?? []);
  const t = transposedWindow(w, inSizes, outSizes);
  const reach = t.pads.slice(spatial.length);
  const padded = t.pads.some((p) => p > 0) ? padWithLowest(x, [0, 0, ...w.begin, 0, 0, ...reach], g) : x;
  const offsets = residues(w.kernel);
  const views = offsets.map((o) => {
    const starts = o.map((k, i) => k * w.dilations[i]);
    const view = g.slice(padded, starts, starts.map((s, i) => s + (outSizes[i] - 1) * w.strides[i] + 1), spatial, w.strides);
    return g.unsqueeze(view, [2]);
  });
  const stacked = views.length === 1 ? views[0] : g.op('Concat', views, [attr.int('axis', 2)]);
  const asFloat = (v: string) => g.op('Cast', [v], [attr.int('to', g.floatType)]);
  const hits = asFloat(g.op('Equal', [stacked, g.unsqueeze(n.outputs[0], [2])]));
  const K = offsets.length;
  const scores = g.op('Mul', [hits, g.floats(offsets.map((_, i) => K - i), [K, ...spatial.map(() => 1)])]);
  const first = asFloat(g.op('Equal', [scores, g.reduce('ReduceMax', scores, [2], true)]));
  const shares = g.reshape(g.op('Mul', [first, g.unsqueeze(dy, [2])]), g.ints([0, channels * K, ...outSizes]));
  const oneHot = Array.from({ length: channels * K * K }, (_, i) => (Math.floor(i / K) % K === i % K ? 1 : 0));
  const attrs = [...windowAttributes(w, t.pads), attr.ints('output_padding', t.outputPadding), attr.int('group', channels)];
  return g.op('ConvTranspose', [shares, g.floats(oneHot, [channels * K, 1, ...w.kernel])], attrs);
}

/** Pads with -inf, which no window's maximum equals (every window holds an input element). */
function padWithLowest(x: string, pads: number[], g: GradBuilder): string {
  if (g.opset >= 11) return g.op('Pad', [x, g.ints(pads), g.scalar(-Infinity)]);
  return g.op('Pad', [x], [attr.ints(g.opset >= 2 ? 'pads' : 'paddings', pads), attr.float('value', -Infinity)]);
}

/** Every combination of offsets 0..groups[i]-1. */
function residues(groups: number[]): number[][] {
  return groups.reduce<number[][]>((acc, n) => acc.flatMap((r) => range(0, n).map((i) => [...r, i])), [[]]);
}

/**
 * AveragePool is linear: each output spreads dy/divisor over its window. The divisor (which
 * count_include_pad and ceil_mode decide) is measured rather than re-derived: the forward op on
 * an image of ones gives count/divisor, and a ones-kernel convolution gives the count.
 */
const averagePool: GradRule = (n, dy, g) =>
  only(n, () => {
    const { inSizes, outSizes } = sizes(n, g);
    const [channels] = g.dims(n.inputs[0], [1]);
    const w = windowOf(n, inSizes, getInts(n, 'kernel_shape') ?? []);
    const t = transposedWindow(w, inSizes, outSizes);
    const ones = g.fill(g.ints([1, 1, ...inSizes]), 1);
    const perOutput = g.op('AveragePool', [ones], n.attributes);
    const count = g.op('Conv', [ones, g.floats(Array(product(w.kernel)).fill(1), [1, 1, ...w.kernel])], windowAttributes(w, t.pads));
    const scale = g.op('Div', [perOutput, g.op('Max', [count, g.scalar(1)])]);
    const kernel = g.floats(Array(channels * product(w.kernel)).fill(1), [channels, 1, ...w.kernel]);
    const attrs = [...windowAttributes(w, t.pads), attr.ints('output_padding', t.outputPadding), attr.int('group', channels)];
    return g.op('ConvTranspose', [g.op('Mul', [dy, scale]), kernel], attrs);
  });

const globalAveragePool: GradRule = (n, dy, g) =>
  only(n, () => {
    const spatial = g.dims(n.inputs[0], range(2, g.rank(n.inputs[0])));
    return g.op('Mul', [g.op('Expand', [dy, g.shapeOf(n.inputs[0])]), g.scalar(1 / product(spatial))]);
  });

/** The gradient goes to the first maximum of each channel (ArgMax), as PyTorch's index-based backward does. */
const globalMaxPool: GradRule = (n, dy, g) =>
  only(n, () => {
    const byChannel = g.ints([0, 0, -1]);
    const flat = g.reshape(n.inputs[0], byChannel);
    const first = g.op('ArgMax', [flat], [attr.int('axis', 2), attr.int('keepdims', 1)]);
    return g.reshape(g.scatter(g.zerosLike(flat), first, g.reshape(dy, byChannel), 2), g.shapeOf(n.inputs[0]));
  });

export const convAndPooling: RuleTable = {
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
};
