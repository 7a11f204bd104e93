import { expect, test, type Locator, type Page } from '@playwright/test';
import { startRun } from '../journey';
import { join } from 'node:path';
import { freshDirs, serve } from '../serve';

/** One panel as an auditor sees it, scrolled into view; the sticky ε bar is laid flat so that it cannot cover a tall panel. */
async function panelShot(panel: Locator, name: string): Promise<void> {
  const page = panel.page();
  await page.addStyleTag({ content: '[data-testid="epsilon-bar"] { position: static !important; }' });
  // The page scrolls inside the shell, not the document: a panel taller than the window is shot in a window tall enough for it.
  const viewport = page.viewportSize()!;
  const height = Math.ceil((await panel.boundingBox())!.height) + 120;
  if (height > viewport.height) await page.setViewportSize({ width: viewport.width, height });
  try {
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: join('e2e', 'screenshots', `${name}.png`) });
  } finally {
    await page.setViewportSize(viewport);
  }
}

test('audit the robust CNN with DeepFool, FMN and APGD-CE over all samples and read every dashboard at one epsilon', async ({ page }) => {
  test.setTimeout(240_000);
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(server.url);
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('new-run-button').click();
    await page.getByTestId('run-model-select').selectOption({ label: 'fmnist-cnn-robust' });
    await page.getByTestId('run-subset-mode').selectOption('all');
    await page.getByTestId('run-batch-size').fill('100');
    await page.getByTestId('run-device-select').selectOption('cpu');
    await page.getByTestId('run-attack-deepfool').check();
    await page.getByTestId('run-attack-fmn').check();
    await page.getByTestId('run-attack-apgd-ce').check();
    await page.getByTestId('run-norm-select').selectOption('linf');
    await page.getByTestId('run-epsilons').fill('8/255, 0.1');
    await page.getByTestId('run-iterations').fill('20');
    await expect(page.getByTestId('run-problems')).toBeEmpty();
    const started = Date.now();
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 180_000 });
    console.log(`DeepFool, FMN and APGD-CE over 1,000 samples: ${((Date.now() - started) / 1000).toFixed(0)} s`);

    // The KPI strip at the audit epsilon (the run's first, 8/255).
    const strip = page.getByTestId('kpi-strip');
    await expect(strip).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('kpi-accuracy')).toHaveText('84.8%');
    await expect(page.getByTestId('kpi-context')).toContainText('n = 1,000');
    await expect(page.getByTestId('kpi-context')).toContainText('8/255');
    for (const id of ['kpi-robust-accuracy', 'kpi-tau', 'kpi-auroc', 'kpi-fpr95', 'kpi-median-margin']) {
      await expect(page.getByTestId(id)).toHaveText(/^[0-9.,%−-]+$/);
    }
    await expect(page.getByTestId('kpi-censored')).toHaveText(/^[0-9,]+$/);
    // What an auditor sees while scrolling: the ε selector stays on top of the dashboards.
    await page.getByTestId('robust-accuracy-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join('e2e', 'screenshots', 'analysis-sticky-selector.png') });
    await panelShot(page.getByTestId('analysis-dashboard').locator('section').first(), 'analysis-kpi');

    // One selector drives every dashboard: 1/255 gives other figures than 8/255.
    const robustAt8 = await page.getByTestId('kpi-robust-accuracy').textContent();
    const aurocAt8 = await page.getByTestId('kpi-auroc').textContent();
    await page.getByTestId('epsilon-select').selectOption({ index: 0 });
    await expect(page.getByTestId('kpi-context')).toContainText('1/255');
    await expect(page.getByTestId('kpi-robust-accuracy')).not.toHaveText(robustAt8 ?? '');
    expect(await page.getByTestId('kpi-auroc').textContent()).not.toBe(aurocAt8);
    await page.getByTestId('epsilon-select').selectOption({ label: '0.03137 (8/255) · run' });
    await expect(page.getByTestId('kpi-robust-accuracy')).toHaveText(robustAt8 ?? '');

    // The grid is editable: three epsilons written as an auditor writes them.
    await page.getByTestId('epsilon-grid-edit').click();
    await page.getByTestId('epsilon-grid').fill('1/255, 3/255, 8/255');
    await page.getByTestId('epsilon-grid').press('Enter');
    await expect(page.getByTestId('epsilon-select').locator('option')).toHaveCount(3);
    await expect(page.getByTestId('robust-accuracy-row')).toHaveCount(3);
    await expect(page.getByTestId('kpi-robust-accuracy')).toHaveText(robustAt8 ?? '');
    await page.getByTestId('epsilon-grid-default').click();
    await expect(page.getByTestId('epsilon-select').locator('option')).toHaveCount(6);

    // Robust accuracy: the chart, one table row per epsilon of the grid, the run's two among them.
    await expect(page.getByTestId('robust-accuracy-chart').locator('canvas')).toBeVisible();
    await expect(page.getByTestId('robust-accuracy-row').filter({ hasText: '8/255' })).toHaveCount(1);
    expect(await page.getByTestId('robust-accuracy-row').count()).toBeGreaterThanOrEqual(5);
    await panelShot(page.getByTestId('robust-accuracy-panel'), 'analysis-robust-accuracy');

    // Consistency: tau, the scatter, the binned medians; a click on a point opens the sample.
    const consistency = page.getByTestId('consistency-panel');
    await expect(page.getByTestId('consistency-tau')).toHaveText(/0\.\d{3}/);
    await expect(page.getByTestId('consistency-scatter').locator('canvas')).toBeVisible();
    await expect(page.getByTestId('consistency-left-out')).toContainText('verified margin');
    await panelShot(consistency, 'analysis-consistency');
    await page.getByTestId('consistency-log-x').check();
    await page.getByTestId('consistency-log-y').check();
    await panelShot(consistency, 'analysis-consistency-log');

    // Exports: PNG and SVG of a chart, CSV of a table.
    const svg = page.waitForEvent('download');
    await page.getByTestId('consistency-scatter-svg').click();
    const svgFile = await svg;
    expect(svgFile.suggestedFilename()).toMatch(/\.svg$/);
    const svgText = await readDownload(svgFile);
    expect(svgText).toContain('<svg');
    expect(svgText).toContain('input margin');
    await viewSvg(page, svgText, 'analysis-export-scatter-svg');
    const robustSvg = page.waitForEvent('download');
    await page.getByTestId('robust-accuracy-chart-svg').click();
    const robustSvgText = await readDownload(await robustSvg);
    // The step line itself, in the chart's accent colour, not only its axes and band.
    expect(robustSvgText).toMatch(/<path d="M[^"]{200,}" fill="none" stroke="#2d5bcf"/);
    await viewSvg(page, robustSvgText, 'analysis-export-robust-svg');
    const binnedSvg = page.waitForEvent('download');
    await page.getByTestId('consistency-binned-svg').click();
    await viewSvg(page, await readDownload(await binnedSvg), 'analysis-export-binned-svg');
    const png = page.waitForEvent('download');
    await page.getByTestId('robust-accuracy-chart-png').click();
    expect((await png).suggestedFilename()).toMatch(/\.png$/);
    const csv = page.waitForEvent('download');
    await page.getByTestId('robust-accuracy-csv').click();
    const csvText = await readDownload(await csv);
    expect(csvText.split('\r\n')[0]).toContain('epsilon,epsilon_over_255,norm,samples,censored,robust_accuracy_from_margins');

    await clickFirstPoint(page.getByTestId('consistency-scatter').locator('canvas'));
    await expect(page.getByTestId('sample-explorer')).toBeVisible();
    await expect(page.getByTestId('explorer-original')).toBeVisible();
    await page.getByTestId('explorer-close').click();

    // Detection: the threshold slider moves TPR and FPR.
    const detection = page.getByTestId('detection-panel');
    await expect(detection).toBeVisible();
    const slider = page.getByTestId('threshold-slider').locator('input[type="range"]');
    const tpr = await page.getByTestId('threshold-tpr').textContent();
    const fpr = await page.getByTestId('threshold-fpr').textContent();
    await slider.focus();
    for (let i = 0; i < 40; i++) await slider.press('ArrowLeft');
    await expect(async () => {
      const moved = [await page.getByTestId('threshold-tpr').textContent(), await page.getByTestId('threshold-fpr').textContent()];
      expect(moved).not.toEqual([tpr, fpr]);
    }).toPass({ timeout: 10_000 });
    await panelShot(detection, 'analysis-detection');
    // The charts show at most 500 thresholds; the CSV has every one, and the last flags every sample.
    const thresholds = page.waitForEvent('download');
    await page.getByTestId('detection-thresholds-csv').click();
    const lines = (await readDownload(await thresholds)).trim().split('\r\n');
    expect(lines[0]).toBe('logit_margin_at_most,tp,fp,tn,fn,tpr,fpr,precision');
    expect(lines.length - 1).toBeGreaterThan(500);
    const last = lines.at(-1)!.split(',').map(Number);
    expect(last[1] + last[2]).toBe(1000);

    // Algorithm 1, the score table and the per-class table.
    await expect(page.getByTestId('algorithm1-boxplot').locator('canvas')).toBeVisible();
    await panelShot(page.getByTestId('algorithm1-panel'), 'analysis-algorithm1');
    await expect(page.getByTestId('score-row').first()).toBeVisible();
    await panelShot(page.getByTestId('score-table'), 'analysis-scores');
    await expect(page.getByTestId('per-class-row')).toHaveCount(10);
    // Sorted by robust accuracy, the most affected class comes first; a second click turns the order round.
    const robustColumn = async () => (await page.getByTestId('per-class-row').locator('td:nth-of-type(3)').allTextContents()).map((t) => parseFloat(t));
    await page.getByTestId('per-class-sort-robustAccuracy').click();
    const ascending = await robustColumn();
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await page.getByTestId('per-class-sort-robustAccuracy').click();
    const descending = await robustColumn();
    expect(descending).toEqual([...ascending].reverse());
    await panelShot(page.getByTestId('per-class-table'), 'analysis-per-class');
    await expect(page.getByTestId('input-margin-histogram').locator('canvas')).toBeVisible();
    await expect(page.getByTestId('margin-histogram').locator('canvas')).toBeVisible();
    await panelShot(page.getByTestId('input-margin-histogram'), 'analysis-input-margin-histogram');
  } finally {
    await server.stop();
  }
});

