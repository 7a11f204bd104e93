// Spatial transforms with a continuous size: rotation about the image centre and translation, both
// sampled bilinearly from the source with black (0) where the source has no pixel, so that the
// transformed image changes continuously with the angle or the shift.
import type { ImageShape } from './corruptions.js';

/**
 * Every output pixel (x, y) takes the source at (sx[y * width + x], sy[y * width + x]), sampled
 * bilinearly per channel with 0 outside the image. One flat loop without closures or tuples: the
 * margin search renders tens of images per sample, and this is most of a spatial family's cost.
 */
function warp(image: Float32Array, { channels, height, width }: ImageShape, sx: Float64Array, sy: Float64Array): Float32Array {
  const out = new Float32Array(image.length);
  const plane = height * width;
  for (let p = 0; p < plane; p++) {
    const x0 = Math.floor(sx[p]);
    const y0 = Math.floor(sy[p]);
    const fx = sx[p] - x0;
    const fy = sy[p] - y0;
    const left = x0 >= 0 && x0 < width;
    const right = x0 + 1 >= 0 && x0 + 1 < width;
    const top = y0 >= 0 && y0 < height;
    const bottom = y0 + 1 >= 0 && y0 + 1 < height;
    const at = y0 * width + x0;
    for (let c = 0, base = 0; c < channels; c++, base += plane) {
      const v00 = left && top ? image[base + at] : 0;
      const v10 = right && top ? image[base + at + 1] : 0;
      const v01 = left && bottom ? image[base + at + width] : 0;
      const v11 = right && bottom ? image[base + at + width + 1] : 0;
      out[base + p] = (1 - fy) * ((1 - fx) * v00 + fx * v10) + fy * ((1 - fx) * v01 + fx * v11);
    }
  }
  return out;
}

/** Turns the image by `degrees` about its centre, counter-clockwise as displayed (rows run downwards). */
export function rotate(image: Float32Array, shape: ImageShape, degrees: number): Float32Array {
  if (degrees === 0) return image.slice();
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const { height, width } = shape;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  // The inverse rotation: where each output pixel came from.
  const sx = new Float64Array(height * width);
  const sy = new Float64Array(height * width);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      sx[p] = cx + cos * (x - cx) - sin * (y - cy);
      sy[p] = cy + sin * (x - cx) + cos * (y - cy);
    }
  }
  return warp(image, shape, sx, sy);
}

/** Moves the image by (dx, dy) pixels: right and down for positive values. */
export function translate(image: Float32Array, shape: ImageShape, dx: number, dy: number): Float32Array {
  if (dx === 0 && dy === 0) return image.slice();
  const { height, width } = shape;
  const sx = new Float64Array(height * width);
  const sy = new Float64Array(height * width);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      sx[p] = x - dx;
      sy[p] = y - dy;
    }
  }
  return warp(image, shape, sx, sy);
}

/** The eight directions a translation margin tries: along each axis and each diagonal, as unit vectors. */
export const SHIFT_DIRECTIONS: readonly [number, number][] = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
  [Math.SQRT1_2, Math.SQRT1_2],
  [Math.SQRT1_2, -Math.SQRT1_2],
  [-Math.SQRT1_2, Math.SQRT1_2],
  [-Math.SQRT1_2, -Math.SQRT1_2],
];
