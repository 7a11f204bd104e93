import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ortRun } from '../autodiff/test-harness.js';
import { readModel } from './codec.js';
import { attr, classifierGraph, encode, model, node, valueInfo } from './fixtures/models.js';
import { mergeShapes, probeShapes, staticShapes } from './shapes.js';

const cnn = () => readModel(encode(model(classifierGraph())));

describe('shapes', () => {
  it('reads what the model declares', () => {
    const m = readModel(encode(model({ ...classifierGraph(), valueInfo: [valueInfo('relu', ['batch', 4, 26, '?'])] })));
    const shapes = staticShapes(m);
    expect(shapes.get('input')).toEqual(['batch', 1, 28, 28]);
    expect(shapes.get('relu')).toEqual(['batch', 4, 26, '?']);
    expect(shapes.get('fc.weight')).toEqual([10, 2704]);
    expect(shapes.has('flat')).toBe(false);
  });

  it('learns every intermediate shape from one probe run, without changing the model', async () => {
    const m = cnn();
    const outputs = m.graph.outputs.length;
    const probed = await probeShapes(m, ortRun, { input: new ort.Tensor('float32', new Float32Array(2 * 784), [2, 1, 28, 28]) });
    expect(Object.fromEntries(probed)).toEqual({
      input: [2, 1, 28, 28],
      conv: [2, 4, 26, 26],
      relu: [2, 4, 26, 26],
      flat: [2, 2704],
      logits: [2, 10],
    });
    expect(m.graph.outputs).toHaveLength(outputs);
  });

  it('records optional outputs such as MaxPool indices and Constant values', async () => {
    const m = readModel(
      encode(
        model({
          name: 'g',
          input: [valueInfo('x', ['N', 1, 4, 4])],
          output: [valueInfo('y', null)],
          node: [
            node('MaxPool', ['x'], ['p', 'i'], [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]),
            node('Constant', [], ['k'], [attr.tensor('value', { dims: [1], dataType: 1, floatData: [2] })]),
            node('Mul', ['p', 'k'], ['y']),
          ],
        }),
      ),
    );
    const probed = await probeShapes(m, ortRun, { x: new ort.Tensor('float32', new Float32Array(32), [2, 1, 4, 4]) });
    expect(probed.get('i')).toEqual([2, 1, 2, 2]);
    expect(probed.get('k')).toEqual([1]);
    expect(staticShapes(m).get('k')).toEqual([1]);
  });

  it('keeps declared symbolic dimensions and fills unknown ones from the probe', () => {
    const declared = new Map([['x', ['batch', 3, '?']], ['w', [3]]]);
    const probed = new Map([['x', [2, 3, 7]], ['h', [2, 5]]]);
    expect(Object.fromEntries(mergeShapes(declared, probed))).toEqual({ x: ['batch', 3, 7], w: [3], h: [2, 5] });
  });
});
