// Session creation in onnxruntime-node is synchronous native code, so a timer in this thread
// cannot interrupt a WebGPU adapter request that hangs (a wedged driver). The probe runs in a
// worker thread instead: this thread stays free, gives up after a timeout, and never touches
// WebGPU itself unless the probe succeeded.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { onnx } from '../onnx/proto.js';
import { readableReason } from './reasons.js';

export interface ProbeResult {
  ok: boolean;
  reason?: string;
}

export const WEBGPU_PROBE_TIMEOUT_MS = 5_000;

/** Opens a one-node model on the WebGPU provider and reports whether that worked. */
const WEBGPU_PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortEntry);
ort.InferenceSession.create(workerData.model, { executionProviders: ['webgpu'] })
  .then((session) => session.release())
  .then(() => parentPort.postMessage({ ok: true }), (error) => parentPort.postMessage({ ok: false, error: String(error && error.message || error) }));
`;

let cached: Promise<ProbeResult> | undefined;

/** Whether WebGPU can open a session here; asked once per process, since adapters do not come and go. */
export function probeWebgpu(timeoutMs = WEBGPU_PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  cached ??= probeInWorker(WEBGPU_PROBE, { ortEntry: createRequire(import.meta.url).resolve('onnxruntime-node'), model: reluModel() }, timeoutMs, 'WebGPU');
  return cached;
}

/**
 * Runs `source` (CommonJS, posting one `{ ok, error? }` message) in a worker thread. A worker stuck
 * in native code cannot be stopped, so on timeout it is unref'd and abandoned rather than awaited.
 */
export function probeInWorker(source: string, workerData: unknown, timeoutMs: number, what: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const worker = new Worker(source, { eval: true, workerData });
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.unref();
      void worker.terminate().catch(() => undefined);
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `the ${what} probe did not answer within ${timeoutMs / 1000} s` }), timeoutMs);
    worker.on('message', (message: { ok: boolean; error?: string }) =>
      finish(message.ok ? { ok: true } : { ok: false, reason: readableReason(message.error ?? 'unknown error') }),
    );
    worker.on('error', (error) => finish({ ok: false, reason: readableReason(error) }));
    worker.on('exit', (code) => finish({ ok: false, reason: `the ${what} probe exited with code ${code}` }));
  });
}

/** y = Relu(x), x float32 [1, 4]: enough for the provider to initialise its device. */
function reluModel(): Uint8Array {
  const tensor = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } } });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'probe', input: [tensor('x')], output: [tensor('y')], node: [{ opType: 'Relu', input: ['x'], output: ['y'] }] },
  }).finish();
}
