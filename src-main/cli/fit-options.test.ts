import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitFromOptions } from './fit-options.js';

const PHOTOS = join(import.meta.dirname, '..', 'engine', 'data', 'goldens', 'image-fit', 'photos');

function brink(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('dataset add --fit --size --resize', () => {
  it('turns the flags into one fit, with 224,224 as the default size', () => {
    expect(fitFromOptions({})).toBeUndefined();
    expect(fitFromOptions({ fit: 'strict' })).toEqual({ mode: 'strict' });
    expect(fitFromOptions({ fit: 'crop' })).toEqual({ mode: 'crop', size: [224, 224], resize: undefined });
    expect(fitFromOptions({ fit: 'crop', size: [56, 64], resize: 70 })).toEqual({ mode: 'crop', size: [56, 64], resize: 70 });
    expect(fitFromOptions({ fit: 'pad', size: [32, 48] })).toEqual({ mode: 'pad', size: [32, 48] });
    expect(() => fitFromOptions({ size: [32, 32] })).toThrow('--size and --resize need --fit crop, stretch or pad');
    // `screen` defaults the size to the model's input.
    expect(fitFromOptions({ fit: 'stretch' }, [28, 28])).toEqual({ mode: 'stretch', size: [28, 28] });
    expect(fitFromOptions({ fit: 'stretch', size: [32, 32] }, [28, 28])).toEqual({ mode: 'stretch', size: [32, 32] });
    expect(fitFromOptions({}, [28, 28])).toBeUndefined();
    expect(() => fitFromOptions({ fit: 'strict', resize: 256 })).toThrow('strict keeps the images as they are');
    expect(() => fitFromOptions({ fit: 'stretch', resize: 256 })).toThrow('--resize applies to --fit crop only, not stretch');
  });

  it('imports a mixed-size folder with the center crop and lists the recorded fit', () => {
    const project = join(mkdtempSync(join(tmpdir(), 'brink-cli-fit-')), 'audit.brink');
    expect(brink('project', 'create', project).code).toBe(0);
    const added = brink('dataset', 'add', project, PHOTOS, '--fit', 'crop', '--size', '56,64', '--resize', '70');
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('6 samples of 3×56×64 uint8');
    expect(added.stdout).toContain('fit: center crop: Resize(70) + CenterCrop(56×64), bilinear with antialias');
    const listed = JSON.parse(brink('dataset', 'list', project, '--json').stdout) as { datasets: { fit: unknown; skipped: unknown[] }[] };
    expect(listed.datasets).toEqual([expect.objectContaining({ fit: { mode: 'crop', size: [56, 64], resize: 70 }, skipped: [] })]);

    const strict = brink('dataset', 'add', project, PHOTOS, '--fit', 'strict');
    expect(strict.stdout).toContain('skipped 5 file(s)');
    expect(brink('dataset', 'add', project, PHOTOS, '--fit', 'zoom')).toMatchObject({ code: 1, stderr: expect.stringContaining('expected one of strict, crop, stretch, pad') });
    expect(brink('dataset', 'add', project, PHOTOS, '--fit', 'crop', '--size', '224x224').stderr).toContain('is not a size: write H,W');
    expect(brink('dataset', 'add', project, PHOTOS, '--fit', 'crop', '--size', '224', '--resize', '100').stderr).toContain(
      'resize 100 is smaller than the crop 224x224',
    );
  }, 60_000);
});
