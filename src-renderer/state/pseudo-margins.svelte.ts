import type { PseudoMarginDetail, PseudoMarginProgress, PseudoMarginSummary } from '../../src-preload/contract';
import { api } from '../lib/api';
import { errorMessage, handleError } from './handle-error';

/**
 * The model page's pseudo-margins: the shown model's list, the one opened for its curves, and
 * the training in flight (one at a time, in a job process; its progress arrives as events).
 */
class PseudoMargins {
  modelId = $state<string | null>(null);
  list = $state.raw<PseudoMarginSummary[]>([]);
  shown = $state.raw<PseudoMarginDetail | null>(null);
  training = $state.raw<PseudoMarginProgress | null>(null);
  /** Why the last training of the shown model did not store a network, one line. */
  failure = $state('');

  connect(): void {
    api.on('pseudoMargin.progress', (progress) => {
      this.training = progress.status === 'running' ? progress : null;
      if (progress.status === 'failed' && progress.modelId === this.modelId) this.failure = progress.error ?? 'the training failed';
      if (progress.status === 'done' && progress.pseudoMarginId && progress.modelId === this.modelId) void this.open(progress.pseudoMarginId);
    });
    api.on('pseudoMargins.changed', ({ modelId }) => {
      if (modelId === this.modelId) void this.load(modelId);
    });
  }

  async load(modelId: string): Promise<void> {
    if (this.modelId !== modelId) this.shown = null;
    this.modelId = modelId;
    try {
      const [list, jobs] = await Promise.all([api.invoke('pseudoMargin.list', { modelId }), api.invoke('pseudoMargin.jobs', {})]);
      if (this.modelId !== modelId) return;
      this.list = list;
      this.training = jobs[0] ?? null;
      if (this.shown && !list.some((p) => p.id === this.shown!.id)) this.shown = null;
    } catch (error) {
      handleError(error, 'Could not list the pseudo-margins');
    }
  }

  async train(args: { runId: string; input: 'logits' | 'features' | 'both'; variant: 'code' | 'paper'; seed: number; epochs: number }): Promise<void> {
    this.failure = '';
    try {
      await api.invoke('pseudoMargin.train', args);
    } catch (error) {
      this.failure = errorMessage(error);
    }
  }

  async cancel(): Promise<void> {
    if (!this.training) return;
    try {
      await api.invoke('pseudoMargin.cancel', { jobId: this.training.jobId });
    } catch (error) {
      handleError(error, 'Could not cancel the training');
    }
  }

  async open(id: string): Promise<void> {
    try {
      this.shown = await api.invoke('pseudoMargin.get', { id });
    } catch (error) {
      handleError(error, 'Could not open the pseudo-margin');
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await api.invoke('pseudoMargin.remove', { id });
      if (this.shown?.id === id) this.shown = null;
    } catch (error) {
      handleError(error, 'Could not remove the pseudo-margin');
    }
  }
}

export const pseudoMargins = new PseudoMargins();
