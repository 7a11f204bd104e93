/**
 * Ops whose outputs carry no gradient: shape computations, constants, comparisons, indices and
 * piecewise-constant functions (zero derivative almost everywhere, as PyTorch computes it).
 * Values downstream of them count as constants, so shape subgraphs get no backward nodes.
 */
import { noGradient, type RuleTable } from './rule.js';

const OPS = [
  'Shape', 'Size', 'ConstantOfShape', 'Range', 'Constant', 'EyeLike',
  'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf',
  'ArgMax', 'ArgMin', 'NonZero', 'Sign', 'Floor', 'Ceil', 'Round',
  'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial',
];

export const noGradientOps: RuleTable = Object.fromEntries(OPS.map((op) => [op, noGradient]));
