/**
 * Screening new inputs (issue 12; DESIGN.md section 5): one forward pass per input through the
 * model as runs read it, in a job process, then per input the prediction, the logits, a score and
 * a brittle flag against a threshold, typed in or calibrated on an analysed run by the analysis
 * layer (run-analysis's screening threshold: no second calibration).
 */
import { randomBytes } from 'node:crypto';
import { basename, isAbsolute, relative } from 'node:path';
import { SCREENING_CANCELLED, type DatasetDetail, type Device, type ImageFitInput, type ModelDetail, type ScreenedInput, type ScreeningCalibration, type ScreeningProgress, type ScreeningResult, type ScreeningScore, type ScreeningThreshold } from '../../src-preload/contract.js';
import { fixedImageSize } from '../../src-preload/image-fit.js';
import { UNLABELED, type DatasetSamples } from '../engine/data/types.js';
import { argmax } from '../engine/margins/margins.js';
import { UserError } from '../errors.js';
import type { FromWorker, Spawner } from '../jobs/protocol.js';
import type { ProjectStore } from '../store/project-store.js';
import type { ScreenedLogits, ScreenInputs, ScreenRequest } from '../worker/screen.js';
import { fitOf, readSamples } from './dataset-import.js';
import type { PseudoMarginScoresCache } from './pseudo-margin-scores-cache.js';
import { calibrateScore } from './score-calibration.js';
import { runProblems } from './run-check.js';
import { scoreFunction } from './screening-score.js';
import { RecentlyUsed } from './recently-used.js';

/** Inputs per forward call: enough rows for onnxruntime to be quick, little memory for large images. */
export const SCREEN_BATCH = 128;

/**
 * How long a cancelled screening's worker has to stop on its own (it checks between batches, and
 * then removes the model's temporary external-data folder) before it is killed.
 */
const STOP_GRACE_MS = 5000;

/** screen.run's outcome when it was cancelled: a user's choice, not a failure. */
export class ScreeningCancelled extends UserError {
  constructor() {
    super(SCREENING_CANCELLED);
  }
}

/** What was screened, as the host reads it: a stored dataset, or files decoded here. */
export type ScreenSource = { kind: 'dataset'; datasetId: string } | { kind: 'files'; path: string; sourceName: string; fit?: ImageFitInput };

export interface ScreenOptions {
  modelId: string;
  source: ScreenSource;
  score: ScreeningScore;
  threshold: ScreeningThreshold;
  batchSize?: number;
  device?: Device;
  intraOpThreads?: number;
  /** Where a calibration on a pseudo-margin finds its scores on the run. */
  pseudoMarginScores: PseudoMarginScoresCache;
  progress?: (progress: ScreeningProgress) => void;
  /** Aborting it stops the screening: its worker ends and screen() rejects with ScreeningCancelled. */
  signal?: AbortSignal;
}

/** The screened pixels, kept for thumbnails and for saving some of them as a dataset. */
export interface ScreenedSamples {
  samples: Omit<DatasetSamples, 'sourceFiles' | 'skipped'>;
  datasetId: string | null;
  source: string;
}

