import { expect, test, type Download } from '@playwright/test';
import { newRunForm, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

async function bytesOf(download: Download): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * A metadata_props value of the file: each entry is StringStringEntryProto { key = 1; value = 2 },
 * so the value follows its key as field 2 (tag 0x12, a one-byte length for these short values).
 */
function metadataValue(bytes: Uint8Array, key: string): string {
  const text = Buffer.from(bytes).toString('latin1');
  const at = text.indexOf(`${key}\x12`);
  expect(at, key).toBeGreaterThan(0);
  const start = at + key.length + 2;
  return text.slice(start, start + bytes[start - 1]);
}

test('the model page exports a screener calibrated on an analysed run, and says its TPR and FPR first', async ({ page }) => {
  test.setTimeout(120_000);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(server.url);
    await newRunForm(page, 'fmnist-cnn-standard', 100, 100);
    await page.getByTestId('run-attack-deepfool').check();
    await page.getByTestId('run-norm-select').selectOption('l2');
    await page.getByTestId('run-epsilons').fill('0.5');
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 90_000 });
    const runId = /#\/runs\/(r-[0-9a-f]+)$/.exec(page.url())![1];

    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-row').filter({ hasText: 'fmnist-cnn-standard' }).click();
    await page.getByTestId('screener-export-open').click();
    const dialog = page.getByTestId('screener-dialog');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('screener-epsilon')).toHaveValue('0.5');
    await expect(page.getByTestId('screener-tpr')).toHaveValue('95');
    const calibration = page.getByTestId('screener-calibration');
    await expect(calibration).toContainText('on the run\'s 100 samples at l2 ε 0.5, TPR');
    const shown = /at most ([-\d.e]+):.*TPR ([\d.]+)%.*FPR ([\d.]+)%/s.exec((await calibration.textContent()) ?? '')!;
    expect(Number(shown[2])).toBeGreaterThanOrEqual(95);
    await dialog.screenshot({ path: test.info().outputPath('screener-dialog.png') });

    // Another target TPR: the service calibrates again before anything is exported.
    await page.getByTestId('screener-tpr').fill('80');
    await expect(calibration).toContainText('(target 80.0%)');
    const at80 = /TPR ([\d.]+)%/.exec((await calibration.textContent()) ?? '')!;
    expect(Number(at80[1])).toBeGreaterThanOrEqual(80);
    await page.getByTestId('screener-tpr').fill('95');
    await expect(calibration).toContainText(`TPR ${shown[2]}%`);

    const download = page.waitForEvent('download');
    await page.getByTestId('screener-export').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('fmnist-cnn-standard-screener.onnx');
    await expect(dialog).toBeHidden();
    const bytes = await bytesOf(file);
    const props = Object.fromEntries(['brink.kind', 'brink.calibration_run', 'brink.norm', 'brink.epsilon', 'brink.tpr_target', 'brink.threshold', 'brink.tpr', 'brink.fpr'].map((k) => [k, metadataValue(bytes, k)]));
    expect(props).toMatchObject({ 'brink.kind': 'screener', 'brink.calibration_run': runId, 'brink.norm': 'l2', 'brink.epsilon': '0.5', 'brink.tpr_target': '0.95' });
    expect(Number(props['brink.threshold']).toPrecision(6)).toBe(Number(shown[1]).toPrecision(6));
    expect((Number(props['brink.tpr']) * 100).toFixed(1)).toBe(shown[2]);
    expect((Number(props['brink.fpr']) * 100).toFixed(1)).toBe(shown[3]);
  } finally {
    await server.stop();
  }
});
