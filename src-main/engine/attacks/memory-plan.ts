// How many samples an attack call holds and how many Jacobian rows one gradient call computes,
// so that the peak memory of a job stays under its budget. The Jacobian-mode gradient graph
// (buildGradientModel's rowsPerSample) repeats every activation the backward reads once per row,
// so an untargeted FAB step on a 1000-class model needs ~999 copies of a sample's activations:
// the rows are split into chunks instead, each chunk one call, with the same gradients.
// The budget covers what the plan controls (the gradient sessions' weights and the attacks'
// working memory); the job process's own baseline (Node, the project, the forward session) is
// measured by the worker and recorded beside the plan.

/** What one sample costs the gradient graph, from the model's value shapes (see activationBytes). */
export interface MemoryProbe {
  /** Bytes of the weights (the sessions hold a few copies: forward, gradient, Jacobian mode). */
  weightBytes: number;
  /** Bytes of the forward pass's intermediate values for one sample: what the backward keeps. */
  activationBytesPerSample: number;
  /** Bytes of one input sample: each Jacobian row's gradient is one. */
  inputBytesPerSample: number;
}

export interface MemoryPlan {
  budgetBytes: number;
  /** Samples per gradient call (the attack model's batch). */
  batch: number;
  /** Jacobian rows the attacks need per sample (C - 1 for untargeted FAB, candidates - 1 for DeepFool, 1 otherwise). */
  rows: number;
  /** Rows per gradient call; rows when they fit, fewer in chunks otherwise. */
  rowsPerChunk: number;
  /** The peak the plan expects, in bytes. */
  expectedPeakBytes: number;
  /** False when even one sample with one row per call is expected to exceed the budget. */
  fits: boolean;
}

/**
 * Sessions held at once: forward-only, gradient and Jacobian mode each keep the weights, and
 * onnxruntime's CPU arena holds about as much again while it lays out a run.
 */
export const WEIGHT_COPIES = 4;
/**
 * A Jacobian row keeps a copy of the activations the backward reads and the gradients flowing
 * back through them. Measured on ResNet-18 at 224x224 (24 MB of activations per sample, CPU,
 * chunks of 45 and 222 rows): 1.1-1.2x the activations per row; 1.5 leaves a margin.
 */
export const ROW_FACTOR = 1.5;
/** The forward pass of a gradient call keeps each sample's activations once more than a plain forward. */
export const SAMPLE_FACTOR = 1.5;
/** The share of the free memory a job may take when the user set no budget. */
export const FREE_MEMORY_SHARE = 0.6;
/**
 * The share of the GPU's free memory a job may take on CUDA or WebGPU when the user set no
 * budget: onnxruntime's CUDA arena grows by doubling its last chunk (kNextPowerOfTwo), so the
 * memory it reserves can reach about twice what the plan uses at once.
 */
export const GPU_MEMORY_SHARE = 0.5;

/**
 * Expected peak of one gradient call: the Jacobian session runs max(1, floor(batch / chunk))
 * samples with `chunk` rows each (so that its backward tensors match the plain session's batch),
 * plain vector-Jacobian products run `batch` samples with one row, and the attacks take the rows
 * of `batch` samples at a time (rowChunks in engine/attacks/row-chunks).
 */
export function expectedPeak(probe: MemoryProbe, batch: number, rowsPerChunk: number): number {
  const a = probe.activationBytesPerSample;
  const fixed = WEIGHT_COPIES * probe.weightBytes;
  const samplesPerJacobianCall = Math.max(1, Math.floor(batch / rowsPerChunk));
  const jacobian = samplesPerJacobianCall * (SAMPLE_FACTOR * a + rowsPerChunk * ROW_FACTOR * a);
  const plain = batch * (SAMPLE_FACTOR * a + ROW_FACTOR * a);
  // The gradients of a group of `batch` samples come back together (onnxruntime's output and the attack's copy).
  const gradients = 2 * batch * rowsPerChunk * probe.inputBytesPerSample;
  return fixed + Math.max(jacobian, plain) + gradients;
}

/**
 * The largest plan under the budget: the requested batch (halved until it fits), then as many
 * rows per chunk as fit. `limit` caps both after an out-of-memory exit (the retry's smaller plan).
 */
export function planMemory(
  probe: MemoryProbe,
  options: { budgetBytes: number; batch: number; rows: number; limit?: { batch: number; rowsPerChunk: number } },
): MemoryPlan {
  const rows = Math.max(1, options.rows);
  const fitsBudget = (b: number, r: number) => expectedPeak(probe, b, r) <= options.budgetBytes;
  let batch = Math.max(1, Math.min(options.batch, options.limit?.batch ?? Infinity));
  while (batch > 1 && !fitsBudget(batch, 1)) batch = Math.ceil(batch / 2);
  let chunk = Math.max(1, Math.min(rows, options.limit?.rowsPerChunk ?? Infinity));
  if (!fitsBudget(batch, chunk)) {
    // The peak grows with the chunk: bisect for the largest that fits.
    let lo = 1;
    let hi = chunk;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fitsBudget(batch, mid)) lo = mid;
      else hi = mid - 1;
    }
    chunk = lo;
  }
  const peak = expectedPeak(probe, batch, chunk);
  return { budgetBytes: options.budgetBytes, batch, rows, rowsPerChunk: chunk, expectedPeakBytes: peak, fits: peak <= options.budgetBytes };
}

/**
 * The plan to retry with after the job ran out of memory with `failed`: half the batch, then,
 * at one sample, half the rows per chunk; null when there is nothing smaller to try.
 */
export function smallerPlan(failed: Pick<MemoryPlan, 'batch' | 'rowsPerChunk'>): { batch: number; rowsPerChunk: number } | null {
  if (failed.batch > 1) return { batch: Math.ceil(failed.batch / 2), rowsPerChunk: failed.rowsPerChunk };
  if (failed.rowsPerChunk > 1) return { batch: 1, rowsPerChunk: Math.ceil(failed.rowsPerChunk / 2) };
  return null;
}

/** Chunks of at most `size` rows that split `rows` evenly: [start, end) pairs. */
export function rowChunks(rows: number, size: number): [number, number][] {
  const count = Math.ceil(rows / Math.max(1, size));
  const out: [number, number][] = [];
  for (let k = 0; k < count; k++) out.push([Math.floor((k * rows) / count), Math.floor(((k + 1) * rows) / count)]);
  return out;
}
