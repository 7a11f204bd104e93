/**
 * The pseudo-margin network (Ngnawe et al. 2024, section 5.3; PAPER-METHODS.md section 7): an
 * MLP from a sample's logits or penultimate features to sqrt of its input margin, as ONNX
 * graphs. Training feeds the weights as graph inputs (their gradients come from
 * engine/autodiff); the stored model carries them as initializers with the input
 * standardisation folded in.
 */
import { attr, DataType, type Node, type OnnxModel, type Tensor, type ValueInfo } from '../onnx/graph.js';
import { floatTensor } from '../onnx/tensor.js';

/**
 * 'code': the authors' modeling.py (`create_sequential_with_depth(in, 512, depth=4)`): Linear,
 * Linear, ReLU, Linear, ReLU, Linear, sigmoid, with no activation after the first layer.
 * 'paper': the paper's text, five dense layers of 512 with ReLU, read as five hidden layers
 * followed by the one-unit output layer and its sigmoid.
 */
export const networkVariants = ['code', 'paper'] as const;
export type NetworkVariant = (typeof networkVariants)[number];

export const PSEUDO_MARGIN_WIDTH = 512;

export interface Layer {
  inputs: number;
  outputs: number;
  activation: 'none' | 'relu' | 'sigmoid';
}

/** One Linear layer's parameters in PyTorch's layout: weight [outputs, inputs] row-major, bias [outputs]. */
export interface LayerWeights {
  weight: Float32Array;
  bias: Float32Array;
}

export function networkLayers(variant: NetworkVariant, inputs: number, width = PSEUDO_MARGIN_WIDTH): Layer[] {
  const hidden = variant === 'code' ? (['none', 'relu', 'relu'] as const) : (['relu', 'relu', 'relu', 'relu', 'relu'] as const);
  const layers: Layer[] = hidden.map((activation, k) => ({ inputs: k === 0 ? inputs : width, outputs: width, activation }));
  return [...layers, { inputs: width, outputs: 1, activation: 'sigmoid' }];
}

export const weightName = (k: number): string => `w${k}`;
export const biasName = (k: number): string => `b${k}`;

const OPSET = 17;
const tensorInfo = (name: string, shape: (number | string)[]): ValueInfo => ({ name, elemType: DataType.FLOAT, shape });
const node = (opType: string, inputs: string[], outputs: string[], attributes: Node['attributes'] = []): Node => ({ opType, domain: '', name: outputs[0], inputs, outputs, attributes });

/** The layers from `input` to a [batch, 1] score; parameters are read under weightName/biasName. */
function layerNodes(layers: Layer[], input: string, score: string): Node[] {
  const nodes: Node[] = [];
  let value = input;
  layers.forEach((layer, k) => {
    const linear = layer.activation === 'none' && k < layers.length - 1 ? `h${k}` : `linear${k}`;
    nodes.push(node('Gemm', [value, weightName(k), biasName(k)], [linear], [attr.int('transB', 1)]));
    value = linear;
    if (layer.activation === 'none') return;
    const out = k === layers.length - 1 ? score : `h${k}`;
    nodes.push(node(layer.activation === 'relu' ? 'Relu' : 'Sigmoid', [value], [out]));
    value = out;
  });
  return nodes;
}

function model(name: string, graph: Omit<OnnxModel['graph'], 'name' | 'valueInfo'>): OnnxModel {
  return { irVersion: 8, opsets: [{ domain: '', version: OPSET }], graph: { name, valueInfo: [], ...graph } };
}

export interface TrainingGraph {
  model: OnnxModel;
  /** Fed inputs: the standardised samples [n, inputs] and the targets [n, 1]. */
  x: string;
  target: string;
  /** The mean squared error over the n samples (PyTorch's MSELoss, reduction 'mean'). */
  loss: string;
  /** Weight inputs in layer order: w0, b0, w1, b1, ... */
  parameters: string[];
}

/** The loss graph for `n` samples: every weight and bias is a graph input. */
export function trainingGraph(layers: Layer[], n: number): TrainingGraph {
  const parameters = layers.flatMap((_, k) => [weightName(k), biasName(k)]);
  const shapes = layers.flatMap((l, k) => [tensorInfo(weightName(k), [l.outputs, l.inputs]), tensorInfo(biasName(k), [l.outputs])]);
  const nodes = [
    ...layerNodes(layers, 'x', 'score'),
    node('Sub', ['score', 'target'], ['error']),
    node('Mul', ['error', 'error'], ['squared']),
    node('ReduceMean', ['squared'], ['loss'], [attr.ints('axes', [0, 1]), attr.int('keepdims', 0)]),
  ];
  const graph = {
    nodes,
    inputs: [tensorInfo('x', [n, layers[0].inputs]), tensorInfo('target', [n, 1]), ...shapes],
    outputs: [tensorInfo('loss', [])],
    initializers: [],
  };
  return { model: model('pseudo-margin training', graph), x: 'x', target: 'target', loss: 'loss', parameters };
}

export const INFERENCE_INPUT = 'inputs';
export const INFERENCE_OUTPUT = 'pseudo_margin';

/**
 * The stored network: raw inputs [batch, k] (logits or penultimate features) to the sigmoid
 * output [batch, 1], an estimate of sqrt(input margin / scale). The training split's mean and
 * std are folded in as (x - mean) / std ahead of the first layer.
 */
export function inferenceModel(layers: Layer[], weights: LayerWeights[], standardisation: { mean: Float32Array; std: Float32Array }): OnnxModel {
  const k = layers[0].inputs;
  const initializers: Tensor[] = [
    floatTensor('input_mean', [k], standardisation.mean),
    floatTensor('input_std', [k], standardisation.std),
    ...layers.flatMap((l, i) => [floatTensor(weightName(i), [l.outputs, l.inputs], weights[i].weight), floatTensor(biasName(i), [l.outputs], weights[i].bias)]),
  ];
  const nodes = [node('Sub', [INFERENCE_INPUT, 'input_mean'], ['centred']), node('Div', ['centred', 'input_std'], ['standardised']), ...layerNodes(layers, 'standardised', INFERENCE_OUTPUT)];
  return model('pseudo-margin', { nodes, inputs: [tensorInfo(INFERENCE_INPUT, ['batch', k])], outputs: [tensorInfo(INFERENCE_OUTPUT, ['batch', 1])], initializers });
}

