import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readModel, writeModel } from '../onnx/codec.js';
import { attr, encode, node } from '../onnx/fixtures/models.js';
import { opsetVersion, type OnnxModel } from '../onnx/graph.js';
import type { pb } from '../onnx/proto.js';
import { analyzeDifferentiability, buildGradientModel, GradientError } from './backward.js';
import { classBasis, jacobianFeeds, splitJacobian } from './jacobian.js';
import { gradCheck, session, shapesFor, spread, tinyModel, uniform, type TinyGraph } from './test-harness.js';

/** Conv -> Relu -> MaxPool -> Flatten -> Gemm: a LeNet in miniature (input [N, 1, 8, 8], 5 classes). */
const smallCnn: TinyGraph = {
  x: ['N', 1, 8, 8],
  nodes: [
    node('Conv', ['x', 'cw', 'cb'], ['conv'], [attr.ints('kernel_shape', [3, 3])]),
    node('Relu', ['conv'], ['relu']),
    node('MaxPool', ['relu'], ['pool'], [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]),
    node('Flatten', ['pool'], ['flat']),
    node('Gemm', ['flat', 'fw', 'fb'], ['y'], [attr.int('transB', 1)]),
  ],
  weights: { cw: [4, 1, 3, 3], cb: [4], fw: [5, 36], fb: [5] },
};

const gradNodes = (m: OnnxModel) => m.graph.nodes.filter((n) => n.name.startsWith('brink_grad/'));

async function built(graph: TinyGraph, shape: number[], options: { features?: string | null } = {}) {
  const model = readModel(encode(tinyModel(graph)));
  const feeds = { x: new ort.Tensor('float32', spread(shape.reduce((a, b) => a * b, 1), 'x'), shape) };
  return buildGradientModel(model, { shapes: await shapesFor(model, feeds), ...options });
}

