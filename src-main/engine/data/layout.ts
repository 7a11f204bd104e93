export type PixelArray = Uint8Array | Float32Array;

/**
 * Copies whole HWC samples from `source` into `target` as CHW, starting at sample `firstSample`
 * of the target. Models exported from PyTorch take NCHW, while Keras/TF files store NHWC.
 */
export function hwcToChw(
  source: ArrayLike<number>,
  target: PixelArray,
  firstSample: number,
  [channels, height, width]: readonly [number, number, number],
): void {
  const plane = height * width;
  const sampleSize = plane * channels;
  const samples = Math.floor(source.length / sampleSize);
  for (let n = 0; n < samples; n++) {
    const from = n * sampleSize;
    const to = (firstSample + n) * sampleSize;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < channels; c++) target[to + c * plane + p] = source[from + p * channels + c];
    }
  }
}
