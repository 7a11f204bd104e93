import type { ModelAnalysis } from '../../src-preload/contract.js';
import { analyzeDifferentiability } from '../engine/autodiff/backward.js';
import { readModel } from '../engine/onnx/codec.js';
import { attachExternalData, type ExternalDataReader } from '../engine/onnx/external.js';
import { detectLinearHead } from '../engine/onnx/surgery.js';

/**
 * What the attacks and margins will need from the graph, found once at import. `readExternal`
 * gives the values of weights kept in external data files (the head's W and b).
 */
export function analyzeModel(bytes: Uint8Array, fileName: string, readExternal?: ExternalDataReader): ModelAnalysis {
  const model = readModel(bytes, fileName);
  if (readExternal) attachExternalData(model, readExternal, fileName);
  const report = analyzeDifferentiability(model);
  const detection = detectLinearHead(model);
  const head = detection.head;
  return {
    differentiable: report.differentiable,
    unsupported: report.unsupported,
    head: head ? { classes: head.classes, features: head.features, featuresTensor: head.featuresTensor, nodes: head.nodes } : null,
    headReason: detection.head ? null : detection.reason,
  };
}
