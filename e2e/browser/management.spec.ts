import { expect, test, type Download, type Locator, type Page } from '@playwright/test';
import { join } from 'node:path';
import { shot, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

/** A screenshot of one part of the page, where a full-page one would be too small to judge. */
async function shotOf(part: Locator, name: string): Promise<void> {
  await part.screenshot({ path: join('e2e', 'screenshots', `${name}.png`) });
}

async function bytesOf(download: Download): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Clicks a button that saves a file and returns what the browser downloaded. */
async function saved(page: Page, testid: string): Promise<{ name: string; bytes: Buffer }> {
  const download = page.waitForEvent('download');
  await page.getByTestId(testid).click();
  const file = await download;
  return { name: file.suggestedFilename(), bytes: await bytesOf(file) };
}

/** The run form on the sample project: a model, the first `count` samples in one batch, on the CPU. */
async function configureRun(page: Page, model: string, count: number, attack: { iterations: number } | null): Promise<void> {
  await page.getByTestId('nav-runs').click();
  await page.getByTestId('new-run-button').click();
  await page.getByTestId('run-model-select').selectOption({ label: model });
  await page.getByTestId('run-subset-mode').selectOption('first');
  await page.getByTestId('run-subset-count').fill(String(count));
  await page.getByTestId('run-batch-size').fill(String(count));
  await page.getByTestId('run-device-select').selectOption('cpu');
  if (attack) {
    await page.getByTestId('run-attack-fab').check();
    await page.getByTestId('run-norm-select').selectOption('linf');
    await page.getByTestId('run-epsilons').fill('8/255');
    await page.getByTestId('run-iterations').fill(String(attack.iterations));
  }
  await expect(page.getByTestId('run-problems')).toBeEmpty();
}

test('name, annotate and export a run from the browser, find it in the filtered runs list, and keep the page across back, forward and reload', async ({ page }) => {
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.goto(server.url);
    await configureRun(page, 'fmnist-cnn-standard', 200, null);
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 60_000 });

    await configureRun(page, 'fmnist-cnn-robust', 16, { iterations: 10 });
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 60_000 });
    const runUrl = page.url();
    expect(runUrl).toMatch(/\?token=[0-9a-f]+#\/runs\/r-[0-9a-f]+$/);
    const runId = runUrl.split('/').pop()!;

    // The page lives in the address: reload, back and forward keep it.
    await page.reload();
    await expect(page.getByTestId('run-status')).toHaveText('done');
    await page.goBack();
    await expect(page.getByTestId('run-start')).toBeVisible();
    expect(page.url()).toMatch(/#\/runs\/new$/);
    await page.goForward();
    await expect(page.getByTestId('run-status')).toHaveText('done');
    expect(page.url()).toBe(runUrl);

    // Name and notes, on the run page and in the list.
    await page.getByTestId('run-name').click();
    await page.getByTestId('run-name-input').fill('Baseline FAB');
    await page.getByTestId('run-name-input').press('Enter');
    await expect(page.getByTestId('run-name')).toHaveText('Baseline FAB');
    await page.getByTestId('run-notes-edit').click();
    await page.getByTestId('run-notes-input').fill('Robust CNN before retraining; ten FAB steps only.');
    await page.getByTestId('run-notes-save').click();
    await expect(page.getByTestId('run-notes-text')).toHaveText('Robust CNN before retraining; ten FAB steps only.');
    await page.screenshot({ path: join('e2e', 'screenshots', 'management-run-named.png') });

    // Exports: the CLI's columns, the run's name in the JSON, one float32 image per sample in the .npy.
    const csv = await saved(page, 'run-export-csv');
    expect(csv.name).toBe(`baseline-fab-${runId}-results.csv`);
    const lines = csv.bytes.toString().trim().split('\n');
    expect(lines[0]).toMatch(/^index,label,pred,correct,logit_margin,feature_margin_linf,feature_margin_l2,input_margin,margin_found,best_attack,/);
    expect(lines).toHaveLength(17);
    const json = JSON.parse((await saved(page, 'run-export-json')).bytes.toString());
    expect(json.run).toMatchObject({ id: runId, name: 'Baseline FAB', notes: 'Robust CNN before retraining; ten FAB steps only.' });
    expect(json.samples).toHaveLength(16);
    const npy = await saved(page, 'run-export-npy');
    expect(npy.name).toBe(`baseline-fab-${runId}-adversarial.npy`);
    expect(npy.bytes.subarray(1, 6).toString()).toBe('NUMPY');
    expect(npy.bytes.toString('latin1', 10, 128)).toContain("'shape': (16, 1, 28, 28)");
    expect(npy.bytes.length % 64).toBe(0);

    // A sample's adversarial example as a PNG, from the explorer.
    await page.getByTestId('sample-row').first().click();
    await expect(page.getByTestId('explorer-adversarial')).toBeVisible();
    const png = await saved(page, 'explorer-save-adversarial');
    expect(png.name).toBe(`${runId}-sample-0-adversarial.png`);
    expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await shotOf(page.getByTestId('sample-explorer'), 'management-explorer');
    await page.getByTestId('explorer-close').click();
    // Every column of an attack run's samples fits a 1280 px window, without a horizontal scroll.
    const overflow = await page.getByTestId('sample-table').evaluate((table) => table.scrollWidth - table.parentElement!.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shotOf(page.getByTestId('sample-table'), 'management-sample-table-1280');

    // The runs list: name and notes, the threat model, accuracy and robust accuracy; filters narrow it.
    await page.getByTestId('nav-runs').click();
    const rows = page.getByTestId('run-row');
    await expect(rows).toHaveCount(2);
    const named = rows.filter({ hasText: 'Baseline FAB' });
    await expect(named.getByTestId('run-row-notes')).toContainText('before retraining');
    await expect(named.getByTestId('run-row-attacks')).toHaveText('FAB');
    await expect(named.getByTestId('run-row-epsilons')).toHaveText('8/255');
    await expect(named.getByTestId('run-row-accuracy')).toHaveText(/^\d+(\.\d)?%$/);
    await expect(named.getByTestId('run-row-robust')).toContainText('%');
    await expect(rows.filter({ hasText: 'fmnist-cnn-standard' }).getByTestId('run-row-attacks')).toHaveText('forward margins');
    await shot(page, 'management-runs-list');

    await page.getByTestId('run-filter-text').fill('retraining');
    await expect(rows).toHaveCount(1);
    await expect(page.getByTestId('run-filter-count')).toHaveText('1 of 2 runs');
    await page.getByTestId('run-filter-text').fill('');
    await page.getByTestId('run-filter-model').selectOption({ label: 'fmnist-cnn-standard' });
    await expect(rows).toHaveCount(1);
    await expect(rows.first().getByTestId('run-row-title')).toHaveText('fmnist-cnn-standard');
    await page.getByTestId('run-filter-status').selectOption('failed');
    await expect(page.getByTestId('run-filter-none')).toBeVisible();
    await shot(page, 'management-runs-filtered');
    await page.getByTestId('run-filter-clear').click();
    await expect(rows).toHaveCount(2);
  } finally {
    await server.stop();
  }
});

