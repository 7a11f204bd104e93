import { describe, expect, it } from 'vitest';
import { readModel } from './codec.js';
import { attr, classifierGraph, controlFlowModel, encode, floatTensor, model, node, valueInfo } from './fixtures/models.js';
import { constantTensor, constantValues, consumers, feedInputs, implicitInputs, opsetVersion, producers, topologicalOrder } from './graph.js';
import { floatValues, intValues } from './tensor.js';

const graphOf = (nodes: ReturnType<typeof node>[]) =>
  readModel(encode(model({ name: 'g', input: [valueInfo('x', [1, 3])], output: [valueInfo('y', [1, 3])], initializer: [floatTensor('w', [3])], node: nodes }))).graph;

describe('graph queries', () => {
  it('keeps a sorted graph in file order', () => {
    const g = readModel(encode(model(classifierGraph()))).graph;
    expect(topologicalOrder(g)).toEqual(g.nodes);
  });

  it('sorts an unsorted graph, stably', () => {
    const g = graphOf([node('Relu', ['b'], ['y']), node('Neg', ['x'], ['a']), node('Add', ['a', 'w'], ['b']), node('Sigmoid', ['x'], ['s'])]);
    expect(topologicalOrder(g).map((n) => n.opType)).toEqual(['Neg', 'Add', 'Relu', 'Sigmoid']);
  });

  it('names a node on a cycle', () => {
    const g = graphOf([node('Relu', ['b'], ['a']), node('Neg', ['a'], ['b'])]);
    expect(() => topologicalOrder(g)).toThrow(/cycle .*Relu_a/);
  });

  it('maps values to producers and consumers, subgraph reads included', () => {
    const g = readModel(encode(controlFlowModel())).graph;
    expect(producers(g).get('looped')?.opType).toBe('Loop');
    expect(implicitInputs(g.nodes[0])).toEqual(['x']);
    expect(consumers(g).get('x')?.map((n) => n.opType)).toEqual(['If']);
    expect(consumers(g).get('branch')?.map((n) => n.opType)).toEqual(['Loop']);
  });

  it('tells constants from values that depend on the input', () => {
    const g = graphOf([
      node('Constant', [], ['k'], [attr.tensor('value', { dims: [3], dataType: 1, floatData: [1, 2, 3] })]),
      node('Mul', ['w', 'k'], ['wk']),
      node('Shape', ['x'], ['s']),
      node('RandomNormalLike', ['w'], ['r']),
      node('Add', ['x', 'wk'], ['y']),
    ]);
    expect([...constantValues(g)].sort()).toEqual(['k', 'w', 'wk']);
    expect(Array.from(floatValues(constantTensor(g, 'k')!))).toEqual([1, 2, 3]);
    expect(constantTensor(g, 'wk')).toBeNull();
  });

  it('reads Constant nodes given as value_ints, keeping INT64_MAX', () => {
    const g = graphOf([node('Constant', [], ['ends'], [{ name: 'value_ints', type: 7, ints: [1, '9223372036854775807' as unknown as number] }])]);
    const t = constantTensor(g, 'ends')!;
    expect(new BigInt64Array(t.data!.slice().buffer)[1]).toBe(9223372036854775807n);
    expect(intValues(t)[0]).toBe(1);
  });

  it('answers opset and fed-input questions', () => {
    const m = readModel(encode(model(classifierGraph(), { irVersion: 3, opsetImport: [{ domain: 'ai.onnx', version: 9 }] })));
    expect(opsetVersion(m)).toBe(9);
    expect(opsetVersion(m, 'com.microsoft')).toBeNull();
    m.graph.inputs.push({ name: 'fc.bias', elemType: 1, shape: [10] });
    expect(feedInputs(m.graph).map((v) => v.name)).toEqual(['input']);
  });
});
