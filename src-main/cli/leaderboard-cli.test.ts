import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Leaderboard, ModelDetail } from '../../src-preload/contract.js';
import { samplesDir } from '../paths.js';
import { buildSampleProject } from '../service/sample-project.js';

/** Runs the real command line in its own process, as `npm run brink --` does. */
function brink(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('brink audit --models and brink leaderboard', () => {
  it('audits both sample models as one group on the same samples, then prints, exports and writes the leaderboard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-cli-leaderboard-'));
    const project = join(dir, 'sample.brink');
    await buildSampleProject(samplesDir, project);
    const models = (JSON.parse(brink('model', 'list', project, '--json').stdout) as { models: ModelDetail[] }).models;
    const dataset = (JSON.parse(brink('dataset', 'list', project, '--json').stdout) as { datasets: { id: string }[] }).datasets[0].id;

    const both = brink('audit', project, '--model', models[0].id, '--models', models.map((m) => m.id).join(','), '--dataset', dataset);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/give --model ID, or --models ID,ID/);

    const audit = brink(
      'audit', project, '--models', models.map((m) => m.id).join(','), '--dataset', dataset,
      '--random', '8', '--seed', '4', '--batch', '8', '--device', 'cpu', '--family', 'linf,brightness', '--iters', '10', '--eps', '0.1', '--json',
    );
    expect(audit.stderr).not.toMatch(/^brink: (?!warning)/m);
    expect(audit.code).toBe(0);
    const { group, runs } = JSON.parse(audit.stdout) as { group: string; runs: string[] };
    expect(group).toMatch(/^g-[0-9a-f]+$/);
    expect(runs).toHaveLength(2);

    const csvPath = join(dir, 'board.csv');
    const json = brink('leaderboard', project, '--json', '--csv', csvPath);
    expect(json.code).toBe(0);
    const board = (JSON.parse(json.stdout) as { leaderboard: Leaderboard }).leaderboard;
    expect(board.rows.map((r) => r.modelId).sort()).toEqual(models.map((m) => m.id).sort());
    expect(board.families.map((f) => f.family)).toEqual(['linf', 'brightness']);
    for (const row of board.rows) expect(row.runs).toEqual([expect.objectContaining({ norm: 'linf', families: ['brightness'], auditGroup: group })]);

    const [header, ...lines] = readFileSync(csvPath, 'utf8').trim().split('\r\n');
    const columns = header.split(',');
    expect(columns.slice(0, 5)).toEqual(['model', 'model_sha256', 'dataset', 'subset', 'samples']);
    expect(columns).toContain('median_brightness (added value (HSV))');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const cells = Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell]));
      const row = board.rows.find((r) => r.modelName === cells['model'])!;
      expect(Number(cells['clean_accuracy'])).toBe(row.cleanAccuracy);
      expect(Number(cells['robust_accuracy'])).toBe(row.attack!.robustAccuracy);
      expect(cells['subset']).toBe('random 8 (seed 4)');
      expect(cells['model_sha256']).toBe(row.modelSha256);
    }

    const text = brink('leaderboard', project);
    expect(text.code).toBe(0);
    for (const m of models) expect(text.stdout).toContain(m.name);
    expect(text.stdout).toContain('8 random samples (seed 4): 2 models');
    expect(text.stdout).toMatch(/ℓ∞ 0\.1/);
  }, 240_000);
});
