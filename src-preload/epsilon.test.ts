import { describe, expect, it } from 'vitest';
import { formatEpsilon, parseEpsilon, parseEpsilons } from './epsilon.js';

describe('epsilons', () => {
  it('reads fractions, decimals and exponents, alone or in a list', () => {
    expect(parseEpsilon('8/255')).toBeCloseTo(0.0313725, 6);
    expect(parseEpsilon(' 0.1 ')).toBe(0.1);
    expect(parseEpsilon('2e-2')).toBe(0.02);
    expect(parseEpsilons('2/255, 4/255,8/255').map(formatEpsilon)).toEqual(['2/255', '4/255', '8/255']);
  });

  it('refuses what is not a positive number, saying what to write', () => {
    expect(() => parseEpsilon('abc')).toThrow('"abc" is not an epsilon: write a number like 0.1 or a fraction like 8/255');
    expect(() => parseEpsilon('0')).toThrow('not a positive epsilon');
    expect(() => parseEpsilon('1/0')).toThrow('not a positive epsilon');
    expect(() => parseEpsilon('-0.1')).toThrow('not an epsilon');
    expect(() => parseEpsilons(' , ')).toThrow('at least one epsilon');
  });

  it('writes k/255 back as a fraction and other values as numbers', () => {
    expect(formatEpsilon(8 / 255)).toBe('8/255');
    expect(formatEpsilon(0.1)).toBe('0.1');
    expect(formatEpsilon(0.5)).toBe('0.5');
    expect(formatEpsilon(0.2)).toBe('0.2');
    expect(formatEpsilon(1)).toBe('1');
  });
});
