/**
 * Ops that are differentiable in the graph's sense (a rule exists: "no gradient") but whose
 * derivative is zero almost everywhere: Round, Floor, Ceil, Sign, casts to integers, comparisons.
 * Where the input's values reach the logits through one of them, gradient attacks see a flat
 * loss there and fail without a word (gradient masking; Athalye et al. 2018, Pintor et al. 2022),
 * so the model page and every attack run say so.
 */
import { DataType, feedInputs, getInt, implicitInputs, isDefaultDomain, topologicalOrder, type Node, type OnnxModel } from '../onnx/graph.js';

const PIECEWISE_CONSTANT = new Set(['Round', 'Floor', 'Ceil', 'Sign']);
const COMPARISONS = new Set(['Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual']);
const FLOAT_TYPES: readonly number[] = [DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, 16 /* BFLOAT16 */];
/** Outputs that depend on the input's shape only, never on its values. */
const SHAPE_ONLY = new Set(['Shape', 'Size', 'EyeLike', 'RandomNormalLike', 'RandomUniformLike']);

function zeroGradient(n: Node): boolean {
  if (!isDefaultDomain(n.domain)) return false;
  if (PIECEWISE_CONSTANT.has(n.opType) || COMPARISONS.has(n.opType)) return true;
  return n.opType === 'Cast' && !FLOAT_TYPES.includes(getInt(n, 'to', DataType.FLOAT));
}

/**
 * The zero-gradient ops that read a value computed from the input's values and whose output
 * reaches the logits, by op type with their nodes. A comparison that only chooses between two
 * values (Where's condition, as in a hand-written ReLU) passes gradients through the chosen one
 * and is not listed.
 */
export function findZeroGradientOps(model: OnnxModel, options: { input?: string; logits?: string } = {}): { op: string; nodes: string[] }[] {
  const g = model.graph;
  const input = options.input ?? feedInputs(g)[0]?.name;
  const logits = options.logits ?? g.outputs[0]?.name;
  if (!input || !logits) return [];
  const order = topologicalOrder(g);
  const fromInput = new Set([input]);
  for (const n of order) {
    if (isDefaultDomain(n.domain) && SHAPE_ONLY.has(n.opType)) continue;
    if ([...n.inputs, ...implicitInputs(n)].some((v) => fromInput.has(v))) for (const o of n.outputs) if (o) fromInput.add(o);
  }
  const reachesLogits = new Set([logits]);
  for (const n of [...order].reverse()) {
    if (!n.outputs.some((o) => reachesLogits.has(o))) continue;
    const selector = isDefaultDomain(n.domain) && n.opType === 'Where';
    n.inputs.forEach((v, i) => v && !(selector && i === 0) && reachesLogits.add(v));
    for (const v of implicitInputs(n)) reachesLogits.add(v);
  }
  const found = new Map<string, string[]>();
  order.forEach((n) => {
    if (!zeroGradient(n) || !n.inputs.some((v) => fromInput.has(v)) || !n.outputs.some((o) => reachesLogits.has(o))) return;
    const key = n.opType === 'Cast' ? 'Cast (to an integer type)' : n.opType;
    found.set(key, [...(found.get(key) ?? []), n.name || `#${g.nodes.indexOf(n)}`]);
  });
  return [...found].map(([op, nodes]) => ({ op, nodes }));
}
