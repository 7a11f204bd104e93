/**
 * Tensor plumbing and reductions: Split, Slice, Pad, Gather, Expand, Tile, Resize, ReduceSum,
 * ReduceMean, ReduceMax. Most of these copy elements, so the gradient goes back to where each
 * element came from, summed where one element was copied to several places.
 */
import { attr, describeNode, getInt, getInts, getString, type Node } from '../../onnx/graph.js';
import { GradientError, type GradBuilder } from '../builder.js';
import { only, type GradRule, type RuleTable } from './rule.js';

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const product = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const positive = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/**
 * The adjoint of an op that only copies elements, whatever its parameters (run-time bounds,
 * negative steps): the same op run on the flat positions of x says where each output element came
 * from, and dy is scattered back there. Elements copied more than once (`add`) need
 * ScatterElements' reduction, which opset 16 brought.
 */
function scatterBack(n: Node, g: GradBuilder, dy: string, copy: (positions: string) => string, add: boolean): string {
  const needed = add ? 16 : 11;
  if (g.opset < needed) {
    const ops = add ? 'ScatterElements with reduction' : 'Range and ScatterElements';
    throw new GradientError(`${describeNode(n)}: its gradient here needs ${ops}, opset ${needed} or later (the model has ${g.opset})`);
  }
  const x = n.inputs[0];
  const size = g.op('Size', [x]);
  const positions = g.reshape(g.op('Range', [g.ints([0], []), size, g.ints([1], [])]), g.shapeOf(x));
  const flat = g.ints([-1]);
  const zeros = g.zeros(g.reshape(size, g.ints([1])));
  return g.reshape(g.scatter(zeros, g.reshape(copy(positions), flat), g.reshape(dy, flat), 0, add), g.shapeOf(x));
}

/** The same node applied to another first input. */
const sameOp = (n: Node, g: GradBuilder) => (input: string) => g.op(n.opType, [input, ...n.inputs.slice(1)], n.attributes);

/**
 * The adjoint of y = M·x along one axis, for a constant M ([rows, cols], row-major): Mᵀ·dy
 * along that axis, as one MatMul (the axis moved last by a swap, undone after).
 */
function transposeAlong(g: GradBuilder, dy: string, axis: number, rank: number, m: number[], [rows, cols]: number[]): string {
  if (axis === rank - 2) {
    const mT = range(0, cols).flatMap((c) => range(0, rows).map((r) => m[r * cols + c]));
    return g.op('MatMul', [g.floats(mT, [cols, rows]), dy]);
  }
  const swap = range(0, rank).map((i) => (i === axis ? rank - 1 : i === rank - 1 ? axis : i));
  const last = axis === rank - 1 ? dy : g.transpose(dy, swap);
  const moved = g.op('MatMul', [last, g.floats(m, [rows, cols])]);
  return axis === rank - 1 ? moved : g.transpose(moved, swap);
}

// ---- Slice, Pad ---------------------------------------------------------------------------------

/** A Slice with constant bounds, steps of 1 and fixed sizes on its axes, as [begins..., ends...] padding that undoes it; null otherwise. */
function sliceAsPadding(n: Node, g: GradBuilder): number[] | null {
  const [x, ...bounds] = n.inputs;
  const attrs = g.opset < 10;
  const starts = attrs ? getInts(n, 'starts') : g.constantValues(bounds[0]);
  const ends = attrs ? getInts(n, 'ends') : g.constantValues(bounds[1]);
  const axes = attrs ? getInts(n, 'axes') : bounds[2] ? g.constantValues(bounds[2]) : undefined;
  const steps = attrs || !bounds[3] ? undefined : g.constantValues(bounds[3]);
  if (!starts || !ends || axes === null || steps === null || steps?.some((s) => s !== 1)) return null;
  const shape = g.shape(x);
  const rank = shape.length;
  const pads = Array<number>(2 * rank).fill(0);
  for (const [i, axis] of (axes ?? starts.map((_, j) => j)).map((a) => positive(a, rank)).entries()) {
    const size = shape[axis];
    if (typeof size !== 'number') return null;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    pads[axis] = clamp(starts[i]);
    pads[rank + axis] = size - Math.max(clamp(ends[i]), pads[axis]);
  }
  return pads;
}

/** Slice copies each element at most once: pad dy back when that is possible, else scatter it. */
const slice: GradRule = (n, dy, g) =>
  only(n, () => {
    const pads = sliceAsPadding(n, g);
    return pads ? g.pad(dy, pads) : scatterBack(n, g, dy, sameOp(n, g), false);
  });

