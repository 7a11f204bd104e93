import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchRunError, BatchRunner, fixedBatchSize, type FloatArray } from './batcher.js';
import { createSession } from './providers.js';
import { classifierBytes, fixedBatchBytes, hasSampleModel, SAMPLE_MODEL, uniform, vjpBytes, W } from './test-models.js';

const PIXELS = 28 * 28;

function images(n: number, seed = 1): FloatArray {
  return { data: uniform(n * PIXELS, seed), shape: [n, 1, 28, 28] };
}

/** Wraps a session so a test can see the shape of every batch it was given. */
function recordingShapes(session: InferenceSession): { session: InferenceSession; shapes: number[][] } {
  const shapes: number[][] = [];
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<InferenceSession.ReturnType>;
  const proxy = new Proxy(session, {
    get(target, key, receiver) {
      if (key !== 'run') return Reflect.get(target, key, receiver);
      return (feeds: InferenceSession.FeedsType, ...rest: unknown[]) => {
        shapes.push([...Object.values(feeds)[0].dims]);
        return run(feeds, ...rest);
      };
    },
  });
  return { session: proxy, shapes };
}

describe('BatchRunner on a small CNN', () => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(classifierBytes());
  });
  afterAll(() => session.release());

  it('always feeds the session [B, ...] and trims the outputs to N samples', async () => {
    const recorded = recordingShapes(session);
    const runner = new BatchRunner(recorded.session, { batchSize: 4 });
    const { logits } = await runner.run({ input: images(6) });
    expect(logits.shape).toEqual([6, 10]);
    expect(logits.data.length).toBe(60);
    expect(recorded.shapes).toEqual([
      [4, 1, 28, 28],
      [4, 1, 28, 28],
    ]);
  });

  it('gives each sample exactly the outputs of an unpadded one-sample run', async () => {
    const x = images(7, 3);
    const padded = await new BatchRunner(session, { batchSize: 4 }).run({ input: x });
    for (let i = 0; i < 7; i++) {
      const one = new ort.Tensor('float32', x.data.slice(i * PIXELS, (i + 1) * PIXELS), [1, 1, 28, 28]);
      const alone = (await session.run({ input: one })).logits.data as Float32Array;
      expect(Array.from(padded.logits.data.subarray(i * 10, (i + 1) * 10))).toEqual(Array.from(alone));
    }
  });

  it('pads with the last sample or with zeros without changing any real sample', async () => {
    const x = images(5, 4);
    const repeat = await new BatchRunner(session, { batchSize: 8, padding: 'repeat-last' }).run({ input: x });
    const zeros = await new BatchRunner(session, { batchSize: 8, padding: 'zeros' }).run({ input: x });
    const exact = await new BatchRunner(session, { batchSize: 5 }).run({ input: x });
    expect(Array.from(repeat.logits.data)).toEqual(Array.from(exact.logits.data));
    expect(Array.from(zeros.logits.data)).toEqual(Array.from(exact.logits.data));
  });

  it('handles N smaller than, equal to and a multiple of the batch size, and N = 0', async () => {
    const runner = new BatchRunner(session, { batchSize: 3 });
    for (const n of [1, 3, 9, 10]) expect((await runner.run({ input: images(n) })).logits.shape).toEqual([n, 10]);
    const empty = await runner.run({ input: images(0) });
    expect(empty.logits).toEqual({ data: new Float32Array(0), shape: [0, 10] });
  });

  it('reports progress per batch and stops between batches when aborted', async () => {
    const runner = new BatchRunner(session, { batchSize: 2 });
    const progress: number[] = [];
    await runner.run({ input: images(5) }, { onBatch: (done, total) => progress.push(done / total) });
    expect(progress).toEqual([0.4, 0.8, 1]);
    const controller = new AbortController();
    const stopped = runner.run({ input: images(5) }, { signal: controller.signal, onBatch: () => controller.abort(new Error('cancelled')) });
    await expect(stopped).rejects.toThrow('cancelled');
  });

  it('rejects feeds that do not match the model with a one-line message naming the tensor', async () => {
    const runner = new BatchRunner(session, { batchSize: 2 });
    await expect(runner.run({ image: images(1) })).rejects.toThrow("the model has no input 'image' (inputs: input)");
    await expect(runner.run({ input: { data: new Float32Array(5), shape: [1, 1, 28, 28] } })).rejects.toThrow(
      "input 'input' has 5 values but shape [1, 1, 28, 28] needs 784",
    );
    await expect(runner.run({ input: images(1) }, { fetch: ['probs'] })).rejects.toThrow("the model has no output 'probs'");
    expect(() => new BatchRunner(session, { batchSize: 0 })).toThrow(BatchRunError);
  });
});

