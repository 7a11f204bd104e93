/** Shape movers: ops that only rearrange elements, so gradients are rearranged back. */
import { describeNode, getInt, getInts } from '../../onnx/graph.js';
import { GradientError } from '../builder.js';
import { only, type GradRule, type RuleTable } from './rule.js';

/** Reshape, Flatten, Squeeze, Unsqueeze: the gradient takes the input's shape back. */
const reshapeBack: GradRule = (n, dy, g) => only(n, () => g.reshape(dy, g.shapeOf(n.inputs[0])));

const passThrough: GradRule = (n, dy) => only(n, () => dy);

const inverse = (perm: number[]): number[] => perm.map((_, i) => perm.indexOf(i));

/**
 * Each input's gradient is its slab of dy along the axis: slice bounds are constants when the
 * sizes along the axis are fixed, else read from the inputs' shapes at run time.
 */
const concat: GradRule = (n, dy, g) => {
  const rank = g.rank(n.outputs[0]);
  const axis = getInt(n, 'axis', 1);
  const a = axis < 0 ? axis + rank : axis;
  const sizes = n.inputs.map((input) => g.shape(input)[a]);
  if (sizes.every((s) => typeof s === 'number')) {
    const ends = (sizes as number[]).map((_, i) => (sizes as number[]).slice(0, i + 1).reduce((x, y) => x + y, 0));
    return n.inputs.map((_, i) => () => g.slice(dy, [i === 0 ? 0 : ends[i - 1]], [ends[i]], [a]));
  }
  if (g.opset < 10) throw new GradientError(`${describeNode(n)}: Concat along an axis of unknown size needs opset 10 or later`);
  let end: string | null = null;
  const bounds = n.inputs.map((input) => {
    const start = end;
    end = start === null ? g.dimOf(input, a) : g.op('Add', [start, g.dimOf(input, a)]);
    return [start ?? g.ints([0]), end];
  });
  return bounds.map(([start, stop]) => () => g.op('Slice', [dy, start, stop, g.ints([a])]));
};

export const shapeMovers: RuleTable = {
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Identity: passThrough,
  // Inference only: Dropout is the identity (a training-mode Dropout is not a classifier to audit).
  Dropout: passThrough,
  // No perm reverses the axes, which is its own inverse.
  Transpose: (n, dy, g) => {
    const perm = getInts(n, 'perm');
    return [() => (perm ? g.transpose(dy, inverse(perm)) : g.op('Transpose', [dy]))];
  },
  Concat: concat,
};
