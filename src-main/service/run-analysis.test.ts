import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackSettings, RunConfig } from '../../src-preload/contract.js';
import { subsetIndices } from '../jobs/subset.js';
import { samplesDir } from '../paths.js';
import type { MarginColumns } from '../store/run-repo.js';
import { newId, ProjectStore } from '../store/project-store.js';
import { forwardMargins } from '../worker/forward-margins.js';
import { AnalysisCache } from './analysis-cache.js';
import { analyzeRun, epsilonGrid, runAnalysis, type AnalysisInput } from './run-analysis.js';
import { runDetail } from './run-results.js';
import { buildSampleProject } from './sample-project.js';

/** P(s+ > s-) + P(s+ = s-)/2 over all pairs: AUROC written out, with the score -logit margin. */
function bruteAuroc(logitMargin: number[], positive: boolean[]): number {
  let sum = 0;
  let pairs = 0;
  positive.forEach((p, i) => {
    if (!p) return;
    positive.forEach((q, j) => {
      if (q) return;
      pairs++;
      sum += -logitMargin[i] > -logitMargin[j] ? 1 : -logitMargin[i] === -logitMargin[j] ? 0.5 : 0;
    });
  });
  return sum / pairs;
}

describe('the analysis of a finished attack run of the sample robust CNN', () => {
  let root: string;
  let store: ProjectStore;
  let robustId: string;
  let standardId: string;
  let datasetId: string;
  let attackRun: string;
  let forwardRun: string;

  async function run(modelId: string, attack: AttackSettings | null, count: number): Promise<string> {
    const config: RunConfig = { modelId, datasetId, subset: { mode: 'first', count }, batchSize: 100, device: 'cpu', attack };
    const id = newId('r');
    store.runs.create({ id, config, sampleCount: subsetIndices(config.subset, store.datasets.get(datasetId).count).length, appVersion: 'test' });
    const outcome = await forwardMargins({ store, runId: id, intraOpThreads: 1, stopRequested: () => false, progress: () => undefined, log: () => undefined });
    expect(outcome).toBe('done');
    store.runs.setStatus(id, 'done');
    return id;
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-analysis-'));
    await buildSampleProject(samplesDir, join(root, 'sample.brink'));
    store = ProjectStore.open(join(root, 'sample.brink'));
    datasetId = store.datasets.list()[0].id;
    robustId = store.models.list().find((m) => m.name === 'fmnist-cnn-robust')!.id;
    standardId = store.models.list().find((m) => m.name === 'fmnist-cnn-standard')!.id;
    attackRun = await run(robustId, { attacks: ['deepfool', 'apgd-ce'], norm: 'linf', epsilons: [8 / 255], iterations: 10, restarts: 1, targeted: null, seed: 0 }, 200);
    forwardRun = await run(robustId, null, 1000);
  }, 120_000);
  afterAll(() => store?.close());

  it('gives every sample a verified margin, and Kendall tau, robust accuracy and AUROC equal their definitions over the stored rows', () => {
    const a = runAnalysis(store, attackRun);
    const rows = [...store.runs.allSamples(attackRun)];
    expect(a.samples).toBe(200);
    expect(a.found + a.censored).toBe(200);
    expect(a.consistency!.kendallTau).toBeGreaterThan(0.3);
    const [lo, hi] = a.consistency!.kendallTauCi!;
    expect(lo).toBeLessThan(a.consistency!.kendallTau!);
    expect(hi).toBeGreaterThan(a.consistency!.kendallTau!);

    const eps = 8 / 255;
    const positive = rows.map((r) => r.marginFound === true && r.inputMargin! <= eps * (1 + 1e-6));
    const at = a.detection.find((d) => d.epsilon === eps)!;
    expect(at.positives).toBe(positive.filter(Boolean).length);
    expect(at.auroc).toBeCloseTo(bruteAuroc(rows.map((r) => r.logitMargin), positive), 12);

    const robust = rows.filter((r, k) => r.correct && !positive[k]).length / rows.length;
    const point = a.robustAccuracy.find((r) => r.epsilon === eps)!;
    expect(point.fromMargins).toBeCloseTo(robust, 12);
    expect(point.ci![0]).toBeLessThanOrEqual(robust);
    expect(point.ci![1]).toBeGreaterThanOrEqual(robust);
    // The same number as the run page's results, from the same columns.
    expect(runDetail(store, attackRun).results!.robustness[0].fromMargins).toBeCloseTo(robust, 12);
    // APGD-CE ran at 8/255 only: robust accuracy from margins can be no higher than what a fixed-epsilon attack leaves.
    expect(point.apgdCe).not.toBeNull();
    expect(a.robustAccuracy.filter((r) => r.epsilon !== eps).every((r) => r.apgdCe === null)).toBe(true);
  });

  it('reports the paper\'s and the textbook FPR@95, a screening threshold that reaches the TPR target, and confusion counts that add up', () => {
    const a = runAnalysis(store, attackRun);
    const s = a.screening!;
    expect(s.epsilon).toBe(8 / 255);
    expect(s.tpr).toBeGreaterThanOrEqual(0.95);
    const { tp, fp, tn, fn } = s.confusion;
    expect(tp + fp + tn + fn).toBe(200);
    expect(tp / (tp + fn)).toBeCloseTo(s.tpr, 12);
    const rows = [...store.runs.allSamples(attackRun)];
    expect(rows.filter((r) => r.logitMargin <= s.threshold).length).toBe(tp + fp);
    for (const d of a.detection.filter((x) => !x.skipped)) {
      expect(d.fprAt95TprMin!).toBeLessThanOrEqual(d.fprAt95Tpr!);
      expect(d.roc.length).toBeLessThanOrEqual(500);
      expect(d.thresholds.at(-1)!.tp).toBe(d.positives);
    }
    // Computing an analysis stores nothing; the service's cache records the screening threshold of a finished run.
    expect(store.runs.storedSummary(attackRun)?.screening).toBeUndefined();
    new AnalysisCache().get(store, attackRun, {});
    expect(store.runs.storedSummary(attackRun)?.screening).toEqual(s);
    expect(store.runs.storedSummary(attackRun)?.equidistance?.pairs).toBe(45);
  });

  it('runs Algorithm 1 on subsets up to the run\'s size, and with a forward run estimates the whole dataset with the calibrated threshold', () => {
    const a = runAnalysis(store, attackRun, { withForward: forwardRun });
    expect(a.algorithm1!.sizes.map((s) => s.n)).toEqual([50, 100, 200]);
    for (const size of a.algorithm1!.sizes) {
      expect(size.estimates.length).toBeLessThanOrEqual(10);
      expect(size.absErrors).toEqual(size.estimates.map((e) => Math.abs(e - a.algorithm1!.robustAccuracy)));
    }
    const f = a.algorithm1!.withForward!;
    expect(f.samples).toBe(1000);
    const rows = [...store.runs.allSamples(forwardRun)];
    expect(f.estimate).toBeCloseTo(rows.filter((r) => r.correct && r.logitMargin > f.threshold).length / 1000, 12);
    expect(f.accuracy).toBeCloseTo(0.848, 3);
  });

  it('refuses a forward run of another model for Algorithm 1', async () => {
    const other = await run(standardId, null, 20);
    expect(() => runAnalysis(store, attackRun, { withForward: other })).toThrow(/another model/);
  });

  it('compares the other confidence scores and marks the best AUROC, and gives per-class results', () => {
    const a = runAnalysis(store, attackRun);
    expect(a.scores.map((s) => s.name)).toContain('logit-margin');
    expect(a.scores.find((s) => s.name === 'logit-margin')!.auroc).toBe(a.detection.find((d) => d.epsilon === a.auditEpsilon)!.auroc);
    expect(a.scores.filter((s) => s.best).length).toBeGreaterThanOrEqual(1);
    expect(a.perClass.reduce((n, k) => n + k.samples, 0)).toBe(200);
    expect(a.perClass[0].name).toBe('T-shirt/top');
    expect(a.featureConsistency!.samples).toBe(a.found);
  });

  it('restricts every statistic to the correctly classified samples in the correct-only view', () => {
    const all = runAnalysis(store, attackRun);
    const only = runAnalysis(store, attackRun, { correctOnly: true });
    const rows = [...store.runs.allSamples(attackRun)].filter((r) => r.correct);
    expect(only).toMatchObject({ correctOnly: true, samples: rows.length, correct: rows.length, accuracy: 1, excluded: 200 - rows.length });
    expect(all).toMatchObject({ correctOnly: false, excluded: 0 });
    expect(only.found + only.censored).toBe(rows.length);
    expect(only.perClass.reduce((n, k) => n + k.samples, 0)).toBe(rows.length);
    const eps = 8 / 255;
    const positive = rows.map((r) => r.marginFound === true && r.inputMargin! <= eps * (1 + 1e-6));
    const at = only.detection.find((d) => d.epsilon === eps)!;
    expect(at.positives).toBe(positive.filter(Boolean).length);
    expect(at.auroc).toBeCloseTo(bruteAuroc(rows.map((r) => r.logitMargin), positive), 12);
    // Robust accuracy among the correct samples: the share not broken within epsilon.
    expect(only.robustAccuracy.find((r) => r.epsilon === eps)!.fromMargins).toBeCloseTo(positive.filter((p) => !p).length / rows.length, 12);
    // Combined (margins and APGD) over every sample equals the run page's figure; in the view, over the correct ones.
    expect(all.robustAccuracy.find((r) => r.epsilon === eps)!.combined).toBeCloseTo(runDetail(store, attackRun).results!.robustness[0].combined, 12);
    expect(only.robustAccuracy.find((r) => r.epsilon === eps)!.combined! * rows.length).toBeCloseTo(all.robustAccuracy.find((r) => r.epsilon === eps)!.combined! * 200, 9);
    expect(only.robustAccuracy.filter((r) => r.epsilon !== eps).every((r) => r.combined === null)).toBe(true);
    // Each attack's figures: the run page's over every sample, the view's over the correct ones.
    expect(all.attackStats).toEqual(runDetail(store, attackRun).results!.attacks);
    expect(only.attackStats.find((s) => s.attack === 'deepfool')!.found).toBe(rows.filter((r) => r.marginFound).length);
    expect(Object.values(only.bestBy).reduce((a, b) => a + b, 0)).toBe(only.found);
    // Every sample in the view is correct: signed margins equal the unsigned ones.
    expect(only.signedInputMargin).toMatchObject({ negative: 0, min: only.inputMargin!.min });
  });

  it('signs the margins by correctness (Wu & Yu): misclassified samples count negative, the average is of |d|', () => {
    const a = runAnalysis(store, attackRun);
    const rows = [...store.runs.allSamples(attackRun)].filter((r) => r.marginFound);
    const signed = rows.map((r) => (r.correct ? r.inputMargin! : -r.inputMargin!));
    expect(a.signedInputMargin).toMatchObject({ samples: rows.length, negative: rows.filter((r) => !r.correct).length, min: Math.min(...signed) });
    expect(a.signedInputMargin!.meanAbs).toBeCloseTo(rows.reduce((s, r) => s + r.inputMargin!, 0) / rows.length, 12);
    expect(a.signedInputMargin!.min).toBeLessThan(0);
    expect(a.signedLogitMargin!.samples).toBe(200);
    // The sample table sorts by the signed margin: the most negative (misclassified, largest margin) first.
    const page = store.runs.samples(attackRun, { offset: 0, limit: 1, sort: 'signedInputMargin' });
    expect(page.rows[0].correct).toBe(false);
    expect(-page.rows[0].inputMargin!).toBe(a.signedInputMargin!.min);
  });

  it('does not store the screening threshold of the correct-only view', () => {
    const fresh = new AnalysisCache();
    const stored = store.runs.storedSummary(attackRun)?.screening;
    const only = fresh.get(store, attackRun, { correctOnly: true });
    expect(only.correctOnly).toBe(true);
    expect(store.runs.storedSummary(attackRun)?.screening).toEqual(stored);
  });

  it('analyses a forward-only run without consistency or detection', () => {
    const a = runAnalysis(store, forwardRun);
    expect(a.consistency).toBeNull();
    expect(a.medianInputMargin).toBeNull();
    expect(a.detection).toEqual([]);
    expect(a.accuracy).toBeCloseTo(0.848, 3);
    expect(a.perClass).toHaveLength(10);
  });
});

