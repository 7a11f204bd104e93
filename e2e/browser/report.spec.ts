import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { newRunForm, sha256, shot, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

test('an auditor previews the report of a finished run, exports the PDF with progress, and downloads it with the hash the list shows', async ({ page }) => {
  test.setTimeout(180_000);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(server.url);
    await newRunForm(page, 'fmnist-cnn-robust', 100, 100);
    await page.getByTestId('run-attack-deepfool').check();
    await page.getByTestId('run-norm-select').selectOption('linf');
    await page.getByTestId('run-epsilons').fill('8/255');
    await page.getByTestId('run-iterations').fill('20');
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 90_000 });

    await page.getByTestId('nav-reports').click();
    await expect(page.getByTestId('report-run')).toContainText('fmnist-cnn-robust');
    await page.getByTestId('report-title').fill('Robustness audit, FMNIST CNN');
    await page.getByTestId('report-client').fill('Client Co');
    await page.getByTestId('report-auditor').fill('Ann Auditor');
    await page.getByTestId('report-notes').fill('Signed off for **internal** use.');
    await page.getByTestId('report-preview').click();
    const frame = page.frameLocator('[data-testid="report-preview-frame"]');
    await expect(frame.locator('.verdict-sentence').first()).toContainText('Verdict:');
    await expect(frame.locator('h1')).toHaveText('Robustness audit, FMNIST CNN');
    await shot(page, 'report-preview');

    await page.getByTestId('report-export').click();
    await expect(page.getByTestId('report-progress')).toBeVisible();
    await expect(page.getByTestId('report-row')).toHaveCount(1, { timeout: 60_000 });
    const listed = (await page.getByTestId('report-sha').textContent())!.trim();
    expect(listed).toMatch(/^[0-9a-f]{64}$/);
    await shot(page, 'report-list');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Save PDF' }).click();
    const file = join(test.info().outputDir, 'report.pdf');
    await (await download).saveAs(file);
    expect(sha256(file)).toBe(listed);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Tagged:\s+yes/);
    expect(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })).toContain('Client Co');
  } finally {
    await server.stop();
  }
});
