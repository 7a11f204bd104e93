import type { Preprocessing, PreprocessingCandidate } from '../../src-preload/contract.js';
import { sameTransform } from '../../src-preload/preprocessing.js';
import type { MetadataPreprocessing } from '../engine/onnx/metadata.js';

/** A candidate before it is tried: what it is and the preprocessing it stands for. */
export type CandidateSpec = Omit<PreprocessingCandidate, 'accuracy' | 'correct'>;

// torchvision's ImageNet statistics, the most common normalisation of exported image models.
const IMAGENET: Preprocessing = { valueRange: [0, 1], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * The common conventions, in the order they are shown: [0,1] as is, [-1,1], ImageNet mean/std,
 * [0,255] as is, what the model's metadata states, and the model's current settings. Candidates
 * that transform pixels the same way are merged into the first (marked current when the model's
 * settings are among them), so no convention is tried twice.
 */
export function preprocessingCandidates(channels: number, current: Preprocessing, metadata: MetadataPreprocessing | null): CandidateSpec[] {
  const specs: CandidateSpec[] = [
    spec('identity', '[0, 1] as is', { valueRange: [0, 1], mean: [0], std: [1] }),
    spec('symmetric', '[−1, 1]', { valueRange: [-1, 1], mean: [0], std: [1] }),
    spec('imagenet', 'ImageNet mean/std', IMAGENET, channels === 3 ? null : `needs 3 channels; the images have ${channels}`),
    spec('byte', '[0, 255] as is', { valueRange: [0, 255], mean: [0], std: [1] }),
  ];
  if (metadata) {
    const fits = metadata.mean.length === 1 || metadata.mean.length === channels;
    const { keys, ...preprocessing } = metadata;
    specs.push({
      ...spec('metadata', 'The model’s metadata', preprocessing, fits ? null : `gives ${metadata.mean.length} channels; the images have ${channels}`),
      source: keys.join(', '),
    });
  }
  specs.push(spec('current', 'The model’s settings', current));
  const merged: CandidateSpec[] = [];
  for (const candidate of specs) {
    const same = candidate.skipped ? undefined : merged.find((m) => !m.skipped && sameTransform(m.preprocessing, candidate.preprocessing));
    if (!same) {
      merged.push({ ...candidate, current: candidate.id === 'current' });
      continue;
    }
    if (candidate.id === 'current') same.current = true;
    else same.label += ` · ${candidate.label}`;
    same.source ??= candidate.source;
  }
  return merged;
}

function spec(id: CandidateSpec['id'], label: string, preprocessing: Preprocessing, skipped: string | null = null): CandidateSpec {
  return { id, label, preprocessing, skipped, current: false, source: null };
}

/** The best accuracy; a tie goes to the current settings, else to the first in the list. Null when nothing was tried. */
export function proposal(candidates: readonly Pick<PreprocessingCandidate, 'accuracy' | 'current'>[]): number | null {
  let best: number | null = null;
  candidates.forEach((candidate, k) => {
    if (candidate.accuracy === null) return;
    const leader = best === null ? null : candidates[best];
    if (!leader || candidate.accuracy > leader.accuracy! || (candidate.accuracy === leader.accuracy && candidate.current && !leader.current)) best = k;
  });
  return best;
}
