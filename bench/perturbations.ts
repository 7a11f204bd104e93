/**
 * Issue 14 item 9: margins in the perturbation families for the sample robust CNN — samples/s per
 * family and each family's cost relative to one forward pass of the same samples (the forward
 * passes its grid, bisection, verification and severities take, and the rendering on top).
 *
 *   npx tsx bench/perturbations.ts [--samples 1000] [--batch 100] [--threads 1] [--families a,b]
 */
import { parseArgs } from 'node:util';
import { marginFamilyNames, type MarginFamilyName } from '../src-preload/contract.js';
import { argmax } from '../src-main/engine/attacks/logit-rows.js';
import { batchFamilyMargins } from '../src-main/engine/perturb/batch-margins.js';
import { loadAverage, providerLine, table, wholeNumber } from './common.js';
import { CLASSES, loadSampleCnn } from './sample-cnn.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '100' },
    threads: { type: 'string', default: '1' },
    families: { type: 'string', default: marginFamilyNames.join(',') },
  },
});
const samples = wholeNumber('samples', values.samples, 1);
const batch = wholeNumber('batch', values.batch, 1);
const threads = wholeNumber('threads', values.threads, 1);
const families = values.families.split(',').map((f) => f.trim()) as MarginFamilyName[];
for (const f of families) if (!marginFamilyNames.includes(f)) throw new Error(`unknown family '${f}'`);

const cnn = await loadSampleCnn(samples, { batchSize: batch, threads });
const size = 28 * 28;
let forwardImages = 0;
const predict = async (images: Float32Array[]): Promise<Int32Array> => {
  const out = new Int32Array(images.length);
  for (let start = 0; start < images.length; start += batch) {
    const chunk = images.slice(start, start + batch);
    const x = new Float32Array(chunk.length * size);
    chunk.forEach((image, k) => x.set(image, k * size));
    const logits = await cnn.model.logits(x, chunk.length);
    for (let k = 0; k < chunk.length; k++) out[start + k] = argmax(logits.subarray(k * CLASSES, (k + 1) * CLASSES));
  }
  forwardImages += images.length;
  return out;
};

// One forward pass of every sample: the unit each family's cost is given in.
const t0 = performance.now();
await predict(Array.from({ length: samples }, (_, k) => cnn.x.subarray(k * size, (k + 1) * size)));
const forwardMs = performance.now() - t0;

console.log(`# Perturbation-family margins, sample robust CNN, ${samples} samples, batch ${batch}, ${threads} thread(s)`);
console.log(providerLine('cpu'));
console.log(`load average ${loadAverage()}; one forward pass of the ${samples} samples: ${forwardMs.toFixed(0)} ms (${((samples * 1000) / forwardMs).toFixed(0)} images/s)\n`);
const rows: string[][] = [];
for (const family of families) {
  forwardImages = 0;
  let found = 0;
  const start = performance.now();
  for (let first = 0; first < samples; first += batch) {
    const n = Math.min(batch, samples - first);
    const result = await batchFamilyMargins({
      x: cnn.x.subarray(first * size, (first + n) * size),
      n,
      shape: { channels: 1, height: 28, width: 28 },
      predictions: cnn.classes.subarray(first, first + n),
      indices: Int32Array.from({ length: n }, (_, k) => first + k),
      seed: 0,
      families: [family],
      predict,
    });
    found += result!.filter((r) => r[0].strength !== null).length;
  }
  const ms = performance.now() - start;
  rows.push([
    family,
    ((samples * 1000) / ms).toFixed(1),
    (forwardImages / samples).toFixed(1),
    (ms / forwardMs).toFixed(0),
    `${found}/${samples}`,
  ]);
}
console.log(table(['family', 'samples/s', 'forward images per sample', 'cost (x one forward pass)', 'changed'], rows, { nameColumn: true }));
await cnn.model.release();
