import { describe, expect, it } from 'vitest';
import { attr, node } from '../../onnx/fixtures/models.js';
import type { pb } from '../../onnx/proto.js';
import { GRADIENT_TARGETS } from '../builder.js';
import { gradCheck, tinyModel, uniform, type TinyGraph } from '../test-harness.js';

type A = pb.IAttributeProto;
const conv = (w: number[], attrs: A[], opset = 17, bias = true): TinyGraph => ({
  x: ['N', w[1] * (attrs.find((a) => a.name === 'group')?.i as number ?? 1), '?', '?'].slice(0, w.length) as (number | string)[],
  nodes: [node('Conv', bias ? ['x', 'w', 'b'] : ['x', 'w'], ['y'], attrs)],
  weights: { w, b: [w[0]] },
  opset,
});
// Conv -> BatchNormalization (inference), as PyTorch exports conv + bn in eval mode.
const convBn = (w: number[], group: number, attrs: A[], after: pb.INodeProto[] = []): TinyGraph => ({
  x: ['N', w[1] * group, '?', '?'],
  nodes: [
    node('Conv', ['x', 'w'], ['c'], [...attrs, attr.int('group', group)]),
    node('BatchNormalization', ['c', 'scale', 'bias', 'mean', 'var'], [after.length ? 'n' : 'y']),
    ...after,
  ],
  weights: { w, scale: [w[0]], bias: [w[0]], mean: [w[0]] },
  floats: { var: { dims: [w[0]], values: Array.from({ length: w[0] }, (_, i) => 0.5 + i) } },
});
// ConvTranspose's weights are [C_in, C_out/group, k...].
const convT = (w: number[], attrs: A[], opset = 17): TinyGraph => ({
  x: ['N', w[0], ...w.slice(2).map(() => '?')],
  nodes: [node('ConvTranspose', ['x', 'w', 'b'], ['y'], attrs)],
  weights: { w, b: [w[1] * ((attrs.find((a) => a.name === 'group')?.i as number) ?? 1)] },
  opset,
});
const pool = (op: string, attrs: A[], opset = 17): TinyGraph => ({ x: ['N', 2, '?', '?'], nodes: [node(op, ['x'], ['y'], attrs)], opset });
// Relu -> MaxPool, the usual ending of a conv block; `shared`: the Relu's output also feeds an Add.
const reluPool = (attrs: A[], opset = 17, shared = false): TinyGraph => ({
  x: ['N', 2, '?', '?'],
  nodes: [
    node('Relu', ['x'], ['r']),
    node('MaxPool', ['r'], [shared ? 'm' : 'y'], attrs),
    ...(shared ? [node('Add', ['r', 'm'], ['y'])] : []),
  ],
  opset,
});
const k = (...kernel: number[]) => attr.ints('kernel_shape', kernel);
const s = (...strides: number[]) => attr.ints('strides', strides);
const d = (...dilations: number[]) => attr.ints('dilations', dilations);
const p = (...pads: number[]) => attr.ints('pads', pads);
const autoPad = (mode: string): A => ({ name: 'auto_pad', type: 3, s: new TextEncoder().encode(mode) });

