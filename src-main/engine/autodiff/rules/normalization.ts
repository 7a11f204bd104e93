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
    return g.scaleChannels(dy, perChannel, g.rank(x));
  });
};

/**
 * LayerNormalization with scale and bias as weights: over the normalised axes (axis to the last),
 * with r = 1/sqrt(var(x) + eps), x̂ = (x - mean(x))·r and s = dy·scale,
 * dx = r·(s - mean(s) - x̂·mean(s·x̂)). The statistics are recomputed (every provider runs that).
 */
const layerNorm: GradRule = (n, dy, g, dys) => {
  for (const v of n.inputs.slice(1)) if (v && g.active(v)) throw new GradientError(`${describeNode(n)}: a scale or bias computed from the input is not supported`);
  if (dys.slice(1).some((d) => d)) throw new GradientError(`${describeNode(n)}: gradients through its Mean and InvStdDev outputs are not supported`);
  return only(n, () => {
    const [x, scale] = n.inputs;
    const rank = g.rank(x);
    const axis = getInt(n, 'axis', -1);
    const from = axis < 0 ? axis + rank : axis;
    const mean = (v: string) => g.reduce('ReduceMean', v, Array.from({ length: rank - from }, (_, i) => from + i), true);
    const centred = g.op('Sub', [x, mean(x)]);
    const variance = mean(g.op('Mul', [centred, centred]));
    const r = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.scalar(getFloat(n, 'epsilon', 1e-5))])])]);
    const xHat = g.op('Mul', [centred, r]);
    const s = g.op('Mul', [dy, scale]);
    return g.op('Mul', [r, g.op('Sub', [g.op('Sub', [s, mean(s)]), g.op('Mul', [xHat, mean(g.op('Mul', [s, xHat]))])])]);
  });
};

export const normalization: RuleTable = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  // dx = y·(dy - sum(dy·y))
  Softmax: (n, dy, g) => [() => g.op('Mul', [n.outputs[0], g.op('Sub', [dy, g.reduceSum(g.op('Mul', [dy, n.outputs[0]]), softmaxAxes(n, g), true)])])],
  // dx = dy - exp(y)·sum(dy)
  LogSoftmax: (n, dy, g) => [() => g.op('Sub', [dy, g.op('Mul', [g.op('Exp', [n.outputs[0]]), g.reduceSum(dy, softmaxAxes(n, g), true)])])],
};
