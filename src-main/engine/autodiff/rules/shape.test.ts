import { describe, expect, it } from 'vitest';
import { attr, node } from '../../onnx/fixtures/models.js';
import { gradCheck, tinyModel, type TinyGraph } from '../test-harness.js';

// Each shape mover feeds a Mul by a random constant, so that every output element has its own weight.
const mover = (nodes: ReturnType<typeof node>[], out: number[], extra: Partial<TinyGraph> = {}): TinyGraph => ({
  x: ['N', '?', '?'],
  nodes: [...nodes, node('Mul', ['moved', 'w'], ['y'])],
  weights: { w: out },
  ...extra,
});
const one = (op: string, inputs: string[], attrs: ReturnType<typeof attr.int>[] = []) => [node(op, inputs, ['moved'], attrs)];

// One line per op case: the graph and the input shape.
const cases: [string, TinyGraph, number[]][] = [
  ['Reshape', mover(one('Reshape', ['x', 'shape']), [2, 12], { ints: { shape: [0, -1] } }), [2, 3, 4]],
  ['Flatten axis 1', mover(one('Flatten', ['x']), [2, 12]), [2, 3, 4]],
  ['Flatten axis 2', mover(one('Flatten', ['x'], [attr.int('axis', 2)]), [6, 4]), [2, 3, 4]],
  ['Flatten axis 0', mover(one('Flatten', ['x'], [attr.int('axis', 0)]), [1, 24]), [2, 3, 4]],
  ['Squeeze, axes attribute (opset 11)', mover(one('Squeeze', ['x'], [attr.ints('axes', [1])]), [2, 4], { opset: 11 }), [2, 1, 4]],
  ['Squeeze, axes input (opset 13)', mover(one('Squeeze', ['x', 'axes']), [2, 4], { ints: { axes: [1] }, opset: 13 }), [2, 1, 4]],
  ['Unsqueeze, axes attribute (opset 11)', mover(one('Unsqueeze', ['x'], [attr.ints('axes', [0, 3])]), [1, 2, 3, 1, 4], { opset: 11 }), [2, 3, 4]],
  ['Unsqueeze, axes input (opset 13)', mover(one('Unsqueeze', ['x', 'axes']), [2, 1, 3, 4], { ints: { axes: [-3] }, opset: 13 }), [2, 3, 4]],
  ['Transpose', mover(one('Transpose', ['x'], [attr.ints('perm', [2, 0, 1])]), [4, 2, 3]), [2, 3, 4]],
  ['Transpose, default perm', mover(one('Transpose', ['x']), [4, 3, 2]), [2, 3, 4]],
  ['Identity', mover(one('Identity', ['x']), [2, 3, 4]), [2, 3, 4]],
  ['Dropout (inference), with ratio and mask', mover([node('Dropout', ['x', 'ratio'], ['moved', 'mask'])], [2, 3, 4], { floats: { ratio: { dims: [], values: [0.5] } } }), [2, 3, 4]],
  ['Concat axis 1, x in the middle', mover(one('Concat', ['a', 'x', 'b'], [attr.int('axis', 1)]), [2, 6, 4], { weights: { w: [2, 6, 4], a: [2, 1, 4], b: [2, 2, 4] } }), [2, 3, 4]],
  ['Concat axis -1, x twice', mover(one('Concat', ['x', 'x'], [attr.int('axis', -1)]), [2, 3, 8]), [2, 3, 4]],
  ['Concat opset 9 (Slice attributes)', mover(one('Concat', ['x', 'a'], [attr.int('axis', 1)]), [2, 4, 4], { weights: { w: [2, 4, 4], a: [2, 1, 4] }, opset: 9 }), [2, 3, 4]],
  ['Concat along the batch axis (sizes known at run time)', mover(one('Concat', ['a', 'x', 'x'], [attr.int('axis', 0)]), [5, 3, 4], { weights: { w: [5, 3, 4], a: [1, 3, 4] }, opset: 13 }), [2, 3, 4]],
  [
    'Reshape through a shape subgraph (Shape, Gather, Concat)',
    mover(
      [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'zero'], ['n'], [attr.int('axis', 0)]),
        node('Concat', ['n', 'minus1'], ['target'], [attr.int('axis', 0)]),
        node('Reshape', ['x', 'target'], ['moved']),
      ],
      [2, 12],
      { ints: { zero: [0], minus1: [-1] } },
    ),
    [2, 3, 4],
  ],
];

describe('shape mover gradients match finite differences', () => {
  it.each(cases)('%s', async (_, graph, shape) => {
    const check = await gradCheck(tinyModel(graph), shape);
    expect(check.relativeError).toBeLessThan(2e-3);
  });
});
