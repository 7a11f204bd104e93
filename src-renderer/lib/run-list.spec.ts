import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-preload/contract';
import { choicesOf, describeAttacks, describeEpsilons, filterRuns, isFiltering, noFilter, runTitle } from './run-list';

function run(overrides: Partial<RunSummary>): RunSummary {
  return {
    id: 'r-000000000001',
    kind: 'attacks',
    modelId: 'm-000000000001',
    modelName: 'robust CNN',
    datasetId: 'd-000000000001',
    datasetName: 'Fashion-MNIST test',
    status: 'done',
    sampleCount: 100,
    doneCount: 100,
    provider: 'cpu',
    error: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    activeMs: 0,
    runningSince: null,
    name: null,
    notes: '',
    auditGroup: null,
    attack: { attacks: ['fab', 'apgd-ce'], norm: 'linf', epsilons: [2 / 255, 8 / 255] },
    labeled: true,
    accuracy: 0.9,
    robustAccuracy: { epsilon: 2 / 255, value: 0.7 },
    preprocessing: null,
    preprocessingChanged: false,
    readingChanged: false,
    ...overrides,
  };
}

describe('the runs list', () => {
  const a = run({ id: 'r-00000000000a', name: 'Baseline sweep', notes: 'before the retraining' });
  const b = run({ id: 'r-00000000000b', modelId: 'm-000000000002', modelName: 'standard CNN', status: 'failed', attack: { attacks: ['deepfool'], norm: 'l2', epsilons: [] } });
  const c = run({ id: 'r-00000000000c', datasetId: 'd-000000000002', datasetName: 'CIFAR-10', attack: null, kind: 'forward-margins' });
  const all = [a, b, c];

  it('filters by model, dataset and status, each narrowing the list', () => {
    expect(filterRuns(all, noFilter)).toEqual(all);
    expect(filterRuns(all, { ...noFilter, modelId: 'm-000000000002' })).toEqual([b]);
    expect(filterRuns(all, { ...noFilter, datasetId: 'd-000000000002' })).toEqual([c]);
    expect(filterRuns(all, { ...noFilter, status: 'done' })).toEqual([a, c]);
    expect(filterRuns(all, { ...noFilter, status: 'done', datasetId: 'd-000000000001' })).toEqual([a]);
  });

  it('finds text in names, notes, models, datasets, attacks and ids, every word and any case', () => {
    expect(filterRuns(all, { ...noFilter, text: 'RETRAINING' })).toEqual([a]);
    expect(filterRuns(all, { ...noFilter, text: 'deepfool ℓ2' })).toEqual([b]);
    expect(filterRuns(all, { ...noFilter, text: 'forward' })).toEqual([c]);
    expect(filterRuns(all, { ...noFilter, text: 'cifar baseline' })).toEqual([]);
    expect(filterRuns(all, { ...noFilter, text: '00000000000c' })).toEqual([c]);
    expect(isFiltering(noFilter)).toBe(false);
    expect(isFiltering({ ...noFilter, text: '  ' })).toBe(false);
    expect(isFiltering({ ...noFilter, status: 'failed' })).toBe(true);
  });

  it('offers each model and dataset that has runs once, by name', () => {
    expect(choicesOf(all, 'model')).toEqual([
      ['m-000000000001', 'robust CNN'],
      ['m-000000000002', 'standard CNN'],
    ]);
    expect(choicesOf(all, 'dataset').map(([, name]) => name)).toEqual(['CIFAR-10', 'Fashion-MNIST test']);
  });

  it('writes a run’s title, attacks and epsilons as the list shows them', () => {
    expect(runTitle(a)).toBe('Baseline sweep');
    expect(runTitle(b)).toBe('standard CNN on Fashion-MNIST test');
    expect(describeAttacks(a)).toBe('FAB, APGD-CE');
    expect(describeAttacks(c)).toBe('forward margins');
    expect(describeEpsilons(a)).toBe('2/255, 8/255');
    expect(describeEpsilons(b)).toBe('—');
    expect(describeEpsilons(c)).toBe('—');
  });
});
