import { describe, expect, it } from 'vitest';
import { attr, node } from '../../onnx/fixtures/models.js';
import type { pb } from '../../onnx/proto.js';
import { gradCheck, tinyModel, type TinyGraph } from '../test-harness.js';

const gemm = (inputs: string[], attrs: pb.IAttributeProto[], weights: Record<string, number[]>, opset = 17): TinyGraph => ({
  x: ['?', '?'],
  nodes: [node('Gemm', inputs, ['y'], attrs)],
  weights,
  opset,
});
const tA = attr.int('transA', 1);
const tB = attr.int('transB', 1);
const scaled = [attr.float('alpha', 0.5), attr.float('beta', 2)];
const matMul = (inputs: string[], weights: Record<string, number[]> = {}): TinyGraph => ({ x: [], nodes: [node('MatMul', inputs, ['y'])], weights });

// One line per op case. M=2 rows, K=3 inner, N=4 columns.
const cases: [string, TinyGraph, number[]][] = [
  ['Gemm A=x', gemm(['x', 'w', 'c'], scaled, { w: [3, 4], c: [4] }), [2, 3]],
  ['Gemm A=x, transB', gemm(['x', 'w', 'c'], [tB, ...scaled], { w: [4, 3], c: [1, 4] }), [2, 3]],
  ['Gemm A=x, transA', gemm(['x', 'w', 'c'], [tA, ...scaled], { w: [3, 4], c: [2, 4] }), [3, 2]],
  ['Gemm A=x, transA and transB', gemm(['x', 'w'], [tA, tB, attr.float('alpha', -1.5)], { w: [4, 3] }), [3, 2]],
  ['Gemm B=x', gemm(['w', 'x', 'c'], scaled, { w: [2, 3], c: [] }), [3, 4]],
  ['Gemm B=x, transB', gemm(['w', 'x'], [tB], { w: [2, 3] }), [4, 3]],
  ['Gemm B=x, transA', gemm(['w', 'x', 'c'], [tA, ...scaled], { w: [3, 2], c: [4] }), [3, 4]],
  ['Gemm B=x, transA and transB', gemm(['w', 'x'], [tA, tB, attr.float('alpha', 0.7)], { w: [3, 2] }), [4, 3]],
  ['Gemm C=x broadcast over rows', gemm(['a', 'b', 'x'], [attr.float('beta', 0.3)], { a: [2, 3], b: [3, 4] }), [1, 4]],
  ['Gemm C=x full', gemm(['a', 'b', 'x'], [tB, attr.float('beta', -2)], { a: [2, 3], b: [4, 3] }), [2, 4]],
  ['Gemm A=B=C=x', gemm(['x', 'x', 'x'], [tA, ...scaled], {}), [3, 3]],
  ['Gemm opset 9 (C required)', gemm(['x', 'w', 'c'], [tB], { w: [4, 3], c: [4] }, 9), [2, 3]],
  ['MatMul x·W', matMul(['x', 'w'], { w: [3, 4] }), [2, 3]],
  ['MatMul W·x', matMul(['w', 'x'], { w: [4, 2] }), [2, 3]],
  ['MatMul batched', matMul(['x', 'w'], { w: [2, 3, 4] }), [2, 2, 3]],
  ['MatMul batched x, shared W', matMul(['x', 'w'], { w: [3, 4] }), [2, 2, 3]],
  ['MatMul shared x, batched W', matMul(['w', 'x'], { w: [2, 5, 3] }), [3, 4]],
  ['MatMul broadcast batch dims of 1', matMul(['x', 'w'], { w: [1, 3, 3, 4] }), [2, 1, 2, 3]],
  ['MatMul x·xᵀ', { x: [], nodes: [node('Transpose', ['x'], ['xt'], [attr.ints('perm', [0, 2, 1])]), node('MatMul', ['x', 'xt'], ['y'])] }, [2, 2, 3]],
  ['MatMul 1-D x · W', matMul(['x', 'w'], { w: [3, 4] }), [3]],
  ['MatMul 1-D x · batched W', matMul(['x', 'w'], { w: [2, 3, 4] }), [3]],
  ['MatMul W · 1-D x', matMul(['w', 'x'], { w: [2, 4, 3] }), [3]],
  ['MatMul 1-D x · 1-D x', matMul(['x', 'x']), [3]],
];

describe('linear algebra gradients match finite differences', () => {
  it.each(cases)('%s', async (_, graph, shape) => {
    const check = await gradCheck(tinyModel({ ...graph, x: graph.x.length ? graph.x : shape }), shape);
    expect(check.relativeError).toBeLessThan(2e-3);
  });
});
