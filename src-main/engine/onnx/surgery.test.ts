import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { session, spread, tinyModel, uniform, type TinyGraph } from '../autodiff/test-harness.js';
import { cloneModel, readModel, writeModel } from './codec.js';
import { attr, classifierGraph, encode, model, node, valueInfo } from './fixtures/models.js';
import { DataType, type OnnxModel } from './graph.js';
import type { pb } from './proto.js';
import { detectLinearHead, exposeOutputs, foldPreprocessing } from './surgery.js';

const read = (graph: TinyGraph | pb.IModelProto) => readModel(encode('nodes' in graph ? tinyModel(graph) : graph));

async function run(m: OnnxModel, x: Float32Array, dims: number[]): Promise<Record<string, ort.Tensor>> {
  const s = await session(writeModel(m));
  try {
    return await s.run({ [m.graph.inputs[0].name]: new ort.Tensor('float32', x, dims) });
  } finally {
    await s.release();
  }
}

/** A head on features [N, 6] (the input), with 4 classes. */
const head = (nodes: pb.INodeProto[], weights: Record<string, number[]>): TinyGraph => ({ x: ['N', 6], nodes, weights });

describe('detectLinearHead', () => {
  it.each<[string, TinyGraph]>([
    ['Gemm, transB=1', head([node('Gemm', ['x', 'w', 'b'], ['y'], [attr.int('transB', 1)])], { w: [4, 6], b: [4] })],
    ['Gemm, transB=0, alpha and beta', head([node('Gemm', ['x', 'w', 'b'], ['y'], [attr.float('alpha', 2), attr.float('beta', 0.5)])], { w: [6, 4], b: [1, 4] })],
    ['Gemm without bias', head([node('Gemm', ['x', 'w'], ['y'], [attr.int('transB', 1)])], { w: [4, 6] })],
    ['MatMul + Add', head([node('MatMul', ['x', 'w'], ['m']), node('Add', ['m', 'b'], ['y'])], { w: [6, 4], b: [4] })],
    ['Add(bias, MatMul), then Identity', head([node('MatMul', ['x', 'w'], ['m']), node('Add', ['b', 'm'], ['l']), node('Identity', ['l'], ['y'])], { w: [6, 4], b: [4] })],
    ['MatMul alone', head([node('MatMul', ['x', 'w'], ['y'])], { w: [6, 4] })],
  ])('finds W [C, D] and b of %s, and they reproduce the logits', async (_, graph) => {
    const m = read(graph);
    const found = detectLinearHead(m);
    expect(found.reason).toBeUndefined();
    const h = found.head!;
    expect([h.classes, h.features, h.featuresTensor]).toEqual([4, 6, 'x']);
    const x = uniform(12, 'features');
    const y = (await run(m, x, [2, 6])).y.data as Float32Array;
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 4; c++) {
        let logit = h.bias[c];
        for (let d = 0; d < 6; d++) logit += h.weight[c * 6 + d] * x[n * 6 + d];
        expect(logit).toBeCloseTo(y[n * 4 + c], 5);
      }
    }
  });

  it('names the flattened tensor as the features of Conv -> Flatten -> Gemm', () => {
    const found = detectLinearHead(read(model(classifierGraph())));
    expect(found.head).toMatchObject({ classes: 10, features: 2704, featuresTensor: 'flat', nodes: ['Gemm_logits'] });
    expect(found.head!.weight.length).toBe(10 * 2704);
  });

  it('names the reshaped tensor as the features of Reshape -> MatMul + Add', () => {
    const graph: TinyGraph = {
      x: ['N', 2, 3],
      nodes: [node('Reshape', ['x', 'shape'], ['feat']), node('MatMul', ['feat', 'w'], ['m']), node('Add', ['m', 'b'], ['y'])],
      weights: { w: [6, 4], b: [4] },
      ints: { shape: [-1, 6] },
    };
    expect(detectLinearHead(read(graph)).head?.featuresTensor).toBe('feat');
  });

  it.each<[string, TinyGraph, RegExp]>([
    ['logits from Softmax', head([node('Gemm', ['x', 'w'], ['l'], [attr.int('transB', 1)]), node('Softmax', ['l'], ['y'])], { w: [4, 6] }), /Softmax .* not a Gemm or MatMul/],
    ['weights computed from the input', head([node('Relu', ['x'], ['r']), node('MatMul', ['x', 'r'], ['y'])], {}), /not a constant/],
    ['a MatMul + Add whose bias is not constant', head([node('MatMul', ['x', 'w'], ['m']), node('Add', ['m', 'x'], ['y'])], { w: [6, 6] }), /without a MatMul and a constant bias/],
    ['a bias that is not per class', head([node('Gemm', ['x', 'w', 'b'], ['y'], [attr.int('transB', 1)])], { w: [4, 6], b: [2, 4] }), /not one value per class/],
    ['Gemm with transA', { x: [6, 'N'], nodes: [node('Gemm', ['x', 'w'], ['y'], [attr.int('transA', 1)])], weights: { w: [6, 4] } }, /transA=1/],
  ])('gives a reason instead of a head for %s', (_, graph, reason) => {
    const found = detectLinearHead(read(graph));
    expect(found.head).toBeNull();
    expect(found.reason).toMatch(reason);
  });
});

