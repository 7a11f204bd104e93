import type { Preprocessing } from '../../src-preload/contract.js';
import { readModel } from '../engine/onnx/codec.js';
import type { OnnxModel } from '../engine/onnx/graph.js';
import { graphReading, prepareGraph, type ReadingSettings } from '../engine/onnx/reading.js';
import type { ExternalDataFolder } from '../engine/runtime/external-data.js';
import type { ProjectStore } from '../store/project-store.js';
import { storedExternalData } from './stored-external-data.js';

export interface ForwardGraph {
  /** Takes [0,1] NCHW pixels as its first input and gives the logits as its first output. */
  graph: OnnxModel;
  /** The model's external weights for its sessions; remove() it when the job ends. */
  externalData: ExternalDataFolder | null;
}

/**
 * A stored model's graph as every forward pass feeds it (runs and screening alike): read as
 * `reading` says (image input, layout, logits, batch axis), with the preprocessing folded in so
 * that it takes pixels in [0,1].
 */
export function forwardGraph(store: ProjectStore, modelId: string, reading: ReadingSettings, preprocessing: Preprocessing): ForwardGraph {
  const model = store.models.get(modelId);
  const parsed = readModel(store.models.bytes(modelId), model.fileName);
  const externalData = storedExternalData(store, modelId, parsed, model.fileName);
  try {
    const graph = prepareGraph(parsed, graphReading(reading), { range: preprocessing.valueRange, mean: preprocessing.mean, std: preprocessing.std });
    return { graph, externalData };
  } catch (error) {
    externalData?.remove();
    throw error;
  }
}
