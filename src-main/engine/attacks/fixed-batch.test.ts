import { afterAll, describe, expect, it } from 'vitest';
import { readModel } from '../onnx/codec.js';
import { trapModelBytes, type TrapModel } from '../onnx/fixtures/traps.js';
import { uniform } from '../autodiff/test-harness.js';
import { fab } from './fab.js';
import { onnxDifferentiableModel } from './model.js';

const open: { release(): Promise<void> }[] = [];
afterAll(async () => {
  for (const m of open) await m.release();
});

async function differentiable(name: TrapModel) {
  const m = await onnxDifferentiableModel(readModel(trapModelBytes(name)), { sampleShape: [1, 28, 28], classes: 10, device: 'cpu', batchSize: 4, intraOpThreads: 1 });
  open.push(m);
  return m;
}

// pinned-batch.onnx reshapes to [1, -1]: it runs at batch 1 only. Before, its gradient session
// was probed at batch 2 and every attack failed with "Got invalid dimensions for input".
describe('a model that runs at batch 1 only', () => {
  const n = 3;
  const x = uniform(n * 784, 'pinned', 0, 1);

  it('gives the logits, vector-Jacobian products and rows of its dynamic twin, one sample at a time', async () => {
    const [pinned, plain] = [await differentiable('pinned-batch'), await differentiable('plain')];
    expect(await pinned.sharesForwardPass(10)).toBe(false);
    const v = uniform(n * 2 * 10, 'cotangents');
    const a = await pinned.vjpRows(x, v, n, 2);
    const b = await plain.vjpRows(x, v, n, 2);
    expect(a.logits.length).toBe(n * 10);
    for (let i = 0; i < a.logits.length; i++) expect(a.logits[i]).toBeCloseTo(b.logits[i], 4);
    for (let i = 0; i < a.grad.length; i++) expect(a.grad[i]).toBeCloseTo(b.grad[i], 4);
  });

  it('is attacked by FAB at batch 1 with the margins of its dynamic twin', async () => {
    const [pinned, plain] = [await differentiable('pinned-batch'), await differentiable('plain')];
    const logits = await plain.logits(x, n);
    const classes = Int32Array.from({ length: n }, (_, i) => {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      return row.indexOf(Math.max(...row));
    });
    const options = { norm: 'linf' as const, steps: 10 };
    const a = await fab(pinned, { x, n, classes }, options);
    const b = await fab(plain, { x, n, classes }, options);
    expect(Array.from(a.success)).toEqual(Array.from(b.success));
    for (let i = 0; i < a.adv.length; i++) expect(a.adv[i]).toBeCloseTo(b.adv[i], 3);
  });
});