describe('foldPreprocessing', () => {
  const cnn: TinyGraph = {
    x: ['N', 3, 4, 4],
    nodes: [node('Conv', ['x', 'w'], ['c'], [attr.ints('kernel_shape', [3, 3])]), node('Flatten', ['c'], ['f']), node('Gemm', ['f', 'fw'], ['y'], [attr.int('transB', 1)])],
    weights: { w: [2, 3, 3, 3], fw: [5, 8] },
  };
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];

  it.each<[string, [number, number] | undefined, number[], number[]]>([
    ['per channel, [0,1] range', undefined, mean, std],
    ['per channel, [0,255] range', [0, 255], mean.map((m) => m * 255), std.map((s) => s * 255)],
    ['one value for all channels', [0, 255], [127.5], [127.5]],
  ])('makes the folded model on x equal the original on normalised x (%s)', async (_, range, m, s) => {
    const original = read(cnn);
    const folded = foldPreprocessing(cloneModel(original), { mean: m, std: s, range });
    expect(folded.graph.inputs.map((i) => i.name)).toEqual(['x']);
    expect(folded.graph.nodes.slice(0, 2).map((n) => n.opType)).toEqual(['Mul', 'Add']);
    const x = Float32Array.from(spread(2 * 48, 'pixels'), (v) => (v + 1) / 2);
    const [lo, hi] = range ?? [0, 1];
    const normalised = x.map((v, i) => {
      const c = Math.floor(i / 16) % 3;
      const at = (a: number[]) => (a.length === 1 ? a[0] : a[c]);
      return (v * (hi - lo) + lo - at(m)) / at(s);
    });
    const expected = (await run(original, normalised, [2, 3, 4, 4])).y.data as Float32Array;
    const got = (await run(folded, x, [2, 3, 4, 4])).y.data as Float32Array;
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
  });

  it('keeps the original untouched when given a clone', () => {
    const original = read(cnn);
    foldPreprocessing(cloneModel(original), { mean, std });
    expect(original.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Flatten', 'Gemm']);
  });

  it.each<[string, Parameters<typeof foldPreprocessing>[1], RegExp]>([
    ['a channel count that does not match', { mean: [0.5, 0.5], std: [0.5, 0.5] }, /3 channels but mean\/std give 2/],
    ['a zero std', { mean: [0], std: [0] }, /non-zero stds/],
    ['an unknown input', { input: 'image', mean: [0], std: [1] }, /no input 'image'/],
  ])('refuses %s', (_, pre, message) => {
    expect(() => foldPreprocessing(read(cnn), pre)).toThrow(message);
  });

  it('refuses an integer input', () => {
    const m = read(cnn);
    m.graph.inputs[0].elemType = DataType.UINT8;
    expect(() => foldPreprocessing(m, { mean: [0], std: [1] })).toThrow(/not a float tensor/);
  });
});

describe('exposeOutputs', () => {
  it('makes intermediate tensors come out of a run, with their declared type when known', async () => {
    const g = { ...classifierGraph(), valueInfo: [valueInfo('relu', ['batch', 4, 26, 26])] };
    const m = exposeOutputs(read(model(g)), ['relu', 'flat']);
    expect(m.graph.outputs.map((o) => [o.name, o.elemType])).toEqual([['logits', 1], ['relu', 1], ['flat', 0]]);
    const out = await run(m, new Float32Array(2 * 784).fill(0.5), [2, 1, 28, 28]);
    expect(out.relu.dims).toEqual([2, 4, 26, 26]);
    expect(out.flat.dims).toEqual([2, 2704]);
  });

  it('refuses a name the graph does not compute', () => {
    expect(() => exposeOutputs(read(model(classifierGraph())), ['nope'])).toThrow(/no value 'nope'/);
  });
});
