import { describe, expect, it } from 'vitest';
import { cloneModel, readModel, writeModel } from './codec.js';
import { OnnxFormatError } from './errors.js';
import { attr as pbAttr, classifierGraph, controlFlowModel, encode, model, node, valueInfo } from './fixtures/models.js';
import { attr, DataType, type OnnxModel } from './graph.js';
import { onnx, type pb } from './proto.js';
import { floatValues, floatTensor, intValues } from './tensor.js';
import { readFields, Writer } from './wire.js';

/** A message with an extra field that onnx-proto's schema does not know (number 99, a varint). */
function withUnknown(message: Uint8Array, value = 7): Uint8Array {
  return new Writer().raw(message).varint(99, value).finish();
}

/**
 * A classifier model with metadata, doc strings and unknown fields at every level Brink models:
 * the model, the graph, a node, an attribute, an initializer and a value info.
 */
function richModel(): Uint8Array {
  const g = classifierGraph();
  const conv = { ...g.node![0], docString: 'the first layer' };
  const nodeBytes = withUnknown(
    onnx.NodeProto.encode({ ...conv, attribute: [] }).finish(),
  );
  const attrBytes = withUnknown(onnx.AttributeProto.encode(pbAttr.ints('kernel_shape', [3, 3])).finish(), 3);
  const convBytes = new Writer().raw(nodeBytes).bytes(5, attrBytes).finish();
  const initBytes = withUnknown(onnx.TensorProto.encode(g.initializer![0]).finish(), 5);
  const inputBytes = withUnknown(onnx.ValueInfoProto.encode(g.input![0]).finish(), 6);
  const w = new Writer().bytes(1, convBytes);
  for (const n of g.node!.slice(1)) w.bytes(1, onnx.NodeProto.encode(n).finish());
  w.string(2, g.name!).bytes(5, initBytes);
  for (const t of g.initializer!.slice(1)) w.bytes(5, onnx.TensorProto.encode(t).finish());
  w.string(10, 'graph doc').bytes(11, inputBytes).bytes(12, onnx.ValueInfoProto.encode(g.output![0]).finish());
  const graphBytes = withUnknown(w.finish(), 2);
  const head = onnx.ModelProto.encode({
    ...model({ name: 'placeholder' }),
    graph: undefined,
    docString: 'a model doc string',
    metadataProps: [{ key: 'author', value: 'brink tests' }],
    trainingInfo: [{ algorithm: { name: 'training' } }],
  }).finish();
  return withUnknown(new Writer().raw(head).bytes(7, graphBytes).finish(), 1);
}

const fieldNumbers = (bytes: Uint8Array) => readFields(bytes).map((f) => f.number);

