import { describe, expect, it } from 'vitest';
import { expectedPeak, planMemory, ROW_FACTOR, rowChunks, SAMPLE_FACTOR, smallerPlan, WEIGHT_COPIES, type MemoryProbe } from './memory-plan.js';

const MB = 1e6;
/** A ResNet-18-like probe: 47 MB of weights, ~32 MB of activations and 0.6 MB of input per sample. */
const resnet: MemoryProbe = { weightBytes: 47 * MB, activationBytesPerSample: 32 * MB, inputBytesPerSample: 0.6 * MB };
/** A small CNN: everything fits at any sensible budget. */
const small: MemoryProbe = { weightBytes: 0.4 * MB, activationBytesPerSample: 0.18 * MB, inputBytesPerSample: 0.003 * MB };

describe('memory plan arithmetic', () => {
  it('expects weights, the Jacobian call and the gradients a group returns', () => {
    const p: MemoryProbe = { weightBytes: 10, activationBytesPerSample: 100, inputBytesPerSample: 1 };
    // batch 8, chunk 4: the Jacobian call runs 2 samples of 4 rows; plain calls 8 samples of one row.
    const jacobian = 2 * (SAMPLE_FACTOR * 100 + 4 * ROW_FACTOR * 100);
    const plain = 8 * (SAMPLE_FACTOR * 100 + ROW_FACTOR * 100);
    expect(expectedPeak(p, 8, 4)).toBeCloseTo(WEIGHT_COPIES * 10 + Math.max(jacobian, plain) + 2 * 8 * 4, 6);
    // More rows than samples: one sample per call, the rows dominate.
    expect(expectedPeak(p, 1, 999)).toBeCloseTo(WEIGHT_COPIES * 10 + SAMPLE_FACTOR * 100 + 999 * ROW_FACTOR * 100 + 2 * 999, 6);
  });

  it('keeps the requested batch and every row in one call when they fit (small models run as before)', () => {
    const plan = planMemory(small, { budgetBytes: 4e9, batch: 128, rows: 9 });
    expect(plan).toMatchObject({ batch: 128, rows: 9, rowsPerChunk: 9, fits: true });
    expect(plan.expectedPeakBytes).toBeLessThanOrEqual(4e9);
  });

  it('splits the 999 rows of untargeted FAB on a 1000-class model into chunks under the budget', () => {
    const budget = 8e9;
    const plan = planMemory(resnet, { budgetBytes: budget, batch: 8, rows: 999 });
    expect(plan.batch).toBe(8);
    expect(plan.rowsPerChunk).toBeGreaterThan(1);
    expect(plan.rowsPerChunk).toBeLessThan(999);
    expect(plan.expectedPeakBytes).toBeLessThanOrEqual(budget);
    // The largest chunk that fits: one more row would not.
    expect(expectedPeak(resnet, plan.batch, plan.rowsPerChunk + 1)).toBeGreaterThan(budget);
  });

  it('halves the batch until one row per call fits, then sizes the chunk', () => {
    const budget = 2e9;
    const plan = planMemory(resnet, { budgetBytes: budget, batch: 128, rows: 9 });
    expect(plan.batch).toBeLessThan(128);
    expect(expectedPeak(resnet, plan.batch, 1)).toBeLessThanOrEqual(budget);
    expect(expectedPeak(resnet, plan.batch * 2, 1)).toBeGreaterThan(budget);
    expect(plan.fits).toBe(true);
  });

  it('says when even one sample and one row exceed the budget', () => {
    const plan = planMemory(resnet, { budgetBytes: 100 * MB, batch: 8, rows: 999 });
    expect(plan).toMatchObject({ batch: 1, rowsPerChunk: 1, fits: false });
  });

  it('never plans above the limit an out-of-memory exit left', () => {
    const plan = planMemory(small, { budgetBytes: 4e9, batch: 128, rows: 9, limit: { batch: 16, rowsPerChunk: 3 } });
    expect(plan).toMatchObject({ batch: 16, rowsPerChunk: 3 });
  });

  it('retries with half the batch, then fewer rows per chunk, then gives up', () => {
    expect(smallerPlan({ batch: 8, rowsPerChunk: 100 })).toEqual({ batch: 4, rowsPerChunk: 100 });
    expect(smallerPlan({ batch: 1, rowsPerChunk: 100 })).toEqual({ batch: 1, rowsPerChunk: 50 });
    expect(smallerPlan({ batch: 1, rowsPerChunk: 1 })).toBeNull();
  });

  it('splits rows into even chunks covering every row once', () => {
    expect(rowChunks(9, 9)).toEqual([[0, 9]]);
    expect(rowChunks(9, 4)).toEqual([
      [0, 3],
      [3, 6],
      [6, 9],
    ]);
    const chunks = rowChunks(999, 100);
    expect(chunks).toHaveLength(10);
    expect(chunks.every(([a, b]) => b - a <= 100 && b - a >= 99)).toBe(true);
    expect(chunks.at(-1)![1]).toBe(999);
  });
});