/** An exported SVG drawn by the browser on its own, to look at beside the screen's chart. */
async function viewSvg(page: Page, svg: string, name: string): Promise<void> {
  const viewer = await page.context().newPage();
  try {
    await viewer.setContent(`<body style="margin:0">${svg}</body>`);
    await viewer.locator('svg').screenshot({ path: join('e2e', 'screenshots', `${name}.png`) });
  } finally {
    await viewer.close();
  }
}

async function readDownload(download: import('@playwright/test').Download): Promise<string> {
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Clicks a drawn point of a chart: the page probes the canvas with pointer moves until the cursor
 * turns into a pointer (the chart's own hit test), then the mouse clicks there.
 */
async function clickFirstPoint(canvas: Locator): Promise<void> {
  await canvas.scrollIntoViewIfNeeded();
  const hit = await canvas.evaluate((element: HTMLCanvasElement) => {
    const box = element.getBoundingClientRect();
    for (let y = box.bottom - 2; y > box.top; y -= 2) {
      for (let x = box.left + 2; x < box.right; x += 2) {
        element.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
        if (element.style.cursor === 'pointer') return { x: x - box.left, y: y - box.top };
      }
    }
    return null;
  });
  expect(hit, 'a point of the chart under the pointer').not.toBeNull();
  await canvas.click({ position: hit! });
}
