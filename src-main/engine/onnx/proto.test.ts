import { describe, expect, it } from 'vitest';
import { elemType, toSafeInt } from './proto.js';

describe('toSafeInt', () => {
  it.each<[string, Parameters<typeof toSafeInt>[0], number | null]>([
    ['a number', 42, 42],
    ['a negative Long', { low: -1, high: -1, unsigned: false }, -1],
    ['a Long above 2^32', { low: 5, high: 1, unsigned: false }, 2 ** 32 + 5],
    ['an unsigned Long with the top bit set', { low: 0, high: -2147483648, unsigned: true }, null],
    ['a Long past 2^53', { low: 1, high: 0x200000, unsigned: false }, null],
    ['2^53 - 1 as a Long', { low: -1, high: 0x1fffff, unsigned: false }, Number.MAX_SAFE_INTEGER],
    ['a fractional number', 1.5, null],
    ['null', null, null],
    ['undefined', undefined, null],
  ])('converts %s', (_, value, expected) => {
    expect(toSafeInt(value)).toBe(expected);
  });
});

describe('elemType', () => {
  it('names ONNX 1.10 and later data types and sizes them', () => {
    expect(elemType(1)).toEqual({ name: 'float32', bits: 32, float: true });
    expect(elemType(7)).toEqual({ name: 'int64', bits: 64, float: false });
    expect(elemType(16).name).toBe('bfloat16');
    expect(elemType(22)).toEqual({ name: 'int4', bits: 4, float: false });
    expect(elemType(26).name).toBe('int2');
  });

  it('gives unknown codes a name instead of failing', () => {
    expect(elemType(99)).toEqual({ name: 'type99', bits: null, float: false });
    expect(elemType(-3).name).toBe('type-3');
    expect(elemType(undefined).name).toBe('undefined');
  });
});
