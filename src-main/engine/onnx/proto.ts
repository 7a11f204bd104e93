import onnxProto from 'onnx-proto';
import type { onnx as pb } from 'onnx-proto';

export type { pb };

// onnx-proto is CommonJS (`module.exports = $root`), so Node's ESM loader only sees a default
// export: `import { onnx } from 'onnx-proto'` type-checks but fails at run time outside vitest.
export const onnx = onnxProto.onnx;

/** protobufjs yields int64 fields as a Long when the `long` package loads, else as a number. */
type Int64 = number | { low: number; high: number; unsigned?: boolean } | null | undefined;

/** The integer an int64 field holds, or null when it is absent or beyond 2^53 (not exact as a number). */
export function toSafeInt(value: Int64): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  const high = value.unsigned ? value.high >>> 0 : value.high | 0;
  const n = high * 2 ** 32 + (value.low >>> 0);
  return Number.isSafeInteger(n) ? n : null;
}

export interface ElemType {
  name: string;
  /** Storage width; null for strings, whose size depends on the data. */
  bits: number | null;
  float: boolean;
}

// Indexed by TensorProto.DataType (onnx.proto); onnx-proto's schema is ONNX 1.10 and stops at
// BFLOAT16, so the later values are spelled out here from the current onnx.proto.
const ELEM_TYPES: ElemType[] = [
  { name: 'undefined', bits: null, float: false },
  { name: 'float32', bits: 32, float: true },
  { name: 'uint8', bits: 8, float: false },
  { name: 'int8', bits: 8, float: false },
  { name: 'uint16', bits: 16, float: false },
  { name: 'int16', bits: 16, float: false },
  { name: 'int32', bits: 32, float: false },
  { name: 'int64', bits: 64, float: false },
  { name: 'string', bits: null, float: false },
  { name: 'bool', bits: 8, float: false },
  { name: 'float16', bits: 16, float: true },
  { name: 'float64', bits: 64, float: true },
  { name: 'uint32', bits: 32, float: false },
  { name: 'uint64', bits: 64, float: false },
  { name: 'complex64', bits: 64, float: false },
  { name: 'complex128', bits: 128, float: false },
  { name: 'bfloat16', bits: 16, float: true },
  { name: 'float8e4m3fn', bits: 8, float: true },
  { name: 'float8e4m3fnuz', bits: 8, float: true },
  { name: 'float8e5m2', bits: 8, float: true },
  { name: 'float8e5m2fnuz', bits: 8, float: true },
  { name: 'uint4', bits: 4, float: false },
  { name: 'int4', bits: 4, float: false },
  { name: 'float4e2m1', bits: 4, float: true },
  { name: 'float8e8m0', bits: 8, float: true },
  { name: 'uint2', bits: 2, float: false },
  { name: 'int2', bits: 2, float: false },
];

export function elemType(code: number | null | undefined): ElemType {
  const known = ELEM_TYPES[code ?? 0];
  return known ?? { name: `type${code}`, bits: null, float: false };
}
