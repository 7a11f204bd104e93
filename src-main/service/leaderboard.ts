// The project's leaderboard (issue 14, DESIGN.md section 5 "beyond one threat model"): every
// model side by side, RobustBench's columns (clean and robust accuracy, the architecture) beside
// Brink's (a median margin per perturbation family, margin consistency, detection, censoring).
// Every number is read from run.analysis or run.families of the runs behind a row: nothing here
// computes a metric.
//
// A row is one model on one dataset and subset. Runs there evaluate the same samples, so the
// latest finished run of each l_p norm and of each perturbation family are merged into one row;
// rows of one comparison (dataset and subset) line up sample by sample.
import {
  marginAttacks,
  marginFamilyNames,
  type AttackNorm,
  type Leaderboard,
  type LeaderboardArchitecture,
  type LeaderboardAttack,
  type LeaderboardComparison,
  type LeaderboardFamily,
  type LeaderboardMargin,
  type LeaderboardRow,
  type MarginFamilyName,
  type ModelDetail,
  type RunAnalysis,
  type RunConfig,
  type RunFamilies,
  type RunSummary,
} from '../../src-preload/contract.js';
import { FAMILY_TABLE } from '../engine/perturb/families.js';
import { samplesKey } from './audit-group.js';
import type { ProjectStore } from '../store/project-store.js';

/** Where a row's numbers come from: the analysis layer (run.analysis and run.families). */
export interface LeaderboardSources {
  analysis(runId: string): RunAnalysis;
  families(runId: string): RunFamilies | null;
}

/** What a row takes from an attack run's analysis. */
interface AttackFigures {
  accuracy: number | null;
  margin: LeaderboardMargin;
  attack: LeaderboardAttack;
}

/**
 * The figures the leaderboard takes from each finished run, kept per run: the leaderboard is
 * read again whenever any run finishes, and a finished run's rows no longer change, so each run
 * is analysed once rather than on every read (a full analysis bootstraps its Kendall tau).
 */
export class LeaderboardFigures {
  readonly #attacks = new Map<string, AttackFigures>();
  readonly #families = new Map<string, RunFamilies>();

  constructor(private readonly sources: LeaderboardSources) {}

  attack(key: string, norm: AttackNorm, runId: string): AttackFigures {
    let figures = this.#attacks.get(key);
    if (!figures) {
      const analysis = this.sources.analysis(runId);
      figures = { accuracy: analysis.accuracy, margin: normMargin(norm, runId, analysis), attack: attackColumns(norm, runId, analysis) };
      this.#attacks.set(key, figures);
    }
    return figures;
  }

  families(key: string, runId: string): RunFamilies {
    let figures = this.#families.get(key);
    if (!figures) {
      figures = this.sources.families(runId)!;
      this.#families.set(key, figures);
    }
    return figures;
  }
}

const NORMS: readonly AttackNorm[] = ['linf', 'l2', 'l1'];
const NORM_COLUMNS: Record<AttackNorm, { title: string; unit: string }> = {
  linf: { title: 'ℓ∞ attacks', unit: 'distance in [0,1] pixels' },
  l2: { title: 'ℓ2 attacks', unit: 'distance in [0,1] pixels' },
  l1: { title: 'ℓ1 attacks', unit: 'distance in [0,1] pixels' },
};

interface PlacedRun {
  summary: RunSummary;
  config: RunConfig;
}

function measuresMargins(config: RunConfig): boolean {
  return Boolean(config.attack?.attacks.some((a) => marginAttacks.includes(a)) || config.perturbations?.families.length);
}

