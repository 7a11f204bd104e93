import { describe, expect, it } from 'vitest';
import { datasetsFitting, describePreprocessing, draftOf, parseDraft } from './preprocessing';

const draft = (low: string, high: string, mean: string, std: string) => ({ low, high, mean, std });

describe('parseDraft', () => {
  it('round-trips saved preprocessing', () => {
    const saved = { valueRange: [0, 255] as [number, number], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    expect(parseDraft(draftOf(saved), 3)).toEqual({ ok: true, value: saved });
  });

  it('puts each mistake beside its field', () => {
    const result = parseDraft(draft('1', '0', '0.5, abc', '0'), 3);
    expect(result).toEqual({
      ok: false,
      errors: { high: 'Must be greater than the lower bound', mean: "'abc' is not a number", std: 'Every std value must be positive' },
    });
  });

  it('wants one value or one per channel, and as many std as mean values', () => {
    expect(parseDraft(draft('0', '1', '0.5, 0.5', '1, 1'), 3)).toMatchObject({ ok: false, errors: { mean: expect.stringMatching(/3 channels/) } });
    expect(parseDraft(draft('0', '1', '0.5', '1, 1'), null)).toMatchObject({ ok: false, errors: { std: expect.stringMatching(/as many values/) } });
    expect(parseDraft(draft('0', '1', '0.5', '0.25'), 3)).toMatchObject({ ok: true });
  });
});

describe('describePreprocessing', () => {
  it('writes the range, then mean and std unless they do nothing', () => {
    expect(describePreprocessing({ valueRange: [0, 1], mean: [0], std: [1] })).toBe('[0, 1] as is');
    expect(describePreprocessing({ valueRange: [-1, 1], mean: [0], std: [1] })).toBe('[−1, 1] as is');
    expect(describePreprocessing({ valueRange: [0, 1], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] })).toBe('[0, 1] · mean 0.485, 0.456, 0.406 · std 0.229, 0.224, 0.225');
  });
});

describe('datasetsFitting', () => {
  const grey = { id: 'd-1', shape: [1, 28, 28] as [number, number, number] };
  const rgb = { id: 'd-2', shape: [3, 32, 32] as [number, number, number] };
  it('keeps the datasets whose channels and size the model takes; symbolic sizes take any', () => {
    expect(datasetsFitting([grey, rgb], ['batch', 1, 28, 28])).toEqual([grey]);
    expect(datasetsFitting([grey, rgb], ['batch', 3, 'h', 'w'])).toEqual([rgb]);
    expect(datasetsFitting([grey, rgb], null)).toEqual([grey, rgb]);
  });
});
