import { describe, expect, it } from 'vitest';
import { attr, node } from '../../onnx/fixtures/models.js';
import { gradCheck, tinyModel, type TinyGraph } from '../test-harness.js';

const batchNorm = (channels: number, attrs: ReturnType<typeof attr.float>[] = [], opset = 17): TinyGraph => ({
  x: [],
  nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], ['y'], attrs)],
  weights: { scale: [channels], bias: [channels], mean: [channels] },
  floats: { var: { dims: [channels], values: Array.from({ length: channels }, (_, i) => 0.5 + i) } },
  opset,
});
const layerNorm = (normalised: number[], attrs: ReturnType<typeof attr.float>[] = []): TinyGraph => ({
  x: [],
  nodes: [node('LayerNormalization', ['x', 'scale', 'bias'], ['y'], attrs)],
  weights: { scale: normalised, bias: normalised },
  opset: 17,
});
const softmax = (op: string, attrs: ReturnType<typeof attr.int>[], opset = 17): TinyGraph => ({ x: [], nodes: [node(op, ['x'], ['y'], attrs)], opset });

// One line per op case: the graph and the input shape.
const cases: [string, TinyGraph, number[]][] = [
  ['BatchNormalization NCHW', batchNorm(3), [2, 3, 2, 2]],
  ['BatchNormalization NC, epsilon', batchNorm(3, [attr.float('epsilon', 0.1)]), [2, 3]],
  ['BatchNormalization opset 9', batchNorm(2, [], 9), [2, 2, 3]],
  ['LayerNormalization last axis', layerNorm([5]), [2, 3, 5]],
  ['LayerNormalization axis 1 of 3, epsilon', layerNorm([3, 4], [attr.int('axis', 1), attr.float('epsilon', 0.1)]), [2, 3, 4]],
  ['LayerNormalization axis -2, scale broadcast', layerNorm([1, 4], [attr.int('axis', -2)]), [2, 3, 4]],
  ['Softmax last axis', softmax('Softmax', []), [2, 5]],
  ['Softmax axis 1 of 3 (opset 13)', softmax('Softmax', [attr.int('axis', 1)], 13), [2, 3, 4]],
  ['Softmax axis 1 of 3 (opset 11: coerced to 2-D)', softmax('Softmax', [attr.int('axis', 1)], 11), [2, 3, 4]],
  ['Softmax default axis (opset 11)', softmax('Softmax', [], 11), [2, 3, 2]],
  ['LogSoftmax last axis', softmax('LogSoftmax', []), [2, 5]],
  ['LogSoftmax axis -2 (opset 13)', softmax('LogSoftmax', [attr.int('axis', -2)], 13), [2, 3, 4]],
  ['LogSoftmax axis 1 of 3 (opset 11)', softmax('LogSoftmax', [attr.int('axis', 1)], 11), [2, 3, 4]],
];

describe('normalisation gradients match finite differences', () => {
  it.each(cases)('%s', async (_, graph, shape) => {
    const check = await gradCheck(tinyModel({ ...graph, x: shape }), shape);
    expect(check.relativeError).toBeLessThan(2e-3);
  });
});