/** Synthetic columns: margins given, logits from the logit margins (two classes). */
function columns(inputMargin: number[], logitMargin: number[], correct: number[]): MarginColumns {
  const n = inputMargin.length;
  return {
    positions: Uint32Array.from({ length: n }, (_, k) => k),
    labels: new Int32Array(n),
    preds: new Int32Array(n),
    correct: Uint8Array.from(correct),
    logitMargin: Float64Array.from(logitMargin),
    inputMargin: Float64Array.from(inputMargin),
    featureMarginLinf: new Float64Array(n).fill(NaN),
    featureMarginL2: new Float64Array(n).fill(NaN),
    bestAttack: new Array(n).fill(null),
    classes: 2,
    logits: Float32Array.from(logitMargin.flatMap((m) => [m, 0])),
  };
}

function input(c: MarginColumns, epsilons: number[] = [0.1]): AnalysisInput {
  return {
    runId: 'r-00000000',
    config: {
      modelId: 'm-00000000',
      datasetId: 'd-00000000',
      subset: { mode: 'all' },
      batchSize: 1,
      device: 'cpu',
      attack: { attacks: ['fab'], norm: 'linf', epsilons, iterations: null, restarts: 1, targeted: null, seed: 0 },
    },
    columns: c,
    findings: [],
    classNames: null,
    labeled: true,
    featureDistance: null,
    forward: null,
  };
}

