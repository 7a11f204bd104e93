/** Values of IR tensors (graph.ts) and constructors for the small tensors surgery adds. */
import { DataType, type Tensor } from './graph.js';

export const elementCount = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** A float32 tensor; its bytes are a copy of `values`. */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>, dataType: number = DataType.FLOAT): Tensor {
  if (values.length !== elementCount(dims)) throw new Error(`tensor '${name}': ${values.length} values for shape [${dims}]`);
  const data = dataType === DataType.DOUBLE ? new Float64Array(values) : dataType === DataType.FLOAT16 ? toHalf(values) : new Float32Array(values);
  return { name, dataType, dims, data: new Uint8Array(data.buffer), external: null };
}

export function int64Tensor(name: string, dims: number[], values: readonly number[]): Tensor {
  if (values.length !== elementCount(dims)) throw new Error(`tensor '${name}': ${values.length} values for shape [${dims}]`);
  return { name, dataType: DataType.INT64, dims, data: new Uint8Array(BigInt64Array.from(values, toInt64).buffer), external: null };
}

const INT64_MAX = 2n ** 63n - 1n;

/** A number as int64, clamped: 2^63 (how INT64_MAX reads as a number) becomes INT64_MAX again. */
function toInt64(v: number): bigint {
  if (!Number.isFinite(v)) return v > 0 ? INT64_MAX : -INT64_MAX - 1n;
  const b = BigInt(Math.trunc(v));
  return b > INT64_MAX ? INT64_MAX : b < -INT64_MAX - 1n ? -INT64_MAX - 1n : b;
}

function view(t: Tensor): DataView {
  const data = t.data ?? t.loadExternal?.() ?? null;
  if (!data) {
    throw new Error(t.external ? `tensor '${t.name}' keeps its data in an external file that is not at hand` : `tensor '${t.name}' has no inline data (strings or 4-bit values)`);
  }
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/** A float tensor's values as float32 (float16, float32 and float64 are read). */
export function floatValues(t: Tensor): Float32Array {
  const v = view(t);
  const n = elementCount(t.dims);
  const width = t.dataType === DataType.FLOAT ? 4 : t.dataType === DataType.DOUBLE ? 8 : t.dataType === DataType.FLOAT16 ? 2 : 0;
  if (width === 0) throw new Error(`tensor '${t.name}' is not a float tensor (data type ${t.dataType})`);
  if (v.byteLength !== n * width) throw new Error(`tensor '${t.name}' holds ${v.byteLength} bytes for ${n} elements`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = width === 4 ? v.getFloat32(i * 4, true) : width === 8 ? v.getFloat64(i * 8, true) : fromHalf(v.getUint16(i * 2, true));
  }
  return out;
}

/** An integer tensor's values as numbers (int64 beyond 2^53 loses precision, as shape constants never do). */
export function intValues(t: Tensor): number[] {
  const v = view(t);
  const n = elementCount(t.dims);
  const read: Record<number, [number, (i: number) => number]> = {
    [DataType.INT64]: [8, (i) => Number(v.getBigInt64(i * 8, true))],
    [DataType.INT32]: [4, (i) => v.getInt32(i * 4, true)],
    [DataType.INT8]: [1, (i) => v.getInt8(i)],
    [DataType.UINT8]: [1, (i) => v.getUint8(i)],
    [DataType.BOOL]: [1, (i) => v.getUint8(i)],
  };
  const reader = read[t.dataType];
  if (!reader) throw new Error(`tensor '${t.name}' is not an integer tensor (data type ${t.dataType})`);
  if (v.byteLength !== n * reader[0]) throw new Error(`tensor '${t.name}' holds ${v.byteLength} bytes for ${n} elements`);
  return Array.from({ length: n }, (_, i) => reader[1](i));
}

function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function toHalf(values: ArrayLike<number>): Uint16Array {
  return Uint16Array.from({ length: values.length }, (_, i) => halfBits(values[i]));
}

function halfBits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let exp = Math.floor(Math.log2(a));
  if (a / 2 ** exp < 1) exp -= 1;
  if (a / 2 ** exp >= 2) exp += 1;
  let mant = Math.round((a / 2 ** exp - 1) * 1024);
  if (mant === 1024) {
    mant = 0;
    exp += 1;
  }
  return exp > 15 ? sign | 0x7c00 : sign | ((exp + 15) << 10) | mant;
}
