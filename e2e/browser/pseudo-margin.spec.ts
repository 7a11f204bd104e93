import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { newRunForm, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

test('train a pseudo-margin from the model page on an audit of the robust CNN, see it listed beside the logit margin, screen with it, export it as a screener, and remove it', async ({ page }) => {
  test.setTimeout(300_000);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.goto(server.url);
    // A short DeepFool audit gives the input margins to learn from.
    await newRunForm(page, 'fmnist-cnn-robust', 200, 100);
    await page.getByTestId('run-attack-deepfool').check();
    await page.getByTestId('run-epsilons').fill('0.1');
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 120_000 });

    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-row').filter({ hasText: 'fmnist-cnn-robust' }).click();
    const section = page.getByTestId('pseudo-margins');
    await section.scrollIntoViewIfNeeded();
    await expect(page.getByTestId('pseudo-margin-run').locator('option')).toHaveCount(1);
    await page.getByTestId('pseudo-margin-epochs').fill('150');
    await page.getByTestId('pseudo-margin-seed').fill('3');
    await page.getByTestId('pseudo-margin-train').click();
    // Progress with the epoch and the loss while it trains, then the stored network in the list.
    await expect(page.getByTestId('pseudo-margin-training')).toContainText(/epoch \d+ of 150/, { timeout: 30_000 });
    await expect(page.getByTestId('pseudo-margin-row')).toHaveCount(1, { timeout: 120_000 });
    await expect(page.getByTestId('pseudo-margin-training')).toHaveCount(0);
    const list = page.getByTestId('pseudo-margin-list');
    await expect(list).toContainText('pseudo-margin');
    await expect(list).toContainText('logit margin');
    await expect(list).toContainText('n 40');
    await expect(page.getByTestId('pseudo-margin-verdict')).toHaveText(/^(better|not better)$/);
    // Training ends by opening the new network's held-out curves and verdict.
    await expect(page.getByTestId('pseudo-margin-shown')).toContainText(/(Better|Not better) than the logit margin: held-out Kendall tau/);
    await expect(page.getByTestId('pseudo-margin-binned')).toBeVisible();
    await section.scrollIntoViewIfNeeded();
    await section.screenshot({ path: join('e2e', 'screenshots', 'pseudo-margins.png') });

    // The screener with the pseudo-margin as its score, calibrated on the audit's held-out samples.
    const pseudoMarginId = (await page.getByTestId('pseudo-margin-row').first().getAttribute('data-id'))!;
    await page.getByTestId('screener-export-open').click();
    await page.getByTestId('screener-score').selectOption(pseudoMarginId);
    await page.getByTestId('screener-epsilon').fill('0.1');
    await page.getByTestId('screener-tpr').fill('80');
    const calibration = page.getByTestId('screener-calibration');
    await expect(calibration).toContainText(/Brittle when the pseudo-margin \(estimated input margin\) is at most [0-9.e-]+: on the run's 40 samples/);
    await page.getByTestId('screener-dialog').screenshot({ path: join('e2e', 'screenshots', 'screener-pseudo-margin.png') });
    const download = page.waitForEvent('download');
    await page.getByTestId('screener-export').click();
    expect((await download).suggestedFilename()).toBe('fmnist-cnn-robust-screener.onnx');

    // Screening the project's images with it flags some and keeps others.
    await page.getByTestId('nav-screen').click();
    await page.getByTestId('screen-model').selectOption({ label: 'fmnist-cnn-robust' });
    await page.getByTestId('screen-score').selectOption(pseudoMarginId);
    await page.getByTestId('screen-epsilon').fill('0.1');
    await page.getByTestId('screen-tpr').fill('80');
    await page.getByTestId('screen-dataset').selectOption({ index: 1 });
    await page.getByTestId('screen-dataset-go').click();
    await expect(page.getByTestId('screen-summary')).toContainText(/flagged brittle .*: pseudo-margin p-[0-9a-f]+ \(estimated input margin\) ≤/, { timeout: 60_000 });
    await expect(page.getByTestId('screen-sort-score')).toHaveText('Pseudo-margin');
    await page.screenshot({ path: join('e2e', 'screenshots', 'screen-pseudo-margin.png') });

    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-row').filter({ hasText: 'fmnist-cnn-robust' }).click();
    await page.getByTestId('pseudo-margin-remove').click();
    await page.getByTestId('pseudo-margin-remove-confirm').click();
    await expect(page.getByTestId('pseudo-margin-row')).toHaveCount(0);
  } finally {
    await server.stop();
  }
});
