import { expect, test, type Locator, type Page } from '@playwright/test';
import { join } from 'node:path';
import { dropFile, startRun as startConfiguredRun } from '../journey';
import { freshDirs, serve } from '../serve';

/** The Round trap of issue 10: the sample CNN behind x -> round(255 x) / 255, whose gradient is zero almost everywhere. */
const roundModel = join(process.cwd(), 'src-main', 'engine', 'onnx', 'fixtures', 'traps', 'round.onnx');

async function startRun(page: Page, model: string, attacks: string[], count: number): Promise<void> {
  await page.getByTestId('nav-runs').click();
  await page.getByTestId('new-run-button').click();
  await page.getByTestId('run-model-select').selectOption({ label: model });
  await page.getByTestId('run-subset-mode').selectOption('first');
  await page.getByTestId('run-subset-count').fill(String(count));
  await page.getByTestId('run-batch-size').fill('100');
  await page.getByTestId('run-device-select').selectOption('cpu');
  // The form keeps the previous run's choices: set every attack box.
  for (const name of ['fab', 'deepfool', 'fmn', 'apgd-ce', 'apgd-t']) await page.getByTestId(`run-attack-${name}`).setChecked(attacks.includes(name));
  await page.getByTestId('run-norm-select').selectOption('linf');
  await page.getByTestId('run-epsilons').fill('8/255');
  await page.getByTestId('run-iterations').fill('20');
  await expect(page.getByTestId('run-problems')).toBeEmpty();
  await startConfiguredRun(page);
  await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 120_000 });
}

/** One part of the page as an auditor sees it, in a window tall enough for it. */
async function partShot(part: Locator, name: string): Promise<void> {
  const page = part.page();
  const viewport = page.viewportSize()!;
  const height = Math.ceil((await part.boundingBox())!.height) + 120;
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  try {
    await part.scrollIntoViewIfNeeded();
    await part.screenshot({ path: join('e2e', 'screenshots', `${name}.png`) });
  } finally {
    await page.setViewportSize(viewport);
  }
}

const check = (page: Page, id: string) => page.locator(`[data-testid="reliability-check"][data-check="${id}"]`);

test('a run of a model with a Round op shows a reliability banner and its review lines; a clean run of the robust CNN passes', async ({ page }) => {
  test.setTimeout(180_000);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.goto(server.url);
    await page.getByTestId('nav-models').click();
    await dropFile(page, roundModel);
    await expect(page.getByTestId('model-detail')).toBeVisible();

    await startRun(page, 'round', ['fab'], 50);
    const banner = page.getByTestId('reliability-banner');
    await expect(banner).toBeVisible();
    await expect(banner).toContainText('Zero-gradient ops');
    await expect(banner).toContainText('Censored share');
    await expect(check(page, 'zero-gradient-ops')).toHaveAttribute('data-status', 'review');
    await expect(check(page, 'zero-gradient-ops')).toContainText('Round (1 node)');
    await expect(check(page, 'zero-gradient-samples')).toHaveAttribute('data-status', 'review');
    await expect(check(page, 'zero-gradient-samples')).toContainText('50 of 50 (100.0%)');
    await expect(check(page, 'censored-share')).toHaveAttribute('data-status', 'review');
    await expect(check(page, 'nondeterministic-forward')).toHaveAttribute('data-status', 'pass');
    await expect(check(page, 'attacks-disagree')).toHaveAttribute('data-status', 'not-checked');
    await page.getByTestId('run-page').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join('e2e', 'screenshots', 'reliability-banner.png') });
    await partShot(page.getByTestId('run-page'), 'reliability-run-page');
    await page.getByTestId('reliability-show').click();
    await expect(page.getByTestId('reliability-checks')).toBeInViewport();
    await partShot(page.getByTestId('reliability-section'), 'reliability-review');

    // The robust CNN with three attacks: every line passes, no banner.
    await startRun(page, 'fmnist-cnn-robust', ['deepfool', 'fmn', 'apgd-ce'], 200);
    await expect(page.getByTestId('reliability-check')).toHaveCount(7);
    await expect(page.locator('[data-testid="reliability-check"][data-status="pass"]')).toHaveCount(7);
    await expect(page.getByTestId('reliability-banner')).toHaveCount(0);
    await partShot(page.getByTestId('reliability-section'), 'reliability-pass');

    // Signed margins beside the unsigned ones (once the analysis covers every sample): a misclassified sample's is negative.
    await expect(page.getByTestId('input-margin-found')).toHaveText('200');
    await expect(page.getByTestId('signed-margin-min')).toHaveText(/^−/);
    await partShot(page.getByTestId('input-margin-summary'), 'signed-margins');
    await page.getByTestId('sample-filter').selectOption('wrong');
    await expect(page.getByTestId('sample-signed-margin').first()).toHaveText(/^−/);
    await page.getByTestId('sample-sort-signedInputMargin').click();
    await partShot(page.getByTestId('sample-table'), 'sample-table-signed');

    // The correct-only view: every statistic over the correct samples, the misclassified left out and counted.
    const accuracy = page.getByTestId('kpi-accuracy');
    const all = await accuracy.textContent();
    expect(all).not.toBe('100.0%');
    await page.getByTestId('analysis-correct-only').check();
    await expect(page.getByTestId('analysis-population')).toContainText('misclassified left out');
    await expect(page.getByTestId('input-margin-correct-only')).toBeVisible();
    await expect(page.getByTestId('signed-margin-negative')).toHaveText('0');
    // Accuracy stays that of every sample; the rest is over the correct ones.
    await expect(accuracy).toHaveText(all ?? '');
    await expect(page.getByTestId('kpi-strip')).toContainText('Robust, of the correct');
    await page.getByTestId('kpi-strip').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join('e2e', 'screenshots', 'analysis-correct-only.png') });
    await partShot(page.getByTestId('input-margin-summary'), 'input-margins-correct-only');
    // The attack table follows the view: each attack's count is over the correct samples.
    await expect(page.getByTestId('attack-stats-row').filter({ hasText: 'DeepFool' })).toContainText('170');
    await partShot(page.getByTestId('attack-stats'), 'attack-stats-correct-only');
    await page.getByTestId('analysis-correct-only').uncheck();
    await expect(page.getByTestId('input-margin-correct-only')).toHaveCount(0);
  } finally {
    await server.stop();
  }
});
