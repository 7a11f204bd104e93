/**
 * The screener export (issue 12, item 7), shared by the app and `brink screener export`: the
 * model as Brink runs it (its stored reading and preprocessing, as the worker prepares it), the
 * score, and a threshold typed in or calibrated on an analysed run, as one ONNX file whose
 * metadata says where each part came from.
 */
import { writeFile } from 'node:fs/promises';
import type { ModelDetail, ScreenerCalibration, ScreenerExport, ScreenerThreshold, ScreeningScore } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { readModel, writeModel } from '../engine/onnx/codec.js';
import type { OnnxModel } from '../engine/onnx/graph.js';
import { withMetadataProps, type MetadataProp } from '../engine/onnx/metadata.js';
import { graphReading, prepareGraph } from '../engine/onnx/reading.js';
import { screenerModel, type ScoreSpec } from '../engine/onnx/screener.js';
import type { ProjectStore } from '../store/project-store.js';
import { storedExternalData } from '../worker/stored-external-data.js';
import type { AnalysisCache } from './analysis-cache.js';
import type { Host } from './host.js';
import type { PseudoMarginScoresCache } from './pseudo-margin-scores-cache.js';
import type { RunSummaries } from './run-list.js';
import { calibrateScore } from './score-calibration.js';
import { sha256 } from '../sha256.js';

export interface ScreenerContext {
  store: ProjectStore;
  analyses: AnalysisCache;
  summaries: RunSummaries;
  /** Brink's version, written into the file. */
  version: string;
  /** Where a calibration on a pseudo-margin finds its scores on the run. */
  pseudoMarginScores: PseudoMarginScoresCache;
}

export interface ScreenerRequest {
  modelId: string;
  score: ScreeningScore;
  threshold: ScreenerThreshold;
}

/**
 * The screening operating point of a finished run of the model for the screener's score
 * (service/score-calibration: the analysis layer's threshold at the target TPR at the epsilon,
 * the same numbers the run's analysis and the Screen view show).
 */
export function screenerCalibration(ctx: ScreenerContext, modelId: string, runId: string, score: ScreeningScore, epsilon?: number, tprTarget?: number): Promise<ScreenerCalibration> {
  return calibrateScore(ctx.store, ctx.pseudoMarginScores, modelId, runId, score, { epsilon, tprTarget });
}

/** Builds the screener and hands it to the host to save (a save dialog, a download, or the CLI's --out). */
export async function exportScreener(ctx: ScreenerContext, host: Host, request: ScreenerRequest): Promise<ScreenerExport> {
  const built = await buildScreener(ctx, request);
  const file = await host.saveFile(built.fileName, (path) => writeFile(path, built.data));
  const { data: _data, ...described } = built;
  return { ...described, file };
}

/** The screener's bytes and what describes them, without saving. */
export async function buildScreener(ctx: ScreenerContext, request: ScreenerRequest): Promise<Omit<ScreenerExport, 'file'> & { data: Uint8Array }> {
  const model = ctx.store.models.get(request.modelId);
  if (model.reading.problem) throw new UserError(`${model.name} cannot be read as an image classifier yet: ${model.reading.problem}`);
  const t = request.threshold;
  const score = scoreSpec(ctx.store, model, request.score);
  const calibration = t.kind === 'calibrated' ? await screenerCalibration(ctx, model.id, t.runId, request.score, t.epsilon, t.tprTarget) : null;
  const threshold = t.kind === 'value' ? t.value : calibration!.threshold;
  const graph = preparedClassifier(ctx.store, model);
  const metadata = screenerMetadata(model, request.score, threshold, calibration, ctx.version);
  const data = withMetadataProps(writeModel(screenerModel(graph, score, threshold)), metadata);
  return {
    data,
    fileName: `${slug(model.name)}-screener.onnx`,
    sha256: sha256(data),
    bytes: data.byteLength,
    modelId: model.id,
    modelSha256: model.sha256,
    score: request.score.kind,
    threshold,
    calibration,
    metadata,
  };
}

/**
 * The score the screener computes: the logit margin, or a stored pseudo-margin of the model
 * spliced in, its output read as the input margin it estimates (the Screen view's scale).
 */
function scoreSpec(store: ProjectStore, model: ModelDetail, score: ScreeningScore): ScoreSpec {
  if (score.kind === 'logit-margin') return { kind: 'logit-margin' };
  const pm = store.pseudoMargins.get(score.id);
  if (pm.modelId !== model.id) throw new UserError(`pseudo-margin ${pm.id} was learned for another model; export the screener with one of ${model.name}'s pseudo-margins`);
  return { kind: 'network', bytes: store.pseudoMargins.onnx(pm.id), input: pm.input, marginBound: pm.settings.marginBound };
}

/**
 * The graph the worker runs (worker/forward-margins.ts): the model read as its stored reading
 * says, with its preprocessing folded in front, and weights kept in external files written into
 * the one screener file.
 */
function preparedClassifier(store: ProjectStore, model: ModelDetail): OnnxModel {
  const parsed = readModel(store.models.bytes(model.id), model.fileName);
  const external = storedExternalData(store, model.id, parsed, model.fileName);
  try {
    if (external) inlineExternalData(parsed);
  } finally {
    external?.remove();
  }
  const { valueRange, mean, std } = model.preprocessing;
  return prepareGraph(parsed, graphReading(model.reading), { range: valueRange, mean, std });
}

function inlineExternalData(model: OnnxModel): void {
  const tensors = [...model.graph.initializers, ...model.graph.nodes.flatMap((n) => n.attributes.flatMap((a) => (a.type === 'tensor' ? [a.value] : [])))];
  for (const t of tensors) {
    if (!t.external || !t.loadExternal) continue;
    t.data = t.loadExternal();
    t.external = null;
    delete t.loadExternal;
  }
}

/** metadata_props: what the file is, how to read its outputs, and where its threshold came from. */
function screenerMetadata(model: ModelDetail, score: ScreeningScore, threshold: number, calibration: ScreenerCalibration | null, version: string): MetadataProp[] {
  const entries: [string, string | number | null][] = [
    ['brink.kind', 'screener'],
    ['brink.outputs', 'logits [batch, classes]; score [batch] float64; brittle [batch] bool = score <= threshold'],
    ['brink.input', `${model.reading.imageInput ?? 'the only input'}: NCHW float32 pixels in [0, 1] (preprocessing folded in)`],
    ['brink.source_model', model.name],
    ['brink.source_model_sha256', model.sha256],
    ['brink.score', score.kind],
    ['brink.pseudo_margin', score.kind === 'pseudo-margin' ? score.id : null],
    ['brink.score_unit', score.kind === 'pseudo-margin' ? 'estimated input margin in [0,1] pixel units of the calibration norm' : 'logit margin (top-1 minus top-2 logit)'],
    ['brink.threshold', threshold],
    ['brink.threshold_source', calibration ? 'calibrated' : 'typed'],
    ['brink.calibration_run', calibration?.runId ?? null],
    ['brink.norm', calibration?.norm ?? null],
    ['brink.epsilon', calibration?.epsilon ?? null],
    ['brink.tpr_target', calibration?.tprTarget ?? null],
    ['brink.tpr', calibration?.tpr ?? null],
    ['brink.fpr', calibration?.fpr ?? null],
    ['brink.calibration_samples', calibration?.samples ?? null],
    ['brink.labels', model.labels ? JSON.stringify(model.labels) : null],
    ['brink.version', version],
    ['brink.created', new Date().toISOString()],
  ];
  return entries.filter((e): e is [string, string | number] => e[1] !== null).map(([key, value]) => ({ key, value: String(value) }));
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'model';
