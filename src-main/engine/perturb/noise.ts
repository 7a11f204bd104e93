// The random numbers of the noise corruptions, fixed per sample: each sample draws one field of
// uniforms and normals from its own seeded stream, and every strength of a corruption reuses it
// (common random numbers), so that a margin is reproducible and the corrupted image changes
// smoothly as the strength grows. tools/goldens/make_corruption_goldens.py ports these lines.
import { mulberry32 } from '../random.js';

export interface NoiseField {
  /** Standard normals (Box-Muller on the stream's uniforms). */
  normal: Float64Array;
  /** Uniforms in [0, 1): the Poisson inversion's and impulse noise's "is this pixel hit". */
  uniform: Float64Array;
  /** Uniforms in [0, 1): impulse noise's salt (>= 0.5) or pepper. */
  salt: Float64Array;
}

/** The stream of sample `index` under `seed`: a 32-bit mix of both, so neighbouring samples get unrelated streams. */
export function streamSeed(seed: number, index: number): number {
  return (Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

/** `size` values of each kind, drawn in the order normal pair, uniform, salt per element pair. */
export function noiseField(seed: number, index: number, size: number): NoiseField {
  const next = mulberry32(streamSeed(seed, index));
  const normal = new Float64Array(size);
  const uniform = new Float64Array(size);
  const salt = new Float64Array(size);
  for (let i = 0; i < size; i += 2) {
    // 1 - u keeps the logarithm finite: mulberry32 gives [0, 1).
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    normal[i] = r * Math.cos(angle);
    if (i + 1 < size) normal[i + 1] = r * Math.sin(angle);
  }
  for (let i = 0; i < size; i++) uniform[i] = next();
  for (let i = 0; i < size; i++) salt[i] = next();
  return { normal, uniform, salt };
}

/**
 * Below this mean a Poisson draw inverts its CDF exactly on the element's uniform; from it on, the
 * normal approximation N(lambda, lambda) on the element's normal (the CDFs differ by under 5% there,
 * and exact inversion would cost O(lambda) per pixel at the hundreds of photons of the benchmarks).
 */
export const POISSON_EXACT_BELOW = 30;

/** A Poisson(lambda) draw from one element's fixed uniform and normal. */
export function poissonDraw(lambda: number, uniform: number, normal: number): number {
  if (lambda <= 0) return 0;
  if (lambda >= POISSON_EXACT_BELOW) return Math.max(0, Math.floor(lambda + Math.sqrt(lambda) * normal + 0.5));
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  while (uniform >= cdf && k < 1000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}
