import { describe, expect, it } from 'vitest';
import { attr, node } from '../../onnx/fixtures/models.js';
import { gradCheck, tinyModel, type TinyGraph } from '../test-harness.js';

const one = (op: string, inputs: string[], attributes: ReturnType<typeof attr.float>[] = []) => [node(op, inputs, ['y'], attributes)];

// One line per op case: the graph, the input shape, and anything the case needs besides.
const cases: [string, TinyGraph, number[]][] = [
  ['Add, same shapes', { x: [2, 3], nodes: one('Add', ['x', 'w']), weights: { w: [2, 3] } }, [2, 3]],
  ['Add, x broadcast over rows', { x: [1, 3], nodes: one('Add', ['x', 'w']), weights: { w: [4, 3] } }, [1, 3]],
  ['Add, x of lower rank', { x: [3], nodes: one('Add', ['w', 'x']), weights: { w: [2, 4, 3] } }, [3]],
  ['Add, x + x', { x: [2, 3], nodes: one('Add', ['x', 'x']) }, [2, 3]],
  ['Sub, x first', { x: [2, 3], nodes: one('Sub', ['x', 'w']), weights: { w: [1] } }, [2, 3]],
  ['Sub, x second and broadcast', { x: [2, 1], nodes: one('Sub', ['w', 'x']), weights: { w: [2, 5] } }, [2, 1]],
  ['Mul, per-channel constant', { x: [2, 3, 2, 2], nodes: one('Mul', ['x', 'w']), weights: { w: [1, 3, 1, 1] } }, [2, 3, 2, 2]],
  ['Mul, x * x', { x: [2, 3], nodes: one('Mul', ['x', 'x']) }, [2, 3]],
  ['Mul, x broadcast in the middle', { x: [2, 1, 3], nodes: one('Mul', ['x', 'w']), weights: { w: [2, 4, 3] } }, [2, 1, 3]],
  ['Div, x numerator', { x: [2, 3], nodes: one('Div', ['x', 'w']), floats: { w: { dims: [3], values: [2, -3, 0.5] } } }, [2, 3]],
  [
    'Div, x denominator',
    { x: [2, 3], nodes: [node('Add', ['x', 'three'], ['d']), node('Div', ['w', 'd'], ['y'])], floats: { three: { dims: [], values: [3] } }, weights: { w: [2, 3] } },
    [2, 3],
  ],
  ['Div, x / x', { x: [2, 3], nodes: [node('Add', ['x', 'three'], ['d']), node('Div', ['x', 'd'], ['y'])], floats: { three: { dims: [], values: [3] } } }, [2, 3]],
  ['Neg', { x: [2, 3], nodes: one('Neg', ['x']) }, [2, 3]],
  ['Relu', { x: [3, 4], nodes: one('Relu', ['x']) }, [3, 4]],
  [
    'Relu of a Conv (its mask read from the output, so onnxruntime may fuse the two)',
    { x: ['N', 2, 5, 5], nodes: [node('Conv', ['x', 'w'], ['c']), node('Relu', ['c'], ['y'])], weights: { w: [3, 2, 3, 3] } },
    [2, 2, 5, 5],
  ],
  ['LeakyRelu, default alpha', { x: [3, 4], nodes: one('LeakyRelu', ['x']) }, [3, 4]],
  ['LeakyRelu, alpha 0.2', { x: [3, 4], nodes: one('LeakyRelu', ['x'], [attr.float('alpha', 0.2)]) }, [3, 4]],
  ['Sigmoid', { x: [3, 4], nodes: one('Sigmoid', ['x']) }, [3, 4]],
  ['Tanh', { x: [3, 4], nodes: one('Tanh', ['x']) }, [3, 4]],
  ['Add, opset 11 (ReduceSum axes as an attribute)', { x: [1, 3], nodes: one('Add', ['x', 'w']), weights: { w: [4, 3] }, opset: 11 }, [1, 3]],
];

describe('elementwise gradients match finite differences', () => {
  it.each(cases)('%s', async (_, graph, shape) => {
    const check = await gradCheck(tinyModel(graph), shape);
    expect(check.relativeError).toBeLessThan(2e-3);
  });
});
