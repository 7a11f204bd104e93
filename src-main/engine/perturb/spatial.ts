// Spatial transforms with a continuous size: rotation about the image centre and translation, both
// sampled bilinearly from the source with black (0) where the source has no pixel, so that the
// transformed image changes continuously with the angle or the shift.
import type { ImageShape } from './corruptions.js';

/** Bilinear sample of one channel plane at (x, y); pixels outside the image are 0. */
function sample(plane: Float32Array, offset: number, height: number, width: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= width || yy >= height ? 0 : plane[offset + yy * width + xx]);
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

/** Every output pixel (x, y) takes the source at source(x, y). */
function warp(image: Float32Array, { channels, height, width }: ImageShape, source: (x: number, y: number) => [number, number]): Float32Array {
  const out = new Float32Array(image.length);
  const plane = height * width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = source(x, y);
      for (let c = 0; c < channels; c++) out[c * plane + y * width + x] = sample(image, c * plane, height, width, sx, sy);
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
  const cx = (shape.width - 1) / 2;
  const cy = (shape.height - 1) / 2;
  // The inverse rotation: where the output pixel came from.
  return warp(image, shape, (x, y) => [cx + cos * (x - cx) - sin * (y - cy), cy + sin * (x - cx) + cos * (y - cy)]);
}

/** Moves the image by (dx, dy) pixels: right and down for positive values. */
export function translate(image: Float32Array, shape: ImageShape, dx: number, dy: number): Float32Array {
  if (dx === 0 && dy === 0) return image.slice();
  return warp(image, shape, (x, y) => [x - dx, y - dy]);
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