export function leaderboard(store: ProjectStore, figures: LeaderboardFigures): Leaderboard {
  const placed = store.runs.list().map((summary) => ({ summary, config: store.runs.config(summary.id) }));
  const measuring = placed.filter((run) => measuresMargins(run.config));
  const cells = new Map<string, PlacedRun[]>();
  // The list is newest first, so each cell's runs are too.
  for (const run of measuring.filter((r) => r.summary.status === 'done')) {
    const key = `${run.summary.modelId}\u0000${samplesKey(run.config.datasetId, run.config.subset)}`;
    cells.set(key, [...(cells.get(key) ?? []), run]);
  }
  const models = new Map<string, ModelDetail>();
  const modelOf = (id: string) => models.get(id) ?? models.set(id, store.models.get(id)).get(id)!;
  // A run's rows change only while its count of done samples does.
  const keyOf = (run: PlacedRun) => `${store.path}\u0000${run.summary.id}\u0000${run.summary.doneCount}`;
  const rows = [...cells.values()].map((runs) => leaderboardRow(runs, modelOf(runs[0].summary.modelId), figures, keyOf));
  const comparisons = comparisonsOf(rows, [...cells.values()].map((runs) => runs[0]));
  const order = new Map(comparisons.map((c, i) => [c.key, i]));
  rows.sort((a, b) => order.get(a.comparison)! - order.get(b.comparison)! || a.modelName.localeCompare(b.modelName));
  const measured = new Set(rows.flatMap((row) => row.margins.map((m) => m.family)));
  return {
    comparisons,
    rows,
    families: columnOrder.filter((family) => measured.has(family)).map((family) => ({ family, ...columnOf(family) })),
    unfinished: measuring.length - measuring.filter((r) => r.summary.status === 'done').length,
  };
}

const columnOrder: readonly LeaderboardFamily[] = [...NORMS, ...marginFamilyNames];

function columnOf(family: LeaderboardFamily): { title: string; unit: string } {
  if ((NORMS as readonly string[]).includes(family)) return NORM_COLUMNS[family as AttackNorm];
  const def = FAMILY_TABLE[family as MarginFamilyName];
  return { title: def.title, unit: def.parameter };
}

function comparisonsOf(rows: LeaderboardRow[], firsts: PlacedRun[]): LeaderboardComparison[] {
  const byKey = new Map<string, LeaderboardComparison>();
  firsts.forEach((run, i) => {
    const key = rows[i].comparison;
    const known = byKey.get(key);
    if (known) known.models++;
    else byKey.set(key, { key, datasetId: run.config.datasetId, datasetName: run.summary.datasetName, subset: run.config.subset, models: 1 });
  });
  return [...byKey.values()].sort((a, b) => b.models - a.models || a.datasetName.localeCompare(b.datasetName) || a.key.localeCompare(b.key));
}

function leaderboardRow(runs: PlacedRun[], model: ModelDetail, figures: LeaderboardFigures, keyOf: (run: PlacedRun) => string): LeaderboardRow {
  const byNorm = new Map<AttackNorm, PlacedRun>();
  for (const norm of NORMS) {
    const run = runs.find((r) => r.config.attack?.norm === norm && r.config.attack.attacks.some((a) => marginAttacks.includes(a)));
    if (run) byNorm.set(norm, run);
  }
  const byFamily = new Map<MarginFamilyName, PlacedRun>();
  for (const family of marginFamilyNames) {
    const run = runs.find((r) => r.config.perturbations?.families.includes(family));
    if (run) byFamily.set(family, run);
  }
  const attacks = new Map([...byNorm].map(([norm, r]) => [norm, figures.attack(keyOf(r), norm, r.summary.id)]));
  // Newest first, as `runs`.
  const familyRuns = runs.filter((r) => [...byFamily.values()].includes(r));
  const familyAnalyses = new Map(familyRuns.map((r) => [r.summary.id, figures.families(keyOf(r), r.summary.id)]));

  const margins: LeaderboardMargin[] = [
    ...[...attacks.values()].map((a) => a.margin),
    ...[...byFamily].map(([family, run]) => familyMargin(family, run.summary.id, familyAnalyses.get(run.summary.id)!)),
  ];
  const primary = NORMS.map((norm) => attacks.get(norm)).find((a) => a !== undefined) ?? null;
  const used = [...new Set([...byNorm.values(), ...byFamily.values()])];
  const first = runs[0];
  return {
    comparison: samplesKey(first.config.datasetId, first.config.subset),
    modelId: model.id,
    modelName: model.name,
    modelSha256: model.sha256,
    architecture: architectureOf(model),
    samples: first.summary.sampleCount,
    runs: used.map((r) => ({
      id: r.summary.id,
      norm: [...byNorm].find(([, run]) => run === r)?.[0] ?? null,
      families: [...byFamily].filter(([, run]) => run === r).map(([family]) => family),
      auditGroup: r.summary.auditGroup,
      activeMs: r.summary.activeMs,
    })),
    cleanAccuracy: primary ? primary.accuracy : [...familyAnalyses.values()][0].cleanAccuracy,
    attack: primary?.attack ?? null,
    margins,
    meanCorruptionAccuracy: meanCorruptionAccuracy(familyAnalyses),
    runTimeMs: used.reduce((sum, r) => sum + r.summary.activeMs, 0),
    settingsChanged: used.some((r) => r.summary.preprocessingChanged || r.summary.readingChanged),
  };
}