/** Pad's amounts: an attribute before opset 11 ('paddings' in opset 1), an input from 11. */
const padAmounts = (n: Node, g: GradBuilder): number[] | null =>
  g.opset < 11 ? getInts(n, g.opset >= 2 ? 'pads' : 'paddings') ?? null : g.constantValues(n.inputs[1]);

/** Constant padding: dy with the margins cut off, which is dy padded by the negated amounts (run-time amounts too). */
function cropPadding(n: Node, g: GradBuilder, dy: string): string {
  if (g.opset < 11) return g.pad(dy, (padAmounts(n, g) as number[]).map((p) => -p));
  const axes = n.inputs[3] ? ['', n.inputs[3]] : [];
  return g.op('Pad', [dy, g.op('Neg', [n.inputs[1]]), ...axes]);
}

/**
 * Reflect or edge padding along one axis (`size` long, padded by `begin` and `end`): the centre of
 * dy, plus each margin folded back onto the elements it copied — mirrored for reflect (the edge
 * element itself is not repeated), summed onto the edge element for edge.
 */
function foldAxis(g: GradBuilder, dy: string, axis: number, rank: number, [begin, end, size]: number[], mode: string): string {
  const along = (before: number, after: number) => range(0, 2 * rank).map((i) => (i === axis ? before : i === rank + axis ? after : 0));
  const margin = (from: number, to: number, before: number, after: number) => {
    const part = g.slice(dy, [from], [to], [axis]);
    const back = mode === 'edge' ? g.reduceSum(part, [axis], true) : g.slice(part, [-1], [from - to - 1], [axis], [-1]);
    return g.pad(back, along(before, after));
  };
  const edge = mode === 'edge';
  const parts = [g.slice(dy, [begin], [begin + size], [axis])];
  if (begin > 0) parts.push(margin(0, begin, edge ? 0 : 1, size - 1 - (edge ? 0 : begin)));
  if (end > 0) parts.push(margin(begin + size, begin + size + end, size - 1 - (edge ? 0 : end), edge ? 0 : 1));
  return g.sum(parts) as string;
}

/** Reflect and edge padding before opset 16 (no scatter-add): each padded axis folded in turn; the amounts must be constants. */
function foldPadding(n: Node, g: GradBuilder, dy: string, mode: string): string {
  const pads = padAmounts(n, g);
  if (!pads) throw new GradientError(`${describeNode(n)}: ${mode} padding by amounts computed at run time needs opset 16 or later for its gradient`);
  if (mode !== 'reflect' && mode !== 'edge') throw new GradientError(`${describeNode(n)}: Pad mode '${mode}' has no gradient rule before opset 16`);
  const x = n.inputs[0];
  const rank = g.rank(x);
  return range(0, rank)
    .filter((a) => pads[a] !== 0 || pads[rank + a] !== 0)
    .reduce((grad, a) => foldAxis(g, grad, a, rank, [pads[a], pads[rank + a], g.dims(x, [a])[0]], mode), dy);
}

/** From opset 16 the padded positions are scattered back with 'add' (constant_value, a float, stays out of the int64 copy). */
const pad: GradRule = (n, dy, g) =>
  only(n, () => {
    const mode = getString(n, 'mode', 'constant');
    if (mode === 'constant') return cropPadding(n, g, dy);
    if (g.opset < 16) return foldPadding(n, g, dy, mode);
    const axes = n.inputs[3] ? ['', n.inputs[3]] : [];
    return scatterBack(n, g, dy, (positions) => g.op('Pad', [positions, n.inputs[1], ...axes], n.attributes), true);
  });

// ---- Gather, Expand, Tile ---------------------------------------------------------------------

/**
 * Gather with constant indices is y = M·x along the axis, M holding one row per index with a 1 at
 * the gathered position; the gradient Mᵀ·dy adds up the rows an index picked more than once.
 * dy first gets the indices as one axis (inserted for a scalar index, merged for 2-D and more).
 */
const gather: GradRule = (n, dy, g) =>
  only(n, () => {
    const [x, indices] = n.inputs;
    const picked = g.constantValues(indices);
    if (!picked) return scatterBack(n, g, dy, sameOp(n, g), true);
    const rank = g.rank(x);
    const axis = positive(getInt(n, 'axis', 0), rank);
    const [size] = g.dims(x, [axis]);
    const m = picked.flatMap((i) => range(0, size).map((j) => (j === positive(i, size) ? 1 : 0)));
    const indexRank = g.rank(indices);
    const withCount = () => g.scatter(g.shapeOf(x), g.ints([axis]), g.ints([picked.length]), 0);
    const rows = indexRank === 1 ? dy : indexRank === 0 ? g.unsqueeze(dy, [axis]) : g.reshape(dy, withCount());
    return transposeAlong(g, rows, axis, rank, m, [picked.length, size]);
  });

