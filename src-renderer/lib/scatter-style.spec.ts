import { describe, expect, it } from 'vitest';
import { scatterPointStyle, withAlpha } from './scatter-style';

describe('scatterPointStyle', () => {
  it('draws a few hundred points full size at the series opacity', () => {
    expect(scatterPointStyle(300, 0.7)).toEqual({ radius: 2.5, hoverRadius: 4.5, alpha: 0.7 });
  });

  it('thins 10,000 points so that a dense cloud keeps its shape, but never below a visible floor', () => {
    const dense = scatterPointStyle(10_000, 0.7);
    expect(dense.alpha).toBeCloseTo(0.7 * Math.sqrt(0.05), 6);
    expect(dense.radius).toBeLessThan(2);
    expect(dense.hoverRadius).toBeGreaterThan(dense.radius);
    expect(scatterPointStyle(1_000_000, 0.7).alpha).toBe(0.12);
  });

  it('never makes fewer points fainter than more', () => {
    const counts = [1, 500, 501, 2_000, 5_000, 10_000, 50_000];
    const alphas = counts.map((n) => scatterPointStyle(n, 0.9).alpha);
    expect([...alphas].sort((a, b) => b - a)).toEqual(alphas);
  });
});

describe('withAlpha', () => {
  it('writes a hex colour as rgba', () => {
    expect(withAlpha('#2d5bcf', 0.15625)).toBe('rgba(45, 91, 207, 0.156)');
  });
});
