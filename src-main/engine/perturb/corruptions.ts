// Common corruptions with a continuous strength (Hendrycks and Dietterich 2019, CIFAR-10-C and
// ImageNet-C): each maps an image in [0, 1] (C, H, W) and a strength >= 0 to the corrupted image,
// strength 0 being the clean image, and carries the five standard severities of both benchmarks
// on its own parameter (noise sigma, photons, JPEG quality...). The formulas follow the
// benchmarks' make_cifar_c.py / make_imagenet_c.py; the noise comes from a fixed per-sample field
// (noise.ts). The corrupted image goes to the model as floats: only JPEG and pixelation work on
// 8-bit pixels, as their Pillow originals do.
import sharp from 'sharp';
import { resizeBox } from '../data/resample.js';
import type { NoiseField } from './noise.js';
import { poissonDraw } from './noise.js';

export interface ImageShape {
  channels: number;
  height: number;
  width: number;
}

export const CORRUPTIONS = ['gaussian-noise', 'shot-noise', 'impulse-noise', 'gaussian-blur', 'brightness', 'contrast', 'jpeg', 'pixelate'] as const;
export type CorruptionName = (typeof CORRUPTIONS)[number];

export interface Corruption {
  name: CorruptionName;
  title: string;
  /** The benchmarks' own parameter, as tables state severities: "sigma", "JPEG quality"... */
  parameter: string;
  parameterOf(strength: number): number;
  strengthOf(parameter: number): number;
  /** The strongest strength searched: the corruption's end (no signal left) or its parameter's limit. */
  maxStrength(shape: ImageShape): number;
  /** For a corruption with finitely many distinct images (JPEG qualities, pixel sizes): every strength that gives one, ascending. */
  levels?(shape: ImageShape): number[];
  /** The five severities on `parameter`: CIFAR-10-C's (images up to 64 pixels) and ImageNet-C's. */
  severities: { cifar: readonly number[]; imagenet: readonly number[] };
  apply(image: Float32Array, shape: ImageShape, strength: number, noise: NoiseField): Float32Array | Promise<Float32Array>;
}

const clip01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

function mapped(image: Float32Array, f: (value: number, i: number) => number): Float32Array {
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = clip01(f(image[i], i));
  return out;
}

/** Which table's severities an image of this size is compared with. */
export function severityTable(shape: ImageShape): 'cifar' | 'imagenet' {
  return Math.max(shape.height, shape.width) <= 64 ? 'cifar' : 'imagenet';
}

/** The strengths of the five severities for this image size. */
export function severityStrengths(corruption: Corruption, shape: ImageShape): number[] {
  return corruption.severities[severityTable(shape)].map((p) => corruption.strengthOf(p));
}

const identity = { parameterOf: (s: number) => s, strengthOf: (p: number) => p };

const gaussianNoise: Corruption = {
  name: 'gaussian-noise',
  title: 'Gaussian noise',
  parameter: 'sigma',
  ...identity,
  maxStrength: () => 1,
  severities: { cifar: [0.04, 0.06, 0.08, 0.09, 0.1], imagenet: [0.08, 0.12, 0.18, 0.26, 0.38] },
  apply: (image, _shape, s, noise) => mapped(image, (v, i) => v + s * noise.normal[i]),
};

/** Strength 1/c for c photons per unit of intensity: stronger as c falls; c = 1 at the end. */
const shotNoise: Corruption = {
  name: 'shot-noise',
  title: 'Shot noise',
  parameter: 'photons per unit intensity',
  parameterOf: (s) => 1 / s,
  strengthOf: (c) => 1 / c,
  maxStrength: () => 1,
  severities: { cifar: [500, 250, 100, 75, 50], imagenet: [60, 25, 12, 5, 3] },
  apply: (image, _shape, s, noise) => {
    if (s === 0) return image.slice();
    const c = 1 / s;
    return mapped(image, (v, i) => poissonDraw(v * c, noise.uniform[i], noise.normal[i]) / c);
  },
};

