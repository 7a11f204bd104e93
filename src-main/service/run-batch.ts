import type { RunConfig } from '../../src-preload/contract.js';

/**
 * Batches are padded to one fixed shape (DESIGN.md section 4), so a run of fewer samples than its
 * batch size would compute and plan memory for padding: its batch is its sample count.
 */
export function withRunBatch(config: RunConfig, samples: number): RunConfig {
  return { ...config, batchSize: Math.max(1, Math.min(config.batchSize, samples)) };
}
