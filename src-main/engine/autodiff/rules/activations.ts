/**
 * Activations and other pointwise functions: dy times the derivative, written from the forward
 * input or output. At kinks and ties each rule picks the value PyTorch's autograd picks.
 */
import { attr, DataType, getFloat, getInt, getString, type Node } from '../../onnx/graph.js';
import type { GradBuilder } from '../builder.js';
import { noGradient, only, type GradRule, type RuleTable } from './rule.js';

type Term = string | number;

/** A tensor name, or a number as a scalar constant. */
const term = (g: GradBuilder, v: Term): string => (typeof v === 'number' ? g.scalar(v) : v);

/** Arithmetic on tensor names and numbers, so that formulas read as formulas. */
function arith(g: GradBuilder) {
  const t = (v: Term) => term(g, v);
  const binary = (op: string) => (a: Term, b: Term) => g.op(op, [t(a), t(b)]);
  return { add: binary('Add'), sub: binary('Sub'), mul: binary('Mul'), div: binary('Div'), fn: (op: string, a: Term) => g.op(op, [t(a)]) };
}

/** A unary op: dy · f'(x), the derivative written by `derivative` from the node. */
const pointwise =
  (derivative: (n: Node, g: GradBuilder) => string): GradRule =>
  (n, dy, g) =>
    only(n, () => g.op('Mul', [dy, derivative(n, g)]));

/** `positive` where x > 0, else `negative` (PyTorch takes the negative side at x = 0). */
const bySign = (n: Node, g: GradBuilder, positive: Term, negative: Term): string =>
  g.op('Where', [g.op('Greater', [n.inputs[0], g.scalar(0)]), term(g, positive), term(g, negative)]);

/** v == 0 elementwise: Equal takes floats only from opset 11. */
const isZero = (g: GradBuilder, v: string): string =>
  g.opset >= 11 ? g.op('Equal', [v, g.scalar(0)]) : g.op('Not', [g.op('Or', [g.op('Less', [v, g.scalar(0)]), g.op('Greater', [v, g.scalar(0)])])]);

/** dy where `mask`, else 0. */
const maskedDy = (g: GradBuilder, mask: string, dy: string): string => g.op('Where', [mask, dy, g.scalar(0)]);

/** HardSigmoid: alpha inside the linear part, 0 where saturated (PyTorch's bounds are strict). */
const hardSigmoid: GradRule = (n, dy, g) => {
  const y = n.outputs[0];
  const linear = g.op('And', [g.op('Greater', [y, g.scalar(0)]), g.op('Less', [y, g.scalar(1)])]);
  return only(n, () => g.op('Mul', [maskedDy(g, linear, dy), g.scalar(getFloat(n, 'alpha', 0.2))]));
};

/** HardSwish, as PyTorch's hardswish_backward: 0 below -3, x/3 + 1/2 on [-3, 3] (both ends included), 1 above. */
const hardSwish = pointwise((n, g) => {
  const { add, mul } = arith(g);
  const x = n.inputs[0];
  const middle = add(mul(x, 1 / 3), 0.5);
  return g.op('Where', [g.op('Less', [x, g.scalar(-3)]), g.scalar(0), g.op('Where', [g.op('Greater', [x, g.scalar(3)]), g.scalar(1), middle])]);
});

/**
 * Gelu (opset 20). Exact: Φ(x) + x·φ(x). Tanh form, with t = tanh(c·(x + 0.044715x³)) and
 * c = √(2/π): 0.5·(1 + t) + 0.5·x·(1 - t²)·c·(1 + 3·0.044715x²).
 */
