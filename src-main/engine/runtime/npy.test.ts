import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeNpy, decodeNpyFloat32, encodeNpy, type NpyArray } from './npy.js';

// The fixtures were written once by numpy 1.24 (np.save) with:
//   np.save('float32-2x3x4.npy', (np.arange(24, dtype=np.float32) / 7 - 1).reshape(2, 3, 4))
//   np.save('int64-5.npy', np.array([-3, 0, 7, 2**40, -2**40], dtype=np.int64))
//   np.save('uint8-2x2.npy', np.array([[0, 1], [254, 255]], dtype=np.uint8))
//   np.save('int32-3x1.npy', np.array([[-1], [0], [2147483647]], dtype=np.int32))
//   np.save('float64-2.npy', np.array([0.1, -2.5], dtype=np.float64))
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

const NUMPY_ARRAYS: [string, NpyArray][] = [
  ['float32-2x3x4.npy', { data: Float32Array.from({ length: 24 }, (_, i) => Math.fround(Math.fround(i / 7) - 1)), shape: [2, 3, 4] }],
  ['int64-5.npy', { data: BigInt64Array.of(-3n, 0n, 7n, 2n ** 40n, -(2n ** 40n)), shape: [5] }],
  ['uint8-2x2.npy', { data: Uint8Array.of(0, 1, 254, 255), shape: [2, 2] }],
  ['int32-3x1.npy', { data: Int32Array.of(-1, 0, 2147483647), shape: [3, 1] }],
  ['float64-2.npy', { data: Float64Array.of(0.1, -2.5), shape: [2] }],
];

describe('.npy arrays', () => {
  it.each(NUMPY_ARRAYS)('reads %s as numpy wrote it', (name, expected) => {
    expect(decodeNpy(fixture(name), name)).toEqual(expected);
  });

  it.each(NUMPY_ARRAYS)('writes %s byte for byte as numpy does', (name, array) => {
    expect(Buffer.from(encodeNpy(array)).equals(Buffer.from(fixture(name)))).toBe(true);
  });

  it.each<[string, NpyArray]>([
    ['a 0-d array', { data: Float32Array.of(3.5), shape: [] }],
    ['an empty array', { data: new Float32Array(0), shape: [0, 10] }],
    ['a 4-d float32 batch', { data: Float32Array.from({ length: 2 * 1 * 3 * 3 }, (_, i) => i * 0.5), shape: [2, 1, 3, 3] }],
    ['a subarray view', { data: Int32Array.of(9, 8, 7, 6).subarray(1, 3), shape: [2] }],
  ])('round-trips %s with a 64-byte aligned header', (_, array) => {
    const bytes = encodeNpy(array);
    const headerLength = 10 + (bytes[8] | (bytes[9] << 8));
    expect(headerLength % 64).toBe(0);
    expect(decodeNpy(bytes, 'x.npy')).toEqual({ data: array.data.slice(), shape: array.shape });
  });

  it('reads arrays that start at an unaligned offset of a larger buffer', () => {
    const bytes = fixture('float32-2x3x4.npy');
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(decodeNpy(shifted, 'x.npy').data).toEqual(NUMPY_ARRAYS[0][1].data);
  });

  it('reads numeric arrays as float32 for the runtime', () => {
    expect(decodeNpyFloat32(fixture('float64-2.npy'), 'v.npy')).toEqual({ data: Float32Array.of(0.1, -2.5), shape: [2] });
    expect(decodeNpyFloat32(fixture('int64-5.npy'), 'v.npy').data).toEqual(Float32Array.of(-3, 0, 7, 2 ** 40, -(2 ** 40)));
  });

  it('refuses bad files with one line naming the file', () => {
    const truncated = fixture('float32-2x3x4.npy').subarray(0, 150);
    expect(() => decodeNpy(truncated, 'x.npy')).toThrow('x.npy: truncated data: shape (2, 3, 4) of <f4 needs 96 bytes, found 22');
    expect(() => decodeNpy(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 'x.npy')).toThrow(/^x\.npy: not a \.npy array/);
    const half = encodeNpy({ data: new Float32Array(1), shape: [1] });
    half.set(new TextEncoder().encode("'<f2'"), half.indexOf(0x27, 10 + 9));
    expect(() => decodeNpy(half, 'h.npy')).toThrow('h.npy: dtype <f2 is not supported');
  });

  it('refuses to write data that does not fill its shape', () => {
    expect(() => encodeNpy({ data: new Float32Array(5), shape: [2, 3] })).toThrow('shape (2, 3) needs 6 values, got 5');
  });
});

describe('decodeNpy on a Node Buffer', () => {
  it('reads only the array, not the rest of the pooled Buffer it may sit in', () => {
    const encoded = encodeNpy({ data: Float32Array.from([1, 2, 3]), shape: [3] });
    // Small Buffers share one pooled ArrayBuffer: the file's bytes are a window into it.
    const pooled = Buffer.alloc(4096);
    const offset = 200;
    pooled.set(encoded, offset);
    const view = pooled.subarray(offset, offset + encoded.length);
    const decoded = decodeNpy(view, 'pooled.npy');
    expect(Array.from(decoded.data as Float32Array)).toEqual([1, 2, 3]);
  });
});
