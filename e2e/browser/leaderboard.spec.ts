import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shot } from '../journey';
import { freshDirs, serve } from '../serve';

/** The command line on the same project file, as `npm run brink --` runs it. */
function brink(home: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], { encoding: 'utf8', env: { ...process.env, BRINK_HOME: home } });
  if (result.status !== 0) throw new Error(`brink ${args[0]} failed: ${result.stderr}`);
  return result.stdout;
}

test('audit both sample models as one group from the run form, add perturbation families, and read the leaderboard and its heat map', async ({ page }) => {
  test.setTimeout(300_000);
  const dirs = freshDirs();
  const project = join(dirs.home, 'Fashion-MNIST sample.brink');
  await page.setViewportSize({ width: 1440, height: 900 });

  // 1. The run form queues FAB in l_inf for both models on the same 16 samples.
  let server = await serve(dirs, ['--sample']);
  try {
    await page.goto(server.url);
    await page.getByTestId('nav-leaderboard').click();
    await expect(page.getByText('No finished run measures margins yet')).toBeVisible();
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('new-run-button').click();
    await page.getByTestId('run-model-select').selectOption({ label: 'fmnist-cnn-robust' });
    await page.locator('[data-testid="run-also-model"][data-model-name="fmnist-cnn-standard"]').check();
    await page.getByTestId('run-subset-mode').selectOption('first');
    await page.getByTestId('run-subset-count').fill('16');
    await page.getByTestId('run-batch-size').fill('16');
    await page.getByTestId('run-device-select').selectOption('cpu');
    await page.getByTestId('run-attack-fab').check();
    await page.getByTestId('run-norm-select').selectOption('linf');
    await page.getByTestId('run-epsilons').fill('0.1');
    await page.getByTestId('run-iterations').fill('20');
    await expect(page.getByTestId('run-problems')).toBeEmpty();
    await expect(page.getByTestId('run-start')).toHaveText('Start 2 runs');
    await page.locator('form fieldset').first().screenshot({ path: join('e2e', 'screenshots', 'new-run-group.png') });
    // As startRun: once the memory plan has arrived, which moves the button.
    await expect(page.getByTestId('run-memory-plan')).toBeVisible({ timeout: 30_000 });
    await page.getByTestId('run-start').click();
    await expect(page).toHaveURL(/#\/runs$/);
    await expect(page.getByTestId('run-row')).toHaveCount(2);
    const groups = await page.getByTestId('run-row-group').allTextContents();
    expect(groups).toHaveLength(2);
    expect(groups[0]).toBe(groups[1]);
    await expect(page.getByTestId('run-row-status')).toHaveText(['done', 'done'], { timeout: 120_000 });
    await page.getByTestId('nav-leaderboard').click();
    await expect(page.getByTestId('leaderboard-row')).toHaveCount(2, { timeout: 60_000 });
    await expect(page.getByTestId('heatmap-family')).toHaveText([/ℓ∞ attacks/]);
  } finally {
    await server.stop();
  }

  // 2. Perturbation families for both models on the same samples, from the command line.
  const models = (JSON.parse(brink(dirs.home, 'model', 'list', project, '--json')) as { models: { id: string }[] }).models.map((m) => m.id);
  const dataset = (JSON.parse(brink(dirs.home, 'dataset', 'list', project, '--json')) as { datasets: { id: string }[] }).datasets[0].id;
  brink(dirs.home, 'audit', project, '--models', models.join(','), '--dataset', dataset, '--limit', '16', '--batch', '16', '--device', 'cpu', '--family', 'brightness,contrast,rotation', '--json');

  // 3. The leaderboard merges each model's runs into one row.
  server = await serve(dirs, ['--project', project]);
  try {
    await page.goto(server.url);
    await page.getByTestId('nav-leaderboard').click();
    const rows = page.getByTestId('leaderboard-row');
    await expect(rows).toHaveCount(2, { timeout: 60_000 });
    await expect(page.getByTestId('leaderboard-comparison-text')).toContainText('first 16');
    // Sorted by robust accuracy, best first: the adversarially trained model leads.
    await expect(rows.first()).toContainText('fmnist-cnn-robust');
    await page.getByTestId('leaderboard-sort-robust').click();
    await expect(rows.first()).toContainText('fmnist-cnn-standard');
    await page.getByTestId('leaderboard-sort-robust').click();
    for (const cell of await page.getByTestId('leaderboard-robust').allTextContents()) expect(cell).toMatch(/^\d+\.\d%$/);

    const heat = page.getByTestId('leaderboard-heatmap');
    await expect(page.getByTestId('heatmap-family')).toHaveText([/ℓ∞ attacks/, /Brightness/, /Contrast/, /Rotation/]);
    await expect(heat.getByTestId('heatmap-cell')).toHaveCount(8);
    for (const text of await heat.getByTestId('heatmap-cell').allTextContents()) expect(text.trim()).toMatch(/^(\d[\d.,]*|beyond)/);
    // The adversarially trained model needs a larger l_inf perturbation: the robust side of the column's scale, the standard one the brittle side.
    const position = async (model: string) =>
      Number(await heat.getByRole('row').filter({ hasText: model }).locator('[data-family="linf"]').getAttribute('data-position'));
    expect(await position('fmnist-cnn-robust')).toBeGreaterThan(0.5);
    expect(await position('fmnist-cnn-standard')).toBeLessThan(0.5);
    await expect(page.getByTestId('heatmap-legend')).toContainText('the column’s mean: more robust');
    await expect(page.getByTestId('leaderboard-tau-scatter')).toBeVisible();
    await expect(page.getByTestId('leaderboard-accuracy-scatter')).toBeVisible();

    const download = page.waitForEvent('download');
    await page.getByTestId('leaderboard-csv').click();
    const csv = readFileSync(await (await download).path(), 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(3);
    expect(csv[0]).toContain('median_rotation (degrees)');

    // The page scrolls inside the shell: a window tall enough shows all of it.
    await page.setViewportSize({ width: 1440, height: 2400 });
    await shot(page, 'leaderboard');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByTestId('leaderboard-table').screenshot({ path: join('e2e', 'screenshots', 'leaderboard-table.png') });
    await heat.screenshot({ path: join('e2e', 'screenshots', 'leaderboard-heatmap.png') });
    await page.getByTestId('leaderboard-tau-scatter').scrollIntoViewIfNeeded();
    await page.getByTestId('leaderboard-scatters').screenshot({ path: join('e2e', 'screenshots', 'leaderboard-scatters.png') });
  } finally {
    await server.stop();
  }
});