describe('analyzeRun on given columns', () => {
  it('ranks censored samples above every found margin, tied among themselves, and counts them robust at every epsilon', () => {
    const c = columns([0.01, 0.02, Infinity, Infinity], [0.1, 0.2, 0.3, 0.3], [1, 1, 1, 0]);
    const a = analyzeRun(input(c), { resamples: 20 });
    expect(a.censored).toBe(2);
    expect(a.consistency!.kendallTau).toBeCloseTo(1, 12);
    // Pearson needs finite margins: only the two verified ones.
    expect(a.consistency!.pearsonSamples).toBe(2);
    expect(a.robustAccuracy.at(-1)!.fromMargins).toBeCloseTo(0.25, 12);
    // Half censored: the median over every sample lies beyond the budget; over the found ones it is their middle.
    expect(a.medianInputMargin).toBeNull();
    expect(a.inputMargin!.median).toBeCloseTo(0.015, 12);
    expect(analyzeRun(input(columns([0.01, 0.02, 0.04, Infinity], [0.1, 0.2, 0.3, 0.3], [1, 1, 1, 0])), { resamples: 20 }).medianInputMargin).toBeCloseTo(0.03, 12);
  });

  it('skips an epsilon where one class is empty, with the reason', () => {
    const c = columns([0.2, 0.3, 0.4], [1, 2, 3], [1, 1, 1]);
    const a = analyzeRun(input(c, [0.05, 0.35]), { epsilons: [0.05, 0.35, 0.5], resamples: 20 });
    expect(a.detection.map((d) => d.skipped === null)).toEqual([false, true, false]);
    expect(a.detection[0].skipped).toMatch(/no sample has a verified input margin within/);
    expect(a.detection[2].skipped).toMatch(/every sample has an input margin within/);
    expect(a.auditEpsilon).toBe(0.05);
    expect(a.screening).toBeNull();
  });

  it('takes the run\'s epsilons and the norm\'s defaults as the grid, or the requested one', () => {
    const config = input(columns([1], [1], [1]), [0.1, 8 / 255]).config;
    expect(epsilonGrid(config)).toEqual([1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255, 0.1]);
    expect(epsilonGrid(config, [0.3, 0.2, 0.3])).toEqual([0.2, 0.3]);
  });
});

