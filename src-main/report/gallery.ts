/**
 * The example galleries (REPORT.md section 6, item 12): the most brittle correctly classified
 * samples, the confident-but-brittle ones (large logit margin, input margin within the audit
 * epsilon) and the most robust ones, each tile from the sample explorer's images.
 */
import type { RunAnalysis, RunSampleRow } from '../../src-preload/contract.js';
import { confidenceScores } from '../engine/metrics/scores.js';
import type { ProjectStore } from '../store/project-store.js';
import { slack } from '../service/run-results.js';
import { sampleExplorerItem } from '../service/sample-explorer.js';
import { epsilon } from './format.js';
import { printImage } from './print-image.js';
import type { Gallery, GalleryTile } from './report-data.js';

export const GALLERY_SIZE = 6;

/** Softmax confidence of the predicted class, as the score table's max-probability computes it. */
function topProbability(logits: number[]): number {
  return confidenceScores(Float32Array.from(logits), logits.length)['max-probability'][0];
}

async function tile(store: ProjectStore, runId: string, position: number): Promise<GalleryTile> {
  const item = await sampleExplorerItem(store, runId, position);
  const names = item.classNames;
  const r = item.row;
  return {
    position,
    index: r.index,
    label: r.label,
    labelName: names?.[r.label] ?? null,
    pred: r.pred,
    predName: names?.[r.pred] ?? null,
    adversarialPred: item.adversarialPred,
    adversarialName: item.adversarialPred === null ? null : (names?.[item.adversarialPred] ?? null),
    confidence: topProbability(item.logits),
    adversarialConfidence: item.adversarialLogits ? topProbability(item.adversarialLogits) : null,
    inputMargin: r.marginFound ? r.inputMargin : null,
    logitMargin: r.logitMargin,
    attack: r.bestAttack,
    original: await printImage(item.original),
    adversarial: item.adversarial && (await printImage(item.adversarial)),
    perturbation: item.perturbation && (await printImage(item.perturbation)),
    amplification: item.amplification,
  };
}

function tiles(store: ProjectStore, runId: string, positions: number[]): Promise<GalleryTile[]> {
  return Promise.all(positions.slice(0, GALLERY_SIZE).map((p) => tile(store, runId, p)));
}

function firstCorrect(rows: RunSampleRow[]): number[] {
  return rows.filter((r) => r.correct).map((r) => r.position);
}

export async function galleries(store: ProjectStore, a: RunAnalysis): Promise<Gallery[]> {
  const noMargins = 'The run ran no minimal-norm attack, so no sample has an input margin to rank by.';
  const brittle = a.norm ? firstCorrect(store.runs.samples(a.runId, { offset: 0, limit: 500, sort: 'inputMargin', filter: 'found' }).rows) : [];
  const limit = slack(a.auditEpsilon);
  const confident = (a.consistency?.scatter ?? [])
    .filter((p) => p.correct && p.inputMargin <= limit)
    .sort((x, y) => y.logitMargin - x.logitMargin || x.position - y.position)
    .map((p) => p.position);
  const censored = a.norm ? store.runs.samples(a.runId, { offset: 0, limit: GALLERY_SIZE, sort: 'logitMargin', descending: true, filter: 'censored' }).rows : [];
  const largest = a.norm ? store.runs.samples(a.runId, { offset: 0, limit: GALLERY_SIZE, sort: 'inputMargin', descending: true, filter: 'found' }).rows : [];
  const robust = [...censored, ...largest].map((r) => r.position);
  return [
    {
      id: 'brittle-correct',
      title: 'Most brittle correctly classified samples',
      rule: 'Correct predictions with the smallest verified input margins.',
      tiles: await tiles(store, a.runId, brittle),
      empty: a.norm ? (brittle.length ? null : 'No correctly classified sample has a verified margin.') : noMargins,
    },
    {
      id: 'confident-brittle',
      title: 'Confident but brittle samples',
      rule: `Correct predictions with an input margin within ε = ${epsilon(a.auditEpsilon)}, largest logit margin first: the decisions the model's confidence misjudges.`,
      tiles: await tiles(store, a.runId, confident),
      empty: a.norm ? (confident.length ? null : `No correct sample has a verified margin within ${epsilon(a.auditEpsilon)}.`) : noMargins,
    },
    {
      id: 'most-robust',
      title: 'Most robust samples',
      rule: 'Censored samples (no adversarial found within budget) by logit margin, then the largest verified margins.',
      tiles: await tiles(store, a.runId, robust),
      empty: a.norm ? (robust.length ? null : 'No sample was attacked.') : noMargins,
    },
  ];
}
