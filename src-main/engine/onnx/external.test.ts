import { describe, expect, it } from 'vitest';
import { readModel, writeModel } from './codec.js';
import { OnnxFormatError } from './errors.js';
import { attachExternalData, checkExternalLocation, externalReferences, hasExternalData, type ExternalReference } from './external.js';
import { classifierGraph, controlFlowModel, encode, externalize, model } from './fixtures/models.js';
import { onnx, type pb } from './proto.js';
import { detectLinearHead, exposeOutputs, foldPreprocessing } from './surgery.js';
import { floatValues } from './tensor.js';

const FC_BYTES = 10 * 2704 * 4;
const CONV_BYTES = 4 * 9 * 4;

/** The classifier with its conv and fc weights in weights.bin: conv first, then fc. */
const externalClassifier = () => externalize(model(classifierGraph()), ['conv.weight', 'fc.weight']);

/** The classifier with one tensor pointing at `location` (and whatever other entries are given). */
function pointingAt(location: string, entries: { key: string; value: string }[] = []): pb.IModelProto {
  const { model: m } = externalClassifier();
  const fc = m.graph!.initializer!.find((t) => t.name === 'fc.weight')!;
  fc.externalData = [{ key: 'location', value: location }, ...entries];
  return m;
}

/** Reads tensors from an in-memory copy of weights.bin. */
const memoryReader = (data: Uint8Array) => (ref: ExternalReference) => data.slice(ref.offset, ref.offset + ref.length);

describe('external data references', () => {
  it('lists each external tensor with its file, offset and length', () => {
    const { model: m } = externalClassifier();
    expect(externalReferences(m)).toEqual([
      { tensor: 'conv.weight', location: 'weights.bin', path: 'weights.bin', offset: 0, length: CONV_BYTES },
      { tensor: 'fc.weight', location: 'weights.bin', path: 'weights.bin', offset: CONV_BYTES, length: FC_BYTES },
    ]);
    expect(externalReferences(model(classifierGraph()))).toEqual([]);
  });

  it('takes a missing offset as 0 and a missing length from the tensor shape, and normalises the location', () => {
    expect(externalReferences(pointingAt('./parts//fc.bin')).find((r) => r.tensor === 'fc.weight')).toEqual({
      tensor: 'fc.weight', location: './parts//fc.bin', path: 'parts/fc.bin', offset: 0, length: FC_BYTES,
    });
  });

  it('finds external tensors inside subgraphs', () => {
    const m = controlFlowModel();
    const body = m.graph!.node![1].attribute![0].g!;
    body.initializer = [{ name: 'step', dims: [3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'loop.bin' }] }];
    expect(externalReferences(m)).toEqual([{ tensor: 'step', location: 'loop.bin', path: 'loop.bin', offset: 0, length: 12 }]);
    expect(hasExternalData(readModel(encode(m)))).toBe(true);
    expect(hasExternalData(readModel(encode(controlFlowModel())))).toBe(false);
  });

  const escaping: [string, RegExp][] = [
    ['../x.bin', /leaves the model's folder/],
    ['weights/../../x.bin', /leaves the model's folder/],
    ['/etc/passwd', /absolute path/],
    ['C:/Windows/x.bin', /names a drive/],
    ['c:x.bin', /names a drive/],
    ['..\\x.bin', /backslash/],
    ['\\\\server\\share\\x.bin', /backslash/],
    ['x.bin\u0000.txt', /control character/],
    ['x.bin:stream', /contains ':'/],
    ['', /is empty/],
    ['./', /names no file/],
  ];
  for (const [location, why] of escaping) {
    it(`refuses the location ${JSON.stringify(location)} in one line naming the tensor`, () => {
      const error = (() => {
        try {
          externalReferences(pointingAt(location), 'net.onnx');
          return null;
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error).toBeInstanceOf(OnnxFormatError);
      expect(error!.message).toMatch(/^net\.onnx: tensor 'fc\.weight' has external data location '/);
      expect(error!.message).toMatch(why);
      expect(error!.message).not.toContain('\n');
    });
  }

  it('accepts plain relative locations', () => {
    expect(checkExternalLocation('weights.bin', 't')).toBe('weights.bin');
    expect(checkExternalLocation('shards/part-1.bin', 't')).toBe('shards/part-1.bin');
    expect(checkExternalLocation('./w.bin', 't')).toBe('w.bin');
  });

  it('refuses entries that do not describe the tensor', () => {
    expect(() => externalReferences(pointingAt('w.bin', [{ key: 'length', value: '12' }]))).toThrow(/length 12 does not match the 108160 bytes its float32 shape \[10, 2704\] needs/);
    expect(() => externalReferences(pointingAt('w.bin', [{ key: 'offset', value: '-4' }]))).toThrow(/offset '-4' is not a byte count/);
    expect(() => externalReferences(pointingAt('w.bin', [{ key: 'location', value: 'v.bin' }]))).toThrow(/lists 'location' twice/);
    const m = pointingAt('w.bin');
    m.graph!.initializer!.find((t) => t.name === 'fc.weight')!.externalData = [{ key: 'offset', value: '0' }];
    expect(() => externalReferences(m)).toThrow(/external data without a location/);
  });
});

describe('external tensors in the graph IR', () => {
  it('writes an edited model with every external reference as it was', () => {
    const { model: m } = externalClassifier();
    const graph = readModel(encode(m));
    attachExternalData(graph, () => new Uint8Array(0));
    foldPreprocessing(graph, { mean: [0.5], std: [0.25] });
    exposeOutputs(graph, ['flat']);
    graph.graph.nodes.push({ opType: 'Identity', domain: '', name: 'extra', inputs: ['logits'], outputs: ['copy'], attributes: [] });
    const written = onnx.ModelProto.decode(writeModel(graph)).graph!.initializer!;
    for (const name of ['conv.weight', 'fc.weight']) {
      const before = m.graph!.initializer!.find((t) => t.name === name)!;
      const after = written.find((t) => t.name === name)!;
      expect(after.dataLocation).toBe(1);
      expect(after.rawData).toHaveLength(0);
      expect(after.externalData).toEqual(before.externalData);
    }
    expect(externalReferences(onnx.ModelProto.decode(writeModel(graph)))).toEqual(externalReferences(m));
  });

  it('finds the linear head of an external model once its data can be read, as for the same model with internal weights', () => {
    const { model: m, data } = externalClassifier();
    const graph = readModel(encode(m));
    expect(detectLinearHead(graph).reason).toMatch(/stored outside the model file/);
    expect(() => floatValues(graph.graph.initializers.find((t) => t.name === 'fc.weight')!)).toThrow(/external file that is not at hand/);

    attachExternalData(graph, memoryReader(data));
    const internal = detectLinearHead(readModel(encode(model(classifierGraph())))).head!;
    const head = detectLinearHead(graph).head!;
    expect(head.featuresTensor).toBe('flat');
    expect(head.weight).toEqual(internal.weight);
    expect(head.bias).toEqual(internal.bias);
    expect(graph.graph.initializers.find((t) => t.name === 'fc.weight')!.data).toBeNull();
  });
});
