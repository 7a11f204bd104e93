import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ortRun, uniform } from '../autodiff/test-harness.js';
import { readModel, writeModel } from './codec.js';
import { encode, model, node, valueInfo } from './fixtures/models.js';
import { trapModelBytes, type TrapModel } from './fixtures/traps.js';
import { detectLayout, detectReading, feedShape, findTrailingSoftmax, freeBatchAxis, graphReading, modelReading, prepareGraph, type GraphReading } from './reading.js';
import { detectLinearHead } from './surgery.js';

const trap = (name: TrapModel) => readModel(trapModelBytes(name), `${name}.onnx`);
const asIs: GraphReading = { imageInput: null, layout: 'NCHW', logits: 'output', freeBatch: false };

/** Pixels of `n` images in [0, 1], NCHW [n, 1, 28, 28]. */
const images = (n: number) => uniform(n * 784, `images-${n}`, 0, 1);

/** The first output of a model prepared from `name`, fed NCHW images. */
async function logits(name: TrapModel, reading: GraphReading, x: Float32Array, n: number): Promise<Float32Array> {
  const m = prepareGraph(trap(name), reading);
  const out = await ortRun(writeModel(m), { [m.graph.inputs[0].name]: new ort.Tensor('float32', x, [n, 1, 28, 28]) });
  return out[m.graph.outputs[0].name].data as Float32Array;
}

function expectClose(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
}

describe('findTrailingSoftmax', () => {
  it.each<[TrapModel, string | null]>([
    ['softmax', 'Softmax'],
    ['logsoftmax', 'LogSoftmax'],
    ['logsoftmax-reshape', 'LogSoftmax'],
    ['plain', null],
    ['round', null],
  ])('%s ends in %s', (name, op) => {
    const found = findTrailingSoftmax(trap(name));
    expect(found?.op ?? null).toBe(op);
    if (found) expect(found.input).toBe('/net/head/Gemm_output_0');
  });

  it('finds it behind Identity, Flatten and Squeeze, but not behind an op that computes', () => {
    const chain = (after: string[]) => {
      const nodes = [node('Softmax', ['x'], ['p'], [])];
      let last = 'p';
      after.forEach((op, i) => {
        nodes.push(node(op, op === 'Squeeze' ? [last, 'axes'] : [last], [`v${i}`]));
        last = `v${i}`;
      });
      return readModel(
        encode(
          model({
            name: 'g',
            input: [valueInfo('x', ['N', 10])],
            output: [valueInfo(last, null)],
            initializer: [{ name: 'axes', dims: [1], dataType: 7, int64Data: [2] }],
            node: nodes,
          }),
        ),
      );
    };
    expect(findTrailingSoftmax(chain(['Identity', 'Flatten']))).toMatchObject({ op: 'Softmax', input: 'x' });
    expect(findTrailingSoftmax(chain(['Identity', 'Squeeze']))).toMatchObject({ op: 'Softmax', input: 'x' });
    expect(findTrailingSoftmax(chain(['Neg']))).toBeNull();
  });
});

describe('detectLayout', () => {
  it.each<[(number | string)[] | null, string | null]>([
    [['batch', 1, 28, 28], 'NCHW'],
    [['batch', 3, 32, 32], 'NCHW'],
    [['batch', 28, 28, 1], 'NHWC'],
    [['N', 'height', 'width', 3], 'NHWC'],
    [[1, 224, 224, 4], 'NHWC'],
    [['N', 'C', 'H', 'W'], null],
    [['N', 784], null],
    [null, null],
  ])('reads %j as %s', (shape, layout) => {
    expect(detectLayout(shape)).toBe(layout);
  });

  it('gives the NCHW shape Brink feeds', () => {
    expect(feedShape(['batch', 28, 28, 1], 'NHWC')).toEqual(['batch', 1, 28, 28]);
    expect(feedShape(['batch', 1, 28, 28], 'NCHW')).toEqual(['batch', 1, 28, 28]);
  });
});