export async function screen(store: ProjectStore, spawn: Spawner, options: ScreenOptions): Promise<{ result: ScreeningResult; kept: ScreenedSamples }> {
  const started = performance.now();
  const model = store.models.get(options.modelId);
  const scoring = scoreFunction(store, options.modelId, options.score);
  // Before the worker reports batches, the stages say what takes the time (a pseudo-margin's pass over the calibration run can take long).
  if (options.threshold.kind === 'calibrated') options.progress?.({ done: 0, total: 0, stage: `calibrating the threshold on run ${options.threshold.runId}` });
  const { threshold, calibration } = await resolveThreshold(store, options.pseudoMarginScores, options.modelId, options.threshold, options.score);
  if (options.signal?.aborted) throw new ScreeningCancelled();
  options.progress?.({ done: 0, total: 0, stage: 'reading the inputs' });
  // Decoding happens here, in the host, before the worker starts: a cancel stops it between batches of files.
  const read = await readInputs(store, options.source, options.signal).catch((error: unknown) => {
    throw options.signal?.aborted ? new ScreeningCancelled() : error;
  });
  if (options.signal?.aborted) throw new ScreeningCancelled();
  const shapeCheck: DatasetDetail = { ...read.asDataset, id: read.kept.datasetId ?? '', createdAt: '' };
  const batchSize = options.batchSize ?? SCREEN_BATCH;
  const [problem] = runProblems(model, shapeCheck, { modelId: model.id, datasetId: shapeCheck.id, subset: { mode: 'all' }, batchSize, device: 'cpu', attack: null });
  if (problem) throw new UserError(`cannot screen ${read.kept.source} with ${model.name}: ${problem}${fitHint(model, options.source, read.kept.samples)}`);
  const samples = read.kept.samples;
  const inputs: ScreenInputs =
    options.source.kind === 'dataset'
      ? { kind: 'dataset', datasetId: options.source.datasetId, count: samples.count }
      : { kind: 'pixels', shape: samples.shape, count: samples.count, data: samples.data };
  const forward = await screenInWorker(
    store,
    spawn,
    { modelId: model.id, inputs, batchSize, device: options.device ?? 'auto', intraOpThreads: options.intraOpThreads, ...(scoring.pseudoMarginId ? { pseudoMarginId: scoring.pseudoMarginId } : {}) },
    options.progress,
    options.signal,
  );
  const score = scoring.scores(forward);
  const screened: ScreenedInput[] = read.files.map((file, k) => {
    const offset = k * forward.classes;
    const pred = argmax(forward.logits, offset, forward.classes);
    return {
      index: k,
      file,
      pred,
      predName: model.labels?.[pred] ?? null,
      logits: Array.from(forward.logits.subarray(offset, offset + forward.classes)),
      score: score[k],
      brittle: score[k] <= threshold,
    };
  });
  const result: ScreeningResult = {
    id: `s-${randomBytes(6).toString('hex')}`,
    modelId: model.id,
    modelName: model.name,
    score: options.score,
    threshold,
    calibration,
    source: read.kept.source,
    datasetId: read.kept.datasetId,
    fit: read.asDataset.fit,
    classes: forward.classes,
    inputs: screened,
    brittle: screened.filter((input) => input.brittle).length,
    skipped: read.skipped,
    provider: forward.provider,
    forwardMs: forward.forwardMs,
    totalMs: performance.now() - started,
  };
  return { result, kept: read.kept };
}

/** The typed threshold, or the threshold calibrated on a run of the same model for the screening's score. */
export async function resolveThreshold(
  store: ProjectStore,
  pseudoMarginScores: PseudoMarginScoresCache,
  modelId: string,
  given: ScreeningThreshold,
  score: ScreeningScore,
): Promise<{ threshold: number; calibration: ScreeningCalibration | null }> {
  if (given.kind === 'typed') return { threshold: given.value, calibration: null };
  const calibration = await calibrateScore(store, pseudoMarginScores, modelId, given.runId, score, { epsilon: given.epsilon, tprTarget: given.tprTarget });
  return { threshold: calibration.threshold, calibration };
}

/** What to do about image files of another size than the model's fixed input: a fit brings them to it (dataset import offers the same). */
function fitHint(model: ModelDetail, source: ScreenSource, samples: ScreenedSamples['samples']): string {
  const required = fixedImageSize(model.reading.feedShape);
  if (source.kind !== 'files' || samples.format !== 'image-folder' || !required) return '';
  const [height, width] = required;
  if (samples.shape[1] === height && samples.shape[2] === width) return '';
  if (source.fit && source.fit.mode !== 'strict') return `; fit them to ${height}×${width}, the model's input size`;
  return `; choose a fit (center crop, stretch or pad) to bring them to ${height}×${width}`;
}

interface ReadInputs {
  kept: ScreenedSamples;
  /** Per input, how the table names it. */
  files: string[];
  skipped: { file: string; reason: string }[];
  /** What runProblems needs to know about the inputs. */
  asDataset: Omit<DatasetDetail, 'id' | 'createdAt'>;
}

async function readInputs(store: ProjectStore, source: ScreenSource, signal?: AbortSignal): Promise<ReadInputs> {
  if (source.kind === 'dataset') {
    const dataset = store.datasets.get(source.datasetId);
    const block = store.datasets.read(dataset.id, 0, dataset.count);
    const samples = { format: dataset.format, count: dataset.count, shape: dataset.shape, dtype: dataset.dtype, data: block.data, labels: block.labels, classNames: dataset.classNames, labeled: dataset.labeled };
    return {
      kept: { samples, datasetId: dataset.id, source: dataset.name },
      files: Array.from({ length: dataset.count }, (_, k) => `${dataset.name}[${k}]`),
      skipped: [],
      asDataset: dataset,
    };
  }
  const fit = fitOf(source.fit);
  const samples = await readSamples(source.path, { fit, sourceName: source.sourceName, signal });
  const files = inputNames(samples, source.path);
  const skipped = samples.skipped.map((s) => ({ ...s, file: relativeName(source.path, s.file) }));
  const { sourceFiles: _files, skipped: _skipped, ...kept } = samples;
  return {
    kept: { samples: kept, datasetId: null, source: source.sourceName },
    files,
    skipped,
    asDataset: {
      name: source.sourceName,
      format: samples.format,
      count: samples.count,
      shape: samples.shape,
      labeled: samples.labeled,
      sourceName: source.sourceName,
      sha256: '',
      dtype: samples.dtype,
      classNames: samples.classNames,
      classCounts: [],
      skipped,
      fit: samples.format === 'image-folder' ? fit : null,
    },
  };
}