describe('buildGradientModel', () => {
  it('outputs the logits, the penultimate features of the detected head and the input gradient', async () => {
    const g = await built(smallCnn, [2, 1, 8, 8]);
    expect(g.input).toBe('x');
    expect(g.features).toBe('flat');
    expect(g.model.graph.outputs.map((o) => o.name)).toEqual(['y', 'flat', g.gradient]);
    expect(g.model.graph.inputs.map((i) => i.name)).toEqual(['x', g.cotangent]);
    const s = await session(writeModel(g.model));
    const x = spread(2 * 64, 'x');
    const out = await s.run({ x: new ort.Tensor('float32', x, [2, 1, 8, 8]), [g.cotangent]: new ort.Tensor('float32', uniform(10, 'v'), [2, 5]) });
    expect(out.y.dims).toEqual([2, 5]);
    expect(out.flat.dims).toEqual([2, 36]);
    expect(out[g.gradient].dims).toEqual([2, 1, 8, 8]);
  });

  it('matches finite differences through a whole small CNN', async () => {
    const check = await gradCheck(tinyModel(smallCnn), [2, 1, 8, 8]);
    expect(check.relativeError).toBeLessThan(2e-3);
  });

  it('sums the gradients of a value read by several nodes', async () => {
    const fanOut: TinyGraph = {
      x: ['N', 4],
      nodes: [node('Relu', ['x'], ['a']), node('Sigmoid', ['x'], ['b']), node('Mul', ['a', 'b'], ['c']), node('Add', ['c', 'x'], ['y'])],
    };
    const check = await gradCheck(tinyModel(fanOut), [3, 4]);
    expect(check.relativeError).toBeLessThan(2e-3);
  });

  it('builds no backward nodes for shape subgraphs and constants', async () => {
    const graph: TinyGraph = {
      x: ['N', 3, 4],
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'zero'], ['n'], [attr.int('axis', 0)]),
        node('Concat', ['n', 'minus1'], ['target'], [attr.int('axis', 0)]),
        node('Sigmoid', ['w'], ['sw']),
        node('Reshape', ['x', 'target'], ['flat']),
        node('Mul', ['flat', 'sw'], ['y']),
      ],
      ints: { zero: [0], minus1: [-1] },
      weights: { w: [12] },
    };
    const g = await built(graph, [2, 3, 4]);
    const constantSide = new Set(['s', 'n', 'target', 'sw', 'w', 'zero', 'minus1']);
    for (const n of gradNodes(g.model)) expect(n.outputs.some((o) => constantSide.has(o))).toBe(false);
    // Only the Mul and the Reshape get rules applied: Mul by sw, then Reshape back (reading x's Shape).
    expect(gradNodes(g.model).map((n) => n.opType).sort()).toEqual(['Mul', 'Reshape', 'Shape']);
  });

  it('gives a zero gradient when the logits do not depend on the input', async () => {
    const graph: TinyGraph = { x: ['N', 3], nodes: [node('Shape', ['x'], ['s']), node('ConstantOfShape', ['s'], ['y'])] };
    const check = await gradCheck(tinyModel(graph), [2, 3]);
    expect(Array.from(check.gradient)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('drops nodes that only fed other outputs', async () => {
    const graph: TinyGraph = { x: ['N', 3], nodes: [node('Relu', ['x'], ['y']), node('Tanh', ['x'], ['other'])] };
    const model = readModel(encode(tinyModel(graph)));
    model.graph.outputs.push({ name: 'other', elemType: 1, shape: null });
    const g = buildGradientModel(model, { shapes: await shapesFor(model, { x: new ort.Tensor('float32', spread(6, 'x'), [2, 3]) }), features: null });
    expect(g.model.graph.nodes.map((n) => n.opType)).not.toContain('Tanh');
    expect(model.graph.nodes.map((n) => n.opType)).toContain('Tanh');
  });

  it.each([
    [11, 1, ['axes', 'keepdims']],
    [13, 2, ['keepdims']],
  ])('writes ReduceSum in the form opset %i requires', async (opset, inputs, attributes) => {
    const g = await built({ x: [1, 3], nodes: [node('Add', ['x', 'w'], ['y'])], weights: { w: [4, 3] }, opset }, [1, 3], { features: null });
    const reduce = gradNodes(g.model).find((n) => n.opType === 'ReduceSum')!;
    expect(reduce.inputs).toHaveLength(inputs);
    expect(reduce.attributes.map((a) => a.name)).toEqual(attributes);
  });

  it('fails naming the op and the node when a rule is missing', async () => {
    const graph: TinyGraph = { x: ['N', 3], nodes: [node('Relu', ['x'], ['a']), node('Mystery', ['a'], ['y'], [], 'com.example')] };
    const model = readModel(encode({ ...tinyModel(graph), opsetImport: [{ domain: '', version: 17 }, { domain: 'com.example', version: 1 }] }));
    expect(() => buildGradientModel(model, { shapes: new Map() })).toThrow(GradientError);
    expect(() => buildGradientModel(model, { shapes: new Map() })).toThrow(/com\.example::Mystery \(Mystery_y\)/);
  });

  it('says when shapes it needs are unknown', () => {
    const model = readModel(encode(tinyModel({ x: ['N', '?'], nodes: [node('Add', ['x', 'w'], ['y'])], weights: { w: [4, 3] } })));
    expect(() => buildGradientModel(model, { shapes: new Map() })).toThrow(/shape of '.*' is unknown; probe/);
  });
});

describe('the opset of the gradient model', () => {
  const withExtra = (opset: number, extra: pb.INodeProto[]) => {
    const proto = tinyModel({ x: ['N', 3], nodes: [node('Relu', ['x'], ['y']), ...extra], opset });
    return readModel(encode({ ...proto, irVersion: 7, opsetImport: [...(proto.opsetImport ?? []), { domain: 'com.example', version: 1 }] }));
  };

  it.each<[string, number, pb.INodeProto[], number]>([
    ['opset 13 is raised to 16 (MaxPool scatters with add)', 13, [], 16],
    ['opset 15 is raised to 16', 15, [], 16],
    ['opset 12 keeps its own (Softmax, Squeeze, ReduceSum differ from 13 on)', 12, [], 12],
    ['opset 17 stays', 17, [], 17],
    ['RoiAlign (its default coordinate mode changed in 16) keeps 13', 13, [node('RoiAlign', ['x', 'rois', 'index'], ['r'])], 13],
    ['BatchNormalization with training outputs (gone in 14) keeps 13', 13, [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['n', 'nm', 'nv'])], 13],
    ['BatchNormalization with one output is raised', 13, [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['n'])], 16],
    ['control flow (subgraphs unchecked) keeps 13', 13, [node('If', ['c'], ['i'])], 13],
    ['an op of another domain keeps 13', 13, [node('Mystery', ['x'], ['m'], [], 'com.example')], 13],
  ])('%s', (_, opset, extra, expected) => {
    const g = buildGradientModel(withExtra(opset, extra), { shapes: new Map(), features: null });
    expect(opsetVersion(g.model)).toBe(expected);
    expect(g.model.irVersion).toBe(expected === 16 ? 8 : 7);
  });

  it('computes the same logits after raising the opset', async () => {
    const proto = tinyModel({ ...smallCnn, opset: 13 });
    const g = await built({ ...smallCnn, opset: 13 }, [2, 1, 8, 8]);
    expect(opsetVersion(g.model)).toBe(16);
    const x = new ort.Tensor('float32', uniform(4 * 64, 'x'), [4, 1, 8, 8]);
    const plain = await session(encode(proto));
    const raised = await session(writeModel(g.model));
    const expected = (await plain.run({ x })).y.data as Float32Array;
    const got = (await raised.run({ x, [g.cotangent]: new ort.Tensor('float32', uniform(20, 'v'), [4, 5]) })).y.data as Float32Array;
    await plain.release();
    await raised.release();
    expect(Array.from(got)).toEqual(Array.from(expected));
  });
});

