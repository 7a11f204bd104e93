import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { AUTO_ORDER, createSession, RuntimeProviderError, sessionOptions } from './providers.js';
import { missingCudaLibrary } from './reasons.js';
import { classifierBytes, hasSampleModel, SAMPLE_MODEL, uniform } from './test-models.js';
import { probeInWorker, probeWebgpu } from './webgpu-probe.js';

const noCudaLibraries = missingCudaLibrary() !== null;
const noWebgpu = !(await probeWebgpu()).ok;

async function logits(session: InferenceSession, seed = 1): Promise<Float32Array> {
  const input = new ort.Tensor('float32', uniform(2 * 784, seed), [2, 1, 28, 28]);
  return (await session.run({ input })).logits.data as Float32Array;
}

describe('sessionOptions', () => {
  it('keeps intra-op threads from spinning between runs, beside the external data folder', () => {
    expect(sessionOptions('cpu', { intraOpThreads: 2, externalData: { dir: '/models/weights' } })).toEqual({
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 2,
      extra: { session: { model_external_initializers_file_folder_path: '/models/weights', intra_op: { allow_spinning: '0' } } },
    });
    expect(sessionOptions('cpu', {}).extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
  });
});

describe('createSession', () => {
  it('builds the model for each provider it tries, only when that provider is about to open it', async () => {
    const built: string[] = [];
    const { session, provider, attempts } = await createSession(
      (p) => {
        built.push(p);
        return classifierBytes();
      },
      { device: 'auto' },
    );
    // Providers passed over before opening (no CUDA library, no WebGPU adapter) never build.
    expect(built).toEqual([...new Set(built)]);
    expect(built.at(-1)).toBe(provider);
    expect(built.every((p) => attempts.some((a) => a.provider === p))).toBe(true);
    await session.release();
  });

  it('auto tries cuda, webgpu, cpu in order and records a one-line reason for each failure', async () => {
    const { session, provider, attempts } = await createSession(classifierBytes(), { device: 'auto' });
    expect(attempts.map((a) => a.provider)).toEqual(AUTO_ORDER.slice(0, attempts.length));
    expect(attempts.at(-1)).toEqual({ provider, ok: true });
    for (const failed of attempts.slice(0, -1)) {
      expect(failed.ok).toBe(false);
      expect(failed.reason).toMatch(/^[^\n]{5,300}$/);
    }
    expect(await logits(session)).toHaveLength(20);
    await session.release();
  });

  it.runIf(noCudaLibraries && noWebgpu)('auto ends on cpu here, after cuda and webgpu failed for readable reasons', async () => {
    const { session, provider, attempts } = await createSession(classifierBytes(), { device: 'auto' });
    expect(provider).toBe('cpu');
    expect(attempts).toEqual([
      { provider: 'cuda', ok: false, reason: expect.stringContaining('libonnxruntime_providers_') },
      { provider: 'webgpu', ok: false, reason: expect.stringMatching(/^no WebGPU adapter/) },
      { provider: 'cpu', ok: true },
    ]);
    // The failed attempts left nothing broken behind: the cpu session computes what a fresh one does.
    const fresh = await ort.InferenceSession.create(classifierBytes());
    expect(Array.from(await logits(session, 5))).toEqual(Array.from(await logits(fresh, 5)));
    await Promise.all([session.release(), fresh.release()]);
  });

  it('opens an explicit cpu session without trying anything else', async () => {
    const { session, provider, attempts } = await createSession(classifierBytes(), { device: 'cpu' });
    expect({ provider, attempts }).toEqual({ provider: 'cpu', attempts: [{ provider: 'cpu', ok: true }] });
    await session.release();
  });

  it.runIf(noCudaLibraries)('throws RuntimeProviderError for explicit cuda instead of falling back', async () => {
    const error = await createSession(classifierBytes(), { device: 'cuda' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeProviderError);
    const { message, device, attempts } = error as RuntimeProviderError;
    expect(message).toMatch(/^cannot run on cuda: libonnxruntime_providers_\w+\.so is missing: onnxruntime-node [\d.]+ was installed without its CUDA provider/);
    expect(message).not.toContain('\n');
    expect(device).toBe('cuda');
    expect(attempts).toHaveLength(1);
  });

  it.runIf(noWebgpu)('throws RuntimeProviderError for explicit webgpu without an adapter', async () => {
    await expect(createSession(classifierBytes(), { device: 'webgpu' })).rejects.toThrow(/^cannot run on webgpu: no WebGPU adapter/);
  });

  it('accepts an intra-op thread count and gives the same results with any count', async () => {
    const one = await createSession(classifierBytes(), { device: 'cpu', intraOpThreads: 1 });
    const two = await createSession(classifierBytes(), { device: 'cpu', intraOpThreads: 2 });
    const auto = await createSession(classifierBytes(), { device: 'cpu', intraOpThreads: 0 });
    expect(Array.from(await logits(one.session))).toEqual(Array.from(await logits(two.session)));
    expect(Array.from(await logits(auto.session))).toEqual(Array.from(await logits(two.session)));
    await Promise.all([one, two, auto].map((s) => s.session.release()));
    await expect(createSession(classifierBytes(), { device: 'cpu', intraOpThreads: -1 })).rejects.toThrow(RangeError);
    await expect(createSession(classifierBytes(), { device: 'cpu', intraOpThreads: 1.5 })).rejects.toThrow(/whole number/);
  });

  it('names the device and the reason when the model itself cannot be opened', async () => {
    const error = await createSession(Uint8Array.of(1, 2, 3), { device: 'auto' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeProviderError);
    expect((error as Error).message).toMatch(/^cannot run on cpu: [^\n]+$/);
  });

  it('refuses an unknown device by name', async () => {
    await expect(createSession(classifierBytes(), { device: 'gpu' as 'cpu' })).rejects.toThrow(
      "cannot run on gpu: unknown device 'gpu' (use auto, cuda, webgpu, cpu)",
    );
  });
});

describe('the WebGPU probe', () => {
  it('treats a probe that hangs as a failure after its timeout', async () => {
    const started = performance.now();
    const result = await probeInWorker('while (true) {}', null, 300, 'WebGPU');
    expect(result).toEqual({ ok: false, reason: 'the WebGPU probe did not answer within 0.3 s' });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('reports a probe that crashes', async () => {
    expect(await probeInWorker("throw new Error('driver exploded')", null, 5_000, 'WebGPU')).toEqual({ ok: false, reason: 'driver exploded' });
  });

  it('is asked once per process', async () => {
    expect(probeWebgpu()).toBe(probeWebgpu());
  });
});

describe.skipIf(!hasSampleModel)('createSession on the sample model', () => {
  it('opens it on cpu and on auto', async () => {
    const bytes = readFileSync(SAMPLE_MODEL);
    const cpu = await createSession(bytes, { device: 'cpu', intraOpThreads: 2 });
    const auto = await createSession(bytes, { device: 'auto' });
    expect(cpu.session.inputNames).toEqual(auto.session.inputNames);
    await Promise.all([cpu.session.release(), auto.session.release()]);
  });
});
