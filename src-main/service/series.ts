// Checkpoint series (issue 14): checkpoints of one model imported in training order, one run
// configuration queued against each, and Wu & Yu's minimum and average margins per checkpoint.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { marginAttacks, type Preprocessing, type RunConfig, type RunSummary, type SeriesAnalysis, type SeriesCheckpoint, type SeriesSummary } from '../../src-preload/contract.js';
import { histogram } from '../engine/metrics/summary.js';
import { signedMargins, type SignedMarginSummary } from '../engine/metrics/signed-margins.js';
import { UserError } from '../errors.js';
import { newId, type ProjectStore } from '../store/project-store.js';
import { uniqueName } from './duplicates.js';
import { importModel } from './model-import.js';
import { sha256 as sha256Of } from '../sha256.js';

/** Bins of the signed-margin histograms, shared by every checkpoint so that their bars line up. */
const HISTOGRAM_BINS = 24;

/**
 * The checkpoint files in training order. A folder gives its .onnx files ordered by the number in
 * their names; files given one by one keep their order unless `order` is 'numbers'.
 */
export async function checkpointFiles(paths: string[], order?: 'numbers' | 'given'): Promise<string[]> {
  const files: string[] = [];
  let folder = false;
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      folder = true;
      const entries = (await readdir(path)).filter((entry) => extname(entry).toLowerCase() === '.onnx');
      files.push(...entries.map((entry) => join(path, entry)));
    } else files.push(path);
  }
  if (files.length < 2) throw new UserError(`a checkpoint series needs at least two .onnx files (found ${files.length})`);
  return (order ?? (folder ? 'numbers' : 'given')) === 'numbers' ? orderByNumberInName(files) : files;
}

/**
 * Orders files by the last whole number in each file name (epoch-2 before epoch-10); refuses a
 * name without a number, and two names with the same number, since either leaves the order open.
 */
export function orderByNumberInName(paths: string[]): string[] {
  const numbered = paths.map((path) => {
    const stem = basename(path, extname(path));
    const digits = stem.match(/\d+/g);
    if (!digits) throw new UserError(`${basename(path)} has no number in its name to order the checkpoints by; give the files in training order instead`);
    return { path, number: Number(digits[digits.length - 1]) };
  });
  numbered.sort((a, b) => a.number - b.number);
  for (let k = 1; k < numbered.length; k++) {
    if (numbered[k].number === numbered[k - 1].number) {
      throw new UserError(`${basename(numbered[k - 1].path)} and ${basename(numbered[k].path)} carry the same number (${numbered[k].number}); give the files in training order instead`);
    }
  }
  return numbered.map((n) => n.path);
}

/** Imports the checkpoints (reusing any the project already holds) and records them as one series. */
export async function addSeries(
  store: ProjectStore,
  files: string[],
  options: { name: string; preprocessing?: Preprocessing; labelsPath?: string },
): Promise<SeriesSummary> {
  const name = uniqueName(options.name, store.series.list().map((s) => s.name));
  const modelIds: string[] = [];
  for (const file of files) {
    const sha256 = sha256Of(await readFile(file));
    const existing = store.models.findBySha256(sha256);
    if (existing && modelIds.includes(existing.id)) throw new UserError(`${basename(file)} is the same file as an earlier checkpoint of the series`);
    const model =
      existing ??
      (await importModel(store, file, {
        name: `${name} · ${basename(file, extname(file))}`,
        ...(options.preprocessing ? { valueRange: options.preprocessing.valueRange, mean: options.preprocessing.mean, std: options.preprocessing.std } : {}),
        labelsPath: options.labelsPath,
      }));
    modelIds.push(model.id);
  }
  const id = newId('s');
  store.series.create({ id, name, modelIds });
  return seriesSummary(store, id);
}

export function seriesSummary(store: ProjectStore, id: string): SeriesSummary {
  const s = store.series.get(id);
  return { id: s.id, name: s.name, createdAt: s.createdAt, checkpoints: s.modelIds.map((modelId) => ({ modelId, name: store.models.get(modelId).name })) };
}

/** The series' runs as RunSummary, newest first. */
function seriesRuns(store: ProjectStore, id: string, summaryOf: (runId: string) => RunSummary): RunSummary[] {
  return store.series.runIds(id).map(summaryOf);
}

