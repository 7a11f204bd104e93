// .npy arrays in and out of memory, for tensors that cross the CLI (`brink grad`). The header
// rules are engine/data's; the writer mirrors numpy's own (numpy/lib/format.py) byte for byte:
// version 1.0, keys sorted, growth-axis spare space, header padded to 64 bytes, C order.
import { DatasetFormatError } from '../data/errors.js';
import { checkComplete, parseNpyHeader, pythonShape } from '../data/npy-array.js';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

export interface NpyArray<T extends NpyData = NpyData> {
  data: T;
  shape: number[];
}

type TypedArrayConstructor = { new (buffer: ArrayBuffer): NpyData; BYTES_PER_ELEMENT: number };

// Keyed by numpy's kind letter and item size; bool is stored as one byte 0/1.
const READ_TYPES: Record<string, TypedArrayConstructor> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  i2: Int16Array,
  i4: Int32Array,
  i8: BigInt64Array,
  u1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
  u8: BigUint64Array,
  b1: Uint8Array,
};

const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

function descrOf(data: NpyData): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Uint32Array) return '<u4';
  return '<u8';
}

/** The bytes numpy's np.save writes for this array (little-endian hosts, which is every Node target). */
export function encodeNpy(array: NpyArray): Uint8Array {
  const { data, shape } = array;
  if (!shape.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`invalid .npy shape [${shape.join(', ')}]`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`shape ${pythonShape(shape)} needs ${size} values, got ${data.length}`);
  let dict = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${pythonShape(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  const unpadded = 10 + dict.length + 1;
  // numpy pads a whole 64 bytes when the header is already aligned; doing the same keeps bytes equal.
  const header = `${dict}${' '.repeat(ARRAY_ALIGN - (unpadded % ARRAY_ALIGN))}\n`;
  if (header.length > 0xffff) throw new RangeError('.npy header too long for version 1.0');
  const bytes = new Uint8Array(10 + header.length + data.byteLength);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return bytes;
}

/** Reads a whole .npy file's bytes; `where` (the file name) starts every error message. */
export function decodeNpy(bytes: Uint8Array, where: string): NpyArray {
  const header = parseNpyHeader(bytes, where);
  const key = `${header.dtype.kind}${header.dtype.itemSize}`;
  const Type = READ_TYPES[key];
  if (Type === undefined) throw new DatasetFormatError(`${where}: dtype ${header.dtype.descr} is not supported`);
  checkComplete(header, bytes.length - header.dataOffset, where);
  // A copy, because a typed array needs an aligned offset and a file's Buffer may not give one.
  // Uint8Array.prototype.slice copies even when `bytes` is a Node Buffer, whose own slice() is a view
  // into a shared pool; the typed array below must own exactly the array's bytes.
  const copy = Uint8Array.prototype.slice.call(bytes, header.dataOffset, header.dataOffset + header.dataSize);
  return { data: new Type(copy.buffer), shape: header.shape };
}

/** Reads a numeric .npy as float32 (what the runtime feeds onnxruntime); wider types are rounded. */
export function decodeNpyFloat32(bytes: Uint8Array, where: string): NpyArray<Float32Array> {
  const { data, shape } = decodeNpy(bytes, where);
  if (data instanceof Float32Array) return { data, shape };
  const values = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = Number(data[i]);
  return { data: values, shape };
}
