// Pillow's bilinear and box resizes of 8-bit images, transcribed so that Brink's images match
// torchvision's (Resize on a PIL image calls Image.resize(..., BILINEAR)) and the corruption
// benchmarks' pixelation (Image.resize(..., BOX)) value for value. sharp's kernels differ.
//
// Source: Pillow src/libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner). What matters for equality:
// - the filter (triangle: support 1; box: support 1/2) is widened by the scale when shrinking,
//   which is PIL's antialias;
// - weights are normalised in float64, then turned into fixed point with 22 fractional bits;
// - the horizontal pass runs first and is rounded to uint8 before the vertical pass;
// - a pass runs only when its dimension changes.

/** Pixels interleaved (H, W, C), uint8. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** 32 - 8 - 2: 8 bits for the result and 2 spare bits for filters with negative lobes. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

/** One output position's taps: the first input index and fixed-point weights. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  /** outSize * width weights, row-major; unused tail entries are 0. */
  weights: Int32Array;
  width: number;
}

/** A resampling filter as Pillow defines it: its kernel and its support at scale 1. */
interface Filter {
  kernel(x: number): number;
  support: number;
}

const BILINEAR: Filter = {
  kernel: (x) => {
    const a = Math.abs(x);
    return a < 1 ? 1 - a : 0;
  },
  support: 1,
};

/** Pillow's box_filter: half-open on the left, closed on the right. */
const BOX: Filter = { kernel: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0), support: 0.5 };

export function resizeBilinear(image: RawImage, height: number, width: number): RawImage {
  return resize(image, height, width, BILINEAR);
}

/** Image.resize(..., BOX): each output pixel the coverage-weighted mean of the input pixels under it. */
export function resizeBox(image: RawImage, height: number, width: number): RawImage {
  return resize(image, height, width, BOX);
}

function resize(image: RawImage, height: number, width: number, filter: Filter): RawImage {
  let current = image;
  if (width !== image.width) current = horizontal(current, taps(image.width, width, filter));
  if (height !== image.height) current = vertical(current, taps(image.height, height, filter));
  return current === image ? { ...image, data: image.data.slice() } : current;
}

/** precompute_coeffs + normalize_coeffs_8bpc for a full-image box, in the same float64 order of operations. */
function taps(inSize: number, outSize: number, filter: Filter): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const width = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * width);
  const k = new Float64Array(width);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) truncates toward zero; the clamps make it agree with floor where it matters.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = filter.kernel((x + xmin - center + 0.5) * ss);
      sum += k[x];
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x] / sum : k[x];
      weights[xx * width + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { first, count, weights, width };
}

/** clip8: the accumulator's integer part, clamped to 0..255 (sums stay inside int32, as in C). */
function clip8(value: number): number {
  const v = value >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function horizontal(image: RawImage, t: Taps): RawImage {
  const { data, height, width: inWidth, channels } = image;
  const outWidth = t.first.length;
  const out = new Uint8Array(height * outWidth * channels);
  if (channels === 3) {
    horizontalRgb(data, out, height, inWidth, t);
    return { data: out, width: outWidth, height, channels };
  }
  for (let y = 0; y < height; y++) {
    const row = y * inWidth * channels;
    for (let xx = 0; xx < outWidth; xx++) {
      const base = xx * t.width;
      const n = t.count[xx];
      const start = row + t.first[xx] * channels;
      for (let c = 0; c < channels; c++) {
        let acc = HALF;
        for (let x = 0; x < n; x++) acc += data[start + x * channels + c] * t.weights[base + x];
        out[(y * outWidth + xx) * channels + c] = clip8(acc);
      }
    }
  }
  return { data: out, width: outWidth, height, channels };
}

/** The same sums for RGB with the three channels in one pass over the taps: the pass that dominates on photos. */
function horizontalRgb(data: Uint8Array, out: Uint8Array, height: number, inWidth: number, t: Taps): void {
  const outWidth = t.first.length;
  const { first, count, weights } = t;
  for (let y = 0; y < height; y++) {
    const row = y * inWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const base = xx * t.width;
      const n = count[xx];
      let at = row + first[xx] * 3;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let x = 0; x < n; x++, at += 3) {
        const w = weights[base + x];
        r += data[at] * w;
        g += data[at + 1] * w;
        b += data[at + 2] * w;
      }
      const o = (y * outWidth + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
}

function vertical(image: RawImage, t: Taps): RawImage {
  const { data, width, channels } = image;
  const outHeight = t.first.length;
  const stride = width * channels;
  const out = new Uint8Array(outHeight * stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const base = yy * t.width;
    const n = t.count[yy];
    const start = t.first[yy] * stride;
    for (let i = 0; i < stride; i++) {
      let acc = HALF;
      for (let y = 0; y < n; y++) acc += data[start + y * stride + i] * t.weights[base + y];
      out[yy * stride + i] = clip8(acc);
    }
  }
  return { data: out, width, height: outHeight, channels };
}
