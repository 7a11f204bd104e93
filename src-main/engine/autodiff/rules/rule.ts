/**
 * The shape of a gradient rule (tinygrad's pattern table, STYLE.md): a small function from a
 * forward node and the gradient of its output to one entry per input — a thunk building that
 * input's gradient, or null for "no gradient". The walker calls a thunk only for inputs that
 * depend on the differentiated input, so rules never build gradients nobody needs.
 */
import type { Node } from '../../onnx/graph.js';
import type { GradBuilder } from '../builder.js';

export type Grad = (() => string) | null;

/**
 * @param dy the gradient of the node's first output (zeros when only other outputs have one)
 * @param dys the gradients of all outputs, null where none arrives
 */
export type GradRule = (node: Node, dy: string, g: GradBuilder, dys: (string | null)[]) => Grad[];

/** op_type (or 'domain::op_type' outside the default domain) -> rule. */
export type RuleTable = Record<string, GradRule>;

/** For ops whose outputs carry no gradient (shapes, comparisons, indices): values past them are constants. */
export const noGradient: GradRule = (node) => node.inputs.map(() => null);

/** A gradient for the first input only; the others (weights, shapes, optional inputs) get none. */
export const only = (node: Node, first: Grad): Grad[] => node.inputs.map((_, i) => (i === 0 ? first : null));
