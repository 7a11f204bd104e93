/** Models for the runtime's tests, built with the ONNX fixtures' builders. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { attr, classifierGraph, encode, model, node, valueInfo } from '../onnx/fixtures/models.js';
import { mulberry32 } from '../random.js';

/** Conv -> Relu -> Flatten -> Gemm on [batch, 1, 28, 28], outputs logits [batch, 10]. */
export function classifierBytes(): Uint8Array {
  return encode(model(classifierGraph()));
}

export const W = Float32Array.of(1, -2, 0.5, 3, 0.25, -1, 2, 0, 1.5, -0.5, 1, 2); // [4, 3]

/**
 * Two batched inputs and one shared, two outputs, like a gradient model with a cotangent:
 * logits = x W, vjp = (v * s) W^T, with x [b, 4], v [b, 3], s [1].
 */
export function vjpBytes(): Uint8Array {
  const w = { name: 'W', dims: [4, 3], dataType: 1, rawData: new Uint8Array(W.buffer.slice(0)) };
  return encode(
    model({
      name: 'vjp',
      input: [valueInfo('x', ['batch', 4]), valueInfo('v', ['batch', 3]), valueInfo('s', [1])],
      output: [valueInfo('logits', ['batch', 3]), valueInfo('vjp', ['batch', 4])],
      initializer: [w],
      node: [
        node('MatMul', ['x', 'W'], ['logits']),
        node('Mul', ['v', 's'], ['scaled']),
        node('Gemm', ['scaled', 'W'], ['vjp'], [attr.int('transB', 1)]),
      ],
    }),
  );
}

/** y = x + 1 with a batch axis fixed at 2, as some exporters write it. */
export function fixedBatchBytes(): Uint8Array {
  return encode(
    model({
      name: 'fixed',
      input: [valueInfo('x', [2, 3])],
      output: [valueInfo('y', [2, 3])],
      initializer: [{ name: 'one', dims: [], dataType: 1, floatData: [1] }],
      node: [node('Add', ['x', 'one'], ['y'])],
    }),
  );
}

export const SAMPLE_MODEL = fileURLToPath(new URL('../../../resources/samples/fmnist-cnn-standard.onnx', import.meta.url));
export const hasSampleModel = existsSync(SAMPLE_MODEL);

/** Deterministic values in [0, 1) (mulberry32), so failures reproduce. */
export function uniform(count: number, seed = 1): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => next());
}