describe('readModel / writeModel', () => {
  it('reads the parts Brink edits', () => {
    const m = readModel(encode(model(classifierGraph())));
    expect(m.irVersion).toBe(8);
    expect(m.opsets).toEqual([{ domain: '', version: 17 }]);
    expect(m.graph.name).toBe('main_graph');
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu', 'Flatten', 'Gemm']);
    expect(m.graph.nodes[3]).toEqual({
      opType: 'Gemm', domain: '', name: 'Gemm_logits', inputs: ['flat', 'fc.weight', 'fc.bias'], outputs: ['logits'], attributes: [attr.int('transB', 1)],
    });
    expect(m.graph.inputs).toEqual([{ name: 'input', elemType: DataType.FLOAT, shape: ['batch', 1, 28, 28] }]);
    const bias = m.graph.initializers.find((t) => t.name === 'conv.bias')!;
    expect(bias.dims).toEqual([4]);
    expect(Array.from(floatValues(bias))).toEqual([0, 0.25, 0.5, 0.75]);
  });

  it('keeps initializer raw_data as a view of the model bytes', () => {
    const bytes = encode(model(classifierGraph()));
    const weight = readModel(bytes).graph.initializers.find((t) => t.name === 'fc.weight')!;
    expect(weight.data!.buffer).toBe(bytes.buffer);
    expect(weight.data!.length).toBe(10 * 2704 * 4);
  });

  it('gives back identical bytes when nothing is edited, unknown fields and all', () => {
    const bytes = richModel();
    expect(writeModel(readModel(bytes))).toEqual(bytes);
    const plain = new Uint8Array(encode(model(classifierGraph())));
    expect(writeModel(readModel(plain))).toEqual(plain);
    const control = new Uint8Array(encode(controlFlowModel()));
    expect(writeModel(readModel(control))).toEqual(control);
  });

  it('keeps metadata, doc strings and unknown fields through edits', () => {
    const m = readModel(richModel());
    const conv = m.graph.nodes[0];
    conv.inputs[0] = 'normalized';
    conv.attributes.push(attr.ints('strides', [1, 1]));
    m.graph.initializers[0].name = 'renamed.weight';
    m.graph.inputs[0].shape = [2, 1, 28, 28];
    m.graph.nodes.unshift({ opType: 'Identity', domain: '', name: 'id', inputs: ['input'], outputs: ['normalized'], attributes: [] });
    m.irVersion = 9;
    const out = writeModel(m);

    const decoded = onnx.ModelProto.decode(out);
    expect(decoded.docString).toBe('a model doc string');
    expect(decoded.metadataProps).toEqual([expect.objectContaining({ key: 'author', value: 'brink tests' })]);
    expect(decoded.trainingInfo).toHaveLength(1);
    expect(Number(decoded.irVersion)).toBe(9);
    const graph = decoded.graph!;
    expect(graph.docString).toBe('graph doc');
    expect(graph.node!.map((n) => n.opType)).toEqual(['Identity', 'Conv', 'Relu', 'Flatten', 'Gemm']);
    expect(graph.node![1].docString).toBe('the first layer');
    expect(graph.node![1].input).toEqual(['normalized', 'conv.weight', 'conv.bias']);
    expect(graph.initializer!.map((t) => t.name)).toContain('renamed.weight');

    // The unknown fields are still there at every level, on edited and unedited messages alike.
    const again = readModel(out);
    const modelFields = readFields(out);
    expect(fieldNumbers(out)).toContain(99);
    const graphBytes = modelFields.find((f) => f.number === 7)!.value;
    expect(fieldNumbers(graphBytes)).toContain(99);
    const graphFields = readFields(graphBytes);
    const nodeBytes = graphFields.filter((f) => f.number === 1)[1].value;
    expect(fieldNumbers(nodeBytes)).toContain(99);
    const attrBytes = readFields(nodeBytes).find((f) => f.number === 5)!.value;
    expect(fieldNumbers(attrBytes)).toContain(99);
    expect(fieldNumbers(graphFields.find((f) => f.number === 5)!.value)).toContain(99);
    expect(fieldNumbers(graphFields.find((f) => f.number === 11)!.value)).toContain(99);
    expect(again.graph.inputs[0].shape).toEqual([2, 1, 28, 28]);
    expect(again.graph.nodes[1].attributes.map((a) => a.name)).toEqual(['kernel_shape', 'strides']);
  });

  it('writes a model built from scratch that onnx-proto reads back', () => {
    const m: OnnxModel = {
      irVersion: 8,
      opsets: [{ domain: '', version: 13 }],
      graph: {
        name: 'scratch',
        nodes: [{ opType: 'Add', domain: '', name: 'add', inputs: ['x', 'b'], outputs: ['y'], attributes: [attr.float('alpha', 0.5), attr.ints('axes', [-1, 2])] }],
        inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['N', 3] }],
        outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: null }],
        initializers: [floatTensor('b', [3], [1, 2, 3])],
        valueInfo: [],
      },
    };
    const decoded = onnx.ModelProto.decode(writeModel(m));
    expect(decoded.graph!.node![0].attribute!.map((a) => [a.name, a.type])).toEqual([['alpha', 1], ['axes', 7]]);
    expect(decoded.graph!.node![0].attribute![1].ints!.map(Number)).toEqual([-1, 2]);
    expect(decoded.graph!.input![0].type!.tensorType!.shape!.dim![0].dimParam).toBe('N');
    expect(Array.from(new Float32Array(decoded.graph!.initializer![0].rawData!.slice().buffer))).toEqual([1, 2, 3]);
  });

  it('converts typed tensor fields and keeps external data references', () => {
    const g: pb.IGraphProto = {
      ...classifierGraph(),
      initializer: [
        { name: 'typed', dims: [2], dataType: 1, floatData: [1.5, -2] },
        { name: 'ints', dims: [3], dataType: 7, int64Data: [-1, 0, 9007199254740991] },
        { name: 'big', dims: [1000], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }] },
      ],
    };
    const bytes = encode(model(g));
    const m = readModel(bytes);
    const [typed, ints, big] = m.graph.initializers;
    expect(Array.from(floatValues(typed))).toEqual([1.5, -2]);
    expect(intValues(ints)).toEqual([-1, 0, 9007199254740991]);
    expect(big.data).toBeNull();
    expect(big.external).toEqual([{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }]);
    big.name = 'renamed';
    typed.dims = [1, 2];
    const decoded = onnx.ModelProto.decode(writeModel(m)).graph!.initializer!;
    expect(decoded[2]).toEqual(expect.objectContaining({ name: 'renamed', dataLocation: 1 }));
    expect(decoded[2].externalData).toHaveLength(2);
    expect(decoded[0].floatData).toHaveLength(0);
    expect(Array.from(new Float32Array(decoded[0].rawData!.slice().buffer))).toEqual([1.5, -2]);
  });

  it('keeps slice ends of INT64_MAX exact through an edit', () => {
    const g: pb.IGraphProto = { ...classifierGraph() };
    const slice = node('Slice', ['input'], ['s'], [{ name: 'ends', type: 7, ints: ['9223372036854775807' as unknown as number] }]);
    const m = readModel(encode(model({ ...g, node: [slice, ...g.node!] })));
    m.graph.nodes[0].name = 'edited';
    const ends = onnx.ModelProto.decode(writeModel(m)).graph!.node![0].attribute![0].ints![0];
    expect(String(ends)).toBe('9223372036854775807');
  });

  it('clones without sharing editable parts and without losing unknown fields', () => {
    const bytes = richModel();
    const original = readModel(bytes);
    const copy = cloneModel(original);
    expect(writeModel(copy)).toEqual(bytes);
    copy.graph.nodes[0].inputs[0] = 'changed';
    copy.graph.nodes.pop();
    expect(original.graph.nodes[0].inputs[0]).toBe('input');
    expect(original.graph.nodes).toHaveLength(4);
    expect(writeModel(original)).toEqual(bytes);
    expect(fieldNumbers(readFields(readFields(writeModel(copy)).find((f) => f.number === 7)!.value).find((f) => f.number === 1)!.value)).toContain(99);
  });

  it.each([
    ['random bytes', Uint8Array.from([0x08, 0xff])],
    ['a truncated model', encode(model(classifierGraph())).subarray(0, 500)],
    ['a message without a graph', encode({ irVersion: 8 })],
  ])('rejects %s with OnnxFormatError', (_, bytes) => {
    expect(() => readModel(bytes, 'bad.onnx')).toThrow(OnnxFormatError);
  });

  it('reads attributes written before IR 2, which had no type field', () => {
    const legacy = node('MaxPool', ['input'], ['p'], [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'alpha', f: 0.5 }, { name: 'mode', s: new TextEncoder().encode('max') }]);
    const m = readModel(encode(model({ ...classifierGraph(), node: [legacy, ...classifierGraph().node!] })));
    expect(m.graph.nodes[0].attributes).toEqual([attr.ints('kernel_shape', [2, 2]), attr.float('alpha', 0.5), attr.string('mode', 'max')]);
  });

  it('reads value infos of non-tensor types and keeps their types when renamed', () => {
    const seq: pb.IValueInfoProto = { name: 'seq', type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } } };
    const m = readModel(encode(model({ ...classifierGraph(), valueInfo: [seq, valueInfo('relu', ['batch', 4, 26, 26])] })));
    expect(m.graph.valueInfo[0]).toEqual({ name: 'seq', elemType: 0, shape: null });
    m.graph.valueInfo[0].name = 'seq2';
    const decoded = onnx.ModelProto.decode(writeModel(m)).graph!.valueInfo![0];
    expect(decoded.name).toBe('seq2');
    expect(decoded.type!.sequenceType).toBeTruthy();
  });
});
