import { describe, expect, it } from 'vitest';
import { attr, node } from '../../onnx/fixtures/models.js';
import type { pb } from '../../onnx/proto.js';
import { gradCheck, spread, tinyModel, uniform, type GradCheckOptions, type TinyGraph } from '../test-harness.js';

type A = pb.IAttributeProto;
const one = (op: string, inputs: string[], attributes: A[] = []) => [node(op, inputs, ['y'], attributes)];
const approximate = (mode: string): A => ({ name: 'approximate', type: 3, s: new TextEncoder().encode(mode) });
const scalar = (value: number) => ({ dims: [], values: [value] });
const vector = (...values: number[]) => ({ dims: [values.length], values });
/** x in [0.5, 2): for Log, Sqrt, Reciprocal and Pow bases. */
const positive = (count: number): GradCheckOptions => ({ x: uniform(count, 'positive', 0.5, 2) });
/** spread() over [-5, 5]: across HardSwish's kinks at ±3, none within 0.08 of one. */
const wide: GradCheckOptions = { x: spread(12, 'x').map((v) => 5 * v) };
const clipBounds = { lo: scalar(-0.4), hi: scalar(0.55) };

// One line per op case: the graph, the input shape, and the input values where spread() on [-1, 1] will not do.
// spread() keeps points off the kinks (no zeros for Abs and the ReLU family, none within eps of Clip's bounds).
const cases: [string, TinyGraph, number[], GradCheckOptions?][] = [
  ['PRelu, one slope', { x: [2, 3], nodes: one('PRelu', ['x', 's']), floats: { s: vector(0.25) } }, [2, 3]],
  ['PRelu, per-channel slope', { x: [2, 3, 2, 2], nodes: one('PRelu', ['x', 's']), weights: { s: [3, 1, 1] } }, [2, 3, 2, 2]],
  ['PRelu, slope computed from x', { x: [2, 3], nodes: [node('Sigmoid', ['x'], ['s']), node('PRelu', ['x', 's'], ['y'])] }, [2, 3]],
  ['Elu, default alpha', { x: [3, 4], nodes: one('Elu', ['x']) }, [3, 4]],
  ['Elu, alpha 0.5', { x: [3, 4], nodes: one('Elu', ['x'], [attr.float('alpha', 0.5)]) }, [3, 4]],
  ['Selu, default alpha and gamma', { x: [3, 4], nodes: one('Selu', ['x']) }, [3, 4]],
  ['Selu, alpha 1.5 and gamma 2', { x: [3, 4], nodes: one('Selu', ['x'], [attr.float('alpha', 1.5), attr.float('gamma', 2)]) }, [3, 4]],
  ['HardSigmoid, default (unsaturated on [-1, 1])', { x: [3, 4], nodes: one('HardSigmoid', ['x']) }, [3, 4]],
  ['HardSigmoid, alpha 0.8 beta 0.3 (saturating both ways)', { x: [3, 4], nodes: one('HardSigmoid', ['x'], [attr.float('alpha', 0.8), attr.float('beta', 0.3)]) }, [3, 4]],
  ['HardSwish, across both kinks', { x: [3, 4], nodes: one('HardSwish', ['x']) }, [3, 4], wide],
  ['Softplus', { x: [3, 4], nodes: one('Softplus', ['x']) }, [3, 4], wide],
  ['Softsign', { x: [3, 4], nodes: one('Softsign', ['x']) }, [3, 4]],
  ['Erf', { x: [3, 4], nodes: one('Erf', ['x']) }, [3, 4]],
  ['Gelu, exact (opset 20)', { x: [3, 4], nodes: one('Gelu', ['x']), opset: 20 }, [3, 4], wide],
  ['Gelu, tanh approximation (opset 20)', { x: [3, 4], nodes: one('Gelu', ['x'], [approximate('tanh')]), opset: 20 }, [3, 4], wide],
  ['Exp', { x: [3, 4], nodes: one('Exp', ['x']) }, [3, 4]],
  ['Log', { x: [3, 4], nodes: one('Log', ['x']) }, [3, 4], positive(12)],
  ['Sqrt', { x: [3, 4], nodes: one('Sqrt', ['x']) }, [3, 4], positive(12)],
  ['Reciprocal', { x: [3, 4], nodes: one('Reciprocal', ['x']) }, [3, 4], positive(12)],
  ['Sin', { x: [3, 4], nodes: one('Sin', ['x']) }, [3, 4], wide],
  ['Cos', { x: [3, 4], nodes: one('Cos', ['x']) }, [3, 4], wide],
  ['Pow, x³ (negative bases)', { x: [2, 3], nodes: one('Pow', ['x', 'e']), floats: { e: scalar(3) } }, [2, 3]],
  ['Pow, exponent per column', { x: [2, 3], nodes: one('Pow', ['x', 'e']), floats: { e: vector(0.5, 2, -1.5) } }, [2, 3], positive(6)],
  ['Pow, base x broadcast over rows', { x: [1, 3], nodes: one('Pow', ['x', 'e']), floats: { e: { dims: [2, 3], values: [1, 2, 3, -1, 0.5, 2.5] } } }, [1, 3], positive(3)],
  ['Pow, int64 exponent', { x: [2, 3], nodes: one('Pow', ['x', 'e']), ints: { e: [2] }, opset: 13 }, [2, 3]],
  ['Pow, exponent x', { x: [2, 3], nodes: one('Pow', ['b', 'x']), floats: { b: vector(0.5, 1.5, 2) } }, [2, 3]],
  ['Pow, exponent x broadcast over rows', { x: [3], nodes: one('Pow', ['b', 'x']), floats: { b: { dims: [2, 3], values: [0.5, 1.5, 2, 3, 0.7, 1.2] } } }, [3]],
  ['Pow, x to the x', { x: [2, 3], nodes: one('Pow', ['x', 'x']) }, [2, 3], positive(6)],
  ['Pow, x to the x, opset 9 (no float Equal)', { x: [2, 3], nodes: one('Pow', ['x', 'x']), opset: 9 }, [2, 3], positive(6)],
  ['Abs', { x: [3, 4], nodes: one('Abs', ['x']) }, [3, 4]],
  ['Clip, attributes (opset 10)', { x: [3, 4], nodes: one('Clip', ['x'], [attr.float('min', -0.4), attr.float('max', 0.55)]), opset: 10 }, [3, 4]],
  ['Clip, min attribute only (opset 9)', { x: [3, 4], nodes: one('Clip', ['x'], [attr.float('min', -0.4)]), opset: 9 }, [3, 4]],
  ['Clip, bounds as inputs (opset 11)', { x: [3, 4], nodes: one('Clip', ['x', 'lo', 'hi']), floats: clipBounds, opset: 11 }, [3, 4]],
  ['Clip, max input only (opset 13)', { x: [3, 4], nodes: one('Clip', ['x', '', 'hi']), floats: clipBounds, opset: 13 }, [3, 4]],
  ['Clip, no bounds', { x: [3, 4], nodes: one('Clip', ['x']), opset: 13 }, [3, 4]],
  [
    'Clip, min computed from x',
    { x: [12], nodes: [node('MatMul', ['x', 'w'], ['d']), node('Mul', ['d', 'k'], ['lo']), node('Clip', ['x', 'lo', 'hi'], ['y'])], weights: { w: [12] }, floats: { k: scalar(0.3), hi: scalar(0.55) } },
    [12],
  ],
  ['Max, x and a weight', { x: [2, 3], nodes: one('Max', ['x', 'w']), weights: { w: [2, 3] } }, [2, 3]],
  ['Max, x broadcast over rows', { x: [1, 3], nodes: one('Max', ['w', 'x']), weights: { w: [4, 3] } }, [1, 3]],
  ['Max, x and -x', { x: [2, 3], nodes: [node('Neg', ['x'], ['n']), node('Max', ['x', 'n'], ['y'])] }, [2, 3]],
  ['Min, three inputs, x broadcast', { x: [3], nodes: one('Min', ['a', 'x', 'b']), weights: { a: [2, 3], b: [2, 1] } }, [3]],
  ['Min, one input', { x: [2, 3], nodes: one('Min', ['x']) }, [2, 3]],
  ['Min, x and 2x - 0.3', { x: [2, 3], nodes: [node('Mul', ['x', 'two'], ['d']), node('Sub', ['d', 'k'], ['e']), node('Min', ['e', 'x'], ['y'])], floats: { two: scalar(2), k: scalar(0.3) } }, [2, 3]],
  ['Where, x as X', { x: [2, 3], nodes: [node('Greater', ['c', 'zero'], ['p']), node('Where', ['p', 'x', 'w'], ['y'])], weights: { c: [2, 3], w: [2, 3] }, floats: { zero: scalar(0) } }, [2, 3]],
  ['Where, x as Y broadcast over rows', { x: [3], nodes: [node('Greater', ['c', 'zero'], ['p']), node('Where', ['p', 'w', 'x'], ['y'])], weights: { c: [2, 3], w: [2, 1] }, floats: { zero: scalar(0) } }, [3]],
  [
    'Where, x in both branches and in the condition',
    { x: [2, 3], nodes: [node('Greater', ['x', 'zero'], ['p']), node('Mul', ['x', 'x'], ['s']), node('Where', ['p', 's', 'x'], ['y'])], floats: { zero: scalar(0) } },
    [2, 3],
  ],
  ['Where, condition of lower rank', { x: [2, 3], nodes: [node('Greater', ['c', 'zero'], ['p']), node('Where', ['p', 'x', 'w'], ['y'])], weights: { c: [3], w: [1] }, floats: { zero: scalar(0) } }, [2, 3]],
  ['Cast, float to float (opset 13)', { x: [2, 3], nodes: [node('Cast', ['x'], ['c'], [attr.int('to', 1)]), node('Mul', ['c', 'c'], ['y'])], opset: 13 }, [2, 3]],
  ['Cast, through double (CastLike, opset 17)', { x: [2, 3], nodes: [node('Cast', ['x'], ['d'], [attr.int('to', 11)]), node('Mul', ['d', 'd'], ['s']), node('Cast', ['s'], ['y'], [attr.int('to', 1)])] }, [2, 3]],
  [
    'Cast, through int64 carries no gradient',
    { x: [2, 3], nodes: [node('Cast', ['x'], ['i'], [attr.int('to', 7)]), node('Cast', ['i'], ['f'], [attr.int('to', 1)]), node('Add', ['x', 'f'], ['y'])] },
    [2, 3],
  ],
  [
    'Cast, through int64 at opset 13',
    { x: [2, 3], nodes: [node('Cast', ['x'], ['i'], [attr.int('to', 7)]), node('Cast', ['i'], ['f'], [attr.int('to', 1)]), node('Add', ['x', 'f'], ['y'])], opset: 13 },
    [2, 3],
  ],
];

describe('activation gradients match finite differences', () => {
  it.each(cases)('%s', async (_, graph, shape, options) => {
    const check = await gradCheck(tinyModel(graph), shape, options);
    expect(check.relativeError).toBeLessThan(2e-3);
  });
});

describe('ties split the gradient as torch.minimum and torch.maximum do', () => {
  // x[0] and x[3] equal the other input exactly: each tied input gets dy/2, which is what a
  // central difference of max(x, w) at x = w measures ((x + eps - w) / 2eps).
  const x = Float32Array.from([0.5, -0.75, 0.25, -0.125, 0.875, -0.5]);
  const w = { dims: [2, 3], values: [0.5, 0.1, -0.3, -0.125, 0.2, 0.3] };
  it.each(['Max', 'Min'])('%s', async (op) => {
    const check = await gradCheck(tinyModel({ x: [2, 3], nodes: one(op, ['x', 'w']), floats: { w } }), [2, 3], { x });
    expect(check.relativeError).toBeLessThan(2e-3);
  });
});
