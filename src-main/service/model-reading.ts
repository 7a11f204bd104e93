import type { ModelDetail, Preprocessing, ReadingChange } from '../../src-preload/contract.js';
import { cloneModel, readModel } from '../engine/onnx/codec.js';
import { feedInputs, type OnnxModel } from '../engine/onnx/graph.js';
import { detectLayout, detectReading, freeBatchAxis, modelReading, unfedInputs, type ReadingSettings } from '../engine/onnx/reading.js';
import { checkFreedBatch } from '../engine/runtime/batch-check.js';
import { UserError } from '../errors.js';
import type { ProjectStore } from '../store/project-store.js';
import { analyzeModel } from './model-analysis.js';
import { checkPreprocessing } from './preprocessing-check.js';

/**
 * Import runs in the app's main process, so the batch check runs the model there: only models
 * whose weights stay under this size are tried (a few milliseconds); larger ones keep the batch
 * the file fixes, which is slower but correct.
 */
const BATCH_CHECK_MAX_WEIGHT_BYTES = 256 * 2 ** 20;

/**
 * The reading a model is imported with: what detection finds, with the user's choices on top,
 * and a batch size the file fixes made symbolic where two batch sizes agree. `externalData`: the
 * folder of its external data files, for the check's session.
 */
export async function initialReading(
  model: OnnxModel,
  change: ReadingChange,
  options: { weightBytes: number; externalData?: { readonly dir: string } },
): Promise<ReadingSettings> {
  const reading = applyChange(model, detectReading(model), change);
  if (reading.fileBatch !== null && options.weightBytes > BATCH_CHECK_MAX_WEIGHT_BYTES) {
    return { ...reading, batchFreed: false, batchFixedBecause: 'not tried at import: the model is too large to run in the app while importing' };
  }
  return { ...reading, ...(await batchFrees(model, reading, options.externalData)) };
}

/**
 * model.update's reading: checked against the file and against the preprocessing (the one given
 * with it, else the model's: its mean/std must fit the channels as now read), analysed again,
 * stored with the analysis.
 */
export async function changeReading(store: ProjectStore, id: string, change: ReadingChange, preprocessing?: Preprocessing): Promise<void> {
  const current = store.models.get(id);
  const model = readModel(store.models.bytes(id), current.fileName);
  const settings = store.models.readingSettings(id) ?? detectReading(model);
  const next = applyChange(model, settings, change);
  // Another image input has its own batch axis. Large models and models with external data
  // (whose files the check would need written out) keep a fixed one.
  if (next.imageInput !== settings.imageInput) {
    const untried = next.fileBatch !== null && (current.byteSize > BATCH_CHECK_MAX_WEIGHT_BYTES || store.models.externalFiles(id).length > 0);
    Object.assign(next, untried ? { batchFreed: false, batchFixedBecause: 'not tried: the model is too large, or keeps its weights in external data files' } : await batchFrees(model, next));
  }
  checkPreprocessing(modelReading(next, current.inputs).feedShape, preprocessing ?? current.preprocessing);
  store.models.setReading(id, next, analysis(store, id, current, next));
}

/** Models imported before Brink recorded how it reads them get the detected reading (the batch check needs onnxruntime: they keep a fixed batch). */
export function upgradeReadings(store: ProjectStore): void {
  for (const id of store.models.unread()) {
    const current = store.models.get(id);
    const settings = store.models.readingSettings(id) ?? detectReading(readModel(store.models.bytes(id), current.fileName));
    store.models.setReading(id, settings, analysis(store, id, current, settings));
  }
}

function analysis(store: ProjectStore, id: string, model: ModelDetail, reading: ReadingSettings) {
  const external = store.models.externalFiles(id).length > 0 ? store.models.externalReader(id) : undefined;
  return analyzeModel(store.models.bytes(id), model.fileName, reading, external);
}

function applyChange(model: OnnxModel, settings: ReadingSettings, change: ReadingChange): ReadingSettings {
  const next = { ...settings };
  if (change.imageInput !== undefined && change.imageInput !== settings.imageInput) {
    const fed = feedInputs(model.graph);
    const input = fed.find((v) => v.name === change.imageInput);
    if (!input) throw new UserError(`the model has no input '${change.imageInput}' to take the images (its inputs: ${fed.map((v) => v.name).join(', ')})`);
    next.imageInput = input.name;
    next.layout = detectLayout(input.shape) ?? 'NCHW';
    next.fileBatch = typeof input.shape?.[0] === 'number' ? input.shape[0] : null;
    next.batchFreed = false;
    next.batchFixedBecause = null;
  }
  if (change.layout !== undefined) next.layout = change.layout;
  if (change.logits !== undefined) {
    if (change.logits === 'before-softmax' && !settings.softmax) throw new UserError('the model does not end in a Softmax or LogSoftmax: its output already is the logits');
    next.logits = change.logits;
  }
  return next;
}

/** Whether the image input's fixed batch axis can be made symbolic (only a run at two batch sizes tells), and if not, why. */
async function batchFrees(model: OnnxModel, reading: ReadingSettings, externalData?: { readonly dir: string }): Promise<Pick<ReadingSettings, 'batchFreed' | 'batchFixedBecause'>> {
  if (reading.fileBatch === null || reading.imageInput === null) return { batchFreed: false, batchFixedBecause: null };
  if (unfedInputs(model, reading.imageInput)) return { batchFreed: false, batchFixedBecause: 'not checked: the model cannot run until every input has a value' };
  const freed = cloneModel(model);
  freeBatchAxis(freed, reading.imageInput);
  const check = await checkFreedBatch(freed, reading.imageInput, externalData);
  return check.ok ? { batchFreed: true, batchFixedBecause: null } : { batchFreed: false, batchFixedBecause: check.reason };
}
