/**
 * Builds the report's document model from the analysis layer and the project's records: one
 * function from the project, the settings and the report's time to ReportData. No number is
 * computed here; each comes from run-analysis, run-reliability or the stored records.
 */
import type { HeldOutScore, ReportSettings, RunAnalysis, RunDetail } from '../../src-preload/contract.js';
import { leaderboard, LeaderboardFigures } from '../service/leaderboard.js';
import { runFamilies } from '../service/run-families.js';
import { UserError } from '../errors.js';
import { runAnalysis } from '../service/run-analysis.js';
import { runDetail } from '../service/run-results.js';
import { runReliability } from '../service/run-reliability.js';
import type { ProjectStore } from '../store/project-store.js';
import { galleries } from './gallery.js';
import { datasetIdentity, modelIdentity, reportEnvironment, runIdentity } from './provenance.js';
import { REPORT_SCHEMA_VERSION, sectionIds, type Missing, type ModelIdentity, type ReportData } from './report-data.js';
import { findings, kpis, limitations, recommendations } from './summary.js';
import { decideVerdict } from './verdict.js';

export interface BuildContext {
  /** The report's recorded time (ISO 8601). */
  createdAt: string;
  brinkVersion: string;
  /** The printer's name (PdfPrinter.name); null in a preview where none is found. */
  printer: string | null;
  samplesCsv: ReportData['samplesCsv'];
}

/** The audited run (the first) and, among the others, a forward-margins run of the same model for Algorithm 1. */
export function reportRuns(store: ProjectStore, runIds: string[]): { audited: RunDetail; forward: RunDetail | null } {
  const [first, ...others] = runIds.map((id) => runDetail(store, id));
  if (!first.results) throw new UserError(`run ${first.id} has no results yet: a report needs at least one finished batch`);
  let forward: RunDetail | null = null;
  for (const run of others) {
    if (run.modelId !== first.modelId) {
      throw new UserError(`run ${run.id} audits another model (${run.modelName}); a report audits one model's runs, and other models audited on the same samples appear in its comparison section`);
    }
    if (run.kind !== 'forward-margins' || forward) throw new UserError(`run ${run.id}: besides the audited run a report takes one forward-margins run of the same model (for Algorithm 1's estimate)`);
    forward = run;
  }
  return { audited: first, forward };
}

function missingParts(a: RunAnalysis, run: RunDetail, model: ModelIdentity, forwardRun: RunDetail | null, hasClassNames: boolean): Missing[] {
  const out: Missing[] = [];
  const noAttack = 'the run computed forward margins only: no attack ran, so no sample has an input margin';
  if (!a.norm) {
    for (const section of ['robust-accuracy', 'consistency', 'detection', 'sample-efficiency'] as const) out.push({ section, what: 'every figure of this section', reason: noAttack });
    out.push({ section: 'input-margins', what: 'input margins (the logit margins above need no attack)', reason: noAttack });
  } else if (!a.consistency) {
    out.push({ section: 'consistency', what: 'margin consistency', reason: 'no minimal-norm attack (FAB, DeepFool, FMN) ran: APGD gives robust accuracy at fixed ε, not margins' });
  }
  if (a.norm && a.consistency && !a.algorithm1) out.push({ section: 'sample-efficiency', what: "Algorithm 1's study", reason: 'at the audit ε every sample is brittle or none is: no threshold can be calibrated' });
  if (a.algorithm1 && !forwardRun) out.push({ section: 'sample-efficiency', what: 'an estimate over a whole dataset', reason: 'the report names no forward-margins run of this model to apply the calibrated threshold to' });
  if (!model.head) {
    out.push({ section: 'consistency', what: 'feature margins and feature-space consistency', reason: `no linear head was detected in the model (${model.headReason ?? 'no reason recorded'})` });
  }
  if (!hasClassNames) out.push({ section: 'per-class', what: 'class names', reason: 'neither the model nor the dataset names its classes: classes are shown by index' });
  if (run.status !== 'done') out.push({ section: 'scope', what: 'part of the samples', reason: `the run is ${run.status}: the report covers the ${run.doneCount} of ${run.sampleCount} samples it has done` });
  if (!run.config.perturbations) out.push({ section: 'families', what: 'margins in the perturbation families', reason: 'the run measured no corruption or spatial family (the run form\'s Perturbation families, `audit --family`)' });
  out.push({ section: 'provenance', what: 'forward and backward pass counts', reason: 'Brink runs do not record them yet' });
  out.push({ section: 'provenance', what: "the run's hardware", reason: 'the run records its execution provider, not the machine; the machine shown is the one the report was made on' });
  return out;
}

