import { describe, expect, it } from 'vitest';
import { attr, node } from '../../onnx/fixtures/models.js';
import type { pb } from '../../onnx/proto.js';
import { gradCheck, tinyModel, uniform, type TinyGraph } from '../test-harness.js';

type A = pb.IAttributeProto;
const str = (name: string, value: string): A => ({ name, type: 3, s: new TextEncoder().encode(value) });
const op = (type: string, inputs: string[], attrs: A[] = [], opset = 17, extra: Partial<TinyGraph> = {}): TinyGraph => ({
  x: [],
  nodes: [node(type, ['x', ...inputs], ['y'], attrs)],
  opset,
  ...extra,
});
const ints = (values: Record<string, number[]>) => ({ ints: values });
// Far out of range (int64 max itself does not survive a JS number into protobuf).
const BIG = Number.MAX_SAFE_INTEGER;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// Split into `parts` outputs, each weighted differently and put back in reverse order; outputs left unread must contribute zeros.
const split = (parts: number, inputs: string[], attrs: A[], opset: number, read: number[], extra: Partial<TinyGraph> = {}): TinyGraph => ({
  x: [],
  nodes: [
    node('Split', ['x', ...inputs], range(parts).map((i) => `s${i}`), attrs),
    ...read.map((i) => node('Mul', [`s${i}`, `w${i}`], [`m${i}`])),
    node('Concat', read.map((i) => `m${i}`).reverse(), ['y'], attrs.filter((a) => a.name === 'axis')),
  ],
  floats: Object.fromEntries(read.map((i) => [`w${i}`, { dims: [], values: [i + 2] }])),
  opset,
  ...extra,
});

// Slice bounds computed at run time: ends = Shape(x)[-1] - 1 (not a constant, so the scatter form).
const runTimeSlice: TinyGraph = {
  x: [],
  nodes: [
    node('Shape', ['x'], ['shape']),
    node('Gather', ['shape', 'last'], ['width'], [attr.int('axis', 0)]),
    node('Sub', ['width', 'one'], ['end']),
    node('Slice', ['x', 'start', 'end', 'axis'], ['y']),
  ],
  ints: { last: [2], one: [1], start: [1], axis: [2] },
  opset: 13,
};

// Pad amounts built the way PyTorch exports F.pad at opset 17 (a constant-only subgraph, not a constant).
const runTimePad = (mode: string): TinyGraph => ({
  x: [],
  nodes: [
    node('Concat', ['p', 'zeros'], ['flat'], [attr.int('axis', 0)]),
    node('Reshape', ['flat', 'pairs'], ['byAxis']),
    node('Slice', ['byAxis', 'm1', 'min', 'zero', 'm1'], ['reversed']),
    node('Transpose', ['reversed'], ['t'], [attr.ints('perm', [1, 0])]),
    node('Reshape', ['t', 'm1'], ['pads']),
    node('Pad', ['x', 'pads'], ['y'], [str('mode', mode)]),
  ],
  ints: { p: [1, 2, 2, 1], zeros: [0, 0, 0, 0], pairs: [-1, 2], m1: [-1], min: [-BIG], zero: [0] },
  opset: 17,
});

// Gather's indices as a Constant node, of any shape and integer type (7 = int64, 6 = int32).
const gather = (axis: number, opset: number, dims: number[], values: number[], dataType = 7): TinyGraph => ({
  x: [],
  nodes: [
    node('Constant', [], ['i'], [attr.tensor('value', { dims, dataType, ...(dataType === 7 ? { int64Data: values } : { int32Data: values }) })]),
    node('Gather', ['x', 'i'], ['y'], [attr.int('axis', axis)]),
  ],
  opset,
});

// Indices computed from x's shape: width - [1, 1, 4, 2] = [3, 3, 0, 2].
const runTimeGather: TinyGraph = {
  x: [],
  nodes: [
    node('Shape', ['x'], ['shape']),
    node('Gather', ['shape', 'last'], ['width'], [attr.int('axis', 0)]),
    node('Sub', ['width', 'offsets'], ['i']),
    node('Gather', ['x', 'i'], ['y'], [attr.int('axis', 2)]),
  ],
  ints: { last: [2], offsets: [1, 1, 4, 2] },
  opset: 16,
};

const resize = (attrs: A[], scales: number[] | null, sizes: number[] | null, opset = 13): TinyGraph =>
  op('Resize', opset < 11 ? ['scales'] : ['roi', scales ? 'scales' : '', ...(sizes ? ['sizes'] : [])], attrs, opset, {
    floats: { roi: { dims: [0], values: [] }, ...(scales ? { scales: { dims: [scales.length], values: scales } } : {}) },
    ints: sizes ? { sizes } : {},
  });
