import { describe, expect, it } from 'vitest';
import type { Preprocessing } from '../../src-preload/contract.js';
import { sameTransform } from '../../src-preload/preprocessing.js';
import { preprocessingCandidates, proposal } from './preprocessing-candidates.js';

const identity: Preprocessing = { valueRange: [0, 1], mean: [0], std: [1] };

describe('preprocessingCandidates', () => {
  it('tries [0,1], [-1,1], ImageNet (3 channels only), [0,255], and marks the current settings among them', () => {
    const grey = preprocessingCandidates(1, identity, null);
    expect(grey.map((c) => [c.id, c.label, c.current, c.skipped])).toEqual([
      ['identity', '[0, 1] as is', true, null],
      ['symmetric', '[−1, 1]', false, null],
      ['imagenet', 'ImageNet mean/std', false, 'needs 3 channels; the images have 1'],
      ['byte', '[0, 255] as is', false, null],
    ]);
  });

  it('merges conventions that transform pixels alike, and keeps settings of its own as "current"', () => {
    const metadata = { valueRange: [0, 255] as [number, number], mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], keys: ['mean_values', 'scale_values'] };
    const rgb = preprocessingCandidates(3, { valueRange: [0, 1], mean: [0.286], std: [0.353] }, metadata);
    expect(rgb.map((c) => c.id)).toEqual(['identity', 'symmetric', 'imagenet', 'byte', 'current']);
    expect(rgb[2]).toMatchObject({ label: 'ImageNet mean/std · The model’s metadata', source: 'mean_values, scale_values', skipped: null });
    expect(rgb[4]).toMatchObject({ label: 'The model’s settings', current: true });
  });

  it('skips metadata whose channel count does not fit the images', () => {
    const metadata = { valueRange: [0, 1] as [number, number], mean: [0.1, 0.2, 0.3], std: [0.2, 0.2, 0.2], keys: ['mean', 'std'] };
    expect(preprocessingCandidates(1, identity, metadata).find((c) => c.id === 'metadata')?.skipped).toBe('gives 3 channels; the images have 1');
  });
});

describe('sameTransform', () => {
  it('sees [-1,1] as mean 0.5, std 0.5 on [0,1], per channel', () => {
    expect(sameTransform({ valueRange: [-1, 1], mean: [0], std: [1] }, { valueRange: [0, 1], mean: [0.5], std: [0.5] })).toBe(true);
    expect(sameTransform({ valueRange: [0, 1], mean: [0.5, 0.5, 0.5], std: [0.5] }, { valueRange: [0, 1], mean: [0.5], std: [0.5, 0.5, 0.5] })).toBe(true);
    expect(sameTransform({ valueRange: [0, 1], mean: [0.5, 0.5, 0.4], std: [0.5] }, { valueRange: [0, 1], mean: [0.5], std: [0.5] })).toBe(false);
  });
});

describe('proposal', () => {
  it('takes the best accuracy; a tie goes to the current settings; nothing tried gives null', () => {
    expect(proposal([{ accuracy: 0.6, current: true }, { accuracy: 0.9, current: false }])).toBe(1);
    expect(proposal([{ accuracy: 0.9, current: false }, { accuracy: null, current: false }, { accuracy: 0.9, current: true }])).toBe(2);
    expect(proposal([{ accuracy: null, current: true }])).toBeNull();
  });
});