/** An image's file within what was dropped; an array's samples as `x.npy[3]`. */
function inputNames(samples: DatasetSamples, root: string): string[] {
  if (samples.format === 'image-folder') return samples.sourceFiles.map((file) => relativeName(root, file));
  const array = basename(samples.sourceFiles[0] ?? root);
  return Array.from({ length: samples.count }, (_, k) => `${array}[${k}]`);
}

function relativeName(root: string, file: string): string {
  const rel = relative(root, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : basename(file);
}

/** The forward passes in a job process (onnxruntime's run() blocks its thread; a native crash must not take the host down). */
function screenInWorker(
  store: ProjectStore,
  spawn: Spawner,
  request: ScreenRequest,
  progress?: (p: ScreeningProgress) => void,
  cancel?: AbortSignal,
): Promise<ScreenedLogits> {
  const worker = spawn();
  return new Promise<ScreenedLogits>((resolve, reject) => {
    let answer: FromWorker | null = null;
    let killTimer: NodeJS.Timeout | null = null;
    const stop = () => {
      worker.send({ type: 'stop' });
      killTimer ??= setTimeout(() => worker.kill(), STOP_GRACE_MS);
    };
    cancel?.addEventListener('abort', stop, { once: true });
    worker.onMessage((message) => {
      if (message.type === 'progress') progress?.({ done: message.done, total: message.total, stage: message.provider ? `screening on ${message.provider}` : 'loading the model' });
      else if (message.type === 'screened' || message.type === 'failed') answer = message;
    });
    worker.onExit((code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      cancel?.removeEventListener('abort', stop);
      // A result that came before the cancel reached the worker stands.
      if (answer?.type === 'screened' && answer.result) resolve(answer.result);
      else if (cancel?.aborted) reject(new ScreeningCancelled());
      else if (answer?.type === 'failed') reject(new UserError(`screening failed: ${answer.message}`));
      else reject(new UserError(`the process screening the inputs stopped unexpectedly (${signal ?? `code ${code}`})`));
    });
    worker.send({ type: 'screen', projectPath: store.path, ...request });
  });
}

/** Some screened inputs as an unlabeled dataset: the stored one when they are all of it, in order. */
export function selectedSamples(kept: ScreenedSamples, indices: number[]): Omit<DatasetSamples, 'sourceFiles' | 'skipped'> {
  const { samples } = kept;
  const perSample = samples.shape[0] * samples.shape[1] * samples.shape[2];
  const bad = indices.find((i) => i >= samples.count);
  if (bad !== undefined) throw new UserError(`the screening has ${samples.count} inputs; there is no input ${bad}`);
  const data = samples.dtype === 'uint8' ? new Uint8Array(indices.length * perSample) : new Float32Array(indices.length * perSample);
  indices.forEach((i, r) => data.set(samples.data.subarray(i * perSample, (i + 1) * perSample), r * perSample));
  return { ...samples, count: indices.length, data, labels: new Int32Array(indices.length).fill(UNLABELED), classNames: null, labeled: false };
}

/** The one screening in flight, so that screen.cancel and a project switch can stop it. */
export class ScreeningInFlight {
  private current: { abort: AbortController; ended: Promise<unknown> } | null = null;

  async run<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.current) throw new UserError('a screening is already in progress; wait for it or cancel it');
    const abort = new AbortController();
    const done = work(abort.signal);
    const entry = { abort, ended: done.catch(() => undefined) };
    this.current = entry;
    try {
      return await done;
    } finally {
      if (this.current === entry) this.current = null;
    }
  }

  /** Whether there was a screening to cancel. */
  cancel(): boolean {
    const current = this.current;
    current?.abort.abort();
    return current !== null;
  }

  /** Cancels the screening in flight and waits until its worker has ended. */
  async stop(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.abort.abort();
    await current.ended;
  }
}

/** Screenings kept at once: the Screen view's latest and a few before it; each holds its inputs' pixels. */
const KEPT_SCREENINGS = 4;

/** The latest screenings' inputs by screening id, the least recently used dropped first. */
export class KeptScreenings {
  private readonly entries = new RecentlyUsed<string, ScreenedSamples>(KEPT_SCREENINGS);

  add(id: string, kept: ScreenedSamples): void {
    this.entries.set(id, kept);
  }

  get(id: string): ScreenedSamples {
    const kept = this.entries.get(id);
    if (!kept) throw new UserError('that screening is no longer held; screen the inputs again');
    return kept;
  }

  clear(): void {
    this.entries.clear();
  }
}