describe('the correct-only view on given columns', () => {
  it('drops misclassified rows, their findings and feature distances, and says how many it left out', () => {
    const c = columns([0.01, 0.02, 0.03, Infinity], [0.1, 0.2, 0.3, 0.4], [1, 0, 1, 1]);
    const base = input(c);
    const withFindings: AnalysisInput = {
      ...base,
      config: { ...base.config, attack: { ...base.config.attack!, attacks: ['fab', 'apgd-ce'] } },
      findings: [{ attack: 'apgd-ce', epsilon: 0.1, positions: [0, 1], norms: [0.05, 0.05] }],
      featureDistance: Float64Array.from([1, 2, 3, NaN]),
    };
    const a = analyzeRun(withFindings, { correctOnly: true, resamples: 20 });
    expect(a).toMatchObject({ samples: 3, correct: 3, excluded: 1, censored: 1, found: 2 });
    // Position 1 (misclassified) is gone from APGD's findings: robust = 2 of 3 correct left unbroken.
    expect(a.robustAccuracy.find((r) => r.epsilon === 0.1)!.apgdCe).toBeCloseTo(2 / 3, 12);
    expect(a.featureConsistency).toBeNull();
    expect(analyzeRun(withFindings, { resamples: 20 }).signedInputMargin).toMatchObject({ samples: 3, negative: 1, min: -0.02, meanAbs: 0.02 });
  });

  it('refuses a view with no correct sample, saying what to do', () => {
    expect(() => analyzeRun(input(columns([0.1], [1], [0])), { correctOnly: true })).toThrow(/no correctly classified sample.*show all samples/);
  });
});
