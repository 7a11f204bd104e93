import type { Preprocessing } from './contract';

/**
 * Whether two preprocessings map pixels alike: x -> x * (hi - lo) / std + (lo - mean) / std per
 * channel, as the folded graph computes it ([-1,1] is mean 0.5, std 0.5 on [0,1], say). One value
 * stands for every channel. Shared by the worker (merging conventions) and the model page.
 */
export function sameTransform(a: Preprocessing, b: Preprocessing): boolean {
  const channels = Math.max(a.mean.length, a.std.length, b.mean.length, b.std.length);
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
  for (let c = 0; c < channels; c++) {
    const [sa, ta] = affine(a, c);
    const [sb, tb] = affine(b, c);
    if (!close(sa, sb) || !close(ta, tb)) return false;
  }
  return true;
}

function affine(p: Preprocessing, channel: number): [number, number] {
  const at = (v: number[]) => (v.length === 1 ? v[0] : v[channel]);
  const [lo, hi] = p.valueRange;
  return [(hi - lo) / at(p.std), (lo - at(p.mean)) / at(p.std)];
}