/** skimage's random_noise(mode='s&p', amount): each value replaced with probability `amount`, by 1 or 0 evenly. */
const impulseNoise: Corruption = {
  name: 'impulse-noise',
  title: 'Impulse noise',
  parameter: 'amount',
  ...identity,
  maxStrength: () => 1,
  severities: { cifar: [0.01, 0.02, 0.03, 0.05, 0.07], imagenet: [0.03, 0.06, 0.09, 0.17, 0.27] },
  apply: (image, _shape, s, noise) => mapped(image, (v, i) => (noise.uniform[i] < s ? (noise.salt[i] >= 0.5 ? 1 : 0) : v)),
};

/** SciPy's gaussian_filter as skimage calls it: truncate 4, borders repeat the edge pixel, each channel alone. */
const gaussianBlur: Corruption = {
  name: 'gaussian-blur',
  title: 'Gaussian blur',
  parameter: 'sigma (pixels)',
  ...identity,
  maxStrength: (shape) => Math.max(shape.height, shape.width) / 4,
  severities: { cifar: [0.4, 0.6, 0.7, 0.8, 1], imagenet: [1, 2, 3, 4, 6] },
  apply: (image, shape, s) => blur(image, shape, s),
};

function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.trunc(4 * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    k[x + radius] = Math.exp((-0.5 * x * x) / (sigma * sigma));
    sum += k[x + radius];
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

function blur(image: Float32Array, { channels, height, width }: ImageShape, sigma: number): Float32Array {
  if (sigma <= 1e-15) return image.slice();
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const plane = height * width;
  const rows = new Float64Array(plane);
  const out = new Float32Array(image.length);
  for (let c = 0; c < channels; c++) {
    const base = c * plane;
    // Along the height first, as SciPy filters axis 0 before axis 1.
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let t = -r; t <= r; t++) {
          const yy = Math.min(height - 1, Math.max(0, y + t));
          acc += k[t + r] * image[base + yy * width + x];
        }
        rows[y * width + x] = acc;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let acc = 0;
        for (let t = -r; t <= r; t++) {
          const xx = Math.min(width - 1, Math.max(0, x + t));
          acc += k[t + r] * rows[y * width + xx];
        }
        out[base + y * width + x] = clip01(acc);
      }
    }
  }
  return out;
}

/**
 * The value of HSV raised by the strength (skimage's rgb2hsv -> v + c -> hsv2rgb): for a fixed hue
 * and saturation RGB is proportional to V, so each pixel scales by V'/V, and a black pixel becomes
 * grey V'. Images that are not RGB raise each value.
 */
const brightness: Corruption = {
  name: 'brightness',
  title: 'Brightness',
  parameter: 'added value (HSV)',
  ...identity,
  maxStrength: () => 1,
  severities: { cifar: [0.05, 0.1, 0.15, 0.2, 0.3], imagenet: [0.1, 0.2, 0.3, 0.4, 0.5] },
  apply: (image, shape, s) => {
    if (shape.channels !== 3) return mapped(image, (v) => v + s);
    const plane = shape.height * shape.width;
    const out = new Float32Array(image.length);
    for (let p = 0; p < plane; p++) {
      const r = image[p];
      const g = image[plane + p];
      const b = image[2 * plane + p];
      const v = Math.max(r, g, b);
      const raised = clip01(v + s);
      out[p] = clip01(v > 0 ? (r * raised) / v : raised);
      out[plane + p] = clip01(v > 0 ? (g * raised) / v : raised);
      out[2 * plane + p] = clip01(v > 0 ? (b * raised) / v : raised);
    }
    return out;
  },
};

/** Each channel pulled towards its own mean by the factor c = 1 - strength. */
const contrast: Corruption = {
  name: 'contrast',
  title: 'Contrast',
  parameter: 'contrast factor',
  parameterOf: (s) => 1 - s,
  strengthOf: (c) => 1 - c,
  maxStrength: () => 1,
  severities: { cifar: [0.75, 0.5, 0.4, 0.3, 0.15], imagenet: [0.4, 0.3, 0.2, 0.1, 0.05] },
  apply: (image, shape, s) => {
    const plane = shape.height * shape.width;
    const out = new Float32Array(image.length);
    for (let c = 0; c < shape.channels; c++) {
      let sum = 0;
      for (let p = 0; p < plane; p++) sum += image[c * plane + p];
      const mean = sum / plane;
      for (let p = 0; p < plane; p++) out[c * plane + p] = clip01((image[c * plane + p] - mean) * (1 - s) + mean);
    }
    return out;
  },
};

