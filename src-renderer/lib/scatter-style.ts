/**
 * How a scatter draws its points at a given count. chart.js's decimation plugin only thins line
 * charts, so a scatter of 10,000 samples draws every point: at a fixed opacity the dense corner
 * becomes one solid blob that hides its own shape and the few points of another series. Lower
 * opacity as the count grows keeps density readable (overlapping points add up); smaller points
 * keep the outliers apart. The hovered point is drawn opaque and larger, so it can still be found
 * and clicked.
 */
export interface PointStyle {
  radius: number;
  hoverRadius: number;
  /** The fill's opacity, 0 to 1. */
  alpha: number;
}

/** The count up to which points keep their full size and opacity. */
const SPARSE = 500;
const MIN_ALPHA = 0.12;

/**
 * The style for `count` points of a series whose opacity is at most `maxAlpha`: opacity falls
 * as 1/sqrt(count) past SPARSE (about the overlap a point sees in a cloud of that many), never
 * under MIN_ALPHA, so that a lone outlier stays visible.
 */
export function scatterPointStyle(count: number, maxAlpha: number): PointStyle {
  const alpha = count <= SPARSE ? maxAlpha : Math.max(MIN_ALPHA, maxAlpha * Math.sqrt(SPARSE / count));
  const radius = count <= SPARSE ? 2.5 : count <= 2_000 ? 2 : 1.6;
  return { radius, hoverRadius: 4.5, alpha: Math.min(alpha, maxAlpha) };
}

/** 'rgba(r, g, b, alpha)' from '#rrggbb'. */
export function withAlpha(hex: string, alpha: number): string {
  const [r, g, b] = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${Number(alpha.toFixed(3))})`;
}
