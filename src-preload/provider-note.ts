import type { ProviderAttempt } from './contract';

/**
 * What a run's numbers mean given the provider it ran on, in one line; null on CPU. GPU kernels
 * sum in an order of their own (atomics, split reductions, cuDNN's algorithm choice), so a rerun
 * agrees with the first run, and with the CPU, within a tolerance rather than bit for bit.
 */
export function providerNote(provider: string | null, attempts: readonly ProviderAttempt[]): string | null {
  if (provider !== 'cuda' && provider !== 'webgpu') return null;
  const note = 'GPU results are reproducible within tolerance, not bit for bit';
  const tf32 = attempts.find((a) => a.ok && a.provider === 'cuda')?.tf32;
  if (provider !== 'cuda' || tf32 === undefined) return note;
  return `${note}; TF32 ${tf32 ? 'allowed (BRINK_ALLOW_TF32=1): float32 products rounded to 10-bit mantissas' : 'off (full float32 math)'}`;
}
