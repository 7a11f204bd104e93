import { describe, expect, it } from 'vitest';
import { readModel } from '../onnx/codec.js';
import { attr, encode, model, node, valueInfo } from '../onnx/fixtures/models.js';
import { trapModelBytes } from '../onnx/fixtures/traps.js';
import type { pb } from '../onnx/proto.js';
import { findZeroGradientOps } from './zero-gradient.js';

/** x [N, 4] -> nodes -> y, with a zero tensor `zero` at hand. */
const graph = (nodes: pb.INodeProto[]) =>
  readModel(
    encode(
      model({
        name: 'g',
        input: [valueInfo('x', ['N', 4])],
        output: [valueInfo('y', ['N', 4])],
        initializer: [{ name: 'zero', dims: [], dataType: 1, floatData: [0] }],
        node: nodes,
      }),
    ),
  );

describe('findZeroGradientOps', () => {
  it('finds the Round that quantises the input of round.onnx, and nothing in its plain twin', () => {
    expect(findZeroGradientOps(readModel(trapModelBytes('round')))).toEqual([{ op: 'Round', nodes: ['/Round'] }]);
    expect(findZeroGradientOps(readModel(trapModelBytes('plain')))).toEqual([]);
  });

  it.each<[string, pb.INodeProto[], { op: string; nodes: string[] }[]]>([
    ['Floor then Add', [node('Floor', ['x'], ['f']), node('Add', ['f', 'x'], ['y'])], [{ op: 'Floor', nodes: ['Floor_f'] }]],
    ['Sign', [node('Sign', ['x'], ['y'])], [{ op: 'Sign', nodes: ['Sign_y'] }]],
    [
      'a comparison turned into numbers (binarisation)',
      [node('Greater', ['x', 'zero'], ['b']), node('Cast', ['b'], ['f'], [attr.int('to', 1)]), node('Mul', ['f', 'x'], ['y'])],
      [{ op: 'Greater', nodes: ['Greater_b'] }],
    ],
    [
      'a cast to int64 and back',
      [node('Cast', ['x'], ['i'], [attr.int('to', 7)]), node('Cast', ['i'], ['y'], [attr.int('to', 1)])],
      [{ op: 'Cast (to an integer type)', nodes: ['Cast_i'] }],
    ],
    ['a hand-written ReLU: Where chooses, the gradient flows through x', [node('Greater', ['x', 'zero'], ['b']), node('Where', ['b', 'x', 'zero'], ['y'])], []],
    ['a cast between floats', [node('Cast', ['x'], ['d'], [attr.int('to', 11)]), node('Cast', ['d'], ['y'], [attr.int('to', 1)])], []],
    ['a Round on the shape only', [node('Shape', ['x'], ['s']), node('Cast', ['s'], ['f'], [attr.int('to', 1)]), node('Round', ['f'], ['r']), node('Add', ['x', 'r'], ['y'])], []],
    ['a Round whose result never reaches the logits', [node('Round', ['x'], ['r']), node('Relu', ['x'], ['y'])], []],
  ])('%s', (_, nodes, expected) => {
    expect(findZeroGradientOps(graph(nodes))).toEqual(expected);
  });
});
