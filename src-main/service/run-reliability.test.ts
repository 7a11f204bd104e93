import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackSettings, ModelDetail, ProjectInfo, ReliabilityCheck, ReliabilityCheckId, RunConfig } from '../../src-preload/contract.js';
import { attr, encode, floatTensor, model, node, valueInfo } from '../engine/onnx/fixtures/models.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { subsetIndices } from '../jobs/subset.js';
import { samplesDir } from '../paths.js';
import type { MarginColumns } from '../store/run-repo.js';
import { newId, ProjectStore } from '../store/project-store.js';
import { compareForwardPasses } from '../worker/reliability-probes.js';
import { forwardMargins } from '../worker/forward-margins.js';
import { reliabilityChecks, runReliability, type ReliabilityInput } from './run-reliability.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

const traps = join(import.meta.dirname, '../engine/onnx/fixtures/traps');

const byId = (checks: ReliabilityCheck[]) => Object.fromEntries(checks.map((c) => [c.id, c])) as Record<ReliabilityCheckId, ReliabilityCheck>;

/** Flatten -> Gemm(784 -> 10), then `tail` turns its logits into the model's output. */
function linearModel(tail: ReturnType<typeof node>[], extra: Parameters<typeof model>[0]['initializer'] = []): Uint8Array {
  return encode(
    model({
      name: 'g',
      input: [valueInfo('input', ['batch', 1, 28, 28])],
      output: [valueInfo('output', ['batch', 10])],
      initializer: [floatTensor('w', [10, 784]), floatTensor('b', [10]), ...(extra ?? [])],
      node: [node('Flatten', ['input'], ['flat'], [attr.int('axis', 1)]), node('Gemm', ['flat', 'w', 'b'], ['logits'], [attr.int('transB', 1)]), ...tail],
    }),
  );
}

describe('evaluation reliability of real runs', () => {
  let root: string;
  let store: ProjectStore;
  let datasetId: string;
  const models: Record<string, string> = {};

  async function run(modelId: string, attack: AttackSettings | null, count: number): Promise<string> {
    const config: RunConfig = { modelId, datasetId, subset: { mode: 'first', count }, batchSize: 50, device: 'cpu', attack };
    const id = newId('r');
    store.runs.create({ id, config, sampleCount: subsetIndices(config.subset, store.datasets.get(datasetId).count).length, appVersion: 'test' });
    expect(await forwardMargins({ store, runId: id, intraOpThreads: 1, stopRequested: () => false, progress: () => undefined, log: () => undefined })).toBe('done');
    store.runs.setStatus(id, 'done');
    return id;
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-reliability-'));
    const service = new BrinkService({ host: testHost(root), samplesDir, version: '0.0.0-test', spawner: nodeSpawner() });
    const project = (await service.call('project.openSample', {})) as ProjectInfo;
    const add = async (name: string, path: string) => {
      models[name] = ((await service.call('model.import', { source: { kind: 'paths', paths: [path] }, name })) as ModelDetail).id;
    };
    await add('round', join(traps, 'round.onnx'));
    // Uniform noise added to the logits: a randomized model, as dropout left on at inference is.
    writeFileSync(join(root, 'noisy.onnx'), linearModel([node('RandomUniformLike', ['logits'], ['noise'], [attr.float('high', 1)]), node('Add', ['logits', 'noise'], ['output'])]));
    await add('noisy', join(root, 'noisy.onnx'));
    // A softmax written out by hand (Exp, ReduceSum, Div), which no Softmax detection sees.
    writeFileSync(
      join(root, 'probabilities.onnx'),
      linearModel([
        node('Mul', ['logits', 'scale'], ['shifted']),
        node('Exp', ['shifted'], ['e']),
        node('ReduceSum', ['e', 'axes'], ['total'], [attr.int('keepdims', 1)]),
        node('Div', ['e', 'total'], ['output']),
      ], [{ name: 'scale', dims: [], dataType: 1, floatData: [0.01] }, { name: 'axes', dims: [1], dataType: 7, int64Data: [1] }]),
    );
    await add('probabilities', join(root, 'probabilities.onnx'));
    await service.dispose();
    store = ProjectStore.open(project.path);
    datasetId = store.datasets.list()[0].id;
    models.robust = store.models.list().find((m) => m.name === 'fmnist-cnn-robust')!.id;
  }, 120_000);
  afterAll(() => store?.close());

  it('passes every check on a clean run of the sample robust CNN', async () => {
    const id = await run(models.robust, { attacks: ['deepfool', 'fmn', 'apgd-ce'], norm: 'linf', epsilons: [8 / 255], iterations: 20, restarts: 1, targeted: null, seed: 0 }, 100);
    const checks = runReliability(store, id);
    expect(checks.map((c) => c.id)).toEqual([
      'zero-gradient-ops',
      'zero-gradient-samples',
      'nondeterministic-forward',
      'probability-outputs',
      'censored-share',
      'fixed-epsilon-beats-margins',
      'attacks-disagree',
    ]);
    expect(checks.filter((c) => c.status !== 'pass')).toEqual([]);
    const c = byId(checks);
    expect(c['zero-gradient-samples'].finding).toContain('non-zero at all 100 samples');
    expect(c['nondeterministic-forward'].finding).toContain('identical logits');
    for (const check of checks) {
      expect(check.finding).not.toContain('\n');
      expect(check.action.length).toBeGreaterThan(10);
    }
  }, 60_000);

  it('flags the Round model: a zero-gradient op, every sample without a gradient, and most samples censored', async () => {
    const id = await run(models.round, { attacks: ['fab'], norm: 'linf', epsilons: [], iterations: 10, restarts: 1, targeted: null, seed: 0 }, 50);
    const c = byId(runReliability(store, id));
    expect(c['zero-gradient-ops']).toMatchObject({ status: 'review' });
    expect(c['zero-gradient-ops'].finding).toMatch(/^Round \(1 node\)/);
    expect(c['zero-gradient-samples']).toMatchObject({ status: 'review' });
    expect(c['zero-gradient-samples'].finding).toMatch(/^50 of 50 \(100\.0%\) samples/);
    expect(c['censored-share']).toMatchObject({ status: 'review' });
    expect(store.runs.marginColumns(id).inputMargin.filter((m) => m === Infinity).length).toBeGreaterThan(45);
    // One attack and no APGD: those comparisons cannot be made, and say why.
    expect(c['attacks-disagree']).toMatchObject({ status: 'not-checked' });
    expect(c['fixed-epsilon-beats-margins']).toMatchObject({ status: 'not-checked' });
  }, 60_000);

  it('flags a randomized model, whose two forward passes of one batch differ', async () => {
    const id = await run(models.noisy, null, 50);
    const checks = runReliability(store, id);
    // A forward-margins run gets only the checks about the model's outputs.
    expect(checks.map((c) => c.id)).toEqual(['nondeterministic-forward', 'probability-outputs']);
    expect(byId(checks)['nondeterministic-forward'].status).toBe('review');
    expect(store.runs.reliabilityFacts(id).determinism!.maxAbsDiff).toBeGreaterThan(0);
  }, 30_000);

  it('flags outputs that are probabilities rows (a softmax written out by hand)', async () => {
    const id = await run(models.probabilities, null, 50);
    const c = byId(runReliability(store, id));
    expect(c['probability-outputs'].status).toBe('review');
    expect(c['probability-outputs'].finding).toContain('Every one of the 50 output rows');
    expect(c['nondeterministic-forward'].status).toBe('pass');
  }, 30_000);
});