/** (C, H, W) floats in [0, 1] to interleaved 8-bit pixels, rounded. */
export function toPixels(image: Float32Array, { channels, height, width }: ImageShape): Uint8Array {
  const plane = height * width;
  const out = new Uint8Array(image.length);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) out[p * channels + c] = Math.round(clip01(image[c * plane + p]) * 255);
  return out;
}

export function fromPixels(pixels: Uint8Array, { channels, height, width }: ImageShape): Float32Array {
  const plane = height * width;
  const out = new Float32Array(pixels.length);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) out[c * plane + p] = pixels[p * channels + c] / 255;
  return out;
}

/** Strength s is quality 101 - s: s = 1 is quality 100, s = 100 quality 1; 0 is the clean, unencoded image. */
const jpeg: Corruption = {
  name: 'jpeg',
  title: 'JPEG compression',
  parameter: 'JPEG quality',
  parameterOf: (s) => 101 - s,
  strengthOf: (q) => 101 - q,
  maxStrength: () => 100,
  levels: () => Array.from({ length: 100 }, (_, i) => i + 1),
  severities: { cifar: [80, 65, 58, 50, 40], imagenet: [25, 18, 15, 10, 7] },
  apply: async (image, shape, s) => {
    if (s === 0) return image.slice();
    const quality = Math.round(101 - s);
    const raw = { width: shape.width, height: shape.height, channels: shape.channels as 1 | 3 | 4 };
    // Pillow's defaults: 4:2:0 chroma, standard tables, no progressive scans or trellis.
    const pipeline = sharp(toPixels(image, shape), { raw });
    // A grey image stays a one-component JPEG, as Pillow writes mode L (sharp would make it sRGB).
    if (shape.channels === 1) pipeline.toColourspace('b-w');
    const encoded = await pipeline.jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
    const decoder = sharp(encoded);
    if (shape.channels === 1) decoder.toColourspace('b-w');
    const decoded = await decoder.raw().toBuffer({ resolveWithObject: true });
    if (decoded.info.channels !== shape.channels) throw new Error(`JPEG round trip gave ${decoded.info.channels} channels for ${shape.channels}`);
    return fromPixels(new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length), shape);
  },
};

/** The side pixelation shrinks to: Python's int(size * c) as the benchmarks write it (a hair added against 0.7 * 30 = 20.999...). */
function pixelSide(size: number, c: number): number {
  return Math.max(1, Math.trunc(size * c + 1e-9));
}

/** Pillow's BOX resize down to c times the size and back; strength 1 - c. */
const pixelate: Corruption = {
  name: 'pixelate',
  title: 'Pixelation',
  parameter: 'scale',
  parameterOf: (s) => 1 - s,
  strengthOf: (c) => 1 - c,
  maxStrength: (shape) => 1 - 1 / Math.max(shape.height, shape.width),
  levels: (shape) => {
    const side = Math.max(shape.height, shape.width);
    return Array.from({ length: side - 1 }, (_, i) => 1 - (side - 1 - i) / side);
  },
  severities: { cifar: [0.95, 0.9, 0.85, 0.75, 0.65], imagenet: [0.6, 0.5, 0.4, 0.3, 0.25] },
  apply: (image, shape, s) => {
    if (s === 0) return image.slice();
    const c = 1 - s;
    const raw = { data: toPixels(image, shape), width: shape.width, height: shape.height, channels: shape.channels };
    const small = resizeBox(raw, pixelSide(shape.height, c), pixelSide(shape.width, c));
    return fromPixels(resizeBox(small, shape.height, shape.width).data, shape);
  },
};

export const CORRUPTION_TABLE: Readonly<Record<CorruptionName, Corruption>> = {
  'gaussian-noise': gaussianNoise,
  'shot-noise': shotNoise,
  'impulse-noise': impulseNoise,
  'gaussian-blur': gaussianBlur,
  brightness,
  contrast,
  jpeg,
  pixelate,
};