const mode = (m: string) => str('mode', m);
const coords = (m: string) => str('coordinate_transformation_mode', m);
const nearestMode = (m: string) => str('nearest_mode', m);

// One line per op case: the graph and the input shape.
const cases: [string, TinyGraph, number[]][] = [
  ['Split, split attribute (opset 11), both outputs read', split(2, [], [attr.int('axis', 1), attr.ints('split', [2, 3])], 11, [0, 1]), [2, 5, 3]],
  ['Split, sizes input (opset 13), second output unread', split(2, ['sizes'], [attr.int('axis', 1)], 13, [0], ints({ sizes: [2, 3] })), [2, 5, 3]],
  ['Split, equal parts, first output unread (opset 13)', split(2, [], [attr.int('axis', -1)], 13, [1]), [2, 3, 4]],
  ['Split, num_outputs (opset 18), axis -1', split(3, [], [attr.int('axis', -1), attr.int('num_outputs', 3)], 18, [0, 2]), [2, 3, 6]],
  ['Slice, attributes (opset 9), negative start', op('Slice', [], [attr.ints('starts', [-3, 1]), attr.ints('ends', [BIG, 3]), attr.ints('axes', [2, 1])], 9), [2, 3, 5]],
  ['Slice, constant inputs (opset 10)', op('Slice', ['s', 'e', 'a'], [], 10, ints({ s: [1], e: [-1], a: [-1] })), [2, 3, 5]],
  ['Slice, out-of-range bounds, no axes (opset 13)', op('Slice', ['s', 'e'], [], 13, ints({ s: [-10, 1, 2], e: [10, 100, -1] })), [2, 3, 5]],
  ['Slice, end before start: nothing selected, zero gradient (opset 13)', op('Slice', ['s', 'e', 'a'], [], 13, ints({ s: [3, 0], e: [1, 2], a: [2, 1] })), [2, 3, 5]],
  ['Slice, step 2 (opset 13)', op('Slice', ['s', 'e', 'a', 'st'], [], 13, ints({ s: [1], e: [BIG], a: [2], st: [2] })), [2, 3, 6]],
  ['Slice, negative steps, out-of-range starts (opset 13)', op('Slice', ['s', 'e', 'a', 'st'], [], 13, ints({ s: [100, -2], e: [-100, 0], a: [2, 1], st: [-2, -1] })), [2, 3, 6]],
  ['Slice, bounds computed at run time (opset 13)', runTimeSlice, [2, 3, 5]],
  ['Slice, negative step, opset 11', op('Slice', ['s', 'e', 'a', 'st'], [], 11, ints({ s: [-1], e: [-BIG], a: [1], st: [-1] })), [2, 3, 4]],
  ['Pad constant, attribute (opset 2)', op('Pad', [], [attr.ints('pads', [0, 1, 0, 0, 2, 1]), attr.float('value', 0.5)], 2), [2, 3, 4]],
  ['Pad constant, input and value (opset 13)', op('Pad', ['p', 'v'], [], 13, { ...ints({ p: [0, 0, 1, 2, 0, 0, 2, 1] }), floats: { v: { dims: [], values: [0.5] } } }), [2, 2, 3, 3]],
  ['Pad constant, negative pads crop (opset 13)', op('Pad', ['p'], [], 13, ints({ p: [0, -1, 2, 0, 1, -1] })), [2, 3, 4]],
  ['Pad constant, axes input (opset 18)', op('Pad', ['p', '', 'a'], [], 18, ints({ p: [1, 0, 2, 1], a: [-1, 1] })), [2, 3, 4]],
  ['Pad reflect, constant pads (opset 13: folded)', op('Pad', ['p'], [mode('reflect')], 13, ints({ p: [0, 0, 2, 1, 0, 0, 1, 2] })), [2, 2, 4, 3]],
  ['Pad edge, constant pads (opset 13: folded)', op('Pad', ['p'], [mode('edge')], 13, ints({ p: [0, 0, 3, 0, 0, 0, 1, 2] })), [2, 2, 3, 3]],
  ['Pad reflect, attribute (opset 10)', op('Pad', [], [mode('reflect'), attr.ints('pads', [0, 2, 1, 0, 1, 2])], 10), [2, 4, 4]],
  ['Pad edge, attribute (opset 9)', op('Pad', [], [mode('edge'), attr.ints('pads', [0, 0, 2, 0, 3, 1])], 9), [2, 3, 3]],
  ['Pad reflect (opset 17: scatter-add)', op('Pad', ['p'], [mode('reflect')], 17, ints({ p: [0, 0, 2, 1, 0, 0, 1, 2] })), [2, 2, 4, 3]],
  ['Pad edge with axes (opset 18)', op('Pad', ['p', '', 'a'], [mode('edge')], 18, ints({ p: [2, 1, 0, 3], a: [1, 2] })), [2, 3, 3]],
  ['Pad reflect, amounts from a subgraph (opset 17)', runTimePad('reflect'), [2, 2, 4, 4]],
  ['Pad reflect, amounts from a subgraph, opset 13 (raised to 16)', { ...runTimePad('reflect'), opset: 13 }, [2, 2, 4, 4]],
  ['Pad edge, amounts from a subgraph (opset 17)', runTimePad('edge'), [2, 2, 3, 3]],
  ['Pad constant, amounts from a subgraph (opset 17)', runTimePad('constant'), [2, 2, 3, 3]],
  ['Gather, axis 1, repeated and negative indices', op('Gather', ['i'], [attr.int('axis', 1)], 13, ints({ i: [2, 0, -1, 1, 2] })), [2, 3, 4]],
  ['Gather, scalar index on axis 0 (ViT q/k/v)', gather(0, 17, [], [1]), [3, 2, 4]],
  ['Gather, 2-D indices on axis -1, repeats (opset 11)', gather(-1, 11, [2, 3], [3, 0, 3, -1, 1, 0]), [2, 3, 4]],
  ['Gather, int32 indices on the middle axis (opset 9)', gather(1, 9, [4], [3, -2, 0, 3], 6), [2, 4, 3]],
  ['Gather, indices computed at run time (opset 16: scatter-add)', runTimeGather, [2, 3, 4]],
  ['Gather, indices computed at run time, opset 13 (raised to 16)', { ...runTimeGather, opset: 13 }, [2, 3, 4]],
  ['Expand, broadcast and new axes', op('Expand', ['s'], [], 13, ints({ s: [2, 3, 4] })), [3, 1]],
  ['Expand, shape with ones (opset 8)', op('Expand', ['s'], [], 8, ints({ s: [1, 1, 3] })), [2, 1, 3]],
  ['Tile, repeats on every axis', op('Tile', ['r'], [], 13, ints({ r: [2, 1, 3] })), [2, 3, 2]],
  ['Tile, opset 6', op('Tile', ['r'], [], 6, ints({ r: [1, 3] })), [2, 3]],
  ['ReduceSum, axes attribute, keepdims 0 (opset 11)', op('ReduceSum', [], [attr.ints('axes', [0, -1]), attr.int('keepdims', 0)], 11), [2, 3, 4]],
  ['ReduceSum, axes input, keepdims 1 (opset 13)', op('ReduceSum', ['a'], [], 13, ints({ a: [-2] })), [2, 3, 4]],
  ['ReduceSum, no axes: all, keepdims 0 (opset 13)', op('ReduceSum', [], [attr.int('keepdims', 0)], 13), [2, 3, 4]],
  ['ReduceSum, empty axes with noop_with_empty_axes (opset 13)', op('ReduceSum', ['a'], [attr.int('noop_with_empty_axes', 1)], 13, ints({ a: [] })), [2, 3]],
  ['ReduceMean, axes attribute, keepdims 0 (opset 13)', op('ReduceMean', [], [attr.ints('axes', [1, -1]), attr.int('keepdims', 0)], 13), [2, 3, 4]],
  ['ReduceMean, axes input (opset 18)', op('ReduceMean', ['a'], [], 18, ints({ a: [2] })), [2, 3, 4]],
  ['ReduceMean, all axes (opset 11)', op('ReduceMean', [], [], 11), [2, 3]],
  ['ReduceMax, axes attribute (opset 13)', op('ReduceMax', [], [attr.ints('axes', [2])], 13), [2, 3, 4]],
  ['ReduceMax, axes input, keepdims 0 (opset 18)', op('ReduceMax', ['a'], [attr.int('keepdims', 0)], 18, ints({ a: [-1, 1] })), [2, 3, 4]],
  ['ReduceMax, all axes (opset 9)', op('ReduceMax', [], [attr.int('keepdims', 0)], 9), [2, 3]],
  ['Resize nearest, asymmetric floor x2 (nn.Upsample, opset 13)', resize([mode('nearest'), coords('asymmetric'), nearestMode('floor')], [1, 1, 2, 2], null), [2, 2, 3, 4]],
  ['Resize nearest, sizes 3x and 1.5x, asymmetric', resize([mode('nearest'), coords('asymmetric'), nearestMode('floor')], null, [2, 2, 9, 6]), [2, 2, 3, 4]],
  ['Resize nearest, half_pixel round_prefer_floor, downsampling', resize([mode('nearest')], [1, 1, 0.5, 0.75], null), [2, 2, 6, 4]],
  ['Resize nearest, align_corners round_prefer_ceil', resize([mode('nearest'), coords('align_corners'), nearestMode('round_prefer_ceil')], null, [2, 2, 5, 7]), [2, 2, 3, 4]],
  ['Resize nearest, tf_half_pixel_for_nn ceil', resize([mode('nearest'), coords('tf_half_pixel_for_nn'), nearestMode('ceil')], [1, 1, 1.5, 2], null), [2, 2, 4, 3]],
  ['Resize nearest, opset 10', resize([mode('nearest')], [1, 1, 2, 3], null, 10), [2, 2, 3, 2]],
  ['Resize linear, half_pixel x2 (bilinear, opset 13)', resize([mode('linear'), coords('half_pixel')], [1, 1, 2, 2], null), [2, 2, 3, 4]],
  ['Resize linear, pytorch_half_pixel sizes 3 -> 5, 4 -> 1', resize([mode('linear'), coords('pytorch_half_pixel')], null, [2, 2, 5, 1]), [2, 2, 3, 4]],
  ['Resize linear, align_corners', resize([mode('linear'), coords('align_corners')], null, [2, 2, 7, 5]), [2, 2, 3, 4]],
  ['Resize linear, asymmetric downsampling', resize([mode('linear'), coords('asymmetric')], [1, 1, 0.5, 0.6], null), [2, 2, 6, 5]],
  ['Resize linear, 3-D input, scale 2.5 (opset 11, roi input)', resize([mode('linear')], [1, 1, 2.5], null, 11), [2, 2, 4]],
  ['Resize linear, opset 10', resize([mode('linear')], [1, 1, 2, 1.5], null, 10), [2, 2, 3, 4]],
  ['Resize linear, axes attribute (opset 18)', resize([mode('linear'), attr.ints('axes', [2, 3])], [2, 3], null, 18), [2, 2, 3, 2]],
  ['Resize linear, half_pixel_symmetric (opset 19)', resize([mode('linear'), coords('half_pixel_symmetric')], [1, 1, 1.7, 2], null, 19), [2, 2, 3, 2]],
];

