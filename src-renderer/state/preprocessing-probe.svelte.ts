import type { PreprocessingProbe } from '../../src-preload/contract';
import { api } from '../lib/api';
import { errorMessage } from './handle-error';

/**
 * The preprocessing test of the model page: the last result per model, kept while the user
 * moves around the project, and the one test in flight (it runs in a worker and takes seconds).
 */
class PreprocessingProbes {
  results = $state.raw<Record<string, PreprocessingProbe>>({});
  /** The model whose test is running, or null. */
  running = $state<string | null>(null);
  /** Why the last test of a model failed, one line. */
  failures = $state.raw<Record<string, string>>({});

  async run(modelId: string, datasetId: string): Promise<void> {
    if (this.running) return;
    this.running = modelId;
    this.failures = { ...this.failures, [modelId]: '' };
    try {
      const result = await api.invoke('model.probePreprocessing', { id: modelId, datasetId });
      this.results = { ...this.results, [modelId]: result };
    } catch (error) {
      this.failures = { ...this.failures, [modelId]: errorMessage(error) };
    } finally {
      this.running = null;
    }
  }
}

export const preprocessingProbes = new PreprocessingProbes();
