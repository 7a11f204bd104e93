import { describe, expect, it } from 'vitest';
import { classCounts } from './format.js';

describe("the appendix's class counts", () => {
  it('lists a few classes and summarises many', () => {
    expect(classCounts([100, 98, 102])).toBe('class counts 100, 98, 102');
    const imagenet = Array.from({ length: 1000 }, (_, k) => (k < 100 ? (k % 3) + 1 : 0));
    expect(classCounts(imagenet)).toBe('1,000 classes, 100 of them present with 1 to 3 samples each (median 2); every count is in the sidecar JSON');
    expect(classCounts([1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toMatch(/4 of them present with 1 to 4 samples each \(median 2.5\)/);
  });

  it('says when there are no labels or no class present', () => {
    expect(classCounts([])).toBe('no labels');
    expect(classCounts(new Array<number>(30).fill(0))).toBe('30 classes, none present');
  });
});