function detectionAtAudit(analysis: RunAnalysis) {
  return analysis.detection.find((d) => d.epsilon === analysis.auditEpsilon) ?? null;
}

function normMargin(norm: AttackNorm, runId: string, analysis: RunAnalysis): LeaderboardMargin {
  const detection = detectionAtAudit(analysis);
  return {
    family: norm,
    ...columnOf(norm),
    runId,
    median: analysis.medianInputMargin,
    medianParameter: analysis.medianInputMargin,
    samples: analysis.samples,
    found: analysis.found,
    censored: analysis.censored,
    kendallTau: analysis.consistency?.kendallTau ?? null,
    threshold: analysis.auditEpsilon,
    auroc: detection?.auroc ?? null,
    fprAt95Tpr: detection?.fprAt95Tpr ?? null,
  };
}

function familyMargin(family: MarginFamilyName, runId: string, analysis: RunFamilies): LeaderboardMargin {
  const f = analysis.families.find((x) => x.family === family)!;
  return {
    family,
    title: f.title,
    unit: f.parameter,
    runId,
    median: f.medianStrength,
    medianParameter: f.medianParameter,
    samples: f.samples,
    found: f.found,
    censored: f.censored,
    kendallTau: f.kendallTau,
    threshold: f.detection.threshold,
    auroc: f.detection.auroc,
    fprAt95Tpr: f.detection.fprAt95Tpr,
  };
}

function attackColumns(norm: AttackNorm, runId: string, analysis: RunAnalysis): LeaderboardAttack {
  const point = analysis.robustAccuracy.find((p) => p.epsilon === analysis.auditEpsilon) ?? null;
  const detection = detectionAtAudit(analysis);
  return {
    runId,
    norm,
    epsilon: analysis.auditEpsilon,
    robustAccuracy: point?.combined ?? point?.fromMargins ?? null,
    robustAccuracySource: point?.combined != null ? 'all attacks' : 'margins',
    kendallTau: analysis.consistency?.kendallTau ?? null,
    auroc: detection?.auroc ?? null,
    fprAt95Tpr: detection?.fprAt95Tpr ?? null,
    verifiedShare: analysis.found / analysis.samples,
    censoredShare: analysis.censored / analysis.samples,
  };
}

/** From the run that measured the most corruptions (the newest among equals): means over other sets of corruptions are not comparable. */
function meanCorruptionAccuracy(analyses: Map<string, RunFamilies>): LeaderboardRow['meanCorruptionAccuracy'] {
  let best: LeaderboardRow['meanCorruptionAccuracy'] = null;
  for (const [runId, analysis] of analyses) {
    if (analysis.meanCorruptionAccuracy === null) continue;
    const corruptions = analysis.families.filter((f) => f.severities !== null).length;
    if (!best || corruptions > best.corruptions) best = { value: analysis.meanCorruptionAccuracy, corruptions, runId };
  }
  return best;
}

function architectureOf(model: ModelDetail): LeaderboardArchitecture {
  const feed = model.reading.feedShape ?? model.inputShape;
  return {
    parameters: model.parameterCount,
    nodes: model.nodeCount,
    opTypes: Object.keys(model.opHistogram).length,
    opset: model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? null,
    inputSize: feed ? feed.slice(1) : null,
  };
}
