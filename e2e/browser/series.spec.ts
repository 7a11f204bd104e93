import { expect, test } from '@playwright/test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { samples, shot } from '../journey';
import { freshDirs, serve } from '../serve';

const checkpoints = join(samples, 'checkpoints');

test('import the sample checkpoints as a series, run the Lipschitz estimate on each, and read the minimum-against-average trend', async ({ page }) => {
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.goto(server.url);
    await expect(page.getByTestId('project-name')).toHaveText('Fashion-MNIST sample');
    await page.getByTestId('nav-series').click();
    const files = readdirSync(checkpoints).filter((f) => f.endsWith('.onnx')).map((f) => join(checkpoints, f));
    await page.getByTestId('series-files').setInputFiles(files);
    await page.getByTestId('series-name').fill('FMNIST training');
    await page.getByTestId('series-mean').fill('0.286');
    await page.getByTestId('series-std').fill('0.353');
    await page.getByTestId('series-add').click();
    await expect(page.getByTestId('series-row')).toHaveCount(4);
    // Ordered by the epoch in each name, whatever order the files came in.
    await expect(page.getByTestId('series-row').first()).toContainText('epoch-1');
    await expect(page.getByTestId('series-row').last()).toContainText('epoch-8');

    await page.getByTestId('series-count').fill('20');
    await page.getByTestId('series-points').fill('4');
    await page.getByTestId('series-run').click();
    await expect(page.getByTestId('series-progress')).toHaveText('4 of 4 checkpoints done', { timeout: 90_000 });
    await expect(page.getByTestId('series-trend-chart').locator('canvas')).toBeVisible();
    await expect(page.getByTestId('series-distributions-chart').locator('canvas')).toBeVisible();
    for (const row of await page.getByTestId('series-row').all()) {
      await expect(row).toContainText('Lipschitz estimate');
      const minimum = Number(await row.getByTestId('series-min').textContent());
      const average = Number(await row.getByTestId('series-avg').textContent());
      expect(average).toBeGreaterThan(0);
      expect(minimum).toBeLessThanOrEqual(average);
    }
    await shot(page, 'series-trend');
    await page.screenshot({ path: '/tmp/h14b-series.png', fullPage: true });

    // A checkpoint's run page brackets nothing without an attack: the estimate alone, labelled.
    await page.getByTestId('series-row').last().getByRole('button').click();
    await expect(page.getByTestId('sample-lipschitz').first()).toBeVisible({ timeout: 30_000 });
    await page.screenshot({ path: '/tmp/h14b-series-run.png', fullPage: true });
  } finally {
    await server.stop();
  }
});
