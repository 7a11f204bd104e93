import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatRate, formatSampleShape, formatShape, formatSignificant, formatTick, plural } from './format';

describe('format', () => {
  it('groups thousands the same way on every machine', () => {
    expect(formatCount(11_689_512)).toBe('11,689,512');
  });

  it('gives sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(425_426)).toBe('415 KiB');
    expect(formatBytes(46_830_571)).toBe('44.7 MiB');
  });

  it('reads shapes with symbolic and unknown dimensions', () => {
    expect(formatShape(['batch', 3, 32, 32])).toBe('batch × 3 × 32 × 32');
    expect(formatShape(null)).toBe('unknown');
    expect(formatShape([])).toBe('scalar');
    expect(formatSampleShape([1, 28, 28])).toBe('1×28×28');
  });

  it('writes plurals', () => {
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(1200, 'class', 'classes')).toBe('1,200 classes');
  });

  it('writes measurements to four significant digits, and a dash for missing ones', () => {
    expect(formatSignificant(0.012345)).toBe('0.01235');
    expect(formatSignificant(0.5)).toBe('0.5000');
    expect(formatSignificant(-3.14159)).toBe('-3.142');
    expect(formatSignificant(1234.5)).toBe('1,235');
    expect(formatSignificant(0.0000123456)).toBe('1.235e-5');
    expect(formatSignificant(0)).toBe('0');
    expect(formatSignificant(null)).toBe('—');
    expect(formatSignificant(Number.NaN)).toBe('—');
  });

  it('writes axis ticks without trailing zeros', () => {
    expect(formatTick(0.7)).toBe('0.7');
    expect(formatTick(12000)).toBe('12,000');
    expect(formatTick(0)).toBe('0');
  });

  it('writes durations a person reads at a glance', () => {
    expect(formatDuration(950)).toBe('0.9 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
  });

  it('writes throughput with a unit', () => {
    expect(formatRate(1234.5)).toBe('1,235 samples/s');
    expect(formatRate(12.34)).toBe('12.3 samples/s');
    expect(formatRate(null)).toBe('—');
  });
});
