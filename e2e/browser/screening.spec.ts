import { expect, test } from '@playwright/test';
import { newRunForm, startRun } from '../journey';
import { join } from 'node:path';
import { freshDirs, serve } from '../serve';

test('the screening threshold is calibrated to the TPR target the auditor types', async ({ page }) => {
  test.setTimeout(120_000);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(server.url);
    await newRunForm(page, 'fmnist-cnn-robust', 200, 100);
    await page.getByTestId('run-attack-deepfool').check();
    await page.getByTestId('run-norm-select').selectOption('linf');
    await page.getByTestId('run-epsilons').fill('8/255');
    await page.getByTestId('run-iterations').fill('20');
    await expect(page.getByTestId('run-problems')).toBeEmpty();
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 90_000 });

    // The default: calibrated to 95 %, and the slider starts at that threshold.
    const target = page.getByTestId('screening-tpr-target');
    await expect(target).toHaveValue('95');
    const summary = page.getByTestId('screening-summary');
    await expect(summary).toContainText('at ε = 8/255: flags logit margin ≤');
    const tprAt95 = Number(/TPR ([\d.]+)/.exec((await summary.textContent()) ?? '')![1]);
    expect(tprAt95).toBeGreaterThanOrEqual(0.95);
    await expect(page.getByTestId('threshold-tpr')).toHaveText(tprAt95.toFixed(3));

    // 80 %: the service calibrates again; the threshold flags less, and the slider moves with it.
    await target.fill('80');
    await target.press('Enter');
    await expect(summary).not.toContainText(`TPR ${tprAt95.toFixed(3)}`);
    const tprAt80 = Number(/TPR ([\d.]+)/.exec((await summary.textContent()) ?? '')![1]);
    expect(tprAt80).toBeGreaterThanOrEqual(0.8);
    expect(tprAt80).toBeLessThan(tprAt95);
    await expect(page.getByTestId('threshold-tpr')).toHaveText(tprAt80.toFixed(3));
    await expect(target).toHaveValue('80');
    const slider = page.getByTestId('threshold-slider');
    await slider.scrollIntoViewIfNeeded();
    await slider.screenshot({ path: join('e2e', 'screenshots', 'screening-tpr-target.png') });

    // The run's configuration says how the model was read.
    const reading = page.getByTestId('run-config-reading');
    await expect(reading).toContainText('NCHW');
    await expect(reading).toContainText('logits: the file’s output');
    await expect(page.getByTestId('run-reading-changed')).toHaveCount(0);
    await reading.scrollIntoViewIfNeeded();
    await reading.locator('xpath=..').screenshot({ path: join('e2e', 'screenshots', 'run-config-reading.png') });

    // What no screening threshold can be is refused in one line, and the analysis stays as it was.
    await target.fill('100');
    await target.press('Enter');
    await expect(page.getByTestId('screening-tpr-problem')).toHaveText('the TPR target is a percentage from 50 to 99.9');
    await expect(summary).toContainText(`TPR ${tprAt80.toFixed(3)}`);
  } finally {
    await server.stop();
  }
});
