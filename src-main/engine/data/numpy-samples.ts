import { DatasetFormatError } from './errors.js';
import { hwcToChw, type PixelArray } from './layout.js';
import { pythonShape, type NpyHeader } from './npy-array.js';
import { UNLABELED } from './types.js';

/** An x/y pair (or x alone: unlabeled images) whose headers have been checked, ready to decode `count` samples. */
export interface NumpyPlan {
  x: NpyHeader;
  y: NpyHeader | null;
  count: number;
  shape: [number, number, number];
  /** Keras and TensorFlow store N,H,W,C; the engine wants N,C,H,W. */
  channelsLast: boolean;
}

const X_DTYPES = ['u1', 'f4', 'f8'];

/** Checks everything the headers can tell, so that a bad pair fails before its data is read. */
export function planSamples(
  x: NpyHeader,
  y: NpyHeader | null,
  where: { x: string; y: string },
  limit: number | undefined,
): NumpyPlan {
  const xType = `${x.dtype.kind}${x.dtype.itemSize}`;
  if (!X_DTYPES.includes(xType)) {
    throw new DatasetFormatError(`${where.x}: images of dtype ${x.dtype.descr} are not supported (use |u1, <f4 or <f8)`);
  }
  const { shape, channelsLast } = imageLayout(x.shape, where.x);
  const count = limit === undefined ? x.shape[0] : Math.min(x.shape[0], limit);
  if (y === null) return { x, y, count, shape, channelsLast };
  if (!['u', 'i'].includes(y.dtype.kind) || ![1, 2, 4, 8].includes(y.dtype.itemSize)) {
    throw new DatasetFormatError(`${where.y}: labels must be integers, found dtype ${y.dtype.descr}`);
  }
  if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) {
    throw new DatasetFormatError(`${where.y}: labels must have shape (N,), found ${pythonShape(y.shape)}`);
  }
  if (x.shape[0] !== y.shape[0]) {
    throw new DatasetFormatError(
      `${where.x}: ${x.shape[0]} images but ${where.y} has ${y.shape[0]} labels (x and y must have the same length)`,
    );
  }
  return { x, y, count, shape, channelsLast };
}

function imageLayout(dims: number[], where: string): { shape: [number, number, number]; channelsLast: boolean } {
  const isChannels = (n: number): boolean => n === 1 || n === 3;
  if (dims.length === 3 && dims[1] > 0 && dims[2] > 0) return { shape: [1, dims[1], dims[2]], channelsLast: false };
  if (dims.length === 4 && dims[2] > 0) {
    const [, a, b, c] = dims;
    // PyTorch's N,C,H,W wins the rare tie (e.g. 3x3x3 images): Brink's models come from PyTorch.
    if (isChannels(a) && c > 0) return { shape: [a, b, c], channelsLast: false };
    if (isChannels(c) && a > 0) return { shape: [c, a, b], channelsLast: true };
  }
  throw new DatasetFormatError(
    `${where}: images must have shape (N, H, W), (N, C, H, W) or (N, H, W, C) with C 1 or 3, found ${pythonShape(dims)}`,
  );
}

export function imageBytes(plan: NumpyPlan): number {
  const [c, h, w] = plan.shape;
  return plan.count * c * h * w * plan.x.dtype.itemSize;
}

export function labelBytes(plan: NumpyPlan): number {
  return plan.y ? plan.count * plan.y.dtype.itemSize : 0;
}

/** `bytes` holds at least the first plan.count samples' data, starting at the first byte of the array. */
export function decodeImages(plan: NumpyPlan, bytes: Uint8Array): PixelArray {
  const [c, h, w] = plan.shape;
  const values = plan.count * c * h * w;
  const source = typedView(bytes, plan.x.dtype.kind, plan.x.dtype.itemSize, values);
  const target = source instanceof Uint8Array ? new Uint8Array(values) : new Float32Array(values);
  if (plan.channelsLast) hwcToChw(source, target, 0, plan.shape);
  else target.set(source);
  return target;
}

function typedView(bytes: Uint8Array, kind: string, itemSize: number, length: number): Uint8Array | Float32Array | Float64Array {
  if (kind === 'u' && itemSize === 1) return bytes.subarray(0, length);
  // Typed-array views need aligned offsets; numpy aligns its data, but a buffer handed to us may not be.
  const aligned = bytes.byteOffset % itemSize === 0 ? bytes : bytes.slice(0, length * itemSize);
  // .npy data is little-endian here (big-endian is refused), as is every platform Node runs on.
  return itemSize === 4
    ? new Float32Array(aligned.buffer, aligned.byteOffset, length)
    : new Float64Array(aligned.buffer, aligned.byteOffset, length);
}

/**
 * The largest class index a label may hold, plus one. Class counts are kept per class, so a
 * label of 2^31 would allocate that many; the largest image-classification label sets have tens of
 * thousands of classes (ImageNet-21k: 21,843).
 */
export const MAX_CLASSES = 1_000_000;

export function decodeLabels(plan: NumpyPlan, bytes: Uint8Array, where: string): Int32Array {
  if (plan.y === null) return new Int32Array(plan.count).fill(UNLABELED);
  const { kind, itemSize } = plan.y.dtype;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = labelReader(view, kind === 'i', itemSize);
  const labels = new Int32Array(plan.count);
  for (let i = 0; i < plan.count; i++) {
    const label = read(i * itemSize);
    if (label < 0) throw new DatasetFormatError(`${where}: label ${label} at index ${i} is not a class index (0 or more)`);
    if (label >= MAX_CLASSES) {
      throw new DatasetFormatError(`${where}: label ${label} at index ${i} is beyond Brink's limit of ${MAX_CLASSES.toLocaleString('en')} classes`);
    }
    labels[i] = Number(label);
  }
  return labels;
}

function labelReader(view: DataView, signed: boolean, itemSize: number): (offset: number) => number | bigint {
  switch (itemSize) {
    case 1:
      return signed ? (o) => view.getInt8(o) : (o) => view.getUint8(o);
    case 2:
      return signed ? (o) => view.getInt16(o, true) : (o) => view.getUint16(o, true);
    case 4:
      return signed ? (o) => view.getInt32(o, true) : (o) => view.getUint32(o, true);
    default:
      return signed ? (o) => view.getBigInt64(o, true) : (o) => view.getBigUint64(o, true);
  }
}