const gelu = pointwise((n, g) => {
  const { add, sub, mul, fn } = arith(g);
  const x = n.inputs[0];
  const x2 = mul(x, x);
  if (getString(n, 'approximate', 'none') === 'tanh') {
    const c = Math.sqrt(2 / Math.PI);
    const t = fn('Tanh', mul(c, mul(x, add(1, mul(0.044715, x2)))));
    const du = mul(c, add(1, mul(3 * 0.044715, x2)));
    return add(mul(0.5, add(1, t)), mul(mul(0.5, x), mul(sub(1, mul(t, t)), du)));
  }
  const cdf = mul(0.5, add(1, fn('Erf', mul(x, Math.SQRT1_2))));
  const pdf = mul(1 / Math.sqrt(2 * Math.PI), fn('Exp', mul(-0.5, x2)));
  return add(cdf, mul(x, pdf));
});

/** The exponent as a float tensor: from opset 12 it may be an integer type. */
const floatExponent = (n: Node, g: GradBuilder): string => (g.opset >= 12 ? g.op('Cast', [n.inputs[1]], [attr.int('to', g.floatType)]) : n.inputs[1]);

/**
 * Pow, as PyTorch: the base gets dy·b·a^(b-1) (0 where b = 0), the exponent gets dy·y·log(a)
 * (0 where a = 0 and b >= 0, so that 0·log(0) is no NaN).
 */
const pow: GradRule = (n, dy, g) => {
  const { sub, mul } = arith(g);
  const [a, b] = n.inputs;
  const y = n.outputs[0];
  return [
    () => {
      const e = floatExponent(n, g);
      const slope = mul(dy, mul(e, g.op('Pow', [a, sub(e, 1)])));
      return g.unbroadcast(g.op('Where', [isZero(g, e), g.scalar(0), slope]), a, y);
    },
    () => {
      const zeroPower = g.op('And', [isZero(g, a), g.op('Not', [g.op('Less', [b, g.scalar(0)])])]);
      return g.unbroadcast(g.op('Where', [zeroPower, g.scalar(0), mul(dy, mul(y, g.op('Log', [a])))]), b, y);
    },
  ];
};

/** Clip's bounds: attributes before opset 11, optional inputs from opset 11; null where unbounded. */
function clipBounds(n: Node, g: GradBuilder): [string | null, string | null] {
  if (g.opset >= 11) return [n.inputs[1] || null, n.inputs[2] || null];
  const min = getFloat(n, 'min', -Infinity);
  const max = getFloat(n, 'max', Infinity);
  return [Number.isFinite(min) ? g.scalar(min) : null, Number.isFinite(max) ? g.scalar(max) : null];
}

/**
 * Clip, as torch.clamp: x gets dy where min <= x <= max (bounds included); a bound computed from
 * x gets dy where it is the value chosen (when min > max the output is max everywhere).
 */
const clip: GradRule = (n, dy, g) => {
  const x = n.inputs[0];
  const y = n.outputs[0];
  const [min, max] = clipBounds(n, g);
  const below = min && g.op('Less', [x, min]);
  const above = max && g.op('Greater', [x, max]);
  const outside = below && above ? g.op('Or', [below, above]) : below || above;
  const minChosen = below && max ? g.op('And', [below, g.op('Less', [min as string, max])]) : below;
  const maxChosen = above && min ? g.op('Or', [above, g.op('Less', [max, min])]) : above;
  const grads = [
    () => (outside ? g.op('Where', [outside, g.scalar(0), dy]) : dy),
    minChosen ? () => g.unbroadcast(maskedDy(g, minChosen, dy), min as string, y) : null,
    maxChosen ? () => g.unbroadcast(maskedDy(g, maxChosen, dy), max as string, y) : null,
  ];
  return grads.slice(0, n.inputs.length);
};

/**
 * Min and Max: each input gets dy where it is the selected value; k tied inputs get dy/k each
 * (torch.minimum and torch.maximum give grad/2 to each of two tied inputs). An input is selected
 * where it is not beyond the output, which needs no float Equal (opset 11).
 */
const selected =
  (beyond: 'Less' | 'Greater'): GradRule =>
  (n, dy, g) => {
    const y = n.outputs[0];
    const hits = n.inputs.map((v) => g.op('Not', [g.op(beyond, [v, y])]));
    const ties = g.sum(hits.map((h) => g.op('Where', [h, g.scalar(1), g.scalar(0)]))) as string;
    const share = hits.length === 1 ? dy : g.op('Div', [dy, ties]);
    return n.inputs.map((v, i) => () => g.unbroadcast(maskedDy(g, hits[i], share), v, y));
  };

