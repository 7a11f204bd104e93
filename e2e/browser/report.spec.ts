import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { newRunForm, sha256, shot, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

test('an auditor previews the report of a finished run, exports the PDF with progress, downloads it and opens it in a tab, with the hash the list shows', async ({ page }) => {
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
    // No Electron binary beside the tests: the system's Chromium printed it, and the list says so.
    await expect(page.getByTestId('report-printer')).toHaveText(/^Chromium \d+\./);
    expect(listed).toMatch(/^[0-9a-f]{64}$/);
    await page.getByTestId('toast-success').getByRole('button', { name: 'Dismiss' }).click();
    await page.getByTestId('report-list').scrollIntoViewIfNeeded();
    await shot(page, 'report-list');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Save PDF' }).click();
    const file = join(test.info().outputDir, 'report.pdf');
    await (await download).saveAs(file);
    expect(sha256(file)).toBe(listed);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Tagged:\s+yes/);
    expect(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })).toContain('Client Co');

    // Open: the kept file itself, shown inline in a new tab.
    const viewed = page.context().waitForEvent('response', (response) => new URL(response.url()).pathname.startsWith('/view/'));
    const popup = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const tab = await popup;
    const response = await viewed;
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('application/pdf');
    const fileName = (await page.getByTestId('report-row').locator('.muted').textContent())!.trim();
    expect(response.headers()['content-disposition']).toContain(`inline; filename="${fileName}"`);
    expect(new URL(response.url()).pathname).toMatch(new RegExp(`^/view/[\\w-]+/${fileName}$`));
    // Chromium's PDF viewer takes the body over (the response then holds the viewer's page), so the
    // bytes are checked by fetching the address again, as the viewer does to save: the ticket allows it.
    const again = await page.context().request.get(response.url());
    expect(again.headers()['content-type']).toBe('application/pdf');
    expect(createHash('sha256').update(await again.body()).digest('hex')).toBe(listed);
    await tab.close();
  } finally {
    await server.stop();
  }
});