describe('tensor and reduction gradients match finite differences', () => {
  it.each(cases)('%s', async (name, graph, shape) => {
    const check = await gradCheck(tinyModel({ ...graph, x: shape }), shape);
    expect(check.relativeError).toBeLessThan(2e-3);
    // Guards against a case that tests nothing (an empty output by mistake).
    expect(check.numeric.some((v) => v !== 0)).toBe(!name.includes('zero gradient'));
  });
});

describe('ReduceMax ties', () => {
  // torch.amax (and max() without dim) backward: "evenly distributes gradient between equal values".
  it('splits the gradient equally among tied maxima, as PyTorch amax does', async () => {
    const x = Float32Array.from([1, 3, 3, 2, 2, 2]);
    const check = await gradCheck(tinyModel(op('ReduceMax', [], [attr.ints('axes', [1]), attr.int('keepdims', 0)], 13, { x: [2, 3] })), [2, 3], { x });
    const [v0, v1] = uniform(2, 'v');
    const expected = [0, v0 / 2, v0 / 2, v1 / 3, v1 / 3, v1 / 3];
    Array.from(check.gradient).forEach((got, i) => expect(got).toBeCloseTo(expected[i], 6));
  });
});

describe('forms without a gradient rule fail naming the node', () => {
  it.each([
    ['Resize cubic', resize([mode('cubic')], [1, 1, 2, 2], null), [2, 2, 3, 3], /Resize 'Resize_y': Resize mode 'cubic'/],
    // Opset 12: a model at 13-15 is raised to 16 for its gradient (backward.ts), one below is not.
    ['Pad reflect by run-time amounts before opset 16', { ...runTimePad('reflect'), opset: 12 }, [2, 2, 4, 4], /Pad 'Pad_y': reflect padding by amounts computed at run time/],
    ['Gather by run-time indices before opset 16', { ...runTimeGather, opset: 12 }, [2, 3, 4], /Gather 'Gather_y'.*ScatterElements with reduction, opset 16/],
  ] as [string, TinyGraph, number[], RegExp][])('%s', async (_, graph, shape, message) => {
    await expect(gradCheck(tinyModel({ ...graph, x: shape }), shape)).rejects.toThrow(message);
  });
});
