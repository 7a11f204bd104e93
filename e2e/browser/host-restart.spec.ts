import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { newRunForm, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

test('a run survives its host crashing: after a restart its page says it was interrupted and why, keeps its committed samples, and resumes to the end', async ({ page }) => {
  test.setTimeout(240_000);
  const dirs = freshDirs();
  let server = await serve(dirs, ['--sample']);
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(server.url);
    await newRunForm(page, 'fmnist-cnn-robust', 300, 20);
    await page.getByTestId('run-attack-fab').check();
    await page.getByTestId('run-iterations').fill('20');
    await startRun(page);
    // Wait for a committed batch, then kill the host as a crash would.
    const done = async () => Number(await page.getByTestId('run-progress').getAttribute('data-done'));
    await expect.poll(done, { timeout: 120_000 }).toBeGreaterThanOrEqual(20);
    await server.crash();

    server = await serve(dirs, ['--sample']);
    await page.goto(server.url);
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('run-row').first().click();
    await expect(page.getByTestId('run-status')).toHaveText('interrupted', { timeout: 30_000 });
    const notice = page.getByTestId('run-interrupted');
    await expect(notice).toContainText('Brink stopped while this run was running');
    const kept = Number(/Its ([0-9,]+) committed samples/.exec((await notice.textContent())!)![1].replace(/,/g, ''));
    expect(kept).toBeGreaterThanOrEqual(20);
    expect(kept).toBeLessThan(300);
    expect(await done()).toBe(kept);
    await notice.screenshot({ path: join('e2e', 'screenshots', 'run-interrupted.png') });
    await page.getByTestId('run-resume').click();
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 180_000 });
    await expect(page.getByTestId('run-interrupted')).toHaveCount(0);
  } finally {
    await server.stop();
  }
});
