import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { logitMargin } from '../margins/margins.js';
import { uniform } from '../autodiff/test-harness.js';
import { cloneModel, readModel, writeModel } from './codec.js';
import { attr, classifierGraph, encode, model, node, valueInfo } from './fixtures/models.js';
import { trapModelBytes } from './fixtures/traps.js';
import { attr as irAttr, DataType, feedInputs, opsetVersion, type OnnxModel } from './graph.js';
import { readMetadataProps, withMetadataProps } from './metadata.js';
import { detectLinearHead, exposeOutputs } from './surgery.js';
import { readAs } from './reading.js';
import { addBrittleFlag, screenerBase, screenerModel, spliceScoreNetwork } from './screener.js';
import { floatTensor } from './tensor.js';

// The screener must give the same flags in a runtime other than Brink's: onnxruntime-web's
// WebAssembly build runs every screener here, onnxruntime-node the reference classifier.
ortWeb.env.wasm.numThreads = 1;

interface Outputs {
  logits: Float32Array;
  score: Float64Array;
  brittle: boolean[];
}

type Runtime = typeof ortNode | typeof ortWeb;

async function runScreener(ort: Runtime, bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Outputs> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, dims) });
    expect(s.outputNames).toEqual(['logits', 'score', 'brittle']);
    return { logits: out.logits.data as Float32Array, score: out.score.data as Float64Array, brittle: Array.from(out.brittle.data as Uint8Array, Boolean) };
  } finally {
    await s.release();
  }
}

async function runNode(m: OnnxModel, x: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
  const s = await ortNode.InferenceSession.create(writeModel(m));
  try {
    const out = await s.run({ [s.inputNames[0]]: new ortNode.Tensor('float32', x, dims) });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

/**
 * The screener in Brink's runtime gives Brink's logits, margins and flags bit for bit. In
 * onnxruntime-web its logits differ from onnxruntime-node's in the last float32 bits (other
 * kernels), so they are compared within a relative 1e-5; its score and flag are then exactly
 * the margin of its own logits and `score <= threshold`.
 */
async function expectBrinkFlags(bytes: Uint8Array, x: Float32Array, dims: number[], brinkLogits: Float32Array, threshold: number): Promise<Outputs> {
  const classes = brinkLogits.length / dims[0];
  const brinkMargins = margins(brinkLogits, classes);
  const node = await runScreener(ortNode, bytes, x, dims);
  expect(Array.from(node.logits)).toEqual(Array.from(brinkLogits));
  expect(Array.from(node.score)).toEqual(brinkMargins);
  expect(node.brittle).toEqual(brinkMargins.map((m) => m <= threshold));
  const web = await runScreener(ortWeb, bytes, x, dims);
  web.logits.forEach((v, k) => expect(Math.abs(v - brinkLogits[k])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(brinkLogits[k]))));
  expect(Array.from(web.score)).toEqual(margins(web.logits, classes));
  expect(web.brittle).toEqual(Array.from(web.score, (m) => m <= threshold));
  return web;
}

const margins = (logits: Float32Array, classes: number) => Array.from({ length: logits.length / classes }, (_, i) => logitMargin(logits, i * classes, classes));

/** An MLP [N, width] -> Gemm(8) -> Relu -> Gemm(1) -> Sigmoid: [N, 1], built with the graph tools as a trained pseudo-margin would be stored. */
function scoreNetwork(width: number): { bytes: Uint8Array; run(v: Float32Array, n: number): Float64Array } {
  const w1 = uniform(8 * width, 'w1');
  const b1 = uniform(8, 'b1');
  const w2 = uniform(8, 'w2');
  const b2 = uniform(1, 'b2');
  const net: OnnxModel = {
    irVersion: 8,
    opsets: [{ domain: '', version: 17 }],
    graph: {
      name: 'pseudo_margin',
      inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: ['batch', width] }],
      outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: ['batch', 1] }],
      initializers: [floatTensor('w1', [8, width], w1), floatTensor('b1', [8], b1), floatTensor('w2', [1, 8], w2), floatTensor('b2', [1], b2)],
      valueInfo: [],
      nodes: [
        { opType: 'Gemm', domain: '', name: 'fc1', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attributes: [irAttr.int('transB', 1)] },
        { opType: 'Relu', domain: '', name: 'relu', inputs: ['h'], outputs: ['r'], attributes: [] },
        // 'logits' inside the network must not meet the screener's own 'logits'.
        { opType: 'Gemm', domain: '', name: 'fc2', inputs: ['r', 'w2', 'b2'], outputs: ['logits'], attributes: [irAttr.int('transB', 1)] },
        { opType: 'Sigmoid', domain: '', name: 'out', inputs: ['logits'], outputs: ['y'], attributes: [] },
      ],
    },
  };
  const run = (v: Float32Array, n: number) =>
    Float64Array.from({ length: n }, (_, i) => {
      let z = b2[0];
      for (let j = 0; j < 8; j++) {
        let h = b1[j];
        for (let d = 0; d < width; d++) h += w1[j * width + d] * v[i * width + d];
        z += w2[j] * Math.max(0, h);
      }
      return 1 / (1 + Math.exp(-z));
    });
  return { bytes: writeModel(net), run };
}

