/** Linear algebra: Gemm and MatMul (batched, broadcast, 1-D operands as numpy.matmul treats them). */
import { getFloat, getInt, type Dim } from '../../onnx/graph.js';
import type { GradBuilder } from '../builder.js';
import type { GradRule, RuleTable } from './rule.js';

/**
 * Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A (likewise B'): dA' = alpha·dY·B'ᵀ and
 * dB' = alpha·A'ᵀ·dY, each written as one Gemm whose trans flags absorb the transposes.
 */
const gemm: GradRule = (n, dy, g) => {
  const [a, b, c] = n.inputs;
  const transA = getInt(n, 'transA', 0) !== 0;
  const transB = getInt(n, 'transB', 0) !== 0;
  const alpha = getFloat(n, 'alpha', 1);
  return [
    () => (transA ? g.gemm(b, dy, transB, true, alpha) : g.gemm(dy, b, false, !transB, alpha)),
    () => (transB ? g.gemm(dy, a, true, transA, alpha) : g.gemm(a, dy, !transA, false, alpha)),
    ...(n.inputs.length > 2 ? [() => g.unbroadcast(g.op('Mul', [dy, g.scalar(getFloat(n, 'beta', 1))]), c, n.outputs[0])] : []),
  ];
};

/** Swaps the last two axes. */
const swapLast = (g: GradBuilder, x: string, rank: number) => g.transpose(x, [...Array(rank - 2).keys(), rank - 1, rank - 2]);

/** Sums a 1-D operand's gradient (shaped batch + [K, 1] or batch + [1, K]) down to [K]. */
const toVector = (g: GradBuilder, grad: string, rank: number, vector: string) =>
  g.reshape(rank > 2 ? g.reduceSum(grad, [...Array(rank - 2).keys()], true) : grad, g.shapeOf(vector));

const matMul: GradRule = (n, dy, g) => {
  const [a, b] = n.inputs;
  const ra = g.rank(a);
  const rb = g.rank(b);
  const ry = g.rank(n.outputs[0]);
  if (ra === 1 && rb === 1) return [() => g.op('Mul', [dy, b]), () => g.op('Mul', [dy, a])];
  if (ra === 1) {
    // a [K] is a row [1, K]: dy gets its M axis back.
    const dy2 = g.unsqueeze(dy, [ry - 1]);
    return [() => toVector(g, g.op('MatMul', [dy2, swapLast(g, b, rb)]), ry + 1, a), () => g.op('MatMul', [g.unsqueeze(a, [1]), dy2])];
  }
  if (rb === 1) {
    // b [K] is a column [K, 1]: dy gets its N axis back.
    const dy2 = g.unsqueeze(dy, [ry]);
    return [() => g.op('MatMul', [dy2, g.unsqueeze(b, [0])]), () => toVector(g, g.op('MatMul', [swapLast(g, a, ra), dy2]), ry + 1, b)];
  }
  const batch: Dim[] = g.shape(n.outputs[0]).slice(0, -2);
  return [
    () => g.unbroadcast(g.op('MatMul', [dy, swapLast(g, b, rb)]), a, [...batch, ...g.shape(a).slice(-2)]),
    () => g.unbroadcast(g.op('MatMul', [swapLast(g, a, ra), dy]), b, [...batch, ...g.shape(b).slice(-2)]),
  ];
};

export const linearAlgebra: RuleTable = { Gemm: gemm, MatMul: matMul };
