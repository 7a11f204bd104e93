import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { samplesDir } from '../paths.js';

/** Runs the real command line in its own process, as `npm run brink --` does. */
function brink(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const standard = join(samplesDir, 'fmnist-cnn-standard.onnx');
const images = join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz');

describe('brink CLI safeguards', () => {
  it('refuses the same file twice naming the existing id, unless --allow-duplicate, which keeps names unique', () => {
    const project = join(mkdtempSync(join(tmpdir(), 'brink-cli-')), 'audit.brink');
    brink('project', 'create', project);
    const first = JSON.parse(brink('model', 'add', project, standard, '--name', 'cnn', '--json').stdout) as { id: string };
    const again = brink('model', 'add', project, standard);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`brink: fmnist-cnn-standard.onnx is already in this project as model “cnn” (${first.id}, the same file by SHA-256); add --allow-duplicate to import it again\n`);
    expect(brink('model', 'add', project, standard, '--name', 'cnn', '--allow-duplicate').stdout).toContain('cnn (2)');

    brink('dataset', 'add', project, images, '--limit', '20');
    const twice = brink('dataset', 'add', project, images, '--limit', '20');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^brink: fmnist-test-1000-images-idx3-ubyte\.gz is already in this project as dataset “fmnist-test-1000” \(d-[0-9a-f]+, .*\); add --allow-duplicate to import it again\n$/);
  });

  it('refuses an implausible epsilon with the suggestion unless --force, and warns about unconfirmed preprocessing', () => {
    const project = join(mkdtempSync(join(tmpdir(), 'brink-cli-')), 'audit.brink');
    brink('project', 'create', project);
    const { id: model } = JSON.parse(brink('model', 'add', project, standard, '--json').stdout) as { id: string };
    const { id: dataset } = JSON.parse(brink('dataset', 'add', project, images, '--limit', '4', '--json').stdout) as { id: string };
    expect(brink('model', 'list', project).stdout).toContain("preprocessing [0, 1], mean 0, std 1 (unconfirmed: Brink's default;");
    expect(JSON.parse(brink('model', 'list', project, '--json').stdout)).toMatchObject({ models: [{ preprocessingConfirmed: false }] });

    const args = ['audit', project, '--model', model, '--dataset', dataset, '--attack', 'apgd-ce', '--iters', '2', '--batch', '4', '--device', 'cpu'];
    const refused = brink(...args, '--eps', '2/255,8');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('brink: warning: the model\'s preprocessing is unconfirmed');
    expect(refused.stderr).toContain(
      'brink: ε = 8 is larger than 1, the largest ℓ∞ distance between two images in [0,1] pixel units; did you mean 8/255? (--eps 2/255,8/255 or --force to run with the epsilons as given)\n',
    );
    const forced = brink(...args, '--eps', '2/255,8', '--force', '--json');
    expect(forced.stderr).toContain('brink: warning (--force): ε = 8 is larger than 1');
    expect(forced.code).toBe(0);

    // The CLI tests the conventions like the model page, applies the proposal, and the model is confirmed.
    const tested = brink('model', 'preprocessing', project, '--model', model, '--test', dataset, '--apply');
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/^fmnist-cnn-standard: 4 samples drawn at random \(seed 0\) from d-[0-9a-f]+, \d+ ms\n/);
    expect(tested.stdout).toContain('       —  ImageNet mean/std: [0, 1], mean 0.485,0.456,0.406, std 0.229,0.224,0.225 (not tried: needs 3 channels; the images have 1)');
    expect(tested.stdout).toMatch(/\napplied and confirmed: /);
    expect(JSON.parse(brink('model', 'list', project, '--json').stdout)).toMatchObject({ models: [{ preprocessingConfirmed: true }] });
  }, 60_000);
});