describe('screenerModel with the logit margin', () => {
  it('gives the classifier’s logits, its logit margin and score <= threshold, ties flagged, in onnxruntime-web', async () => {
    const prepared = readModel(trapModelBytes('plain'));
    const x = uniform(8 * 784, 'screener', 0, 1);
    const reference = (await runNode(prepared, x, [8, 1, 28, 28])).output;
    const expected = margins(reference, 10);
    // The threshold is one sample's margin exactly: that sample is flagged, as the analysis flags it.
    const threshold = [...expected].sort((a, b) => a - b)[3];
    const bytes = writeModel(screenerModel(cloneModel(prepared), { kind: 'logit-margin' }, threshold));
    await expectBrinkFlags(bytes, x, [8, 1, 28, 28], reference, threshold);
    expect(expected.filter((m) => m <= threshold)).toHaveLength(4);
  });

  it('reads the logits before a trailing Softmax, and keeps a batch size the file fixes', async () => {
    const plain = readModel(trapModelBytes('plain'));
    const x = uniform(784, 'softmax', 0, 1);
    const expected = (await runNode(plain, x, [1, 1, 28, 28])).output;
    const softmax = readModel(trapModelBytes('softmax'));
    readAs(softmax, { imageInput: null, layout: 'NCHW', logits: 'before-softmax', freeBatch: false });
    const pinned = readModel(trapModelBytes('pinned-batch'));
    for (const prepared of [softmax, pinned]) {
      const screener = screenerModel(prepared, { kind: 'logit-margin' }, 1);
      await expectBrinkFlags(writeModel(screener), x, [1, 1, 28, 28], expected, 1);
    }
    expect(pinned.graph.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['logits', [1, 10]],
      ['score', [1]],
      ['brittle', [1]],
    ]);
  });

  it('leaves out the other outputs and what only they needed, and moves aside values already called score or brittle', async () => {
    const graph = classifierGraph();
    graph.node!.push(node('Relu', ['logits'], ['score']), node('Softmax', ['score'], ['probabilities'], [attr.int('axis', 1)]), node('Neg', ['flat'], ['brittle']));
    graph.output!.unshift(valueInfo('probabilities', ['batch', 10]));
    graph.output!.push(valueInfo('brittle', ['batch', 2704]));
    // Read as Brink would when the first output is the Softmax: its input (the Relu's 'score') becomes the logits.
    const m = readModel(encode(model(graph)));
    readAs(m, { imageInput: null, layout: 'NCHW', logits: 'before-softmax', freeBatch: false });
    const x = uniform(3 * 784, 'outputs', 0, 1);
    const logits = (await runNode(cloneModel(m), x, [3, 1, 28, 28])).probabilities;
    const screener = screenerModel(m, { kind: 'logit-margin' }, 0);
    expect(screener.graph.nodes.some((n) => n.opType === 'Neg')).toBe(false);
    await expectBrinkFlags(writeModel(screener), x, [3, 1, 28, 28], logits, 0);
  });

  it('writes TopK with k as an attribute before opset 10, and the flag as Not(Greater) before opset 12', async () => {
    const m = readModel(encode(model(classifierGraph(), { opsetImport: [{ domain: '', version: 9 }] })));
    const x = uniform(4 * 784, 'opset9', 0, 1);
    const logits = (await runNode(cloneModel(m), x, [4, 1, 28, 28])).logits;
    const expected = margins(logits, 10);
    const threshold = [...expected].sort((a, b) => a - b)[1];
    const screener = screenerModel(m, { kind: 'logit-margin' }, threshold);
    expect(opsetVersion(screener)).toBe(9);
    expect(screener.graph.nodes.map((n) => n.opType)).toEqual(expect.arrayContaining(['TopK', 'Greater', 'Not']));
    await expectBrinkFlags(writeModel(screener), x, [4, 1, 28, 28], logits, threshold);
  });

  it('refuses logits that are not [batch, classes] floats, and a NaN threshold', () => {
    const graph = classifierGraph();
    graph.output = [valueInfo('logits', ['batch', 2, 5])];
    expect(() => screenerBase(readModel(encode(model(graph))))).toThrow(/not \[batch, classes\]/);
    const base = screenerBase(readModel(encode(model(classifierGraph()))));
    expect(() => addBrittleFlag(base, 0)).toThrow(/no 'score' output yet/);
  });
});

