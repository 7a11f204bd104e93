import sharp from 'sharp';
import type { SampleExplorerItem } from '../../src-preload/contract.js';
import { argmax } from '../engine/margins/margins.js';
import type { ProjectStore } from '../store/project-store.js';

/** A [0,1] float CHW image as a PNG data URL (upscaling is left to the view, pixelated). */
async function png(values: ArrayLike<number>, [c, h, w]: [number, number, number]): Promise<string> {
  const hwc = Buffer.alloc(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < h * w; p++) hwc[p * c + ch] = Math.round(Math.min(1, Math.max(0, values[ch * h * w + p])) * 255);
  }
  const bytes = await sharp(hwc, { raw: { width: w, height: h, channels: c as 1 | 3 } }).png().toBuffer();
  return `data:image/png;base64,${bytes.toString('base64')}`;
}

/**
 * One sample of a run for the explorer: the original, its best verified adversarial example,
 * and the perturbation stretched so that its largest change reaches black or white.
 */
export async function sampleExplorerItem(store: ProjectStore, runId: string, position: number): Promise<SampleExplorerItem> {
  const run = store.runs.get(runId);
  const { row, logits } = store.runs.sample(runId, position);
  const dataset = store.datasets.get(run.datasetId);
  const block = store.datasets.read(run.datasetId, row.index, 1);
  const original = Float32Array.from(block.data, (v) => (block.dtype === 'uint8' ? v / 255 : v));
  const adversarial = store.runs.adversarial(runId, position);
  let perturbation: string | null = null;
  let amplification: number | null = null;
  if (adversarial) {
    const delta = adversarial.example.map((v, k) => v - original[k]);
    const largest = delta.reduce((m, d) => Math.max(m, Math.abs(d)), 0);
    amplification = largest > 0 ? 0.5 / largest : 1;
    perturbation = await png(
      delta.map((d) => 0.5 + d * amplification!),
      dataset.shape,
    );
  }
  const model = store.models.get(run.modelId);
  return {
    row,
    original: await png(original, dataset.shape),
    adversarial: adversarial ? await png(adversarial.example, dataset.shape) : null,
    perturbation,
    amplification,
    logits: Array.from(logits),
    adversarialLogits: adversarial ? Array.from(adversarial.logits) : null,
    adversarialPred: adversarial ? argmax(adversarial.logits) : null,
    classNames: model.labels ?? dataset.classNames,
  };
}