describe('reliability checks from columns', () => {
  /** n correct samples of two classes with logits (2, 0), every margin found at 0.1. */
  function columns(n: number): MarginColumns {
    return {
      positions: Uint32Array.from({ length: n }, (_, k) => k),
      labels: new Int32Array(n),
      preds: new Int32Array(n),
      correct: new Uint8Array(n).fill(1),
      logitMargin: new Float64Array(n).fill(2),
      inputMargin: new Float64Array(n).fill(0.1),
      featureMarginLinf: new Float64Array(n).fill(NaN),
      featureMarginL2: new Float64Array(n).fill(NaN),
      bestAttack: new Array(n).fill('fab'),
      classes: 2,
      logits: Float32Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? 2 : 0)),
    };
  }
  const settings = (attacks: AttackSettings['attacks']): AttackSettings => ({ attacks, norm: 'linf', epsilons: [0.05], iterations: null, restarts: 1, targeted: null, seed: 0 });
  const input = (over: Partial<ReliabilityInput>): ReliabilityInput => ({
    config: { modelId: 'm-00000000', datasetId: 'd-00000000', subset: { mode: 'all' }, batchSize: 10, device: 'cpu', attack: settings(['fab', 'fmn', 'apgd-ce']) },
    columns: columns(100),
    findings: [],
    zeroGradientOps: [],
    gradientNorms: new Float64Array(100).fill(1),
    facts: { determinism: { samples: 10, maxNormalizedDiff: 0, maxAbsDiff: 0, predictionsChanged: 0 } },
    ...over,
  });

  it('counts a censored share above 5% as a review, and at or below it as a pass', () => {
    const c = columns(100);
    c.inputMargin.fill(Infinity, 0, 5);
    expect(byId(reliabilityChecks(input({ columns: c })))['censored-share'].status).toBe('pass');
    c.inputMargin.fill(Infinity, 0, 6);
    const check = byId(reliabilityChecks(input({ columns: c })))['censored-share'];
    expect(check.status).toBe('review');
    expect(check.finding).toMatch(/^6 of 100 \(6\.0%\) attacked samples are censored/);
  });

  it('flags APGD changing a correct prediction within ε where the minimal-norm margin is over 10% larger, and only on correct samples', () => {
    const c = columns(4);
    c.correct[3] = 0;
    const findings = [
      { attack: 'fab' as const, epsilon: 0, positions: [0, 1, 3], norms: [0.04, 0.054, 0.2] },
      // 0: margin within ε; 1: 8% over ε (the attacks' overshoot); 2: censored; 3: misclassified, not comparable.
      { attack: 'apgd-ce' as const, epsilon: 0.05, positions: [0, 1, 2, 3], norms: [0.05, 0.05, 0.05, 0.05] },
    ];
    c.inputMargin.set([0.04, 0.054, Infinity, 0.2]);
    const check = byId(reliabilityChecks(input({ columns: c, findings })))['fixed-epsilon-beats-margins'];
    expect(check.status).toBe('review');
    expect(check.finding).toBe(
      'APGD changed the prediction of 1 correct sample within ε where the minimal-norm attacks reported a margin over 10% larger (1 censored); most at APGD-CE 0.05: 1.',
    );
    const passing = byId(reliabilityChecks(input({ columns: c, findings: [findings[0], { ...findings[1], positions: [0, 1, 3] }] })))['fixed-epsilon-beats-margins'];
    expect(passing.status).toBe('pass');
    expect(passing.finding).toContain('on 1 the margin was at most 8.0% larger than ε');
  });

  it('flags attacks whose norms on the same samples are more than 2x apart on over 10% of them', () => {
    const fab = { attack: 'fab' as const, epsilon: 0, positions: Array.from({ length: 10 }, (_, k) => k), norms: new Array(10).fill(0.1) };
    const fmn = { ...fab, attack: 'fmn' as const, norms: [...new Array(9).fill(0.11), 0.3] };
    expect(byId(reliabilityChecks(input({ findings: [fab, fmn] })))['attacks-disagree'].status).toBe('pass');
    const apart = { ...fmn, norms: [...new Array(8).fill(0.11), 0.3, 0.3] };
    const check = byId(reliabilityChecks(input({ findings: [fab, apart] })))['attacks-disagree'];
    expect(check.status).toBe('review');
    expect(check.finding).toContain('norms more than 2x apart on 2 of 10 (20.0%)');
  });

  it('waits for the first batch before judging the samples, but reports the model\'s zero-gradient ops at once', () => {
    const checks = reliabilityChecks(input({ columns: columns(0), zeroGradientOps: [{ op: 'Sign', nodes: ['s'] }], gradientNorms: null, facts: {} }));
    expect(checks.map((c) => c.status)).toEqual(['review', 'not-checked', 'not-checked', 'not-checked', 'not-checked', 'not-checked', 'not-checked']);
    expect(checks[1].finding).toBe('The run has no results yet.');
  });

  it('says a check was not made when the run or the model predates it, instead of passing it', () => {
    const c = byId(reliabilityChecks(input({ zeroGradientOps: null, gradientNorms: null, facts: {} })));
    expect(c['zero-gradient-ops'].status).toBe('not-checked');
    expect(c['zero-gradient-samples'].status).toBe('not-checked');
    expect(c['nondeterministic-forward'].status).toBe('not-checked');
  });

  it('compares two forward passes as AutoAttack does: normalised rows and changed predictions', () => {
    const a = Float32Array.from([3, 4, 0, 1]);
    expect(compareForwardPasses(a, a.slice(), 2)).toEqual({ samples: 2, maxNormalizedDiff: 0, maxAbsDiff: 0, predictionsChanged: 0 });
    const b = Float32Array.from([4, 3, 0, 1]);
    const d = compareForwardPasses(a, b, 2);
    expect(d.predictionsChanged).toBe(1);
    expect(d.maxAbsDiff).toBe(1);
    expect(d.maxNormalizedDiff).toBeCloseTo(Math.SQRT2 / 5, 6);
    // Non-finite logits: the same NaN twice agrees; a NaN against a number differs, and stays a JSON number.
    const nan = Float32Array.from([NaN, 1]);
    expect(compareForwardPasses(nan, nan.slice(), 1)).toMatchObject({ maxAbsDiff: 0, maxNormalizedDiff: 0 });
    const differs = compareForwardPasses(nan, Float32Array.from([0, 1]), 1);
    expect(JSON.parse(JSON.stringify(differs))).toEqual(differs);
    expect(differs.maxNormalizedDiff).toBe(2);
  });
});
