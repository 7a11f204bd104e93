import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatSampleShape, formatShape, plural } from './format';

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
});
