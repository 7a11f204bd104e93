import { expect, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const samples = join(process.cwd(), 'resources', 'samples');
export const standardModel = join(samples, 'fmnist-cnn-standard.onnx');
export const robustModel = join(samples, 'fmnist-cnn-robust.onnx');
export const idxImages = join(samples, 'fmnist-test-1000-images-idx3-ubyte.gz');
export const idxLabels = join(samples, 'fmnist-test-1000-labels-idx1-ubyte.gz');

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join('e2e', 'screenshots', `${name}.png`), fullPage: true });
}

/** Fires the same drag events a user's drop fires, with real File objects built in the page. */
export async function dropFile(page: Page, path: string, mime = 'application/octet-stream'): Promise<void> {
  const bytes = [...readFileSync(path)];
  const name = path.split('/').pop()!;
  const transfer = await page.evaluateHandle(
    ({ bytes, name, mime }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
      return dt;
    },
    { bytes, name, mime },
  );
  for (const type of ['dragenter', 'dragover', 'drop']) {
    await page.dispatchEvent('body', type, { dataTransfer: transfer });
  }
}

export async function expectModelDetail(page: Page, path: string): Promise<void> {
  const detail = page.getByTestId('model-detail');
  await expect(detail).toBeVisible();
  await expect(page.getByTestId('model-sha256')).toContainText(sha256(path));
  await expect(page.getByTestId('model-inputs')).toContainText('input');
  await expect(page.getByTestId('model-inputs')).toContainText('28');
  await expect(page.getByTestId('model-outputs')).toContainText('10');
  await expect(page.getByTestId('model-ops')).toContainText('Conv');
  await expect(page.getByTestId('model-ops')).toContainText('Gemm');
  await expect(page.getByTestId('model-differentiable')).toContainText('Differentiable');
  await expect(page.getByTestId('model-head')).toContainText('64 features → 10 classes');
}

export async function expectSampleDataset(page: Page): Promise<void> {
  await expect(page.getByTestId('dataset-detail')).toBeVisible();
  await expect(page.getByTestId('dataset-count')).toContainText('1,000');
  await expect(page.getByTestId('dataset-shape')).toContainText('28');
  await expect(page.getByTestId('dataset-class-counts')).toContainText('100');
  await expect(page.getByTestId('thumbnail').first()).toBeVisible();
}

/**
 * Starts the run configured in the form once the form has settled: the configuration checked and,
 * with attacks, the memory plan shown, since its arrival moves the Start button and a click in
 * that moment can land beside it. Resolves when the run's page is open.
 */
export async function startRun(page: Page): Promise<void> {
  const start = page.getByTestId('run-start');
  await expect(start).toBeEnabled();
  if ((await page.locator('[data-testid^="run-attack-"]:checked').count()) > 0) await expect(page.getByTestId('run-memory-plan')).toBeVisible({ timeout: 30_000 });
  await start.click();
  await expect(page).toHaveURL(/#\/runs\/r-[0-9a-f]+$/, { timeout: 30_000 });
}

/** Opens the run form on the first `count` samples of the sample dataset for `model`, on the CPU in batches of `batch`. */
export async function newRunForm(page: Page, model: string, count: number, batch: number): Promise<void> {
  await page.getByTestId('nav-runs').click();
  await page.getByTestId('new-run-button').click();
  await page.getByTestId('run-model-select').selectOption({ label: model });
  await page.getByTestId('run-subset-mode').selectOption('first');
  await page.getByTestId('run-subset-count').fill(String(count));
  await page.getByTestId('run-batch-size').fill(String(batch));
  await page.getByTestId('run-device-select').selectOption('cpu');
}
