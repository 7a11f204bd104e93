import { describe, expect, it } from 'vitest';
import { expectClose, goldens } from './goldens/rank-goldens.js';
import { confidenceScoreNames, confidenceScores } from './scores.js';

describe('confidenceScores against scipy.special softmax, logsumexp and entropy', () => {
  const cases = goldens.scores.flatMap((c) => confidenceScoreNames.map((name) => [c.name, name, c] as const));
  it.each(cases)('%s: %s', (_case, name, c) => {
    const got = confidenceScores(c.logits, c.classes)[name];
    expect(got.length).toBe(c.scores[name].length);
    got.forEach((v, i) => expectClose(v, c.scores[name][i], 1e-12, `sample ${i}`));
  });
});

describe('confidenceScores orientation and edge cases', () => {
  // A confident row and an uncertain row of 4 classes.
  const scores = confidenceScores([8, 0, 0, 0, 1, 0.9, 0.8, 0.7], 4);

  it.each(confidenceScoreNames.map((name) => [name]))('%s is higher for the more confident row', (name) => {
    expect(scores[name][0]).toBeGreaterThan(scores[name][1]);
  });

  it('gives margins of 0 when the top two logits tie', () => {
    const tied = confidenceScores([2, 2, 1], 3);
    expect(tied['logit-margin'][0]).toBe(0);
    expect(tied['probability-margin'][0]).toBe(0);
  });

  it('takes 0 log 0 = 0 for classes whose probability underflows', () => {
    const got = confidenceScores([0, -2000], 2);
    expect(got.entropy[0]).toBe(0);
    expect(got['max-probability'][0]).toBe(1);
    expect(got['doctor-beta'][0]).toBe(0);
  });

  it('keeps precision near one-hot: doctor-beta is -(s - 1), not a difference of two numbers near 1', () => {
    const got = confidenceScores([40, 0], 2);
    expectClose(got['doctor-beta'][0], -Math.exp(-40), 1e-15);
    expectClose(got['doctor-alpha'][0] / -Math.exp(-40), 2, 1e-12);
  });

  it('gives uniform logits the least confident values', () => {
    const got = confidenceScores([1, 1, 1, 1], 4);
    expectClose(got.entropy[0], -Math.log(4));
    expectClose(got.energy[0], 1 + Math.log(4));
    expectClose(got['doctor-alpha'][0], -3);
    expectClose(got['doctor-beta'][0], -3);
    expect(got['max-probability'][0]).toBe(0.25);
  });

  it('returns empty columns for no samples', () => {
    const got = confidenceScores([], 10);
    for (const name of confidenceScoreNames) expect(got[name].length).toBe(0);
  });

  it.each([
    ['one class', [1, 2], 1],
    ['a ragged row', [1, 2, 3], 2],
    ['a NaN logit', [1, NaN], 2],
    ['an infinite logit', [Infinity, 0], 2],
  ])('throws RangeError on %s', (_name, logits, classes) => {
    expect(() => confidenceScores(logits, classes)).toThrow(RangeError);
  });
});
