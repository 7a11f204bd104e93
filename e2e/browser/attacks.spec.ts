import { expect, test } from '@playwright/test';
import { shot, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

test('run FAB and APGD on the sample robust CNN, read margins and robust accuracy, and open a sample in the explorer', async ({ page }) => {
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.goto(server.url);
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('new-run-button').click();
    await page.getByTestId('run-model-select').selectOption({ label: 'fmnist-cnn-robust' });
    await page.getByTestId('run-subset-mode').selectOption('first');
    await page.getByTestId('run-subset-count').fill('32');
    await page.getByTestId('run-batch-size').fill('32');
    await page.getByTestId('run-device-select').selectOption('cpu');
    await page.getByTestId('run-attack-fab').check();
    await page.getByTestId('run-attack-apgd-ce').check();
    await page.getByTestId('run-norm-select').selectOption('linf');
    await page.getByTestId('run-epsilons').fill('8/255, 0.1');
    await page.getByTestId('run-iterations').fill('20');
    await page.getByTestId('run-memory').fill('0.5');
    await expect(page.getByTestId('run-problems')).toBeEmpty();
    // The memory plan and FAB's form, before the run starts.
    await expect(page.getByTestId('run-memory-plan')).toContainText('500 MB budget (set), 32 samples per gradient call, all 9 Jacobian rows per call');
    await expect(page.getByTestId('run-memory-plan')).toContainText('FAB: untargeted: the model has 10 classes');
    await shot(page, 'attack-config');
    await startRun(page);

    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 120_000 });
    await expect(page.getByTestId('input-margin-summary')).toBeVisible();
    await expect(page.getByTestId('input-margin-censored')).toContainText('0');
    // The analysis's grid holds the run's two epsilons among the norm's defaults.
    await expect(page.getByTestId('robust-accuracy-row').filter({ hasText: '8/255' })).toHaveCount(1);
    await expect(page.locator('[data-testid="robust-accuracy-row"][data-epsilon="0.1"]')).toHaveCount(1);
    await expect(page.getByTestId('attack-stats')).toContainText('FAB');
    await shot(page, 'attack-results');
    // The plan the job recorded, and which FAB ran and why.
    await expect(page.getByTestId('run-config-memory-plan')).toContainText('500 MB budget (set), 32 samples per gradient call, all 9 Jacobian rows per call');
    await expect(page.getByTestId('run-config-fab-form')).toHaveText('FAB ran untargeted: the model has 10 classes (at most 10)');
    await page.getByTestId('run-config-memory-plan').scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'e2e/screenshots/run-memory-plan.png' });

    await page.getByTestId('sample-sort-inputMargin').click();
    const first = Number(await page.getByTestId('sample-row').first().getAttribute('data-input-margin'));
    const second = Number(await page.getByTestId('sample-row').nth(1).getAttribute('data-input-margin'));
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(second);

    await page.getByTestId('sample-max-margin').fill('8/255');
    await page.getByTestId('sample-max-margin').press('Enter');
    const brittle = page.getByTestId('sample-row');
    await expect(async () => {
      const margins = await brittle.evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-input-margin'))));
      expect(margins.length).toBeGreaterThan(0);
      expect(margins.length).toBeLessThan(32);
      for (const margin of margins) expect(margin).toBeLessThanOrEqual(8 / 255);
    }).toPass();
    await shot(page, 'brittle-samples');

    await page.getByTestId('sample-row').first().click();
    const explorer = page.getByTestId('sample-explorer');
    await expect(explorer).toBeVisible();
    for (const id of ['explorer-original', 'explorer-adversarial', 'explorer-perturbation']) await expect(page.getByTestId(id)).toBeVisible();
    const clean = await page.getByTestId('explorer-pred-clean').getAttribute('data-class');
    const adversarial = await page.getByTestId('explorer-pred-adv').getAttribute('data-class');
    expect(adversarial).not.toBe(clean);
    await expect(page.getByTestId('explorer-margin')).toHaveAttribute('data-found', 'true');
    await shot(page, 'sample-explorer');
    await page.getByTestId('explorer-next').click();
    await expect(page.getByTestId('explorer-original')).toBeVisible();
    await page.getByTestId('explorer-close').click();
    await expect(explorer).toBeHidden();
  } finally {
    await server.stop();
  }
});
