import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { descendants, isWorker } from '../../bench/common.js';
import sharp from 'sharp';
import { putImage } from '../engine/data/test-fixtures.js';
import { encodeNpy } from '../engine/runtime/npy.js';

/** A photo as grey pixels with its [width, height, channels], as putImage takes them. */
async function greyPixels(file: string): Promise<[[number, number, 1], Uint8Array]> {
  const { data, info } = await sharp(file).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return [[info.width, info.height, 1], new Uint8Array(data.buffer, data.byteOffset, info.width * info.height)];
}

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

  it("screens photos of other sizes with --fit to the model's input size, and refuses them without one naming both sizes", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-screen-fit-'));
    const project = join(dir, 'fit.brink');
    brink('project', 'create', project);
    const { id: modelId } = JSON.parse(brink('model', 'add', project, join('resources', 'samples', 'fmnist-cnn-robust.onnx'), '--json').stdout) as { id: string };
    // The photo fixtures in grey, for the grey model: six sizes, none 28x28.
    const photos = join(dir, 'photos');
    const source = join('src-main', 'engine', 'data', 'goldens', 'image-fit', 'photos');
    for (const kind of readdirSync(source)) {
      for (const file of readdirSync(join(source, kind))) await putImage(join(photos, `${kind}-${file}.png`), 'png', ...(await greyPixels(join(source, kind, file))));
    }
    const refused = brink('screen', project, '--model', modelId, '--input', photos, '--threshold', '1', '--out', join(dir, 'no.csv'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the model takes 28×28 images but the dataset's are 300×450; choose a fit (center crop, stretch or pad) to bring them to 28×28");

    const fitted = brink('screen', project, '--model', modelId, '--input', photos, '--threshold', '1', '--fit', 'crop', '--out', join(dir, 'fit.csv'), '--json');
    expect(fitted.code, fitted.stderr).toBe(0);
    expect(JSON.parse(fitted.stdout)).toMatchObject({ inputs: 6, fit: { mode: 'crop', size: [28, 28], resize: 32 }, skipped: [] });
    expect(readFileSync(join(dir, 'fit.csv'), 'utf8').trim().split(/\r?\n/)).toHaveLength(7);
  }, 120_000);

  it('stops on Ctrl+C: the worker ends, no CSV is written, and it says the screening was cancelled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-screen-stop-'));
    const project = join(dir, 'stop.brink');
    brink('project', 'create', project);
    const { id: modelId } = JSON.parse(brink('model', 'add', project, join('resources', 'samples', 'fmnist-cnn-robust.onnx'), '--json').stdout) as { id: string };
    // Enough inputs in small batches that the screening runs for seconds.
    const count = 100_000;
    writeFileSync(join(dir, 'crowd.npy'), encodeNpy({ data: new Uint8Array(count * 784).map((_, i) => i % 251), shape: [count, 1, 28, 28] }));
    const out = join(dir, 'flags.csv');
    const cli = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', 'screen', project, '--model', modelId, '--input', join(dir, 'crowd.npy'), '--threshold', '1', '--batch', '8', '--out', out], {
      env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
    });
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    let worker: number | undefined;
    while (worker === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      worker = descendants(cli.pid!).find(isWorker);
    }
    // Past loading the model, into the batches.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    cli.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toContain('brink: cancelling the screening (Ctrl+C again to stop at once)');
    expect(stderr).toContain('brink: screening cancelled: nothing was kept');
    expect(existsSync(out)).toBe(false);
    expect(() => process.kill(worker, 0)).toThrow(/ESRCH/);
  }, 120_000);

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
