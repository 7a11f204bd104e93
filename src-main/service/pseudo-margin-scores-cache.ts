import type { JobProcesses } from '../jobs/protocol.js';
import type { ProjectStore } from '../store/project-store.js';
import { pseudoMarginScores, type PseudoMarginScores } from './pseudo-margin-scores.js';
import { RecentlyUsed } from './recently-used.js';

/** Scores kept at once: the run the Screen view calibrates on, the screener dialog's, and a few before. */
const KEPT = 4;

/**
 * A pseudo-margin's scores on a run, computed once in a job process and shared by the
 * calibrations on them: the screener dialog recalibrates at each epsilon or TPR typed, and a
 * features pass over a run of a large model takes minutes. The key holds what changes the
 * scores (the run's count of done samples and its status); a computation in flight is shared,
 * a failed one forgotten.
 */
export class PseudoMarginScoresCache {
  private readonly entries = new RecentlyUsed<string, Promise<PseudoMarginScores>>(KEPT);

  constructor(private readonly processes: JobProcesses) {}

  get(store: ProjectStore, runId: string, pseudoMarginId: string): Promise<PseudoMarginScores> {
    // A removed pseudo-margin is refused here as pseudoMarginScores refuses it, never served from memory.
    store.pseudoMargins.get(pseudoMarginId);
    const run = store.runs.summary(runId);
    const key = JSON.stringify([store.info().path, runId, run.doneCount, run.status, pseudoMarginId]);
    const cached = this.entries.get(key);
    if (cached) return cached;
    const scores = pseudoMarginScores(store, this.processes, runId, pseudoMarginId);
    this.entries.set(key, scores);
    scores.catch(() => this.entries.deleteIf(key, scores));
    return scores;
  }
}