/** Tile lays repeats[i] copies along each axis: dy viewed as [r0, d0, r1, d1, ...] and summed over the copies. */
const tile: GradRule = (n, dy, g) =>
  only(n, () => {
    const [x, repeats] = n.inputs;
    const pairs = g.op('Concat', [g.unsqueeze(repeats, [1]), g.unsqueeze(g.shapeOf(x), [1])], [attr.int('axis', 1)]);
    return g.reduceSum(g.reshape(dy, g.reshape(pairs, g.ints([-1]))), range(0, g.rank(x)).map((a) => 2 * a), false);
  });

// ---- Resize -----------------------------------------------------------------------------------

const f32 = Math.fround;
const TRANSFORMS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'half_pixel_symmetric'];
const ROUNDINGS = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'];

/** Where output coordinate `o` samples the input, in onnxruntime's float32 arithmetic (upsamplebase.h). */
function sourceCoordinate(mode: string, o: number, scale: number, inSize: number, outSize: number): number {
  switch (mode) {
    case 'half_pixel':
      return f32(f32(f32(o + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel':
      return outSize > 1 ? f32(f32(f32(o + 0.5) / scale) - 0.5) : 0;
    case 'align_corners':
      return outSize === 1 ? 0 : f32(f32(o * (inSize - 1)) / (outSize - 1));
    case 'asymmetric':
      return f32(o / scale);
    case 'tf_half_pixel_for_nn':
      return f32(f32(o + 0.5) / scale);
    default: {
      // half_pixel_symmetric
      const offset = f32(f32(inSize / 2) * f32(1 - f32(outSize / f32(scale * inSize))));
      return f32(f32(offset + f32(f32(o + 0.5) / scale)) - 0.5);
    }
  }
}

/** The input element a nearest-mode output copies ('simple' is Resize-10's rule). */
function nearest(mode: string, c: number, downsampling: boolean): number {
  const down = Math.floor(c);
  switch (mode) {
    case 'round_prefer_floor':
      return c === down + 0.5 ? down : Math.round(c);
    case 'round_prefer_ceil':
      return Math.round(c);
    case 'floor':
      return down;
    case 'ceil':
      return Math.ceil(c);
    default:
      // 'simple'
      return downsampling ? Math.ceil(c) : Math.trunc(c);
  }
}

/** M [outSize, inSize] with y = M·x along one axis: one 1 per row for nearest, two weights summing to 1 for linear. */
function resizeMatrix(n: Node, g: GradBuilder, inSize: number, outSize: number, scale: number): number[] {
  const mode = getString(n, 'mode', 'nearest');
  const transform = g.opset < 11 ? 'asymmetric' : getString(n, 'coordinate_transformation_mode', 'half_pixel');
  const rounding = g.opset < 11 ? 'simple' : getString(n, 'nearest_mode', 'round_prefer_floor');
  if (!TRANSFORMS.includes(transform)) throw new GradientError(`${describeNode(n)}: coordinate_transformation_mode '${transform}' has no gradient rule`);
  if (!ROUNDINGS.includes(rounding)) throw new GradientError(`${describeNode(n)}: nearest_mode '${rounding}' has no gradient rule`);
  const m = Array<number>(outSize * inSize).fill(0);
  for (let o = 0; o < outSize; o++) {
    const c = sourceCoordinate(transform, o, scale, inSize, outSize);
    if (mode === 'nearest') {
      m[o * inSize + Math.min(Math.max(nearest(rounding, c, scale < 1), 0), inSize - 1)] = 1;
      continue;
    }
    const at = Math.min(Math.max(c, 0), inSize - 1);
    const lo = Math.floor(at);
    const hi = Math.min(lo + 1, inSize - 1);
    m[o * inSize + lo] += lo === hi ? 1 : f32(hi - at);
    m[o * inSize + hi] += lo === hi ? 0 : f32(at - lo);
  }
  return m;
}

/**
 * Resize is separable: along each resized axis y = M·x, M computed here from the static sizes and
 * the scales (constant, or output/input when sizes are given), so the gradient is Mᵀ·dy per axis.
 */
const resize: GradRule = (n, dy, g) =>
  only(n, () => {
    const mode = getString(n, 'mode', 'nearest');
    const [x, y] = [n.inputs[0], n.outputs[0]];
    if (mode !== 'nearest' && mode !== 'linear') throw new GradientError(`${describeNode(n)}: Resize mode '${mode}' has no gradient rule`);
    if (getString(n, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch') throw new GradientError(`${describeNode(n)}: keep_aspect_ratio_policy is not supported`);
    const rank = g.rank(x);
    const scales = g.constantValues(n.inputs[g.opset < 11 ? 1 : 2] ?? '') ?? [];
    const axes = (getInts(n, 'axes') ?? range(0, rank)).map((a) => positive(a, rank));
    let grad = dy;
    for (const [i, axis] of axes.entries()) {
      const given = scales.length > 0 ? scales[i] : undefined;
      if ((given ?? 1) === 1 && g.shape(x)[axis] === g.shape(y)[axis]) continue;
      const [inSize, outSize] = [g.dims(x, [axis])[0], g.dims(y, [axis])[0]];
      const scale = given ?? f32(outSize / inSize);
      if (mode === 'linear' && scale < 1 && getInt(n, 'antialias', 0)) throw new GradientError(`${describeNode(n)}: antialiased downsampling is not supported`);
      const m = resizeMatrix(n, g, inSize, outSize, scale);
      grad = transposeAlong(g, grad, axis, rank, m, [outSize, inSize]);
    }
    return grad;
  });

// ---- reductions -------------------------------------------------------------------------------

/** The axes a Reduce* node reduces (non-negative, sorted), or null when it is the identity (noop_with_empty_axes). */
function reducedAxes(n: Node, g: GradBuilder): number[] | null {
  const rank = g.rank(n.inputs[0]);
  const listed = getInts(n, 'axes') ?? (n.inputs[1] ? g.constantValues(n.inputs[1]) : []);
  if (!listed) throw new GradientError(`${describeNode(n)}: axes computed at run time are not supported`);
  if (listed.length === 0) return getInt(n, 'noop_with_empty_axes', 0) ? null : range(0, rank);
  return [...new Set(listed.map((a) => positive(a, rank)))].sort((a, b) => a - b);
}

/** A reduced value with its reduced axes back (as size 1), so that it broadcasts against the input. */
const kept = (n: Node, g: GradBuilder, v: string, axes: number[]) => (getInt(n, 'keepdims', 1) ? v : g.unsqueeze(v, axes));

/** Every input element gets `share` times the gradient of the value it was reduced into. */
const reduction =
  (share: (n: Node, g: GradBuilder, dy: string, axes: number[]) => string): GradRule =>
  (n, dy, g) =>
    only(n, () => {
      const axes = reducedAxes(n, g);
      return axes ? share(n, g, dy, axes) : dy;
    });

const spread = (n: Node, g: GradBuilder, dy: string, axes: number[]) => g.op('Expand', [kept(n, g, dy, axes), g.shapeOf(n.inputs[0])]);

export const tensors: RuleTable = {
  // Each output's gradient back in its place along the axis; zeros for outputs nothing reads.
  Split: (n, _dy, g, dys) => only(n, () => g.op('Concat', n.outputs.map((o, i) => dys[i] ?? g.zerosLike(o)), [attr.int('axis', getInt(n, 'axis', 0))])),
  Slice: slice,
  Pad: pad,
  Gather: gather,
  Expand: (n, dy, g) => only(n, () => g.unbroadcast(dy, n.inputs[0], n.outputs[0])),
  Tile: tile,
  Resize: resize,
  ReduceSum: reduction(spread),
  ReduceMean: reduction((n, g, dy, axes) => g.op('Mul', [spread(n, g, dy, axes), g.scalar(1 / product(g.dims(n.inputs[0], axes)))])),
  // Tied maxima share the gradient equally, as torch.amax's backward does ("evenly distributes
  // gradient between equal values"; torch.max(x, dim) would pick one index instead). The elements
  // "not less than" the maximum are exactly the tied ones (Less takes floats at every opset).
  ReduceMax: reduction((n, g, dy, axes) => {
    const hits = g.op('Cast', [g.op('Not', [g.op('Less', [n.inputs[0], kept(n, g, n.outputs[0], axes)])])], [attr.int('to', g.floatType)]);
    return g.op('Mul', [hits, g.op('Div', [kept(n, g, dy, axes), g.reduceSum(hits, axes, true)])]);
  }),
};