describe('spliceScoreNetwork', () => {
  it.each(['logits', 'features'] as const)('scores with a network on the %s, standardised, flags at the threshold', async (input) => {
    const prepared = readModel(trapModelBytes('plain'));
    const head = detectLinearHead(prepared).head!;
    const n = 6;
    const x = uniform(n * 784, `splice-${input}`, 0, 1);
    const exposed = await runNode(exposeOutputs(cloneModel(prepared), [head.featuresTensor]), x, [n, 1, 28, 28]);
    const source = input === 'logits' ? exposed.output : exposed[head.featuresTensor];
    const width = input === 'logits' ? head.classes : head.features;
    const mean = uniform(width, 'mean');
    const std = uniform(width, 'std', 0.5, 2);
    const standardised = Float32Array.from(source, (v, k) => (v - mean[k % width]) / std[k % width]);
    const network = scoreNetwork(width);
    const expected = network.run(standardised, n);
    const threshold = [...expected].sort((a, b) => a - b)[2];

    const screener = screenerBase(prepared);
    spliceScoreNetwork(screener, network.bytes, input, { mean, std });
    addBrittleFlag(screener, threshold);
    for (const ort of [ortNode, ortWeb]) {
      const out = await runScreener(ort, writeModel(screener), x, [n, 1, 28, 28]);
      for (let i = 0; i < n; i++) expect(out.score[i]).toBeCloseTo(expected[i], 5);
      // The flag is the comparison of the score the screener gives: exact, whatever the runtime's rounding.
      expect(out.brittle).toEqual(Array.from(out.score, (v) => v <= threshold));
    }
  });

  it('refuses a network of the wrong width, with ops a screener does not splice, or of two inputs', () => {
    const base = () => screenerBase(readModel(trapModelBytes('plain')));
    expect(() => spliceScoreNetwork(base(), scoreNetwork(7).bytes, 'logits')).toThrow(/reads 7 values per sample, but the logits have 10/);
    const odd = readModel(scoreNetwork(10).bytes);
    odd.graph.nodes[1].opType = 'Softmax';
    expect(() => spliceScoreNetwork(base(), writeModel(odd), 'logits')).toThrow(/uses Softmax 'relu'/);
    const twoInputs = readModel(scoreNetwork(10).bytes);
    twoInputs.graph.inputs.push({ name: 'extra', elemType: DataType.FLOAT, shape: [1] });
    expect(feedInputs(twoInputs.graph)).toHaveLength(2);
    expect(() => spliceScoreNetwork(base(), writeModel(twoInputs), 'logits')).toThrow(/takes 2 inputs/);
  });
});

describe('withMetadataProps', () => {
  it('replaces the metadata and keeps the model', async () => {
    const stated = readModel(trapModelBytes('plain'));
    const before = withMetadataProps(writeModel(stated), [{ key: 'mean', value: '0.5' }]);
    expect(readMetadataProps(before)).toEqual([{ key: 'mean', value: '0.5' }]);
    const after = withMetadataProps(before, [
      { key: 'brink.threshold', value: '1.5' },
      { key: 'brink.score', value: 'logit-margin' },
    ]);
    expect(readMetadataProps(after)).toEqual([
      { key: 'brink.threshold', value: '1.5' },
      { key: 'brink.score', value: 'logit-margin' },
    ]);
    const s = await ortWeb.InferenceSession.create(after);
    expect(s.outputNames).toEqual(['output']);
    await s.release();
  });
});
