import type { ModelAnalysis } from '../../src-preload/contract.js';
import { analyzeDifferentiability } from '../engine/autodiff/backward.js';
import { findZeroGradientOps } from '../engine/autodiff/zero-gradient.js';
import { readModel } from '../engine/onnx/codec.js';
import { attachExternalData, type ExternalDataReader } from '../engine/onnx/external.js';
import { graphReading, readAs, type ReadingSettings } from '../engine/onnx/reading.js';
import { detectLinearHead } from '../engine/onnx/surgery.js';

/**
 * What the attacks and margins will need from the graph as Brink reads it (image input, layout,
 * logits), found at import and again when the reading changes. `readExternal` gives the values
 * of weights kept in external data files (the head's W and b).
 */
export function analyzeModel(bytes: Uint8Array, fileName: string, reading: ReadingSettings, readExternal?: ExternalDataReader): ModelAnalysis {
  const model = readModel(bytes, fileName);
  if (readExternal) attachExternalData(model, readExternal, fileName);
  if (reading.imageInput === null) {
    const reason = 'choose the image input first';
    return { differentiable: false, unsupported: [], head: null, headReason: reason, zeroGradientOps: [] };
  }
  const input = readAs(model, graphReading(reading));
  const report = analyzeDifferentiability(model, { input });
  const detection = detectLinearHead(model);
  const head = detection.head;
  return {
    differentiable: report.differentiable,
    unsupported: report.unsupported,
    head: head ? { classes: head.classes, features: head.features, featuresTensor: head.featuresTensor, nodes: head.nodes } : null,
    headReason: detection.head ? null : detection.reason,
    zeroGradientOps: findZeroGradientOps(model, { input }),
  };
}