/** The configuration two runs share when they compare checkpoints: everything but the model and the batch. */
function comparedSettings(config: Omit<RunConfig, 'modelId' | 'batchSize'> & Partial<RunConfig>): string {
  const { datasetId, subset, attack, lipschitz } = config;
  return JSON.stringify({ datasetId, subset, attack: attack ?? null, lipschitz: lipschitz ?? null });
}

/**
 * Queues one run per checkpoint with one configuration, through `start` (the service's run.start,
 * with its checks); with onlyMissing, checkpoints whose newest series run has the configuration
 * (and did not fail or get cancelled) are skipped.
 */
export function runSeries(
  store: ProjectStore,
  id: string,
  config: Omit<RunConfig, 'modelId'>,
  options: { onlyMissing?: boolean; summaryOf: (runId: string) => RunSummary; start: (config: RunConfig) => RunSummary },
): RunSummary[] {
  const wanted = comparedSettings(config);
  const existing = seriesRuns(store, id, options.summaryOf).filter((run) => run.status !== 'failed' && run.status !== 'cancelled' && comparedSettings(store.runs.config(run.id)) === wanted);
  const started: RunSummary[] = [];
  for (const modelId of store.series.get(id).modelIds) {
    if (options.onlyMissing && existing.some((run) => run.modelId === modelId)) continue;
    const run = options.start({ ...config, modelId });
    store.series.addRun(id, run.id);
    started.push(run);
  }
  return started;
}

/** Each checkpoint's newest series run on the dataset, with its signed-margin statistics. */
export function seriesAnalysis(store: ProjectStore, id: string, datasetId: string | undefined, summaryOf: (runId: string) => RunSummary): SeriesAnalysis {
  const series = seriesSummary(store, id);
  const runs = seriesRuns(store, id, summaryOf);
  const datasets = [...new Map(runs.map((r) => [r.datasetId, { id: r.datasetId, name: r.datasetName }])).values()];
  const dataset = datasetId ? { id: datasetId, name: store.datasets.get(datasetId).name } : (datasets[0] ?? null);
  const measured = series.checkpoints.map((checkpoint) => {
    const run = dataset ? (runs.find((r) => r.modelId === checkpoint.modelId && r.datasetId === dataset.id) ?? null) : null;
    return { checkpoint, run, ...(run ? checkpointMargins(store, run.id) : { source: null, norm: null, margins: null, evaluated: 0, accuracy: null }) };
  });
  // One set of bins for every checkpoint's histogram, over all their signed margins.
  const all = measured.flatMap((m) => (m.margins ? Array.from(m.margins.values) : []));
  const range: [number, number] | undefined = all.length ? [Math.min(...all), Math.max(...all)] : undefined;
  const checkpoints: SeriesCheckpoint[] = measured.map((m) => ({
    modelId: m.checkpoint.modelId,
    modelName: m.checkpoint.name,
    run: m.run,
    marginSource: m.source,
    norm: m.norm,
    evaluated: m.evaluated,
    accuracy: m.accuracy,
    minimumMargin: m.margins?.minimum ?? null,
    averageMargin: m.margins?.average ?? null,
    censored: m.margins?.censored ?? 0,
    histogram: m.margins && range ? histogram(m.margins.values, { bins: HISTOGRAM_BINS, range }) : { edges: [], counts: [] },
  }));
  return { series, dataset, datasets, checkpoints };
}

/** d per sample: the verified attack margin when margin attacks ran, else the Lipschitz estimate. */
function checkpointMargins(
  store: ProjectStore,
  runId: string,
): { source: SeriesCheckpoint['marginSource']; norm: SeriesCheckpoint['norm']; margins: SignedMarginSummary | null; evaluated: number; accuracy: number | null } {
  const config = store.runs.config(runId);
  const columns = store.runs.marginColumns(runId);
  const evaluated = columns.positions.length;
  const accuracy = evaluated ? columns.correct.reduce((a, b) => a + b, 0) / evaluated : null;
  if (config.attack?.attacks.some((a) => marginAttacks.includes(a))) {
    return { source: 'attack', norm: config.attack.norm, margins: signedMargins(columns.correct, columns.inputMargin), evaluated, accuracy };
  }
  const lipschitz = config.lipschitz ? store.runs.lipschitzMargins(runId) : null;
  if (config.lipschitz && lipschitz) return { source: 'lipschitz', norm: config.lipschitz.norm, margins: signedMargins(columns.correct, lipschitz), evaluated, accuracy };
  return { source: null, norm: null, margins: null, evaluated, accuracy };
}
