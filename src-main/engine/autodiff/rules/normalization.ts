/** Normalisation: BatchNormalization (inference), Softmax, LogSoftmax. */
import { describeNode, getFloat, getInt, type Node } from '../../onnx/graph.js';
import { GradientError, type GradBuilder } from '../builder.js';
import { only, type GradRule, type RuleTable } from './rule.js';

/** Softmax reduces over one axis from opset 13; before, over all axes from `axis` on (the input seen as 2-D). */
function softmaxAxes(n: Node, g: GradBuilder): number[] {
  if (g.opset >= 13) return [getInt(n, 'axis', -1)];
  const rank = g.rank(n.inputs[0]);
  const axis = getInt(n, 'axis', 1);
  const from = axis < 0 ? axis + rank : axis;
  return Array.from({ length: rank - from }, (_, i) => from + i);
}

/** In inference, BatchNormalization is x·scale/sqrt(var + eps) + const per channel (axis 1). */
const batchNorm: GradRule = (n, dy, g) => {
  if (getInt(n, 'training_mode', 0) !== 0) throw new GradientError(`${describeNode(n)} runs in training mode; export the model in eval mode`);
  for (const v of n.inputs.slice(1)) if (g.active(v)) throw new GradientError(`${describeNode(n)}: statistics computed from the input are not supported`);
  const [x, scale, , , variance] = n.inputs;
  return only(n, () => {
    const perChannel = g.op('Div', [scale, g.op('Sqrt', [g.op('Add', [variance, g.scalar(getFloat(n, 'epsilon', 1e-5))])])]);
    const shaped = g.reshape(perChannel, g.ints([-1, ...Array(g.rank(x) - 2).fill(1)]));
    return g.op('Mul', [dy, shaped]);
  });
};

export const normalization: RuleTable = {
  BatchNormalization: batchNorm,
  // dx = y·(dy - sum(dy·y))
  Softmax: (n, dy, g) => [() => g.op('Mul', [n.outputs[0], g.op('Sub', [dy, g.reduceSum(g.op('Mul', [dy, n.outputs[0]]), softmaxAxes(n, g), true)])])],
  // dx = dy - exp(y)·sum(dy)
  LogSoftmax: (n, dy, g) => [() => g.op('Sub', [dy, g.op('Mul', [g.op('Exp', [n.outputs[0]]), g.reduceSum(dy, softmaxAxes(n, g), true)])])],
};
