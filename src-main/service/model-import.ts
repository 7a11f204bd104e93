import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { ModelDetail, Preprocessing } from '../../src-preload/contract.js';
import { inspectOnnx, type ModelInfo } from '../engine/onnx/inspect.js';
import { parseLabelsFile } from '../engine/onnx/labels.js';
import { UserError } from '../errors.js';
import { newId, type ProjectStore } from '../store/project-store.js';
import { openExternalData } from './external-files.js';
import { requireFile } from './files.js';
import { analyzeModel } from './model-analysis.js';

export interface ModelImportOptions {
  name?: string;
  mean?: number[];
  std?: number[];
  valueRange?: [number, number];
  labelsPath?: string;
}

/** Reads, validates and stores a model; nothing is written unless every check passes. */
export async function importModel(store: ProjectStore, path: string, options: ModelImportOptions = {}): Promise<ModelDetail> {
  await requireFile(path);
  const bytes = new Uint8Array(await readFile(path));
  const fileName = basename(path);
  const info = inspectOnnx(bytes, fileName);
  const labels = options.labelsPath ? await readLabels(options.labelsPath) : null;
  if (labels) checkLabelCount(info, labels, basename(options.labelsPath!));
  const preprocessing = checkPreprocessing(info, {
    valueRange: options.valueRange ?? [0, 1],
    mean: options.mean ?? [0],
    std: options.std ?? [1],
  });
  // Weights in external data files come from the model's folder and are stored with it.
  const external = info.externalData ? await openExternalData(path, bytes, fileName) : null;
  const id = newId('m');
  try {
    store.models.insert({
      id,
      name: options.name ?? basename(fileName, extname(fileName)),
      fileName,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      info,
      preprocessing,
      labels,
      analysis: analyzeModel(bytes, fileName, external?.read),
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

/** One mean/std value stands for every channel; otherwise there must be one per input channel. */
export function checkPreprocessing(info: Pick<ModelInfo, 'inputs'>, p: Preprocessing): Preprocessing {
  const channels = info.inputs[0]?.shape?.[1];
  if (p.mean.length !== p.std.length) throw new UserError(`mean has ${p.mean.length} values but std has ${p.std.length}`);
  if (p.std.some((s) => !(s > 0))) throw new UserError('every std value must be positive');
  if (!(p.valueRange[1] > p.valueRange[0])) throw new UserError('the value range must be increasing, e.g. 0,1 or 0,255');
  if (typeof channels === 'number' && p.mean.length !== 1 && p.mean.length !== channels) {
    throw new UserError(`the model takes ${channels} channels, but ${p.mean.length} mean/std values were given`);
  }
  return p;
}
