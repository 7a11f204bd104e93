import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { ModelDetail, ReadingChange } from '../../src-preload/contract.js';
import { readModel } from '../engine/onnx/codec.js';
import { inspectOnnx, type ModelInfo } from '../engine/onnx/inspect.js';
import { modelReading } from '../engine/onnx/reading.js';
import { parseLabelsFile } from '../engine/onnx/labels.js';
import { UserError } from '../errors.js';
import { newId, type ProjectStore } from '../store/project-store.js';
import { openExternalData } from './external-files.js';
import { refuseDuplicate, uniqueName } from './duplicates.js';
import { requireFile } from './files.js';
import { analyzeModel } from './model-analysis.js';
import { initialReading } from './model-reading.js';
import { checkPreprocessing } from './preprocessing-check.js';
import { sha256 as sha256Of } from '../sha256.js';

export interface ModelImportOptions {
  name?: string;
  mean?: number[];
  std?: number[];
  valueRange?: [number, number];
  labelsPath?: string;
  /** Import even when the project already holds a model with the same SHA-256. */
  allowDuplicate?: boolean;
  /** How to read the model where detection should not decide: image input, layout, logits. */
  reading?: ReadingChange;
}

/** Reads, validates and stores a model; nothing is written unless every check passes. */
export async function importModel(store: ProjectStore, path: string, options: ModelImportOptions = {}): Promise<ModelDetail> {
  await requireFile(path);
  const bytes = new Uint8Array(await readFile(path));
  const fileName = basename(path);
  const sha256 = sha256Of(bytes);
  refuseDuplicate('model', store.models.findBySha256(sha256), fileName, options.allowDuplicate);
  const info = inspectOnnx(bytes, fileName);
  const labels = options.labelsPath ? await readLabels(options.labelsPath) : null;
  if (labels) checkLabelCount(info, labels, basename(options.labelsPath!));
  // Weights in external data files come from the model's folder and are stored with it.
  const external = info.externalData ? await openExternalData(path, bytes, fileName) : null;
  const id = newId('m');
  try {
    const reading = await initialReading(readModel(bytes, fileName), options.reading ?? {}, { weightBytes: info.initializerBytes, externalData: external ?? undefined });
    const preprocessing = checkPreprocessing(modelReading(reading, info.inputs).feedShape, {
      valueRange: options.valueRange ?? [0, 1],
      mean: options.mean ?? [0],
      std: options.std ?? [1],
    });
    store.models.insert({
      id,
      name: uniqueName(options.name ?? basename(fileName, extname(fileName)), store.models.list().map((m) => m.name)),
      fileName,
      sha256,
      info,
      preprocessing,
      // Values given at import are the user's; the defaults are Brink's guess until confirmed.
      preprocessingConfirmed: options.mean !== undefined || options.std !== undefined || options.valueRange !== undefined,
      labels,
      analysis: analyzeModel(bytes, fileName, reading, external?.read),
      reading,
      bytes,
      externalFiles: external?.files,
    });
  } finally {
    external?.remove();
  }
  return store.models.get(id);
}

export async function readLabels(path: string): Promise<string[]> {
  await requireFile(path);
  return parseLabelsFile(await readFile(path, 'utf8'), basename(path));
}

export function checkLabelCount(info: Pick<ModelInfo, 'outputs'>, labels: string[], fileName: string): void {
  const shape = info.outputs[0]?.shape;
  const classes = shape?.[shape.length - 1];
  if (typeof classes === 'number' && classes !== labels.length) {
    throw new UserError(`${fileName}: ${labels.length} labels, but the model has ${classes} classes`);
  }
}