describe('analyzeDifferentiability', () => {
  it('lists each unsupported op type on the input-to-logits path with its nodes, and nothing else', () => {
    const graph: TinyGraph = {
      x: ['N', 3],
      nodes: [
        node('Erfinv', ['x'], ['a']),
        node('Erfinv', ['a'], ['b']),
        node('Crunch', ['b'], ['c']),
        node('Relu', ['c'], ['y']),
        node('Offside', ['x'], ['unused']),
        node('Crunch', ['w'], ['cw']),
      ],
      weights: { w: [3] },
    };
    const report = analyzeDifferentiability(readModel(encode(tinyModel(graph))));
    expect(report).toEqual({
      differentiable: false,
      unsupported: [
        { op: 'Erfinv', nodes: ['Erfinv_a', 'Erfinv_b'] },
        { op: 'Crunch', nodes: ['Crunch_c'] },
      ],
    });
  });

  it('reports a model made of supported ops as differentiable', () => {
    expect(analyzeDifferentiability(readModel(encode(tinyModel(smallCnn))))).toEqual({ differentiable: true, unsupported: [] });
  });
});

describe('Jacobian mode', () => {
  it('gives every class gradient per sample from one batch-replicated run', async () => {
    const shape = [2, 1, 8, 8];
    const g = await built(smallCnn, shape);
    const s = await session(writeModel(g.model));
    const x = spread(128, 'x');
    const classes = 5;
    const feeds = jacobianFeeds(x, shape, classBasis(2, classes), classes);
    const out = await s.run({ x: new ort.Tensor('float32', feeds.x, feeds.xDims), [g.cotangent]: new ort.Tensor('float32', feeds.v, feeds.vDims) });
    const jacobian = splitJacobian(out[g.gradient].data as Float32Array, 2, classes);

    // Row j of sample b must equal the VJP with cotangent e_j for that sample alone.
    for (const [b, j] of [[0, 0], [1, 3]]) {
      const v = new Float32Array(2 * classes);
      v[b * classes + j] = 1;
      const single = await s.run({ x: new ort.Tensor('float32', x, shape), [g.cotangent]: new ort.Tensor('float32', v, [2, classes]) });
      const expected = (single[g.gradient].data as Float32Array).subarray(b * 64, (b + 1) * 64);
      expect(Array.from(jacobian[b][j])).toEqual(Array.from(expected));
    }
  });
});
