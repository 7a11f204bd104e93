// Large datasets for kill and long-run checks without shipping them: the 1,000 committed sample
// images repeated to any count, as an .npz (x: uint8 [n, 28, 28], y: int64 [n]).
import { npyBytes, npyDict, npzBytes, npySeed } from '../fuzz/seeds.js';

export function repeatedSampleNpz(count: number): Uint8Array {
  const sample = 1000;
  const { x, y } = npySeed(sample);
  // The arrays' bytes are the tails of the .npy files, after their headers.
  const pixels = x.subarray(x.length - sample * 784);
  const labels = y.subarray(y.length - sample * 8);
  const images = new Uint8Array(count * 784);
  const classes = new Uint8Array(count * 8);
  for (let i = 0; i < count; i++) {
    const from = i % sample;
    images.set(pixels.subarray(from * 784, (from + 1) * 784), i * 784);
    classes.set(labels.subarray(from * 8, (from + 1) * 8), i * 8);
  }
  return npzBytes({
    'x.npy': npyBytes(npyDict('|u1', `(${count}, 28, 28)`), images),
    'y.npy': npyBytes(npyDict('<i8', `(${count},)`), classes),
  });
}