describe('BatchRunner with several inputs and outputs', () => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(vjpBytes());
  });
  afterAll(() => session.release());

  it('batches x and a cotangent v together, feeds a shared input whole, and returns both outputs', async () => {
    const n = 5;
    const x = { data: uniform(n * 4, 7), shape: [n, 4] };
    const v = { data: uniform(n * 3, 8), shape: [n, 3] };
    const s = { data: Float32Array.of(2), shape: [1] };
    const out = await new BatchRunner(session, { batchSize: 2 }).run({ x, v }, { shared: { s } });
    expect(out.logits.shape).toEqual([n, 3]);
    expect(out.vjp.shape).toEqual([n, 4]);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) {
        let logit = 0;
        for (let j = 0; j < 4; j++) logit += x.data[i * 4 + j] * W[j * 3 + k];
        expect(out.logits.data[i * 3 + k]).toBeCloseTo(logit, 5);
      }
      for (let j = 0; j < 4; j++) {
        let g = 0;
        for (let k = 0; k < 3; k++) g += 2 * v.data[i * 3 + k] * W[j * 3 + k];
        expect(out.vjp.data[i * 4 + j]).toBeCloseTo(g, 5);
      }
    }
  });

  it('computes only the outputs fetched', async () => {
    const out = await new BatchRunner(session, { batchSize: 4 }).run(
      { x: { data: uniform(4), shape: [1, 4] }, v: { data: uniform(3), shape: [1, 3] } },
      { shared: { s: { data: Float32Array.of(1), shape: [1] } }, fetch: ['vjp'] },
    );
    expect(Object.keys(out)).toEqual(['vjp']);
  });

  it('refuses batched inputs that disagree on the number of samples', async () => {
    const run = new BatchRunner(session, { batchSize: 2 }).run(
      { x: { data: uniform(8), shape: [2, 4] }, v: { data: uniform(9), shape: [3, 3] } },
      { shared: { s: { data: Float32Array.of(1), shape: [1] } } },
    );
    await expect(run).rejects.toThrow("inputs 'x' and 'v' hold 2 and 3 samples; batched inputs must agree");
  });
});

describe('fixed batch sizes', () => {
  it('reads a batch size the model fixes and refuses another one', async () => {
    const session = await ort.InferenceSession.create(fixedBatchBytes());
    expect(fixedBatchSize(session)).toBe(2);
    const x = { data: Float32Array.of(1, 2, 3), shape: [1, 3] };
    await expect(new BatchRunner(session, { batchSize: 4 }).run({ x })).rejects.toThrow(
      "input 'x' has a fixed batch size of 2; use batch size 2 for this model",
    );
    const { y } = await new BatchRunner(session, { batchSize: 2 }).run({ x });
    expect(y).toEqual({ data: Float32Array.of(2, 3, 4), shape: [1, 3] });
    await session.release();
  });
});

describe.skipIf(!hasSampleModel)('BatchRunner on the sample model', () => {
  it('gives each sample exactly the outputs of an unpadded one-sample run', async () => {
    const { session } = await createSession(readFileSync(SAMPLE_MODEL), { device: 'cpu' });
    const name = session.inputNames[0];
    const meta = session.inputMetadata[0];
    const rowShape = (meta.isTensor ? meta.shape.slice(1) : []).map((d) => (typeof d === 'number' ? d : 1));
    const row = rowShape.reduce((a, b) => a * b, 1);
    const n = 13;
    const x = { data: uniform(n * row, 11), shape: [n, ...rowShape] };
    const batched = await new BatchRunner(session, { batchSize: 8 }).run({ [name]: x });
    const single = new BatchRunner(session, { batchSize: 1 });
    for (let i = 0; i < n; i++) {
      const alone = await single.run({ [name]: { data: x.data.slice(i * row, (i + 1) * row), shape: [1, ...rowShape] } });
      for (const output of session.outputNames) {
        const size = alone[output].data.length;
        expect(Array.from(batched[output].data.subarray(i * size, (i + 1) * size))).toEqual(Array.from(alone[output].data));
      }
    }
    await session.release();
  });
});
