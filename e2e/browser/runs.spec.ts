import { expect, test } from '@playwright/test';
import { shot, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

test('configure an audit run on the sample project, watch it reach 100%, read its results, and find them after a reload', async ({ page }) => {
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.goto(server.url);
    await expect(page.getByTestId('project-name')).toHaveText('Fashion-MNIST sample');
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('new-run-button').click();

    await page.getByTestId('run-model-select').selectOption({ label: 'fmnist-cnn-robust' });
    await page.getByTestId('run-subset-mode').selectOption('first');
    await page.getByTestId('run-subset-count').fill('5000');
    await expect(page.getByTestId('run-problems')).toContainText('too large');
    await expect(page.getByTestId('run-start')).toBeDisabled();
    await page.getByTestId('run-subset-mode').selectOption('all');
    await page.getByTestId('run-batch-size').fill('50');
    await page.getByTestId('run-device-select').selectOption('cpu');
    await expect(page.getByTestId('run-problems')).toBeEmpty();
    await shot(page, 'run-config');
    await startRun(page);

    const progress = page.getByTestId('run-progress');
    await expect(progress).toHaveAttribute('data-total', '1000');
    await expect(progress).toHaveAttribute('data-done', '1000', { timeout: 60_000 });
    await expect(page.getByTestId('run-status')).toHaveText('done');
    // manifest.json: the robust model's clean accuracy on the 1000-image sample is 84.8% (PyTorch).
    await expect(page.getByTestId('run-accuracy')).toHaveText('84.8%');
    await expect(page.getByTestId('margin-histogram').locator('canvas')).toBeVisible();
    await expect(page.getByTestId('equidistance-boxplot').locator('canvas')).toBeVisible();
    await expect(page.getByTestId('run-provider')).toContainText('cpu');
    await expect(page.getByTestId('sample-row')).toHaveCount(100);
    await shot(page, 'run-done');

    await page.getByTestId('sample-sort-logitMargin').click();
    const firstMargin = Number(await page.getByTestId('sample-row').first().getAttribute('data-logit-margin'));
    const secondMargin = Number(await page.getByTestId('sample-row').nth(1).getAttribute('data-logit-margin'));
    expect(firstMargin).toBeLessThanOrEqual(secondMargin);
    await page.getByTestId('sample-next-page').click();
    await expect(page.getByTestId('sample-row')).toHaveCount(100);

    await page.reload();
    await page.getByTestId('nav-runs').click();
    await expect(page.getByTestId('run-row')).toHaveCount(1);
    await page.getByTestId('run-row').first().click();
    await expect(page.getByTestId('run-status')).toHaveText('done');
    await expect(page.getByTestId('run-accuracy')).toHaveText('84.8%');
    await shot(page, 'run-after-reload');
  } finally {
    await server.stop();
  }
});
