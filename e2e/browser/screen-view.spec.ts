import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { idxImages, shot } from '../journey';
import { freshDirs, serve } from '../serve';

/** The first `count` sample images as PNG files in a flat folder: new inputs without labels. */
async function imageFolder(count: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'brink-screen-e2e-'));
  const pixels = gunzipSync(readFileSync(idxImages)).subarray(16);
  for (let k = 0; k < count; k++) {
    const image = Buffer.from(pixels.subarray(k * 784, (k + 1) * 784));
    await sharp(image, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(join(dir, `new-${String(k).padStart(2, '0')}.png`));
  }
  return dir;
}

test('screens a folder of new images in the Screen view, shows thumbnails and flags, filters the brittle ones and exports them as CSV', async ({ page }) => {
  test.setTimeout(120_000);
  const folder = await imageFolder(24);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.goto(server.url);
    await page.getByTestId('nav-screen').click();
    await page.getByTestId('screen-model').selectOption({ label: 'fmnist-cnn-robust' });
    // The sample project has no attack run to calibrate on yet: the view says so and takes a typed threshold.
    await expect(page.getByTestId('screen-threshold-problem')).toContainText('No finished attack run of this model');
    await page.getByTestId('screen-mode-typed').check();
    await page.getByTestId('screen-threshold').fill('2');
    await page.getByTestId('screen-folder-input').setInputFiles(folder);

    const rows = page.getByTestId('screen-row');
    await expect(rows).toHaveCount(24, { timeout: 60_000 });
    const summary = page.getByTestId('screen-summary');
    await expect(summary).toContainText('flagged brittle');
    await expect(summary).toContainText('logit margin ≤ 2');
    const flagged = Number(/^(\d+) of 24/.exec(((await summary.textContent()) ?? '').trim())![1]);
    expect(flagged).toBeGreaterThan(0);
    await expect(page.getByTestId('screen-flag')).toHaveCount(flagged);
    await expect(rows.first().locator('img')).toHaveAttribute('src', /^data:image\/png;base64,/);
    await expect(rows.first()).toContainText('new-00.png');

    // Sorted by score, the first row has the smallest margin and is brittle.
    await page.getByTestId('screen-sort-score').click();
    await expect(rows.first().getByTestId('screen-flag')).toBeVisible();
    await shot(page, 'screen-view');
    await page.getByTestId('screen-brittle-only').check();
    await expect(rows).toHaveCount(flagged);

    const download = page.waitForEvent('download');
    await page.getByTestId('screen-csv').click();
    const csv = readFileSync(await (await download).path(), 'utf8').trim().split(/\r?\n/);
    expect(csv[0].split(',').slice(0, 6)).toEqual(['index', 'file', 'pred', 'score', 'brittle', 'logit_0']);
    expect(csv).toHaveLength(25);
    expect(csv.filter((line) => line.split(',')[4] === '1')).toHaveLength(flagged);

    // Verifying the flagged inputs imports them as an unlabeled dataset and opens the attack run on them.
    await page.getByTestId('screen-verify-flagged').click();
    await expect(page).toHaveURL(/#\/runs\/r-/);
    await expect(page.getByTestId('run-status')).toHaveText(/queued|running|done/);
  } finally {
    await server.stop();
  }
});
