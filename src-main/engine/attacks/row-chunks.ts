// Jacobian rows in pieces that fit the memory plan: an attack that needs `rows` gradients per
// sample (untargeted FAB, DeepFool) reads them group of samples by group, chunk of rows by chunk,
// and keeps only what it needs of each chunk, so the full [n, rows, ...] Jacobian never exists.
import { rowChunks } from './memory-plan.js';
import type { DifferentiableModel } from './model.js';

/** One chunk's gradients: rows [rowStart, rowEnd) of samples [sample, sample + count). */
export interface RowChunk {
  sample: number;
  count: number;
  rowStart: number;
  rowEnd: number;
  /** Logits of the group's samples, [count, classes]. */
  logits: Float32Array;
  /** [count, rowEnd - rowStart, ...sampleShape]. */
  grad: Float32Array;
}

/**
 * Calls `visit` with every chunk of the rows of v ([n, rows, classes]) in order: samples first
 * in groups of model.rowPlan.samplesPerCall, and within a group rows in chunks of at most
 * rowsPerChunk (all samples and all rows in one call without a plan). `onChunk` hears
 * which chunk of the rows is next, for the stage.
 */
export async function forEachRowChunk(
  model: DifferentiableModel,
  x: Float32Array,
  v: Float32Array,
  n: number,
  rows: number,
  visit: (chunk: RowChunk) => void,
  onChunk?: (chunk: number, chunks: number) => void,
): Promise<void> {
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const c = model.classes;
  const group = Math.max(1, model.rowPlan?.samplesPerCall ?? n);
  const chunks = rowChunks(rows, model.rowPlan?.rowsPerChunk ?? rows);
  // Every chunk runs at the size of the largest, padded with zero cotangents, so one session serves them all.
  const size = Math.max(...chunks.map(([a, b]) => b - a));
  for (let sample = 0; sample < n; sample += group) {
    const count = Math.min(group, n - sample);
    const xs = x.subarray(sample * per, (sample + count) * per);
    for (let k = 0; k < chunks.length; k++) {
      const [rowStart, rowEnd] = chunks[k];
      onChunk?.(k, chunks.length);
      if (chunks.length === 1) {
        const out = await model.vjpRows(xs, v.subarray(sample * rows * c, (sample + count) * rows * c), count, rows);
        visit({ sample, count, rowStart, rowEnd, logits: out.logits, grad: out.grad });
        continue;
      }
      const vs = new Float32Array(count * size * c);
      for (let i = 0; i < count; i++) {
        const from = ((sample + i) * rows + rowStart) * c;
        vs.set(v.subarray(from, from + (rowEnd - rowStart) * c), i * size * c);
      }
      const out = await model.vjpRows(xs, vs, count, size);
      visit({ sample, count, rowStart, rowEnd, logits: out.logits, grad: unpad(out.grad, count, size, rowEnd - rowStart, per) });
    }
  }
}

/** [count, size, per] -> [count, used, per]: drops the padding rows. */
function unpad(grad: Float32Array, count: number, size: number, used: number, per: number): Float32Array {
  if (used === size) return grad;
  const out = new Float32Array(count * used * per);
  for (let i = 0; i < count; i++) out.set(grad.subarray(i * size * per, (i * size + used) * per), i * used * per);
  return out;
}