// One line per op case: the graph and the input shape.
const cases: [string, TinyGraph, number[]][] = [
  ['Conv 3x3', conv([3, 2, 3, 3], [k(3, 3)]), [2, 2, 6, 6]],
  ['Conv without kernel_shape or bias', conv([3, 2, 3, 3], [], 17, false), [2, 2, 5, 6]],
  ['Conv stride 2 with rows no window reaches', conv([3, 2, 2, 2], [s(3, 2)]), [2, 2, 7, 7]],
  ['Conv asymmetric pads', conv([2, 2, 3, 3], [p(1, 0, 2, 1)]), [2, 2, 5, 6]],
  ['Conv stride 2, dilation 2, pads', conv([2, 2, 3, 3], [s(2, 2), d(2, 2), p(2, 1, 1, 2)]), [2, 2, 9, 8]],
  ['Conv groups', conv([4, 2, 3, 3], [attr.int('group', 2), p(1, 1, 1, 1)]), [2, 4, 5, 5]],
  ['Conv depthwise', conv([3, 1, 3, 3], [attr.int('group', 3), s(2, 2), p(1, 1, 1, 1)]), [2, 3, 6, 6]],
  ['Conv auto_pad SAME_UPPER stride 2', conv([2, 2, 4, 3], [autoPad('SAME_UPPER'), s(2, 2)]), [2, 2, 7, 6]],
  ['Conv auto_pad SAME_LOWER stride 2', conv([2, 2, 4, 3], [autoPad('SAME_LOWER'), s(2, 2)]), [2, 2, 7, 6]],
  ['Conv auto_pad VALID', conv([2, 2, 3, 3], [autoPad('VALID'), s(2, 2)]), [2, 2, 7, 6]],
  ['Conv 1-D', conv([3, 2, 3], [s(2), p(1, 0)]), [2, 2, 9]],
  ['Conv opset 9', conv([3, 2, 3, 3], [s(2, 2)], 9), [2, 2, 6, 6]],
  // Stride 1 with 8 or more input channels: a Conv with flipped weights instead of ConvTranspose.
  ['Conv stride 1 as a flipped Conv', conv([3, 8, 3, 3], [p(1, 1, 1, 1)]), [2, 8, 5, 5]],
  ['Conv stride 1 as a flipped Conv, groups', conv([6, 4, 3, 2], [attr.int('group', 2), p(1, 0, 1, 1)]), [2, 8, 5, 5]],
  ['Conv stride 1 as a flipped Conv, depthwise with multiplier 2', conv([16, 1, 3, 3], [attr.int('group', 8), p(1, 1, 1, 1)]), [2, 8, 4, 5]],
  ['Conv stride 1 as a flipped Conv, dilations, asymmetric pads', conv([3, 8, 3, 2], [d(2, 3), p(1, 0, 3, 2)]), [2, 8, 7, 6]],
  ['Conv stride 1 as a flipped Conv, auto_pad SAME_UPPER, even kernel', conv([3, 8, 4, 3], [autoPad('SAME_UPPER')]), [2, 8, 5, 6]],
  ['Conv stride 1 as a flipped Conv, auto_pad SAME_LOWER, even kernel', conv([3, 8, 2, 4], [autoPad('SAME_LOWER')]), [2, 8, 5, 6]],
  ['Conv stride 1 as a flipped Conv, auto_pad VALID', conv([3, 8, 3, 3], [autoPad('VALID')]), [2, 8, 5, 6]],
  ['Conv stride 1 as a flipped Conv, 1-D', conv([3, 8, 3], [p(2, 0)]), [2, 8, 7]],
  ['Conv stride 1, pads wider than the kernel (stays ConvTranspose)', conv([3, 8, 2, 2], [p(2, 0, 1, 3)]), [2, 8, 4, 4]],
  ['Conv + BatchNormalization (its factor folded into the weights), flipped Conv', convBn([4, 8, 3, 3], 1, [p(1, 1, 1, 1)]), [2, 8, 4, 4]],
  ['Conv + BatchNormalization, groups, flipped Conv', convBn([4, 4, 3, 3], 2, []), [2, 8, 5, 5]],
  ['Conv + BatchNormalization, stride 2 (ConvTranspose)', convBn([3, 2, 3, 3], 1, [s(2, 2)]), [2, 2, 6, 6]],
  ['Conv + BatchNormalization and a second reader of the Conv (no folding)', convBn([3, 8, 3, 3], 1, [], [node('Add', ['c', 'n'], ['y'])]), [2, 8, 5, 5]],
  ['ConvTranspose 2x2 stride 2', convT([3, 2, 2, 2], [s(2, 2)]), [2, 3, 3, 4]],
  ['ConvTranspose stride 2, pads, output_padding, dilation', convT([2, 3, 3, 3], [s(2, 3), p(1, 0, 2, 1), attr.ints('output_padding', [1, 2]), d(2, 1)]), [2, 2, 4, 3]],
  ['ConvTranspose output_padding beyond the end pads', convT([2, 2, 3, 3], [s(3, 3), p(0, 1, 0, 0), attr.ints('output_padding', [2, 1])]), [2, 2, 3, 3]],
  ['ConvTranspose groups', convT([4, 1, 3, 3], [attr.int('group', 2), s(2, 2), p(1, 1, 1, 1)]), [2, 4, 3, 3]],
  ['ConvTranspose auto_pad SAME_UPPER, odd total', convT([2, 2, 4, 3], [autoPad('SAME_UPPER'), s(2, 2)]), [2, 2, 3, 3]],
  ['ConvTranspose auto_pad SAME_LOWER, odd total', convT([2, 2, 4, 3], [autoPad('SAME_LOWER'), s(2, 2)]), [2, 2, 3, 3]],
  ['ConvTranspose output_shape', convT([2, 2, 3, 3], [s(2, 2), attr.ints('output_shape', [6, 7])]), [2, 2, 3, 3]],
  ['ConvTranspose 1-D, opset 11', convT([2, 3, 3], [s(2), p(1, 0)], 11), [2, 2, 5]],
  ['AveragePool 2x2 stride 2', pool('AveragePool', [k(2, 2), s(2, 2)]), [2, 2, 6, 6]],
  ['AveragePool pads, excluding pad', pool('AveragePool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)]), [2, 2, 7, 7]],
  ['AveragePool pads, count_include_pad', pool('AveragePool', [k(3, 3), s(2, 2), p(1, 1, 1, 1), attr.int('count_include_pad', 1)]), [2, 2, 7, 7]],
  ['AveragePool ceil_mode', pool('AveragePool', [k(3, 3), s(2, 2), attr.int('ceil_mode', 1)]), [2, 2, 6, 6]],
  ['AveragePool ceil_mode, count_include_pad', pool('AveragePool', [k(3, 3), s(2, 2), p(1, 0, 0, 1), attr.int('ceil_mode', 1), attr.int('count_include_pad', 1)]), [2, 2, 6, 6]],
  ['AveragePool asymmetric pads, stride leftovers', pool('AveragePool', [k(2, 3), s(3, 2), p(0, 1, 1, 0)]), [2, 2, 8, 7]],
  ['AveragePool auto_pad SAME_LOWER', pool('AveragePool', [k(3, 3), s(2, 2), autoPad('SAME_LOWER')]), [2, 2, 6, 7]],
  ['AveragePool opset 11', pool('AveragePool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)], 11), [2, 2, 7, 7]],
  ['GlobalAveragePool', pool('GlobalAveragePool', []), [2, 2, 3, 4]],
  ['GlobalMaxPool', pool('GlobalMaxPool', []), [2, 2, 3, 4]],
  ['GlobalMaxPool opset 9', pool('GlobalMaxPool', [], 9), [2, 2, 3, 4]],
];

// MaxPool's backward differs per execution provider (GradientTarget): each form is checked here, on CPU.
const maxPoolCases: [string, TinyGraph, number[]][] = [
  ['MaxPool 2x2 stride 2', pool('MaxPool', [k(2, 2), s(2, 2)]), [2, 2, 6, 6]],
  ['MaxPool 3x3 stride 2 overlapping, pads', pool('MaxPool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)]), [2, 2, 7, 7]],
  ['MaxPool overlapping, opset 13 (raised to 16: one scatter with add)', pool('MaxPool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)], 13), [2, 2, 7, 7]],
  ['MaxPool overlapping, opset 12 (grouped scatters)', pool('MaxPool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)], 12), [2, 2, 7, 7]],
  ['MaxPool stride 1, opset 11', pool('MaxPool', [k(3, 2), s(1, 1)], 11), [2, 2, 5, 5]],
  ['MaxPool non-overlapping, opset 11', pool('MaxPool', [k(2, 2), s(2, 2)], 11), [2, 2, 6, 6]],
  ['MaxPool ceil_mode', pool('MaxPool', [k(3, 3), s(2, 2), attr.int('ceil_mode', 1)]), [2, 2, 6, 6]],
  ['MaxPool ceil_mode, opset 13 (raised to 16)', pool('MaxPool', [k(3, 3), s(2, 2), attr.int('ceil_mode', 1)], 13), [2, 2, 6, 6]],
  ['MaxPool ceil_mode, pads, dilations, opset 15 (raised to 16)', pool('MaxPool', [k(2, 3), s(2, 1), p(1, 0, 0, 1), d(2, 1), attr.int('ceil_mode', 1)], 15), [2, 2, 7, 6]],
  ['MaxPool ceil_mode, opset 12 (grouped scatters)', pool('MaxPool', [k(3, 3), s(2, 2), attr.int('ceil_mode', 1)], 12), [2, 2, 6, 6]],
  ['MaxPool dilations', pool('MaxPool', [k(2, 2), d(2, 2), s(1, 1)]), [2, 2, 6, 6]],
  ['Relu then MaxPool 2x2 (Relu mask over the pooled output)', reluPool([k(2, 2), s(2, 2)]), [2, 2, 6, 6]],
  ['Relu then overlapping MaxPool, opset 12 (grouped scatters)', reluPool([k(3, 3), s(2, 2), p(1, 1, 1, 1)], 12), [2, 2, 7, 7]],
  ['Relu read by MaxPool and Add (mask over the Relu output)', reluPool([k(3, 3), s(1, 1), p(1, 1, 1, 1)], 17, true), [2, 2, 5, 5]],
  ['MaxPool 3x3 stride 3, ceil_mode (MaxUnpool)', pool('MaxPool', [k(3, 3), s(3, 3), attr.int('ceil_mode', 1)]), [2, 2, 7, 8]],
  ['MaxPool disjoint dilated windows, pads, ceil_mode (MaxUnpool)', pool('MaxPool', [k(2, 2), s(4, 3), d(2, 1), p(1, 0, 0, 1), attr.int('ceil_mode', 1)]), [2, 2, 9, 8]],
  ['MaxPool auto_pad SAME_UPPER', pool('MaxPool', [k(3, 3), s(2, 2), autoPad('SAME_UPPER')]), [2, 2, 6, 7]],
];

describe('convolution and pooling gradients match finite differences', () => {
  it.each(cases)('%s', async (_, graph, shape) => {
    const check = await gradCheck(tinyModel(graph), shape);
    expect(check.relativeError).toBeLessThan(2e-3);
  });
});

describe.each(GRADIENT_TARGETS)('MaxPool gradients built for %s match finite differences', (target) => {
  it.each(maxPoolCases)('%s', async (_, graph, shape) => {
    const check = await gradCheck(tinyModel(graph), shape, { target });
    expect(check.relativeError).toBeLessThan(2e-3);
  });
});

describe('the form of the emitted backward ops', () => {
  const backwardOps = async (graph: TinyGraph, shape: number[]) =>
    (await gradCheck(tinyModel(graph), shape)).built.model.graph.nodes.filter((n) => n.name.startsWith('brink_grad/')).map((n) => n.opType);

  it.each<[string, string, TinyGraph, number[]]>([
    ['stride 1, 8 channels', 'Conv', conv([3, 8, 3, 3], [p(1, 1, 1, 1)]), [2, 8, 5, 5]],
    ['stride 1, groups', 'Conv', conv([6, 4, 3, 3], [attr.int('group', 2)]), [2, 8, 5, 5]],
    ['stride 1, 2 channels', 'ConvTranspose', conv([3, 2, 3, 3], [p(1, 1, 1, 1)]), [2, 2, 5, 5]],
    ['stride 2', 'ConvTranspose', conv([3, 8, 3, 3], [s(2, 2)]), [2, 8, 5, 5]],
    ['stride 1, pads wider than the kernel', 'ConvTranspose', conv([3, 8, 2, 2], [p(2, 0, 1, 3)]), [2, 8, 4, 4]],
    ['stride 1, opset 9 (no Slice with steps)', 'ConvTranspose', conv([3, 8, 3, 3], [], 9), [2, 8, 5, 5]],
  ])('Conv input gradient, %s: %s', async (_, op, graph, shape) => {
    const ops = await backwardOps(graph, shape);
    expect(ops).toContain(op);
    expect(ops).not.toContain(op === 'Conv' ? 'ConvTranspose' : 'Conv');
  });

  it('scales the weights by a following BatchNormalization instead of the gradient, leaving no unused constants', async () => {
    const { graph } = (await gradCheck(tinyModel(convBn([4, 8, 3, 3], 1, [p(1, 1, 1, 1)])), [2, 8, 4, 4])).built.model;
    const muls = graph.nodes.filter((n) => n.name.startsWith('brink_grad/') && n.opType === 'Mul');
    expect(muls.map((n) => n.inputs[0])).toEqual(['w']);
    const read = new Set(graph.nodes.flatMap((n) => n.inputs));
    expect(graph.initializers.map((t) => t.name).filter((name) => !read.has(name))).toEqual([]);
  });

  it.each<[string, TinyGraph]>([
    ['2x2 stride 2', pool('MaxPool', [k(2, 2), s(2, 2)])],
    ['3x3 stride 3, ceil_mode, opset 11', pool('MaxPool', [k(3, 3), s(3, 3), attr.int('ceil_mode', 1)], 11)],
  ])('MaxPool whose windows cannot overlap (%s) puts the gradient back with MaxUnpool', async (_, graph) => {
    const ops = await backwardOps(graph, [2, 2, 7, 7]);
    expect(ops).toContain('MaxUnpool');
    expect(ops).not.toContain('ScatterElements');
  });

  // Overlapping 3x3 windows with a pad of 1 start one row and column earlier: their first
  // element is the padded corner's neighbour, (0,0) for the first window, then (0,1), (1,0), (1,1).
  const tieCases: [string, TinyGraph, number[]][] = [
    ['windows that cannot overlap', pool('MaxPool', [k(2, 2), s(2, 2)]), [0, 2, 8, 10]],
    ['overlapping windows', pool('MaxPool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)]), [0, 1, 4, 5]],
  ];
  it.each(GRADIENT_TARGETS.flatMap((target) => tieCases.map(([what, graph, firsts]) => [target, what, graph, firsts] as const)))(
    'MaxPool built for %s, over %s, sends the gradient of tied maxima to the first one, as PyTorch does',
    async (target, _, graph, firsts) => {
      // A constant image (a blank background after a convolution): every window ties.
      const { gradient } = await gradCheck(tinyModel(graph), [1, 2, 4, 4], { x: new Float32Array(32).fill(0.5), target });
      const v = uniform(8, 'v');
      const expected = new Float32Array(32);
      for (let c = 0; c < 2; c++) firsts.forEach((at, w) => (expected[c * 16 + at] += v[c * 4 + w]));
      expect(Array.from(gradient)).toEqual(Array.from(expected));
    },
  );

  it.each<[string, TinyGraph, number[]]>([
    ['2x2 stride 2', pool('MaxPool', [k(2, 2), s(2, 2)]), [2, 2, 7, 7]],
    ['3x3 stride 3, ceil_mode, opset 11', pool('MaxPool', [k(3, 3), s(3, 3), attr.int('ceil_mode', 1)], 11), [2, 2, 7, 7]],
    ['overlapping, pads', pool('MaxPool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)]), [2, 2, 7, 7]],
    ['after a Relu', reluPool([k(2, 2), s(2, 2)]), [2, 2, 6, 6]],
  ])('MaxPool (%s) built for CUDA or WebGPU has no MaxUnpool, which neither provider has a kernel for', async (_, graph, shape) => {
    for (const target of ['cuda', 'webgpu'] as const) {
      const ops = (await gradCheck(tinyModel(graph), shape, { target })).built.model.graph.nodes.map((n) => n.opType);
      expect(ops).not.toContain('MaxUnpool');
    }
  });

  it.each<[string, TinyGraph, number[]]>([
    ['2x2 stride 2', pool('MaxPool', [k(2, 2), s(2, 2)]), [2, 2, 7, 7]],
    ['overlapping, pads, opset 12', pool('MaxPool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)], 12), [2, 2, 7, 7]],
    ['dilated, ceil_mode', pool('MaxPool', [k(2, 3), s(2, 1), p(1, 0, 0, 1), d(2, 1), attr.int('ceil_mode', 1)], 15), [2, 2, 7, 6]],
  ])('MaxPool (%s) built for WebGPU has no Indices output, which fails at run time there', async (_, graph, shape) => {
    const { nodes } = (await gradCheck(tinyModel(graph), shape, { target: 'webgpu' })).built.model.graph;
    const pools = nodes.filter((n) => n.opType === 'MaxPool');
    expect(pools).toHaveLength(1);
    expect(pools[0].outputs.filter(Boolean)).toHaveLength(1);
  });

  it.each<[string, TinyGraph, string]>([
    ['reads the Relu alone: over the pooled output', reluPool([k(2, 2), s(2, 2)]), 'y'],
    ['shares the Relu with another reader: over the Relu output', reluPool([k(3, 3), s(1, 1), p(1, 1, 1, 1)], 17, true), 'r'],
  ])('a MaxPool that %s takes the Relu mask', async (_, graph, masked) => {
    const { nodes } = (await gradCheck(tinyModel(graph), [2, 2, 6, 6])).built.model.graph;
    const greater = nodes.filter((n) => n.name.startsWith('brink_grad/') && n.opType === 'Greater');
    expect(greater.map((n) => n.inputs[0])).toEqual([masked]);
  });

  it.each<[number, number]>([
    [13, 1],
    [12, 4],
  ])('overlapping MaxPool at opset %i scatters %i time(s)', async (opset, scatters) => {
    const ops = await backwardOps(pool('MaxPool', [k(3, 3), s(2, 2), p(1, 1, 1, 1)], opset), [2, 2, 7, 7]);
    expect(ops.filter((op) => op === 'ScatterElements')).toHaveLength(scatters);
  });
});
