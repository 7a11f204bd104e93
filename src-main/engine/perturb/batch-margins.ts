// One batch of samples through the chosen perturbation families: per sample and family, the
// smallest flipping strength over the family's directions, and the predictions at the benchmark
// severities (for the corruption accuracy table).
import type { ImageShape } from './corruptions.js';
import { FAMILY_TABLE, type MarginFamilyName } from './families.js';
import { smallestFlips } from './flip-search.js';
import { noiseField, type NoiseField } from './noise.js';

export interface FamilyMargin {
  family: MarginFamilyName;
  /** Smallest strength found that changes the prediction; null: censored (none within the family's range). */
  strength: number | null;
  /** Largest strength seen to keep the prediction below the found one (in its direction). */
  below: number;
  /** The changed prediction at `strength`. */
  prediction: number | null;
  /** Which of the family's directions gave the margin (rotation: 0 counter-clockwise, 1 clockwise). */
  direction: number | null;
  /** Predictions at the five benchmark severities, mildest first; null for a family without severities. */
  severityPredictions: number[] | null;
}

export interface BatchMarginsInput {
  /** n samples of `shape`, (C, H, W) each, in [0, 1]. */
  x: Float32Array;
  n: number;
  shape: ImageShape;
  /** The clean predictions the margins are measured against. */
  predictions: Int32Array;
  /** Each sample's dataset index: its noise field is seeded by it, so a margin does not depend on the batch. */
  indices: ArrayLike<number>;
  seed: number;
  families: readonly MarginFamilyName[];
  /** Predicted classes of a batch of images. */
  predict(images: Float32Array[]): Promise<Int32Array>;
  /** Progress within the batch: the family and the fraction of its work done. */
  stage?(family: MarginFamilyName, fraction: number): void;
  stopRequested?(): boolean;
}

/** Per sample, one FamilyMargin per family in `families` order; null when a stop was requested. */
export async function batchFamilyMargins(input: BatchMarginsInput): Promise<FamilyMargin[][] | null> {
  const { x, n, shape, predictions, families } = input;
  const size = shape.channels * shape.height * shape.width;
  const images = Array.from({ length: n }, (_, k) => x.subarray(k * size, (k + 1) * size));
  const noises: NoiseField[] = Array.from({ length: n }, (_, k) => noiseField(input.seed, input.indices[k], size));
  const out: FamilyMargin[][] = Array.from({ length: n }, () => []);
  for (const name of families) {
    if (input.stopRequested?.()) return null;
    const family = FAMILY_TABLE[name];
    const search = family.search(shape);
    const best: FamilyMargin[] = Array.from({ length: n }, () => ({ family: name, strength: null, below: 0, prediction: null, direction: null, severityPredictions: null }));
    for (let direction = 0; direction < family.directions; direction++) {
      const results = await smallestFlips(
        { render: (sample, strength) => family.render(images[sample], shape, strength, direction, noises[sample]), predict: input.predict },
        predictions,
        search,
        (done, total) => input.stage?.(name, (direction + done / total) / (family.directions + 1)),
      );
      results.forEach((r, k) => {
        if (r.strength !== null && (best[k].strength === null || r.strength < best[k].strength!)) {
          best[k] = { ...best[k], strength: r.strength, below: r.below, prediction: r.prediction, direction };
        }
      });
    }
    const severities = family.severities(shape);
    if (severities) {
      const rendered = await Promise.all(images.flatMap((image, k) => severities.map((s) => family.render(image, shape, s, 0, noises[k]))));
      const pred = await input.predict(rendered);
      best.forEach((b, k) => (b.severityPredictions = Array.from(pred.subarray(k * severities.length, (k + 1) * severities.length))));
    }
    input.stage?.(name, 1);
    best.forEach((b, k) => out[k].push(b));
  }
  return out;
}
