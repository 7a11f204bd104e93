// Execution-provider choice (DESIGN.md section 4): `auto` tries cuda, webgpu, cpu in that order
// and records why each one it passed over failed; an explicit device never falls back.
import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { cudaLibraryProblem, cudaRuntimeMessage, missingCudaLibrary, readableReason } from './reasons.js';
import { probeWebgpu, WEBGPU_PROBE_TIMEOUT_MS } from './webgpu-probe.js';

export type Device = 'auto' | 'cuda' | 'webgpu' | 'cpu';
export type Provider = Exclude<Device, 'auto'>;

export const DEVICES: readonly Device[] = ['auto', 'cuda', 'webgpu', 'cpu'];
export const AUTO_ORDER: readonly Provider[] = ['cuda', 'webgpu', 'cpu'];

export interface ProviderAttempt {
  provider: Provider;
  ok: boolean;
  /** One readable line, present when the attempt failed. */
  reason?: string;
}

export interface CreateSessionOptions {
  device: Device;
  /** Threads onnxruntime uses inside one operator; 0 or absent lets it choose (one per core). */
  intraOpThreads?: number;
  /** How long the WebGPU probe may take before WebGPU counts as unavailable. */
  webgpuProbeTimeoutMs?: number;
  /**
   * The folder holding the model's external data files (external-data.ts), for a model that has
   * any. Without it onnxruntime would look for them in the working directory.
   */
  externalData?: { readonly dir: string };
}

export interface RuntimeSession {
  session: InferenceSession;
  provider: Provider;
  /** Every provider tried, in order; the last one is the one that ran (ok: true). */
  attempts: ProviderAttempt[];
}

/** The device asked for cannot run the model; the message is one line naming both. */
export class RuntimeProviderError extends Error {
  constructor(
    readonly device: Device,
    readonly reason: string,
    readonly attempts: ProviderAttempt[],
  ) {
    super(`cannot run on ${device}: ${reason}`);
    this.name = 'RuntimeProviderError';
  }
}

/**
 * The model to open: the same bytes for every provider, or bytes built for the provider being
 * tried (a gradient graph uses only ops that provider has kernels for), built only once it is
 * about to be opened there.
 */
export type ModelForProvider = Uint8Array | ((provider: Provider) => Uint8Array);

export async function createSession(model: ModelForProvider, options: CreateSessionOptions): Promise<RuntimeSession> {
  const { device, intraOpThreads } = options;
  if (!DEVICES.includes(device)) {
    throw new RuntimeProviderError(device, `unknown device '${String(device)}' (use ${DEVICES.join(', ')})`, []);
  }
  if (intraOpThreads !== undefined && !(Number.isSafeInteger(intraOpThreads) && intraOpThreads >= 0)) {
    throw new RangeError(`intra-op threads must be a whole number >= 0 (0 lets onnxruntime choose), got ${intraOpThreads}`);
  }
  const attempts: ProviderAttempt[] = [];
  for (const provider of device === 'auto' ? AUTO_ORDER : [device]) {
    try {
      const session = await openOn(provider, model, options);
      attempts.push({ provider, ok: true });
      return { session, provider, attempts };
    } catch (error) {
      attempts.push({ provider, ok: false, reason: explainFailure(provider, error) });
    }
  }
  const last = attempts[attempts.length - 1];
  throw new RuntimeProviderError(device === 'auto' ? last.provider : device, last.reason ?? 'unknown error', attempts);
}

async function openOn(provider: Provider, model: ModelForProvider, options: CreateSessionOptions): Promise<InferenceSession> {
  // Asking onnxruntime for a provider library it does not have only adds a native error to stderr.
  const missing = provider === 'cuda' ? missingCudaLibrary() : null;
  if (missing !== null) throw new Error(missing);
  if (provider === 'webgpu') {
    const probe = await probeWebgpu(options.webgpuProbeTimeoutMs ?? WEBGPU_PROBE_TIMEOUT_MS);
    if (!probe.ok) throw new Error(probe.reason);
  }
  return ort.InferenceSession.create(typeof model === 'function' ? model(provider) : model, sessionOptions(provider, options));
}

/**
 * Intra-op threads do not spin between runs: an attack alternates several sessions (forward,
 * gradient, shared-forward gradient) with its own JavaScript, and each session's idle pool kept
 * spinning on the cores the active one needed. Measured on 2 cores, FAB with 2 threads ran at
 * 12.5-14.3 samples/s spinning and 21.5 without (19.8 with 1 thread); `bench/attacks.ts --threads 2`.
 */
export function sessionOptions(provider: Provider, options: Pick<CreateSessionOptions, 'intraOpThreads' | 'externalData'>): InferenceSession.SessionOptions {
  const external = options.externalData ? { model_external_initializers_file_folder_path: options.externalData.dir } : {};
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    extra: { session: { ...external, intra_op: { allow_spinning: '0' } } },
  };
}

function explainFailure(provider: Provider, error: unknown): string {
  const reason = readableReason(error);
  if (provider === 'cuda' && /failed to load shared library/i.test(reason)) return cudaLibraryProblem() ?? reason;
  return provider === 'cuda' ? cudaRuntimeMessage(reason) : reason;
}

/**
 * A model created from bytes finds its external files through this session setting
 * (onnxruntime_session_options_config_keys.h), so an edited graph (folded preprocessing, the
 * backward pass) still reads the weights where they are, checked by onnxruntime not to leave it.
 */
export function externalDataOptions(folder: { readonly dir: string } | undefined): Pick<InferenceSession.SessionOptions, 'extra'> {
  return folder ? { extra: { session: { model_external_initializers_file_folder_path: folder.dir } } } : {};
}