describe('detectReading', () => {
  it('reads each export as it should be read', () => {
    expect(detectReading(trap('softmax'))).toMatchObject({ imageInput: 'input', layout: 'NCHW', logits: 'before-softmax', fileBatch: null });
    expect(detectReading(trap('plain'))).toMatchObject({ logits: 'output', softmax: null });
    expect(detectReading(trap('nhwc'))).toMatchObject({ layout: 'NHWC' });
    expect(detectReading(trap('fixed-batch'))).toMatchObject({ fileBatch: 1, batchFreed: false });
    // The 4-D float input is the image; the other one is named as what stops a run.
    expect(detectReading(trap('two-inputs'))).toMatchObject({ imageInput: 'image' });
  });

  it('says precisely why a model with an input that has no value cannot run, and not when the file stores one', () => {
    const fed = [
      { name: 'image', shape: ['batch', 1, 28, 28] },
      { name: 'temperature', shape: [1] },
    ];
    const reading = modelReading(detectReading(trap('two-inputs')), fed);
    expect(reading.problem).toBe("Brink feeds only the image input 'image', and the file stores no value for 'temperature' ([1]): re-export the model with it fixed as a constant");
    expect(modelReading({ ...detectReading(trap('two-inputs')), imageInput: null }, fed).problem).toMatch(/takes 2 inputs \(image, temperature\); choose the one that takes the images/);
    // The file gives temperature an initializer: it is no input to feed.
    const withDefault = trap('two-inputs-default');
    expect(detectReading(withDefault).imageInput).toBe('image');
    expect(() => prepareGraph(withDefault, asIs)).not.toThrow();
    expect(() => prepareGraph(trap('two-inputs'), { ...asIs, imageInput: 'image' })).toThrow(/no value for 'temperature'/);
  });
});

describe('prepareGraph', () => {
  it('reads the logits before a trailing Softmax or LogSoftmax: the plain model’s logits, and the head is found', async () => {
    const x = images(3);
    const plain = await logits('plain', asIs, x, 3);
    for (const name of ['softmax', 'logsoftmax', 'logsoftmax-reshape'] as const) {
      expectClose(await logits(name, { ...asIs, logits: 'before-softmax' }, x, 3), plain);
      expect(detectLinearHead(prepareGraph(trap(name), { ...asIs, logits: 'before-softmax' })).head).toMatchObject({ classes: 10, features: 12 });
    }
    // Read as the file says, the output stays probabilities.
    const probabilities = await logits('softmax', asIs, x, 3);
    expect(probabilities.slice(0, 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('feeds an NHWC model NCHW images through a Transpose: the same logits as its NCHW twin', async () => {
    const x = images(2);
    const prepared = prepareGraph(trap('nhwc'), { ...asIs, layout: 'NHWC' });
    expect(prepared.graph.inputs[0].shape).toEqual(['batch', 1, 28, 28]);
    expectClose(await logits('nhwc', { ...asIs, layout: 'NHWC' }, x, 2), await logits('plain', asIs, x, 2));
  });

  it('frees a batch axis the file fixes, and the model then runs at batch 3 like the dynamic export', async () => {
    const x = images(3);
    const m = trap('fixed-batch');
    expect(m.graph.inputs[0].shape).toEqual([1, 1, 28, 28]);
    const freed = prepareGraph(trap('fixed-batch'), graphReading({ ...detectReading(m), batchFreed: true }));
    expect(freed.graph.inputs[0].shape).toEqual(['batch', 1, 28, 28]);
    expect(freed.graph.outputs[0].shape).toEqual(['batch', 10]);
    expectClose(await logits('fixed-batch', { ...asIs, freeBatch: true }, x, 3), await logits('plain', asIs, x, 3));
    await expect(logits('fixed-batch', asIs, x, 3)).rejects.toThrow(/Got invalid dimensions for input/);
  });

  it('forgets the fixed batch in intermediate shapes, which would otherwise win over probed ones', () => {
    const m = trap('fixed-batch');
    m.graph.valueInfo.push({ name: '/Relu_output_0', elemType: 1, shape: [1, 4, 14, 14] });
    freeBatchAxis(m, 'input');
    expect(m.graph.valueInfo.at(-1)!.shape).toEqual(['?', 4, 14, 14]);
  });

  it('folds the preprocessing after the layout, per channel of the NCHW input', async () => {
    const m = prepareGraph(trap('nhwc'), { ...asIs, layout: 'NHWC' }, { range: [0, 1], mean: [0.5], std: [0.5] });
    expect(m.graph.nodes.slice(0, 3).map((n) => n.opType)).toEqual(['Mul', 'Add', 'Transpose']);
  });

  it('refuses a layout or logits that the file cannot have, in one line', () => {
    expect(() => prepareGraph(trap('plain'), { ...asIs, logits: 'before-softmax' })).toThrow(/does not end in a Softmax or LogSoftmax/);
    const flat = readModel(encode(model({ name: 'g', input: [valueInfo('x', ['N', 784])], output: [valueInfo('y', ['N', 784])], node: [node('Relu', ['x'], ['y'])] })));
    expect(() => prepareGraph(flat, { ...asIs, layout: 'NHWC' })).toThrow("input 'x' has shape [N, 784], not the 4 axes of an NHWC image batch");
  });
});
