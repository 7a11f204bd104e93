import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** The sample project's Screen view, at the screenshots' size, scoring with the robust CNN. */
async function openScreenView(page: Page, url: string): Promise<void> {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(url);
  await page.getByTestId('nav-screen').click();
  await page.getByTestId('screen-model').selectOption({ label: 'fmnist-cnn-robust' });
}

async function typeThreshold(page: Page, value: string): Promise<void> {
  await page.getByTestId('screen-mode-typed').check();
  await page.getByTestId('screen-threshold').fill(value);
}

test('screens a folder of new images in the Screen view, shows thumbnails and flags, filters the brittle ones and exports them as CSV', async ({ page }) => {
  test.setTimeout(120_000);
  const folder = await imageFolder(24);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await openScreenView(page, server.url);
    // The sample project has no attack run to calibrate on yet: the view says so and takes a typed threshold.
    await expect(page.getByTestId('screen-threshold-problem')).toContainText('No finished attack run of this model');
    await typeThreshold(page, '2');
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

/** The sample images repeated to `count` inputs in one uint8 .npy [count, 1, 28, 28]: a screening that takes seconds. */
function crowdNpy(count: number): string {
  const pixels = gunzipSync(readFileSync(idxImages)).subarray(16);
  const body = Buffer.alloc(count * 784);
  for (let k = 0; k < count; k++) pixels.copy(body, k * 784, (k % 1000) * 784, ((k % 1000) + 1) * 784);
  // NumPy's format 1.0: magic, version, header length, then the header padded to 64 bytes.
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${count}, 1, 28, 28), }`;
  const header = `${dict.padEnd(Math.ceil((dict.length + 11) / 64) * 64 - 11)}\n`;
  const prefix = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  const path = join(mkdtempSync(join(tmpdir(), 'brink-screen-e2e-')), 'crowd.npy');
  writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]));
  return path;
}

test('cancels a screening in flight: the view says so without an error, keeps nothing, and screens again', async ({ page }) => {
  test.setTimeout(180_000);
  const crowd = crowdNpy(150_000);
  const folder = await imageFolder(6);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await openScreenView(page, server.url);
    await typeThreshold(page, '2');
    await page.getByTestId('screen-files-input').setInputFiles(crowd);

    const progress = page.getByTestId('screen-progress');
    await expect(progress).toContainText('screening on cpu', { timeout: 60_000 });
    await shot(page, 'screen-in-flight');
    await page.getByTestId('screen-cancel').click();
    const cancelled = page.getByTestId('screen-cancelled');
    await expect(cancelled).toBeVisible({ timeout: 15_000 });
    await expect(progress).toBeHidden();
    const [done, total] = /after ([\d,]+) of ([\d,]+) inputs/
      .exec((await cancelled.textContent()) ?? '')!
      .slice(1)
      .map((n) => Number(n.replace(/,/g, '')));
    expect(total).toBe(150_000);
    expect(done).toBeLessThan(total);
    await expect(cancelled).toContainText('nothing was kept.');
    // A choice, not a failure: no error line, no toast, no flags.
    await expect(page.getByTestId('screen-failure')).toHaveCount(0);
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(page.getByTestId('screen-row')).toHaveCount(0);
    await shot(page, 'screen-cancelled');

    await page.getByTestId('screen-folder-input').setInputFiles(folder);
    await expect(page.getByTestId('screen-row')).toHaveCount(6, { timeout: 60_000 });
    await expect(cancelled).toBeHidden();
  } finally {
    await server.stop();
  }
});

/** The photo fixtures (six sizes, one grey) as grey PNGs in a flat folder: new inputs for the grey sample model, none 28×28. */
async function greyPhotos(): Promise<string> {
  const photos = join(process.cwd(), 'src-main', 'engine', 'data', 'goldens', 'image-fit', 'photos');
  const dir = mkdtempSync(join(tmpdir(), 'brink-screen-photos-'));
  for (const kind of readdirSync(photos)) {
    for (const file of readdirSync(join(photos, kind))) await sharp(join(photos, kind, file)).toColourspace('b-w').png().toFile(join(dir, file.replace(/\.\w+$/, '.png')));
  }
  return dir;
}

test("asks how photos of other sizes become the model's input size, proposes the center crop to it, and screens them fitted", async ({ page }) => {
  test.setTimeout(120_000);
  const folder = await greyPhotos();
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await openScreenView(page, server.url);
    await typeThreshold(page, '2');
    await page.getByTestId('screen-folder-input').setInputFiles(folder);

    const dialog = page.getByTestId('screen-fit-dialog');
    await expect(dialog).toBeVisible({ timeout: 30_000 });
    await expect(dialog.getByRole('heading')).toHaveText("Screen images of another size than the model's 28×28");
    await expect(page.getByTestId('fit-survey')).toHaveText(/^\s*6 images\.\s+5 differ in size from the most common one \(450×300, 1 image\)/);
    await expect(page.getByTestId('fit-mode-crop')).toBeChecked();
    await expect(page.getByTestId('fit-height')).toHaveValue('28');
    await expect(page.getByTestId('fit-height')).toBeDisabled();
    await expect(page.getByTestId('fit-width')).toHaveValue('28');
    await expect(page.getByTestId('fit-resize')).toHaveValue('32');
    // Strict would keep the photos as they are, which the model cannot take.
    await page.getByTestId('fit-mode-strict').check();
    await expect(page.getByTestId('fit-outcome')).toHaveText('The model takes 28×28 (H×W) images and these are 300×450 (H×W): choose center crop, stretch or pad');
    await expect(page.getByTestId('fit-import')).toBeDisabled();
    await page.getByTestId('fit-mode-pad').check();
    await expect(page.getByTestId('fit-outcome')).toHaveText('Every image becomes 28×28 (H×W); none is skipped for its size.');
    await shot(page, 'screen-fit-dialog');

    await page.getByTestId('fit-import').click();
    await expect(dialog).toBeHidden();
    const rows = page.getByTestId('screen-row');
    await expect(rows).toHaveCount(6, { timeout: 60_000 });
    await expect(rows.first()).toContainText('a-wide.png');
    await expect(page.getByTestId('screen-summary')).toContainText('of 6 flagged brittle');
    await expect(page.getByTestId('screen-skipped')).toHaveCount(0);
    await expect(page.getByTestId('screen-fit')).toHaveText("Images brought to the model's input size by pad: long side resized to fit 28×28, zero border.");
    await expect(rows.first().locator('img')).toHaveAttribute('src', /^data:image\/png;base64,/);
    await shot(page, 'screen-fitted-photos');
  } finally {
    await server.stop();
  }
});
