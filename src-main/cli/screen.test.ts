import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy } from '../engine/runtime/npy.js';

/** Runs the real command line in its own process, as `npm run brink --` does. */
function brink(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('brink screen', () => {
  it('flags a .npy of new images against a typed or a calibrated threshold and writes index,file,pred,score,brittle,logit_k', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-screen-'));
    const path = (name: string) => join(dir, name);
    const project = path('screen.brink');
    const sample = (name: string) => join('resources', 'samples', name);
    brink('project', 'create', project);
    const { id: modelId } = JSON.parse(brink('model', 'add', project, sample('fmnist-cnn-robust.onnx'), '--mean', '0.286', '--std', '0.353', '--json').stdout) as { id: string };
    const { id: datasetId } = JSON.parse(brink('dataset', 'add', project, sample('fmnist-test-1000-images-idx3-ubyte.gz'), '--limit', '40', '--json').stdout) as { id: string };
    const audit = brink('audit', project, '--model', modelId, '--dataset', datasetId, '--attack', 'deepfool', '--eps', '8/255', '--iters', '10', '--device', 'cpu', '--json');
    expect(audit.code).toBe(0);
    const { run } = JSON.parse(audit.stdout) as { run: string };
    const { screening } = JSON.parse(brink('analyze', project, '--run', run, '--json').stdout) as { screening: { threshold: number; fpr: number; epsilon: number } };

    // Three new images: grey levels, one per row of a [3,1,28,28] float32 array.
    const images = new Float32Array(3 * 784).map((_, i) => [0.1, 0.5, 0.9][Math.floor(i / 784)] * ((i % 28) / 27));
    writeFileSync(path('new.npy'), encodeNpy({ data: images, shape: [3, 1, 28, 28] }));

    const calibrated = brink('screen', project, '--model', modelId, '--input', path('new.npy'), '--calibrate', run, '--out', path('flags.csv'), '--json');
    expect(calibrated.code).toBe(0);
    const summary = JSON.parse(calibrated.stdout) as { threshold: number; inputs: number; brittle: number; calibration: { run: string; fpr: number; epsilon: number; tpr_target: number } };
    expect(summary).toMatchObject({ threshold: screening.threshold, inputs: 3, calibration: { run, fpr: screening.fpr, epsilon: screening.epsilon, tpr_target: 0.95 } });
    const [header, ...lines] = readFileSync(path('flags.csv'), 'utf8').trim().split(/\r?\n/);
    expect(header.split(',')).toEqual(['index', 'file', 'pred', 'score', 'brittle', ...Array.from({ length: 10 }, (_, k) => `logit_${k}`)]);
    const rows = lines.map((line) => line.split(','));
    expect(rows.map((row) => row.slice(0, 2))).toEqual([['0', 'new.npy[0]'], ['1', 'new.npy[1]'], ['2', 'new.npy[2]']]);
    for (const row of rows) {
      const logits = row.slice(5).map(Number);
      const pred = logits.indexOf(Math.max(...logits));
      const runnerUp = Math.max(...logits.filter((_, k) => k !== pred));
      expect(Number(row[2])).toBe(pred);
      expect(Number(row[3])).toBeCloseTo(logits[pred] - runnerUp, 5);
      expect(row[4]).toBe(Number(row[3]) <= screening.threshold ? '1' : '0');
    }
    expect(summary.brittle).toBe(rows.filter((row) => row[4] === '1').length);

    const typed = brink('screen', project, '--model', modelId, '--input', path('new.npy'), '--threshold', '1e9', '--out', path('all.csv'));
    expect(typed.code).toBe(0);
    expect(typed.stdout).toContain('3 of 3 inputs flagged brittle');

    // A pseudo-margin learned from the audit scores the same inputs, from the CLI end to end.
    const trained = brink('pseudo-margin', 'train', project, '--run', run, '--input', 'logits', '--epochs', '5', '--seed', '1', '--json');
    expect(trained.code, trained.stderr).toBe(0);
    const detail = JSON.parse(trained.stdout) as { id: string; input: string; runId: string; losses: number[]; validation: { samples: number; verdict: string } };
    expect(detail).toMatchObject({ input: 'logits', runId: run });
    expect(detail.losses).toHaveLength(5);
    expect(detail.validation.samples).toBe(8);
    expect(detail.validation.verdict).toMatch(/^(Better|Not better) than the logit margin/);
    const listed = JSON.parse(brink('pseudo-margin', 'list', project, '--json').stdout) as { pseudoMargins: { id: string }[] };
    expect(listed.pseudoMargins.map((p) => p.id)).toEqual([detail.id]);
    const scored = brink('screen', project, '--model', modelId, '--input', path('new.npy'), '--score', `pseudo-margin:${detail.id}`, '--threshold', '0.05', '--out', path('pm.csv'), '--json');
    expect(scored.code, scored.stderr).toBe(0);
    const pmRows = readFileSync(path('pm.csv'), 'utf8').trim().split(/\r?\n/).slice(1).map((line) => line.split(','));
    // Estimated input margins in [0, 1] l_inf pixels (the sigmoid's output squared), flagged at or below the threshold.
    for (const row of pmRows) {
      expect(Number(row[3])).toBeGreaterThanOrEqual(0);
      expect(Number(row[3])).toBeLessThanOrEqual(1);
      expect(row[4]).toBe(Number(row[3]) <= 0.05 ? '1' : '0');
    }
    const exported = brink('screener', 'export', project, '--model', modelId, '--score', `pseudo-margin:${detail.id}`, '--threshold', '0.05', '--out', path('screener.onnx'), '--json');
    expect(exported.code, exported.stderr).toBe(0);
    expect((JSON.parse(exported.stdout) as { screener: { score: string } }).screener.score).toBe('pseudo-margin');
  }, 300_000);

  it.each([
    [['--threshold', '1', '--calibrate', 'r-00000000'], 'brink: give --threshold or --calibrate, not both'],
    [[], 'brink: give --threshold X, or --calibrate RUN to take the screening threshold of an analysed run'],
    [['--threshold', '1', '--tpr', '0.9'], 'brink: --tpr needs --calibrate RUN'],
    [['--threshold', '1', '--score', 'pseudo-margin'], "brink: --score pseudo-margin needs the pseudo-margin's id: pseudo-margin:ID"],
    [['--threshold', '1', '--score', 'entropy'], 'brink: --score entropy: use logit-margin or pseudo-margin:ID'],
  ])('refuses %j before opening anything', (extra, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-screen-'));
    const result = brink('screen', join(dir, 'none.brink'), '--model', 'm-00000000', '--input', join(dir, 'x.npy'), '--out', join(dir, 'f.csv'), ...extra);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(message);
  });
});
