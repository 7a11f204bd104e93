import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { newRunForm, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

test('measure corruption and spatial margins and the Lipschitz estimate from the run form, and read the families panel', async ({ page }) => {
  test.setTimeout(180_000);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(server.url);
    await newRunForm(page, 'fmnist-cnn-standard', 40, 20);
    await page.getByTestId('run-family-group-corruptions').check();
    await page.getByTestId('run-family-rotation').check();
    await page.getByTestId('run-lipschitz').check();
    await page.getByTestId('run-lipschitz-points').fill('8');
    await expect(page.getByTestId('run-lipschitz-radius')).toHaveAttribute('placeholder', '0.3');
    await expect(page.getByTestId('run-family-jpeg')).toBeChecked();
    await expect(page.getByTestId('run-family-translation')).not.toBeChecked();
    await expect(page.getByTestId('run-problems')).toBeEmpty();
    await expect(page.locator('.plan')).toContainText('measures margins in 9 perturbation families with a Lipschitz estimate of each margin');
    await page.locator('fieldset', { hasText: 'Lipschitz estimate' }).screenshot({ path: join('e2e', 'screenshots', 'run-form-lipschitz.png') });
    await page.locator('fieldset', { hasText: 'Perturbation families' }).screenshot({ path: join('e2e', 'screenshots', 'run-form-families.png') });
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 150_000 });

    const panel = page.getByTestId('families-panel');
    await expect(panel).toBeVisible({ timeout: 30_000 });
    await expect(panel.getByTestId('family-row')).toHaveCount(9);
    const jpeg = panel.locator('[data-testid="family-row"][data-family="jpeg"]');
    await expect(jpeg.locator('td').first()).toHaveText(/^\d+ of 40$/);
    await expect(panel.getByTestId('corruption-table').locator('tbody tr')).toHaveCount(8);
    await expect(panel.getByTestId('mean-corruption-accuracy')).toHaveText(/Mean corruption accuracy \d+(\.\d)?% over 8 corruptions × 5 severities;\s+clean accuracy \d+(\.\d)?%/);
    await expect(page.getByTestId('run-config-families')).toContainText('Gaussian noise');
    await expect(page.getByTestId('run-config-lipschitz')).toContainText('ℓ∞, radius 0.3, 8 points per sample');
    await expect(page.getByTestId('sample-lipschitz').first()).toBeVisible();
    await panel.getByTestId('family-curve-select').selectOption('rotation');
    await expect(panel.getByText('Robust accuracy under rotation')).toBeVisible();
    await panel.scrollIntoViewIfNeeded();
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: viewport.width, height: Math.ceil((await panel.boundingBox())!.height) + 160 });
    await panel.screenshot({ path: join('e2e', 'screenshots', 'run-families-panel.png') });
  } finally {
    await server.stop();
  }
});