/** The model's stored pseudo-margins, newest first, with their held-out figures as stored at training. */
function pseudoMargins(store: ProjectStore, modelId: string): ReportData['pseudoMargin'] {
  const list = store.pseudoMargins.list(modelId);
  if (!list.length) {
    return { trained: false, reason: 'No pseudo-margin was trained for this model: the detection results use the logit margin and the other confidence scores only.' };
  }
  const figures = (h: HeldOutScore) => ({ kendallTau: h.kendallTau, auroc: h.auroc, aupr: h.aupr, fprAt95Tpr: h.fprAt95Tpr });
  return {
    trained: true,
    networks: list.map((p) => ({
      id: p.id,
      runId: p.runId,
      input: p.input,
      variant: p.variant,
      seed: p.seed,
      samples: p.validation.samples,
      pseudoMargin: figures(p.validation.pseudoMargin),
      logitMargin: figures(p.validation.logitMargin),
      verdict: p.validation.verdict,
    })),
  };
}

/** The leaderboard's rows for the run's dataset and subset, when another model was audited on them too. */
function comparisonOf(store: ProjectStore, run: RunDetail): ReportData['comparison'] {
  const board = leaderboard(store, new LeaderboardFigures({ analysis: (id) => runAnalysis(store, id), families: (id) => runFamilies(store, id) }));
  const key = board.rows.find((r) => r.modelId === run.modelId && r.runs.some((used) => used.id === run.id))?.comparison;
  const rows = key ? board.rows.filter((r) => r.comparison === key) : [];
  return rows.length >= 2 ? { rows, families: board.families } : null;
}

export async function buildReport(store: ProjectStore, settings: ReportSettings, ctx: BuildContext): Promise<ReportData> {
  const { audited, forward } = reportRuns(store, settings.runIds);
  const full = runAnalysis(store, audited.id, { withForward: forward?.id });
  const { computeMs: _computeMs, ...analysis } = full;
  const reliability = runReliability(store, audited.id);
  const model = modelIdentity(store.models.get(audited.modelId), audited.reading);
  const datasetDetail = store.datasets.get(audited.datasetId);
  const hasClassNames = full.perClass.some((c) => c.name !== null);
  const t = settings.thresholds;
  return {
    schema: 'brink-report',
    schemaVersion: REPORT_SCHEMA_VERSION,
    createdAt: ctx.createdAt,
    settings,
    sections: [...sectionIds],
    model,
    dataset: datasetIdentity(datasetDetail),
    run: runIdentity(audited, store.path.split(/[\\/]/).pop() ?? store.path),
    forwardRun: forward ? { id: forward.id, samples: forward.doneCount } : null,
    environment: reportEnvironment(ctx.brinkVersion, ctx.printer),
    verdict: decideVerdict(full, reliability, t),
    kpis: kpis(full),
    findings: findings(full, t),
    recommendations: recommendations(full, reliability, t),
    analysis,
    reliability,
    galleries: await galleries(store, full),
    pseudoMargin: pseudoMargins(store, audited.modelId),
    families: runFamilies(store, audited.id),
    comparison: comparisonOf(store, audited),
    limitations: limitations(full),
    missing: missingParts(full, audited, model, forward, hasClassNames),
    samplesCsv: ctx.samplesCsv,
  };
}
