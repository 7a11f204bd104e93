import { describe, expect, it } from 'vitest';
import { readModel } from '../onnx/codec.js';
import { trapModelBytes } from '../onnx/fixtures/traps.js';
import { freeBatchAxis } from '../onnx/reading.js';
import { checkFreedBatch } from './batch-check.js';

const freed = (name: 'fixed-batch' | 'pinned-batch') => {
  const m = readModel(trapModelBytes(name));
  freeBatchAxis(m, 'input');
  return m;
};

describe('checkFreedBatch', () => {
  it('accepts a fixed batch of 1 exported from a graph that runs at any batch', async () => {
    expect(await checkFreedBatch(freed('fixed-batch'), 'input')).toEqual({ ok: true });
  });

  it('refuses a graph that writes its batch of 1 into a Reshape, saying why', async () => {
    const check = await checkFreedBatch(freed('pinned-batch'), 'input');
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(/^it does not run at batch 2 \(GEMM: Dimension mismatch/);
  });

  it('refuses an input whose sizes after the batch are not fixed', async () => {
    const m = freed('fixed-batch');
    m.graph.inputs[0].shape = ['batch', 1, 'h', 'w'];
    expect(await checkFreedBatch(m, 'input')).toEqual({ ok: false, reason: "the sizes of input 'input' after the batch axis are not fixed" });
  });
});
