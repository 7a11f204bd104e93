import { attachExternalData, hasExternalData } from '../engine/onnx/external.js';
import type { OnnxModel } from '../engine/onnx/graph.js';
import { materialiseExternalData, type ExternalDataFolder } from '../engine/runtime/external-data.js';
import { UserError } from '../errors.js';
import type { ProjectStore } from '../store/project-store.js';

/**
 * For a stored model that keeps its weights in external data files: a private copy of those
 * files for its sessions (pass it as `externalData`, remove() it when the job ends), with the
 * model's weight values, such as the head's, readable from there. Null for other models.
 */
export function storedExternalData(store: ProjectStore, modelId: string, model: OnnxModel, fileName: string): ExternalDataFolder | null {
  const files = store.models.externalFiles(modelId);
  if (files.length === 0) {
    if (hasExternalData(model)) throw new UserError(`${fileName} keeps its weights in external data files that this project does not hold; import the model again`);
    return null;
  }
  const folder = materialiseExternalData(files);
  attachExternalData(model, folder.read, fileName);
  return folder;
}
