import { describe, expect, it } from 'vitest';
import { draftOf, emptyDraft, liveActiveMs, mergeLog, parseRunDraft, runActions } from './runs';

const ids = { modelId: 'm-0123456789', datasetId: 'd-0123456789' };

describe('parseRunDraft', () => {
  it('builds the contract configuration from the form', () => {
    expect(parseRunDraft({ ...emptyDraft(), ...ids })).toEqual({
      ok: true,
      config: { ...ids, subset: { mode: 'all' }, batchSize: 128, device: 'auto', attack: null },
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
    const config = { ...ids, subset: { mode: 'first' as const, count: 250 }, batchSize: 64, device: 'webgpu' as const, attack: null };
    expect(parseRunDraft(draftOf(config))).toEqual({ ok: true, config });
  });

  it('round-trips an attack configuration, epsilons written as fractions', () => {
    const attack = { attacks: ['fab' as const, 'apgd-t' as const], norm: 'linf' as const, epsilons: [2 / 255, 8 / 255], iterations: 20, restarts: 3, targeted: 4, seed: 9 };
    const config = { ...ids, subset: { mode: 'all' as const }, batchSize: 64, device: 'cpu' as const, attack };
    const draft = draftOf(config);
    expect(draft.epsilons).toBe('2/255, 8/255');
    expect(parseRunDraft(draft)).toEqual({ ok: true, config });
  });
});

describe('parseRunDraft with attacks', () => {
  const attacking = (changes: Partial<ReturnType<typeof emptyDraft>>) => parseRunDraft({ ...emptyDraft(), ...ids, attacks: ['fab'], ...changes });

  it('sends no attack settings when no attack is checked', () => {
    expect(parseRunDraft({ ...emptyDraft(), ...ids, epsilons: 'nonsense' })).toMatchObject({ ok: true, config: { attack: null } });
  });

  it('reads epsilons as the CLI does, sorted, and blanks as defaults', () => {
    expect(attacking({ attacks: ['apgd-ce', 'fab'], epsilons: '8/255, 0.01, 2/255', seed: '5' })).toMatchObject({
      ok: true,
      config: { attack: { attacks: ['fab', 'apgd-ce'], norm: 'linf', epsilons: [2 / 255, 0.01, 8 / 255], iterations: null, restarts: 1, targeted: null, seed: 5 } },
    });
  });

  it('lets margin attacks run without epsilons but not APGD', () => {
    expect(attacking({ epsilons: ' ' })).toMatchObject({ ok: true, config: { attack: { epsilons: [] } } });
    const result = attacking({ attacks: ['apgd-t'], epsilons: '' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.epsilons).toMatch(/at least one epsilon/);
  });

  it('says which checked attack has no version for the norm', () => {
    const result = attacking({ attacks: ['fab', 'deepfool'], norm: 'l1' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.attacks).toBe('DeepFool works in ℓ∞ and ℓ2 only: uncheck it or choose another norm');
  });

  it('names every attack field that cannot be sent', () => {
    const result = attacking({ epsilons: '8/0x', iterations: '0', restarts: '', targeted: 'two', seed: '-3' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.problems).sort()).toEqual(['epsilons', 'iterations', 'restarts', 'seed', 'targeted']);
  });

  it('sends a memory budget in GB and untargeted FAB only when asked, and round-trips them', () => {
    const plain = attacking({});
    expect(plain.ok && 'memoryGb' in plain.config).toBe(false);
    expect(plain.ok && 'fabUntargeted' in plain.config.attack!).toBe(false);
    const asked = attacking({ memoryGb: ' 0.5 ', fabUntargeted: true });
    expect(asked).toMatchObject({ ok: true, config: { memoryGb: 0.5, attack: { fabUntargeted: true, targeted: null } } });
    if (asked.ok) expect(draftOf(asked.config)).toMatchObject({ memoryGb: '0.5', fabUntargeted: true });
    for (const memoryGb of ['0', '-1', 'lots']) {
      const result = attacking({ memoryGb });
      expect(!result.ok && result.problems.memoryGb).toMatch(/number of GB/);
    }
    const both = attacking({ fabUntargeted: true, targeted: '9' });
    expect(!both.ok && both.problems.targeted).toMatch(/not both/);
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
    const runningSince = new Date(2000).toISOString();
    expect(liveActiveMs({ status: 'running', activeMs: 0, runningSince }, 7500)).toBe(5500);
    expect(liveActiveMs({ status: 'paused', activeMs: 1000, runningSince: null }, 7500)).toBe(1000);
    expect(liveActiveMs({ status: 'running', activeMs: 1000, runningSince: null }, 7500)).toBe(1000);
  });

  it('keeps counting after a resume: the earlier stretches plus the one under way, whenever the run was read', () => {
    // 40 s before a pause; resumed at t = 100 s. The page re-reads the run every few seconds.
    const resumed = { status: 'running' as const, activeMs: 40_000, runningSince: new Date(100_000).toISOString() };
    expect(liveActiveMs(resumed, 103_000)).toBe(43_000);
    expect(liveActiveMs(resumed, 110_000)).toBe(50_000);
    expect(liveActiveMs(resumed, 160_000)).toBe(100_000);
  });
});
