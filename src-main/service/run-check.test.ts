import { describe, expect, it } from 'vitest';
import type { DatasetDetail, ModelDetail, RunConfig } from '../../src-preload/contract.js';
import { labelMismatch, runProblems, runWarnings } from './run-check.js';

const fashion = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat'];

describe('labelMismatch', () => {
  it('says nothing when either side has no names, when counts differ (run.check blocks that) or when they agree but for case and spaces', () => {
    expect(labelMismatch(null, fashion)).toBeNull();
    expect(labelMismatch(fashion, null)).toBeNull();
    expect(labelMismatch(fashion, fashion.slice(0, 4))).toBeNull();
    expect(labelMismatch(fashion, fashion.map((n) => ` ${n.toUpperCase()} `))).toBeNull();
  });

  it('tells a different order (image folders sort their class folders) from different names', () => {
    const sorted = [...fashion].sort();
    expect(labelMismatch(sorted, fashion)).toBe(
      'the dataset\'s class names and the model\'s labels are the same names in a different order (dataset / model at 0: “Coat” / “T-shirt/top”, 1: “Dress” / “Trouser”, 3: “T-shirt/top” / “Dress”, and 1 more); Brink compares label indices, so check that index k is the same class in both',
    );
    // An image folder cannot name a class "T-shirt/top": sorted, renamed, the order still matters most.
    expect(labelMismatch([...fashion].map((n) => n.replace('/', '-')).sort(), fashion)).toMatch(/^the dataset's class names and the model's labels are partly the same names in a different order \(/);
    expect(labelMismatch(['cat', 'dog', 'Pullover', 'Dress', 'Coat'], fashion)).toMatch(/^the dataset's class names and the model's labels are different names \(dataset \/ model at 0: “cat” \/ “T-shirt\/top”, 1: “dog” \/ “Trouser”\);/);
  });
});

describe('label mapping and epsilons before a run', () => {
  // Just what the checks read of a 3-class grey 4×4 model and dataset.
  const model = (labels: string[], confirmed = true) =>
    ({
      reading: { imageInput: 'x', problem: null, feedShape: ['batch', 1, 4, 4], layout: 'NCHW', softmax: null, logits: 'output' },
      inputs: [{ name: 'x', elemType: 'float32', shape: ['batch', 1, 4, 4] }],
      outputs: [{ name: 'y', elemType: 'float32', shape: ['batch', 3] }],
      classCount: 3,
      labels,
      analysis: null,
      preprocessing: { valueRange: [0, 1], mean: [0], std: [1] },
      preprocessingConfirmed: confirmed,
    }) as unknown as ModelDetail;
  const dataset = (classNames: string[] | null) => ({ shape: [1, 4, 4], count: 9, classNames, classCounts: [3, 3, 3], labeled: true }) as unknown as DatasetDetail;
  const config = (epsilons: number[]): RunConfig => ({
    modelId: 'm-00000000',
    datasetId: 'd-00000000',
    subset: { mode: 'all' },
    batchSize: 3,
    device: 'cpu',
    attack: { attacks: ['apgd-ce'], norm: 'linf', epsilons, iterations: null, restarts: 1, targeted: null, seed: 0 },
  });

  it('stops a run when the dataset names another number of classes than the model has labels', () => {
    expect(runProblems(model(['a', 'b', 'c']), dataset(['a', 'b']), config([0.1]))).toEqual([
      'the dataset names 2 classes but the model has 3 labels; a label index cannot mean the same class in both',
    ]);
  });

  it('warns, without stopping, about labels in another order, unconfirmed preprocessing and an epsilon of 8 in l_inf', () => {
    const warnings = runWarnings(model(['a', 'b', 'c'], false), dataset(['b', 'a', 'c']), config([8]));
    expect(warnings.map((w) => [w.kind, w.needsConfirmation])).toEqual([
      ['preprocessing', false],
      ['labels', false],
      ['epsilon', true],
    ]);
    expect(runProblems(model(['a', 'b', 'c'], false), dataset(['b', 'a', 'c']), config([8]))).toEqual([]);
    expect(runWarnings(model(['a', 'b', 'c']), dataset(null), config([8 / 255]))).toEqual([]);
  });
});
