import { describe, expect, it } from 'vitest';
import { draftOf, parseDraft } from './preprocessing';

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