/** Where: X gets dy where the condition holds, Y elsewhere; the condition gets none. */
const where: GradRule = (n, dy, g) => {
  const [condition, a, b] = n.inputs;
  const y = n.outputs[0];
  return [null, () => g.unbroadcast(maskedDy(g, condition, dy), a, y), () => g.unbroadcast(g.op('Where', [condition, g.scalar(0), dy]), b, y)];
};

const FLOAT_TYPES: readonly number[] = [DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, 16 /* BFLOAT16 */];

/**
 * Cast between float types: the gradient goes back to the input's type (CastLike from opset 15;
 * before, the input is taken to have the differentiated input's type). Casts to other types are
 * piecewise constant: no gradient.
 */
const cast: GradRule = (n, dy, g) => {
  if (!FLOAT_TYPES.includes(getInt(n, 'to', 0))) return noGradient(n, dy, g, []);
  return only(n, () => (g.opset >= 15 ? g.op('CastLike', [dy, n.inputs[0]]) : g.op('Cast', [dy], [attr.int('to', g.floatType)])));
};

export const activations: RuleTable = {
  // PRelu: the slope broadcasts into x (one way), so only the slope's gradient is unbroadcast.
  PRelu: (n, dy, g) => {
    const [x, slope] = n.inputs;
    return [() => g.op('Mul', [dy, bySign(n, g, 1, slope)]), () => g.unbroadcast(g.op('Mul', [dy, bySign(n, g, 0, x)]), slope, n.outputs[0])];
  },
  // alpha·e^x = y + alpha below 0
  Elu: pointwise((n, g) => bySign(n, g, 1, g.op('Add', [n.outputs[0], g.scalar(getFloat(n, 'alpha', 1))]))),
  // gamma·alpha·e^x = y + gamma·alpha below 0
  Selu: pointwise((n, g) => {
    const gamma = getFloat(n, 'gamma', 1.05070102214813232421875);
    return bySign(n, g, gamma, g.op('Add', [n.outputs[0], g.scalar(gamma * getFloat(n, 'alpha', 1.67326319217681884765625))]));
  }),
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Softplus: pointwise((n, g) => g.op('Sigmoid', [n.inputs[0]])),
  // 1 / (1 + |x|)²
  Softsign: pointwise((n, g) => {
    const { add, mul, div, fn } = arith(g);
    const d = add(1, fn('Abs', n.inputs[0]));
    return div(1, mul(d, d));
  }),
  // 2/√π · e^(-x²)
  Erf: pointwise((n, g) => {
    const { mul, fn } = arith(g);
    return mul(2 / Math.sqrt(Math.PI), fn('Exp', fn('Neg', mul(n.inputs[0], n.inputs[0]))));
  }),
  Gelu: gelu,
  Exp: pointwise((n) => n.outputs[0]),
  Log: (n, dy, g) => only(n, () => g.op('Div', [dy, n.inputs[0]])),
  // dy / 2y, as PyTorch (infinite at 0)
  Sqrt: (n, dy, g) => only(n, () => g.op('Div', [dy, g.op('Mul', [g.scalar(2), n.outputs[0]])])),
  // -y²
  Reciprocal: pointwise((n, g) => g.op('Neg', [g.op('Mul', [n.outputs[0], n.outputs[0]])])),
  Sin: pointwise((n, g) => g.op('Cos', [n.inputs[0]])),
  Cos: pointwise((n, g) => g.op('Neg', [g.op('Sin', [n.inputs[0]])])),
  Pow: pow,
  // sign(x): 0 at 0, as PyTorch
  Abs: pointwise((n, g) => g.op('Sign', [n.inputs[0]])),
  Clip: clip,
  Min: selected('Greater'),
  Max: selected('Less'),
  Where: where,
  Cast: cast,
};
