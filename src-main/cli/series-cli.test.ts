import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeriesAnalysis } from '../../src-preload/contract.js';
import { samplesDir } from '../paths.js';

/** Runs the real command line in its own process, as `npm run brink --` does. */
function brink(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const idOf = (stdout: string) => (JSON.parse(stdout) as { id: string }).id;

describe('brink series and audit --lipschitz', () => {
  it('adds a checkpoint series from a folder, runs the Lipschitz estimate on each checkpoint, and exports lipschitz_margin', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-series-cli-'));
    const project = join(dir, 'series.brink');
    expect(brink('project', 'create', project, '--json').code).toBe(0);
    const dataset = idOf(brink('dataset', 'add', project, join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz'), '--limit', '20', '--json').stdout);

    const added = brink('series', 'add', project, join(samplesDir, 'checkpoints'), '--name', 'training', '--mean', '0.286', '--std', '0.353', '--json');
    expect(added.code).toBe(0);
    const { id, checkpoints } = JSON.parse(added.stdout) as { id: string; checkpoints: string[] };
    expect(checkpoints).toHaveLength(4);

    const shown = brink('series', project, '--series', id, '--dataset', dataset, '--limit', '6', '--lipschitz', '--norm', 'l2', '--samples', '2', '--device', 'cpu', '--json');
    expect(shown.code, shown.stderr).toBe(0);
    const analysis = JSON.parse(shown.stdout) as SeriesAnalysis;
    expect(analysis.checkpoints.map((c) => c.modelId)).toEqual(checkpoints);
    for (const c of analysis.checkpoints) {
      expect(c).toMatchObject({ marginSource: 'lipschitz', norm: 'l2', evaluated: 6 });
      expect(c.averageMargin).toBeGreaterThan(0);
      expect(c.minimumMargin).toBeLessThanOrEqual(c.averageMargin!);
    }
    // Nothing is missing the second time: the table comes from the same runs.
    const table = brink('series', project, '--series', id, '--dataset', dataset, '--limit', '6', '--lipschitz', '--norm', 'l2', '--samples', '2', '--device', 'cpu');
    expect(table.stderr).not.toContain('run r-');
    expect(table.stdout).toContain('Lipschitz estimate (an estimate, not a certificate), l2');
    for (const c of analysis.checkpoints) expect(table.stdout).toContain(c.run!.id);

    const audited = brink('audit', project, '--model', checkpoints[3], '--dataset', dataset, '--limit', '4', '--attack', 'deepfool', '--norm', 'l2', '--lipschitz', '--samples', '2', '--device', 'cpu', '--json');
    expect(audited.code, audited.stderr).toBe(0);
    const csv = join(dir, 'run.csv');
    expect(brink('export', project, '--run', idOf(audited.stdout.replace('"run"', '"id"')), '--out', csv).code).toBe(0);
    const [header, ...rows] = readFileSync(csv, 'utf8').trim().split('\n');
    const column = header.split(',').indexOf('lipschitz_margin');
    expect(column).toBeGreaterThan(header.split(',').indexOf('input_margin'));
    for (const row of rows) expect(Number(row.split(',')[column])).toBeGreaterThan(0);
  }, 120_000);

  it('refuses --radius without --lipschitz', () => {
    const result = brink('series', join(tmpdir(), 'none.brink'), '--series', 's-0123456789ab', '--dataset', 'd-0123456789ab', '--radius', '2');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--radius needs --lipschitz');
  });
});
