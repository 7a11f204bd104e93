import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelDetail, RunDetail } from '../../src-preload/contract.js';
import { trapModelPath } from '../engine/onnx/fixtures/traps.js';
import { samplesDir } from '../paths.js';
import { runCli } from './main.js';

/** The command line in this process (its audits still run in job processes), with what it prints. */
async function brink(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(() => {
  process.env.BRINK_HOME = mkdtempSync(join(tmpdir(), 'brink-cli-home-'));
});

describe('brink model add: how to read a model', () => {
  it('reads the logits before a Softmax and records it, takes --layout, --input and --logits, and refuses what the file cannot be', async () => {
    const project = join(mkdtempSync(join(tmpdir(), 'brink-cli-reading-')), 'traps.brink');
    await brink('project', 'create', project);
    expect((await brink('model', 'add', project, trapModelPath('softmax'))).stdout).toContain("logits: the input of Softmax node '/Softmax'; the file outputs probabilities");
    expect((await brink('model', 'add', project, trapModelPath('nhwc'), '--layout', 'nchw')).code).toBe(0);
    expect((await brink('model', 'add', project, trapModelPath('logsoftmax'), '--logits', 'output')).code).toBe(0);
    expect((await brink('model', 'add', project, trapModelPath('two-inputs'), '--input', 'temperature')).code).toBe(0);

    const listed = JSON.parse((await brink('model', 'list', project, '--json')).stdout) as { models: ModelDetail[] };
    const reading = Object.fromEntries(listed.models.map((m) => [m.name, m.reading]));
    expect(reading.softmax).toMatchObject({ logits: 'before-softmax', softmax: { op: 'Softmax', node: '/Softmax', input: '/net/head/Gemm_output_0' } });
    expect(reading.nhwc).toMatchObject({ layout: 'NCHW', detectedLayout: 'NHWC' });
    expect(reading.logsoftmax).toMatchObject({ logits: 'output', softmax: { op: 'LogSoftmax' } });
    expect(reading['two-inputs']).toMatchObject({ imageInput: 'temperature', problem: expect.stringContaining("no value for 'image'") });

    for (const [args, error] of [
      [['--input', 'nope'], "brink: the model has no input 'nope' to take the images (its inputs: input)\n"],
      [['--logits', 'before-softmax'], 'brink: the model does not end in a Softmax or LogSoftmax: its output already is the logits\n'],
      [['--layout', 'hwc'], "brink: option '--layout <layout>' argument 'hwc' is invalid. expected nchw or nhwc\n"],
    ] as const) {
      const refused = await brink('model', 'add', project, trapModelPath('plain'), ...args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(error);
    }
  }, 60_000);

  it('changes a model’s reading after import, and marks the runs made with the earlier one; runs and exports say how they read the model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-cli-reading-'));
    const project = join(dir, 'traps.brink');
    await brink('project', 'create', project);
    const model = (JSON.parse((await brink('model', 'add', project, trapModelPath('softmax'), '--json')).stdout) as { id: string }).id;
    const added = await brink('dataset', 'add', project, join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz'), '--limit', '4', '--json');
    const dataset = (JSON.parse(added.stdout) as { id: string }).id;
    const audited = await brink('audit', project, '--model', model, '--dataset', dataset, '--device', 'cpu', '--json');
    expect(audited.code, audited.stderr).toBe(0);
    const run = (JSON.parse(audited.stdout) as { run: string }).run;
    const runs = async () => (JSON.parse((await brink('runs', project, '--json')).stdout) as { runs: RunDetail[] }).runs[0];

    expect(await runs()).toMatchObject({ id: run, readingChanged: false, reading: { logits: 'before-softmax', layout: 'NCHW', softmax: { node: '/Softmax' } } });
    const changed = await brink('model', 'reading', project, '--model', model, '--logits', 'output');
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('logits: the file’s output, which is the Softmax of the logits (probabilities)');
    expect(await runs()).toMatchObject({ id: run, readingChanged: true, reading: { logits: 'before-softmax' } });
    expect((await brink('runs', project)).stdout).toContain("logits: the input of Softmax node '/Softmax'; the file outputs probabilities (the model's reading has changed since)");
    const out = join(dir, 'run.json');
    expect((await brink('export', project, '--run', run, '--out', out)).code).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { run: RunDetail }).run).toMatchObject({ readingChanged: true, reading: { logits: 'before-softmax', imageInput: 'input' } });

    // Back to the run's reading: no longer made with another.
    const back = JSON.parse((await brink('model', 'reading', project, '--model', model, '--logits', 'before-softmax', '--json')).stdout) as { reading: ModelDetail['reading'] };
    expect(back.reading).toMatchObject({ logits: 'before-softmax' });
    expect(await runs()).toMatchObject({ readingChanged: false });

    for (const [args, error] of [
      [[], 'brink: give what to change: --logits output|before-softmax, --layout nchw|nhwc or --input NAME\n'],
      [['--input', 'nope'], "brink: the model has no input 'nope' to take the images (its inputs: input)\n"],
      [['--layout', 'hwc'], "brink: option '--layout <layout>' argument 'hwc' is invalid. expected nchw or nhwc\n"],
    ] as const) {
      const refused = await brink('model', 'reading', project, '--model', model, ...args);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(error);
    }
  }, 60_000);

  it('audits the NHWC export like its NCHW twin, and warns before attacking a model with a Round', async () => {
    const project = join(mkdtempSync(join(tmpdir(), 'brink-cli-reading-')), 'traps.brink');
    await brink('project', 'create', project);
    const id = async (path: string) => (JSON.parse((await brink('model', 'add', project, path, '--json')).stdout) as { id: string }).id;
    const [plain, nhwc, round] = [await id(trapModelPath('plain')), await id(trapModelPath('nhwc')), await id(trapModelPath('round'))];
    const added = await brink('dataset', 'add', project, join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz'), '--limit', '30', '--json');
    const dataset = (JSON.parse(added.stdout) as { id: string }).id;
    const accuracy = async (model: string) => {
      const run = await brink('audit', project, '--model', model, '--dataset', dataset, '--device', 'cpu');
      expect(run.code, run.stderr).toBe(0);
      return /accuracy [\d.]+% \(\d+\/30\)/.exec(run.stdout)?.[0];
    };
    const nchwAccuracy = await accuracy(plain);
    expect(nchwAccuracy).toBeTruthy();
    expect(await accuracy(nhwc)).toBe(nchwAccuracy);
    const attacked = await brink('audit', project, '--model', round, '--dataset', dataset, '--limit', '2', '--device', 'cpu', '--attack', 'fab', '--iters', '5');
    expect(attacked.code).toBe(0);
    expect(attacked.stderr).toContain('brink: warning: the model is differentiable, but its gradient is zero almost everywhere (Round between the input and the logits)');
  }, 60_000);
});
