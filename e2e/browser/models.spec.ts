import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import { idxImages, idxLabels, shot } from '../journey';
import { freshDirs, serve } from '../serve';

/** The export traps of issue 10 (tools/models/make_trap_models.py). */
const trap = (name: string) => join(process.cwd(), 'src-main', 'engine', 'onnx', 'fixtures', 'traps', `${name}.onnx`);

async function importModel(page: Page, name: string): Promise<void> {
  await page.getByTestId('nav-models').click();
  await page.getByTestId('model-file-input').setInputFiles(trap(name));
  await expect(page.getByTestId('model-detail')).toBeVisible();
  await expect(page.getByTestId('model-detail')).toContainText(`${name}.onnx`);
}

test('the model page shows how Brink reads an export, and the logits, layout and image input can be changed there', async ({ page }) => {
  const server = await serve(freshDirs());
  try {
    await page.goto(server.url);
    await page.getByTestId('new-project-name').fill('Export traps');
    await page.getByTestId('new-project-submit').click();
    await expect(page.getByTestId('project-name')).toHaveText('Export traps');

    // A model that ends in Softmax: its logits are read before it, and the user can switch back.
    await importModel(page, 'softmax');
    const logits = page.getByTestId('reading-logits');
    await expect(logits).toHaveValue('before-softmax');
    await expect(page.getByTestId('reading-logits-note')).toHaveText("the input of Softmax node '/Softmax'; the file outputs probabilities");
    await expect(page.getByTestId('model-head')).toContainText('12 features → 10 classes');
    await page.getByTestId('model-reading').scrollIntoViewIfNeeded();
    await shot(page, 'model-reading-softmax');
    await logits.selectOption('output');
    await expect(page.getByTestId('reading-logits-note')).toContainText('margins are probability differences');
    await expect(page.getByTestId('model-head')).toContainText('None found');
    await page.getByTestId('model-reading').scrollIntoViewIfNeeded();
    await shot(page, 'model-reading-softmax-output');
    await logits.selectOption('before-softmax');
    await expect(page.getByTestId('model-head')).toContainText('12 features → 10 classes');

    // An NHWC model: the layout is detected from its input shape, and can be overridden.
    await importModel(page, 'nhwc');
    const layout = page.getByTestId('reading-layout');
    await expect(layout).toHaveValue('NHWC');
    await expect(page.getByTestId('reading-feed-shape')).toContainText('batch × 1 × 28 × 28');
    await expect(page.getByTestId('reading-layout-note')).toContainText('detected from the input’s shape');
    await layout.selectOption('NCHW');
    await expect(page.getByTestId('reading-layout-note')).toContainText('set by hand; the input’s shape suggests NHWC');
    await expect(page.getByTestId('reading-feed-shape')).toContainText('batch × 28 × 28 × 1');
    await page.getByTestId('model-reading').scrollIntoViewIfNeeded();
    await shot(page, 'model-reading-layout-override');
    await layout.selectOption('NHWC');
    await expect(page.getByTestId('reading-feed-shape')).toContainText('batch × 1 × 28 × 28');

    // Two inputs: the image input is chosen; the other one has no value, and the page says so.
    await importModel(page, 'two-inputs');
    const input = page.getByTestId('reading-image-input');
    await expect(input).toHaveValue('image');
    await expect(page.getByTestId('reading-problem')).toContainText("the file stores no value for 'temperature' ([1])");
    await input.selectOption('temperature');
    await expect(page.getByTestId('reading-problem')).toContainText("the file stores no value for 'image' ([batch, 1, 28, 28])");
    await page.getByTestId('model-reading').scrollIntoViewIfNeeded();
    await shot(page, 'model-reading-two-inputs');
    await input.selectOption('image');
    await expect(page.getByTestId('reading-problem')).toContainText("no value for 'temperature'");

    // Batches: a fixed batch of 1 that can be freed, and one the graph pins.
    await importModel(page, 'fixed-batch');
    await expect(page.getByTestId('reading-batch')).toContainText('fixed at 1 in the file; made symbolic');
    await importModel(page, 'pinned-batch');
    await expect(page.getByTestId('reading-batch')).toContainText('fixed at 1: every job feeds the model 1 sample at a time (it does not run at batch 2');
    await page.getByTestId('model-reading').scrollIntoViewIfNeeded();
    await shot(page, 'model-reading-pinned-batch');

    // A Round between the input and the logits: flagged on the model page and in the run form.
    await importModel(page, 'round');
    await expect(page.getByTestId('model-differentiable')).toContainText('Differentiable, but its gradient is zero almost everywhere');
    await expect(page.getByTestId('model-zero-gradient')).toContainText('Round');
    await page.getByTestId('model-analysis').scrollIntoViewIfNeeded();
    await shot(page, 'model-zero-gradient');

    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-file-input').setInputFiles([idxImages, idxLabels]);
    await expect(page.getByTestId('dataset-detail')).toBeVisible();
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('new-run-button').click();
    await page.getByTestId('run-model-select').selectOption({ label: 'round' });
    await page.getByTestId('run-attack-fab').check();
    await expect(page.locator('[data-testid="run-warning"][data-kind="gradients"]')).toContainText('its gradient is zero almost everywhere (Round');
    await page.getByTestId('run-warnings').scrollIntoViewIfNeeded();
    await shot(page, 'run-form-zero-gradient');
  } finally {
    await server.stop();
  }
});
