import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { writeModel } from '../onnx/codec.js';
import { valueNames, type Graph, type Node, type OnnxModel } from '../onnx/graph.js';
import { GradBuilder } from './builder.js';
import { session } from './test-harness.js';

const X = Float32Array.from({ length: 24 }, (_, i) => i); // x = arange(24) as [2, 3, 4]

/** Emits with a builder at `opset` on x [2, 3, 4], runs the result, and returns the nodes and outputs. */
async function emitted(
  opset: number,
  emit: (g: GradBuilder) => string | string[],
  shapes = new Map<string, (number | string)[]>(),
): Promise<{ nodes: Node[]; out: ort.Tensor[] }> {
  const graph: Graph = { name: 'b', nodes: [], inputs: [{ name: 'x', elemType: 1, shape: [2, 3, 4] }], outputs: [], initializers: [], valueInfo: [] };
  const model: OnnxModel = { irVersion: opset >= 18 ? 9 : 8, opsets: [{ domain: '', version: opset }], graph };
  shapes.set('x', [2, 3, 4]);
  const g = new GradBuilder(graph, opset, shapes, new Set(['x']), 1, valueNames(graph));
  const names = [emit(g)].flat();
  graph.outputs = names.map((name) => ({ name, elemType: 0, shape: null }));
  const s = await session(writeModel(model));
  const result = await s.run({ x: new ort.Tensor('float32', X, [2, 3, 4]) });
  await s.release();
  return { nodes: graph.nodes, out: names.map((n) => result[n]) };
}

const values = (t: ort.Tensor) => Array.from(t.data as Float32Array);
const form = (nodes: Node[], op: string) => {
  const n = nodes.find((m) => m.opType === op)!;
  return { inputs: n.inputs.length, attributes: n.attributes.map((a) => a.name) };
};

describe('GradBuilder writes each op in the form its opset requires', () => {
  it.each([
    [11, 'ReduceSum', 1, ['axes', 'keepdims']],
    [13, 'ReduceSum', 2, ['keepdims']],
    [17, 'ReduceMean', 1, ['axes', 'keepdims']],
    [18, 'ReduceMean', 2, ['keepdims']],
    [17, 'ReduceMax', 1, ['axes', 'keepdims']],
    [18, 'ReduceMax', 2, ['keepdims']],
  ] as const)('opset %i: %s', async (opset, op, inputs, attributes) => {
    const { nodes, out } = await emitted(opset, (g) => g.reduce(op, 'x', [2], false));
    expect(form(nodes, op)).toEqual({ inputs, attributes });
    const rows = [0, 1, 2, 3, 4, 5].map((r) => [0, 1, 2, 3].map((c) => 4 * r + c));
    const expected = rows.map((r) => (op === 'ReduceSum' ? r.reduce((a, b) => a + b) : op === 'ReduceMean' ? r.reduce((a, b) => a + b) / 4 : Math.max(...r)));
    expect(out[0].dims).toEqual([2, 3]);
    expect(values(out[0])).toEqual(expected);
  });

  it.each([
    [11, 1, ['axes']],
    [13, 2, []],
  ])('opset %i: Unsqueeze and Squeeze', async (opset, inputs, attributes) => {
    const { nodes, out } = await emitted(opset, (g) => [g.unsqueeze('x', [0, 3]), g.squeeze(g.unsqueeze('x', [1]), [1])]);
    expect(form(nodes, 'Unsqueeze')).toEqual({ inputs, attributes });
    expect(form(nodes, 'Squeeze')).toEqual({ inputs, attributes });
    expect(out.map((t) => t.dims)).toEqual([[1, 2, 3, 1, 4], [2, 3, 4]]);
  });

  it.each([
    [9, 1, ['starts', 'ends', 'axes']],
    [10, 4, []],
  ])('opset %i: Slice to the end', async (opset, inputs, attributes) => {
    const { nodes, out } = await emitted(opset, (g) => g.slice('x', [1], [Infinity], [1]));
    expect(form(nodes, 'Slice')).toEqual({ inputs, attributes });
    expect(values(out[0])).toEqual([...X.slice(4, 12), ...X.slice(16, 24)]);
  });

  it('opset 10: Slice with steps', async () => {
    const { out } = await emitted(10, (g) => g.slice('x', [1], [Infinity], [2], [2]));
    expect(values(out[0])).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]);
  });

  it.each([
    [10, 1, ['pads', 'mode']],
    [11, 2, ['mode']],
  ])('opset %i: Pad in constant, reflect and edge modes', async (opset, inputs, attributes) => {
    const { nodes, out } = await emitted(opset, (g) => (['constant', 'reflect', 'edge'] as const).map((mode) => g.pad('x', [0, 0, 1, 0, 0, 2], mode)));
    expect(form(nodes, 'Pad')).toEqual({ inputs, attributes });
    expect(out.map((t) => t.dims)).toEqual([[2, 3, 7], [2, 3, 7], [2, 3, 7]]);
    expect(out.map((t) => values(t).slice(0, 7))).toEqual([[0, 0, 1, 2, 3, 0, 0], [1, 0, 1, 2, 3, 2, 1], [0, 0, 1, 2, 3, 3, 3]]);
  });

  it.each([
    [11, 1, ['axis', 'split']],
    [13, 2, ['axis']],
    [18, 2, ['axis']],
  ])('opset %i: Split by sizes', async (opset, inputs, attributes) => {
    const { nodes, out } = await emitted(opset, (g) => g.split('x', [1, 3], 2));
    expect(form(nodes, 'Split')).toEqual({ inputs, attributes });
    expect(out.map((t) => t.dims)).toEqual([[2, 3, 1], [2, 3, 3]]);
  });

  it.each([9, 11])('opset %i: Gemm (C is required before 11)', async (opset) => {
    const { nodes, out } = await emitted(opset, (g) => {
      const a = g.reshape('x', g.ints([4, 6]));
      return g.gemm(a, a, true, false, 0.5);
    });
    expect(form(nodes, 'Gemm').inputs).toBe(opset < 11 ? 3 : 2);
    expect(out[0].dims).toEqual([6, 6]);
    expect(values(out[0])[0]).toBe(0.5 * (0 * 0 + 6 * 6 + 12 * 12 + 18 * 18));
  });

  it('opset 16: ScatterElements adds repeated indices', async () => {
    const { out } = await emitted(16, (g) => g.scatter(g.zeros(g.ints([4])), g.ints([0, 0, 3]), g.floats([1, 2, 5]), 0, true));
    expect(values(out[0])).toEqual([3, 0, 0, 5]);
  });

  it('refuses ScatterElements with reduction before opset 16', async () => {
    await expect(emitted(13, (g) => g.scatter('x', 'x', 'x', 0, true))).rejects.toThrow(/opset 16/);
  });

  it('sums gradients back over broadcast axes', async () => {
    const shapes = new Map<string, (number | string)[]>();
    const { out } = await emitted(
      13,
      (g) => {
        const b = g.floats([0, 0, 0], [3, 1]);
        shapes.set(b, [3, 1]);
        return g.unbroadcast('x', b, 'x');
      },
      shapes,
    );
    expect(out[0].dims).toEqual([3, 1]);
    expect(values(out[0])).toEqual([0, 1, 2].map((r) => [0, 1].reduce((s, n) => s + [0, 1, 2, 3].reduce((t, c) => t + 12 * n + 4 * r + c, 0), 0)));
  });
});
