import type { AttackNorm, LipschitzSettings } from '../../src-preload/contract.js';
import { LIPSCHITZ_DEFAULT_RADIUS, LIPSCHITZ_DEFAULT_SAMPLES } from '../../src-preload/lipschitz.js';
import { UserError } from '../errors.js';

export interface LipschitzOptions {
  lipschitz?: boolean;
  radius?: number;
  samples?: number;
}

/** `--lipschitz [--radius R --samples K]` in the run's norm, with the engine's defaults; null without --lipschitz. */
export function lipschitzSettings(opts: LipschitzOptions, norm: AttackNorm, seed: number): LipschitzSettings | null {
  if (!opts.lipschitz) {
    const stray = (['radius', 'samples'] as const).find((k) => opts[k] !== undefined);
    if (stray) throw new UserError(`--${stray} needs --lipschitz`);
    return null;
  }
  return { norm, radius: opts.radius ?? LIPSCHITZ_DEFAULT_RADIUS[norm], samples: opts.samples ?? LIPSCHITZ_DEFAULT_SAMPLES, seed };
}
