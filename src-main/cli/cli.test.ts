import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifierGraph, encode, model } from '../engine/onnx/fixtures/models.js';
import { idxFile, ramp } from '../engine/data/test-fixtures.js';
import { decodeNpyFloat32, encodeNpy } from '../engine/runtime/npy.js';

/** Runs the real command line in its own process, as `npm run brink --` does. */
function brink(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'brink-cli-'));
  const path = (name: string) => join(dir, name);
  writeFileSync(path('net.onnx'), encode(model(classifierGraph())));
  writeFileSync(path('labels.txt'), Array.from({ length: 10 }, (_, i) => `c${i}`).join('\n'));
  writeFileSync(path('set-images-idx3-ubyte'), idxFile([4, 4, 4], ramp(64)));
  writeFileSync(path('set-labels-idx1-ubyte'), idxFile([4], Uint8Array.from([0, 1, 2, 3])));
  return path;
}

describe('brink CLI', () => {
  it('creates a project, adds a model and a dataset, and lists them, printing one JSON object with --json', () => {
    const path = workspace();
    const project = path('audit.brink');
    expect(brink('project', 'create', project, '--json')).toMatchObject({ code: 0 });

    const addModel = brink('model', 'add', project, path('net.onnx'), '--name', 'Net', '--mean', '0.5', '--std', '0.25', '--labels', path('labels.txt'), '--json');
    expect(addModel.code).toBe(0);
    const { id: modelId } = JSON.parse(addModel.stdout) as { id: string };
    expect(modelId).toMatch(/^m-[0-9a-f]+$/);
    expect(addModel.stdout.trim().split('\n')).toHaveLength(1);

    const addData = brink('dataset', 'add', project, path('set-images-idx3-ubyte'), '--limit', '3', '--json');
    expect(addData.code).toBe(0);
    expect(JSON.parse(addData.stdout)).toEqual({ id: expect.stringMatching(/^d-/) });

    const models = JSON.parse(brink('model', 'list', project, '--json').stdout) as { models: { id: string; name: string; labels: string[]; preprocessing: { std: number[] } }[] };
    expect(models.models).toEqual([expect.objectContaining({ id: modelId, name: 'Net', labels: expect.arrayContaining(['c0', 'c9']), preprocessing: expect.objectContaining({ std: [0.25] }) })]);
    const datasets = JSON.parse(brink('dataset', 'list', project, '--json').stdout) as { datasets: { count: number; shape: number[] }[] };
    expect(datasets.datasets).toEqual([expect.objectContaining({ count: 3, shape: [1, 4, 4] })]);

    const human = brink('model', 'list', project);
    expect(human.stdout).toContain('Net');
    expect(human.stdout).toContain('Conv');
  });

  it.each([
    ['a missing project file', (p: (n: string) => string) => ['model', 'list', p('nope.brink')], /nope\.brink: no such project file/],
    ['a PNG named .onnx', (p: (n: string) => string) => {
      writeFileSync(p('pic.onnx'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
      return ['model', 'add', p('audit.brink'), p('pic.onnx')];
    }, /pic\.onnx: this is a PNG image/],
    ['labels that do not match the classes', (p: (n: string) => string) => {
      writeFileSync(p('two.txt'), 'a\nb\n');
      return ['model', 'add', p('audit.brink'), p('net.onnx'), '--labels', p('two.txt')];
    }, /two\.txt: 2 labels, but the model has 10 classes/],
    ['a bad --mean', (p: (n: string) => string) => ['model', 'add', p('audit.brink'), p('net.onnx'), '--mean', 'a,b', '--std', '1,1'], /--mean/],
    ['a bad --limit', (p: (n: string) => string) => ['dataset', 'add', p('audit.brink'), p('set-images-idx3-ubyte'), '--limit', '-3'], /limit/],
    ['an unknown command', () => ['frobnicate'], /unknown command/],
  ])('fails on %s with exit 1 and one line on stderr, no stack trace', (_what, args, message) => {
    const path = workspace();
    brink('project', 'create', path('audit.brink'));
    const result = brink(...args(path));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    if (args(path)[1] === 'add') {
      const listed = JSON.parse(brink('model', 'list', path('audit.brink'), '--json').stdout) as { models: unknown[] };
      expect(listed.models).toHaveLength(0);
    }
  });

  it('audits a model on a dataset in a worker, lists the run, and exports CSV and JSON with the documented columns', () => {
    const path = workspace();
    const project = path('audit.brink');
    brink('project', 'create', project);
    const sample = (name: string) => join('resources', 'samples', name);
    const { id: modelId } = JSON.parse(
      brink('model', 'add', project, sample('fmnist-cnn-robust.onnx'), '--mean', '0.286', '--std', '0.353', '--json').stdout,
    ) as { id: string };
    const { id: datasetId } = JSON.parse(brink('dataset', 'add', project, sample('fmnist-test-1000-images-idx3-ubyte.gz'), '--json').stdout) as { id: string };

    const audit = brink('audit', project, '--model', modelId, '--dataset', datasetId, '--random', '200', '--seed', '3', '--batch', '32', '--device', 'cpu', '--json');
    expect(audit.code).toBe(0);
    expect(audit.stdout.trim().split('\n')).toHaveLength(1);
    const { run } = JSON.parse(audit.stdout) as { run: string };
    expect(run).toMatch(/^r-/);
    expect(audit.stderr).toContain('200/200');

    const runs = JSON.parse(brink('runs', project, '--json').stdout) as { runs: { id: string; status: string; doneCount: number }[] };
    expect(runs.runs).toEqual([expect.objectContaining({ id: run, status: 'done', doneCount: 200 })]);

    expect(brink('export', project, '--run', run, '--out', path('out.csv')).code).toBe(0);
    const csv = readFileSync(path('out.csv'), 'utf8').trim().split('\n');
    expect(csv[0].split(',').slice(0, 8)).toEqual(['index', 'label', 'pred', 'correct', 'logit_margin', 'feature_margin_linf', 'feature_margin_l2', 'logit_0']);
    expect(csv).toHaveLength(201);
    const indices = csv.slice(1).map((line) => Number(line.split(',')[0]));
    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    expect(new Set(indices).size).toBe(200);

    expect(brink('export', project, '--run', run, '--out', path('out.json')).code).toBe(0);
    const json = JSON.parse(readFileSync(path('out.json'), 'utf8')) as { run: { id: string }; summary: { accuracy: number; equidistance: unknown }; samples: Record<string, unknown>[] };
    expect(json.run.id).toBe(run);
    expect(json.summary.accuracy).toBeGreaterThan(0.7);
    expect(json.summary.equidistance).not.toBeNull();
    expect(json.samples).toHaveLength(200);
    expect(Object.keys(json.samples[0]).slice(0, 7)).toEqual(['index', 'label', 'pred', 'correct', 'logit_margin', 'feature_margin_linf', 'feature_margin_l2']);

    const bad = brink('audit', project, '--model', modelId, '--dataset', 'd-000000000000');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('brink: no dataset d-000000000000 in this project');
  });

  it('writes input gradients that match PyTorch autograd, and refuses a cotangent of the wrong width', () => {
    const path = workspace();
    const golden = (name: string) => join('src-main', 'engine', 'autodiff', 'goldens', 'lenet', name);
    const result = brink('grad', golden('model.onnx'), '--input', golden('x.npy'), '--cotangent', golden('v.npy'), '--out', path('g.npy'), '--device', 'cpu', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ shape: [4, 1, 28, 28], provider: 'cpu' });
    const ours = decodeNpyFloat32(new Uint8Array(readFileSync(path('g.npy'))), 'g.npy').data;
    const reference = decodeNpyFloat32(new Uint8Array(readFileSync(golden('grad.npy'))), 'grad.npy').data;
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < reference.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ours[i] - reference[i]));
      maxRef = Math.max(maxRef, Math.abs(reference[i]));
    }
    expect(maxDiff / maxRef).toBeLessThan(1e-4);

    writeFileSync(path('v3.npy'), encodeNpy({ data: new Float32Array(12), shape: [4, 3] }));
    const bad = brink('grad', golden('model.onnx'), '--input', golden('x.npy'), '--cotangent', path('v3.npy'), '--out', path('g2.npy'));
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('brink: v3.npy: 3 columns, but the model has 10 classes');
  });

  it('runs attacks from the command line, exports their columns, and writes the adversarial examples as .npy', () => {
    const path = workspace();
    const project = path('attacks.brink');
    brink('project', 'create', project);
    const sample = (name: string) => join('resources', 'samples', name);
    const { id: modelId } = JSON.parse(brink('model', 'add', project, sample('fmnist-cnn-robust.onnx'), '--mean', '0.286', '--std', '0.353', '--json').stdout) as { id: string };
    const { id: datasetId } = JSON.parse(brink('dataset', 'add', project, sample('fmnist-test-1000-images-idx3-ubyte.gz'), '--limit', '20', '--json').stdout) as { id: string };

    const audit = brink('audit', project, '--model', modelId, '--dataset', datasetId, '--attack', 'fab,deepfool', '--norm', 'l2', '--eps', '1/2,0.5', '--iters', '10', '--device', 'cpu', '--json');
    expect(audit.code).toBe(0);
    const { run } = JSON.parse(audit.stdout) as { run: string };

    expect(brink('export', project, '--run', run, '--out', path('a.csv'), '--adv', path('adv.npy')).code).toBe(0);
    const [header, ...lines] = readFileSync(path('a.csv'), 'utf8').trim().split('\n');
    expect(header.split(',').slice(0, 16)).toEqual([
      'index', 'label', 'pred', 'correct', 'logit_margin', 'feature_margin_linf', 'feature_margin_l2',
      'input_margin', 'margin_found', 'best_attack', 'adv_linf', 'adv_l2', 'adv_l1', 'feature_distance_linf', 'feature_distance_l2',
      'logit_0',
    ]);
    const cells = lines.map((line) => line.split(','));
    for (const row of cells) {
      expect(row[8]).toBe('true');
      expect(Number(row[7])).toBeGreaterThan(0);
      expect(Number(row[7])).toBe(Number(row[11]));
      expect(['fab', 'deepfool']).toContain(row[9]);
      // The robust CNN has a linear head: every verified adversarial moved its features.
      expect(Number(row[13])).toBeGreaterThan(0);
      expect(Number(row[14])).toBeGreaterThanOrEqual(Number(row[13]));
    }
    expect(brink('export', project, '--run', run, '--out', path('a.json')).code).toBe(0);
    const json = JSON.parse(readFileSync(path('a.json'), 'utf8')) as { samples: Record<string, unknown>[] };
    expect(json.samples.map((s) => [s.feature_distance_linf, s.feature_distance_l2])).toEqual(cells.map((row) => [Number(row[13]), Number(row[14])]));
    const adv = decodeNpyFloat32(new Uint8Array(readFileSync(path('adv.npy'))), 'adv.npy');
    expect(adv.shape).toEqual([20, 1, 28, 28]);
    expect(adv.data.every((v) => v >= 0 && v <= 1)).toBe(true);

    const refused = brink('audit', project, '--model', modelId, '--dataset', datasetId, '--attack', 'deepfool', '--norm', 'l1');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('brink: deepfool does not support the l1 norm (it supports linf, l2)');
    const badEps = brink('audit', project, '--model', modelId, '--dataset', datasetId, '--attack', 'fab', '--eps', '8/0x');
    expect(badEps.code).toBe(1);
    expect(badEps.stderr).toContain('is not an epsilon');

    const analysis = brink('analyze', project, '--run', run, '--eps', '0.25,1/2,1', '--json');
    expect(analysis.code).toBe(0);
    expect(analysis.stdout.trim().split('\n')).toHaveLength(1);
    const a = JSON.parse(analysis.stdout) as Record<string, unknown> & {
      detection: { epsilon: number; positives: number; auroc: number | null; roc?: unknown }[];
      robust_accuracy: { epsilon: number; from_margins: number; ci: [number, number] }[];
      consistency: { kendall_tau: number; kendall_tau_ci: [number, number] };
    };
    for (const key of ['run', 'norm', 'samples', 'censored', 'consistency', 'detection', 'robust_accuracy', 'algorithm1', 'scores', 'screening', 'per_class']) expect(a).toHaveProperty(key);
    expect(a).toMatchObject({ run, norm: 'l2', samples: 20, censored: 0 });
    expect(a.detection.map((d) => d.epsilon)).toEqual([0.25, 0.5, 1]);
    // The positives at each epsilon are the exported margins within it.
    const margins = cells.map((row) => Number(row[7]));
    expect(a.detection.map((d) => d.positives)).toEqual([0.25, 0.5, 1].map((eps) => margins.filter((m) => m <= eps * (1 + 1e-6)).length));
    expect(a.detection[0].roc).toBeUndefined();
    expect(a.consistency.kendall_tau_ci[0]).toBeLessThanOrEqual(a.consistency.kendall_tau);
    // The reliability lines of the run page, in the JSON and in the text.
    const reliability = (a as unknown as { reliability: { id: string; status: string; finding: string; action: string }[] }).reliability;
    expect(reliability.map((r) => r.id)).toContain('censored-share');
    expect(reliability.find((r) => r.id === 'censored-share')!.status).toBe('pass');
    expect(a).toMatchObject({ correct_only: false, excluded_misclassified: 0 });
    expect(a).toHaveProperty('signed_input_margin.mean_abs');
    const text = brink('analyze', project, '--run', run);
    expect(text.stdout).toContain('Kendall tau-b');
    expect(text.stdout).toContain('Robust accuracy');
    expect(text.stdout).toMatch(/Evaluation reliability: .*\(7 checks\)/);
    expect(text.stdout).toContain('signed input margin (+d correct, -d misclassified; Wu & Yu)');
    const correctOnly = JSON.parse(brink('analyze', project, '--run', run, '--correct-only', '--json').stdout) as { correct_only: boolean; samples: number; excluded_misclassified: number };
    expect(correctOnly.correct_only).toBe(true);
    expect(correctOnly.samples + correctOnly.excluded_misclassified).toBe(20);
    const missing = brink('analyze', project, '--run', 'r-00000000');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('brink: no run r-00000000 in this project');
  }, 120_000);
});
