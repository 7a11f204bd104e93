import { describe, expect, it } from 'vitest';
import { draftOf, emptyDraft, liveActiveMs, mergeLog, parseRunDraft, runActions } from './runs';

const ids = { modelId: 'm-0123456789', datasetId: 'd-0123456789' };

describe('parseRunDraft', () => {
  it('builds the contract configuration from the form', () => {
    expect(parseRunDraft({ ...emptyDraft(), ...ids })).toEqual({
      ok: true,
      config: { ...ids, subset: { mode: 'all' }, batchSize: 128, device: 'auto' },
    });
    expect(parseRunDraft({ ...emptyDraft(), ...ids, subsetMode: 'random', count: '1,000', seed: '7', device: 'cpu' })).toMatchObject({
      ok: true,
      config: { subset: { mode: 'random', count: 1000, seed: 7 }, device: 'cpu' },
    });
  });

  it('names every field that cannot be sent', () => {
    const result = parseRunDraft({ ...emptyDraft(), subsetMode: 'random', count: '0', seed: '-1', batchSize: '5000' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.problems).sort()).toEqual(['batchSize', 'count', 'datasetId', 'modelId', 'seed']);
  });

  it('ignores the count and seed when every sample is used', () => {
    expect(parseRunDraft({ ...emptyDraft(), ...ids, count: 'x', seed: 'y' }).ok).toBe(true);
  });

  it('round-trips a run configuration', () => {
    const config = { ...ids, subset: { mode: 'first' as const, count: 250 }, batchSize: 64, device: 'webgpu' as const };
    expect(parseRunDraft(draftOf(config))).toEqual({ ok: true, config });
  });
});

describe('runActions', () => {
  it('offers pause and cancel while a run works, resume once it stopped short, remove once it is idle', () => {
    expect(runActions('running')).toEqual({ pause: true, cancel: true, resume: false, remove: false });
    expect(runActions('paused')).toEqual({ pause: false, cancel: true, resume: true, remove: true });
    expect(runActions('interrupted')).toMatchObject({ resume: true, cancel: true });
    expect(runActions('failed')).toMatchObject({ resume: true, cancel: false });
    expect(runActions('done')).toEqual({ pause: false, cancel: false, resume: false, remove: true });
  });
});

describe('mergeLog', () => {
  it('keeps the stored log and adds only newer live lines', () => {
    const stored = [
      { at: '2025-01-01T10:00:00.000Z', line: 'started' },
      { at: '2025-01-01T10:00:01.000Z', line: 'batch 1' },
    ];
    const live = [
      { at: '2025-01-01T10:00:01.000Z', line: 'batch 1' },
      { at: '2025-01-01T10:00:02.000Z', line: 'batch 2' },
      { at: '2025-01-01T09:59:59.000Z', line: 'from before' },
    ];
    expect(mergeLog(stored, live).map((entry) => entry.line)).toEqual(['started', 'batch 1', 'batch 2']);
  });
});

describe('liveActiveMs', () => {
  it('advances only running runs', () => {
    const startedAt = new Date(2000).toISOString();
    expect(liveActiveMs({ status: 'running', activeMs: 0, startedAt }, 5000, 7500)).toBe(5500);
    expect(liveActiveMs({ status: 'running', activeMs: 1000, startedAt }, 5000, 7500)).toBe(3500);
    expect(liveActiveMs({ status: 'paused', activeMs: 1000, startedAt }, 5000, 7500)).toBe(1000);
  });
});
