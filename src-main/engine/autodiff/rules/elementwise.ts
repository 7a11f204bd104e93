/** Elementwise arithmetic and activations. Binary ops broadcast, so their gradients are unbroadcast. */
import { attr, getFloat, type Node } from '../../onnx/graph.js';
import type { GradBuilder } from '../builder.js';
import type { GradRule, RuleTable } from './rule.js';

type Partial = (n: Node, dy: string, g: GradBuilder) => string;

/** A broadcasting binary op from the gradients of its two inputs, before unbroadcasting. */
const binary =
  (da: Partial, db: Partial): GradRule =>
  (n, dy, g) => [
    () => g.unbroadcast(da(n, dy, g), n.inputs[0], n.outputs[0]),
    () => g.unbroadcast(db(n, dy, g), n.inputs[1], n.outputs[0]),
  ];

/** dy where x > 0, else `negative` (PyTorch's choice at x = 0 is the negative side). */
const positivePart = (n: Node, dy: string, g: GradBuilder, negative: string): string =>
  g.op('Where', [g.op('Greater', [n.inputs[0], g.scalar(0)]), dy, negative]);

/**
 * dy where y > 0 (iff x > 0), as Mul by a 0/1 mask: reading the output rather than x leaves
 * onnxruntime free to fuse Conv+Relu, and the Mul measured faster than Where (which onnxruntime
 * runs single-threaded). An infinite dy at y = 0 gives NaN here (0 in PyTorch); only a gradient
 * that has already overflowed has one.
 */
export function reluMask(y: string, dy: string, g: GradBuilder): string {
  return g.op('Mul', [dy, g.op('Cast', [g.op('Greater', [y, g.scalar(0)])], [attr.int('to', g.floatType)])]);
}

/** A MaxPool reading this Relu alone may have applied the mask already, on its smaller output. */
const relu: GradRule = (n, dy, g) => [() => (g.hasReluApplied(dy) ? dy : reluMask(n.outputs[0], dy, g))];

export const elementwise: RuleTable = {
  Add: binary((_, dy) => dy, (_, dy) => dy),
  Sub: binary((_, dy) => dy, (_, dy, g) => g.op('Neg', [dy])),
  Mul: binary((n, dy, g) => g.op('Mul', [dy, n.inputs[1]]), (n, dy, g) => g.op('Mul', [dy, n.inputs[0]])),
  // d(a/b)/db = -y/b
  Div: binary((n, dy, g) => g.op('Div', [dy, n.inputs[1]]), (n, dy, g) => g.op('Neg', [g.op('Div', [g.op('Mul', [dy, n.outputs[0]]), n.inputs[1]])])),
  Neg: (_, dy, g) => [() => g.op('Neg', [dy])],
  Relu: relu,
  LeakyRelu: (n, dy, g) => [() => positivePart(n, dy, g, g.op('Mul', [dy, g.scalar(getFloat(n, 'alpha', 0.01))]))],
  // y(1 - y) and 1 - y^2, from the forward output
  Sigmoid: (n, dy, g) => [() => g.op('Mul', [dy, g.op('Mul', [n.outputs[0], g.op('Sub', [g.scalar(1), n.outputs[0]])])])],
  Tanh: (n, dy, g) => [() => g.op('Mul', [dy, g.op('Sub', [g.scalar(1), g.op('Mul', [n.outputs[0], n.outputs[0]])])])],
};