test('removing a model lists the runs it takes, the open run page says its run was removed, and a run of one batch moves its bar', async ({ page, context }) => {
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.goto(server.url);
    // One batch of 256 samples under 100 FAB steps (about half a minute): long enough to watch, and to try removing its model meanwhile.
    await configureRun(page, 'fmnist-cnn-robust', 256, { iterations: 100 });
    await startRun(page);
    const progress = page.getByTestId('run-progress');
    await expect(page.getByTestId('run-status')).toHaveText('running', { timeout: 30_000 });
    await expect
      .poll(async () => Number(await page.getByTestId('run-progress-fill').getAttribute('data-fraction')), { timeout: 60_000 })
      .toBeGreaterThan(0);
    await expect(progress).toHaveAttribute('data-done', '0');
    await shot(page, 'management-one-batch-moving');

    // A second window on the model: it lists the run, and refuses while the run is in progress.
    const other = await context.newPage();
    await other.goto(server.url.replace(/#.*$/, ''));
    await other.getByTestId('nav-models').click();
    await other.getByTestId('model-row').filter({ hasText: 'fmnist-cnn-robust' }).click();
    await other.getByTestId('model-remove').click();
    await expect(other.getByTestId('model-remove-run')).toHaveCount(1);
    await expect(other.getByTestId('model-remove-impact')).toContainText('Remove this model and 1 run made with it?');
    await shot(other, 'management-remove-model-asks');
    await other.getByTestId('model-remove-confirm').click();
    await expect(other.getByTestId('toast-error')).toHaveText('a run of this model is in progress; pause or cancel it first');
    // Toasts of earlier actions go when the user moves on.
    await other.waitForTimeout(1600);
    await other.getByTestId('nav-datasets').click();
    await expect(other.getByTestId('toast-error')).toHaveCount(0);

    await page.getByTestId('run-cancel').click();
    await page.getByTestId('run-cancel-confirm').click();
    await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 });

    await other.goBack();
    await expect(other.getByTestId('model-detail')).toBeVisible();
    await other.getByTestId('model-remove').click();
    await expect(other.getByTestId('model-remove-run')).toHaveCount(1);
    await other.getByTestId('model-remove-confirm').click();
    await expect(other.getByTestId('model-row')).toHaveCount(1);
    // Back to the removed model's address: the page says so instead of loading forever.
    await other.goBack();
    await expect(other.getByTestId('removed-notice')).toContainText('This model was removed');
    await expect(other.getByTestId('toast-error')).toHaveCount(0);

    // The first window was showing the run: it says the run is gone instead of loading forever.
    await expect(page.getByTestId('removed-notice')).toContainText('This run was removed');
    await shot(page, 'management-run-removed');
    await page.getByTestId('removed-back').click();
    await expect(page.getByTestId('new-run-button')).toBeVisible();
    await expect(page.getByTestId('run-row')).toHaveCount(0);

    // The browser host cannot browse files: no "Open…" on the start screen.
    await page.getByTestId('close-project').click();
    await expect(page.getByTestId('start-screen')).toBeVisible();
    await expect(page.getByTestId('open-dialog-button')).toHaveCount(0);
    await shot(page, 'management-start-browser');
  } finally {
    await server.stop();
  }
});
