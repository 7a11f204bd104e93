import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { idxImages, idxLabels, samples, sha256, shot, standardModel, startRun } from '../journey';
import { freshDirs, serve } from '../serve';

/** The sample labels, as class folders: an image folder sorts them by name, so the dataset's order is not the model's. */
const fashion = readFileSync(join(samples, 'fmnist-labels.txt'), 'utf8').trim().split('\n');

async function imageFolder(root: string): Promise<string> {
  const folder = join(root, 'fashion-folders');
  for (const [k, name] of fashion.entries()) {
    const dir = join(folder, name.replace('/', '-'));
    mkdirSync(dir, { recursive: true });
    const pixels = Buffer.alloc(28 * 28, k * 20);
    await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(join(dir, '0.png'));
  }
  return folder;
}

/** ModelProto.metadata_props (field 14: key 1, value 2) appended to a model: protobuf merges fields in any order. */
function withMetadata(model: Buffer, props: Record<string, string>): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n >>>= 7) out.push((n & 0x7f) | 0x80);
    return Buffer.from([...out, n]);
  };
  const field = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), varint(body.length), body]);
  const entries = Object.entries(props).map(([key, value]) => field(0x72, Buffer.concat([field(0x0a, Buffer.from(key)), field(0x12, Buffer.from(value))])));
  return Buffer.concat([model, ...entries]);
}

async function openSample(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('project-name')).toHaveText('Fashion-MNIST sample');
}

test('importing a model or dataset the project already holds offers the existing one, or a second copy under a unique name', async ({ page }) => {
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await openSample(page, server.url);
    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-file-input').setInputFiles(standardModel);
    const dialog = page.getByTestId('duplicate-dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('fmnist-cnn-standard.onnx holds the same file as the model “fmnist-cnn-standard” (same SHA-256), so nothing was imported.');
    await shot(page, 'duplicate-model');
    await page.getByTestId('duplicate-open').click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('model-sha256')).toContainText(sha256(standardModel));
    await page.getByTestId('nav-models').click();
    await expect(page.getByTestId('model-row')).toHaveCount(2);

    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-file-input').setInputFiles([idxImages, idxLabels]);
    await expect(dialog).toContainText('holds the same samples and labels as the dataset “fmnist-test-1000”');
    await page.getByTestId('duplicate-import').click();
    await expect(page.getByTestId('dataset-detail')).toContainText('fmnist-test-1000 (2)');
  } finally {
    await server.stop();
  }
});

test('preprocessing: unconfirmed until confirmed, a proposal from the common conventions with their accuracies, and runs that remember theirs', async ({ page }) => {
  const dirs = freshDirs();
  mkdirSync(dirs.projectsDir, { recursive: true });
  const withMeta = join(dirs.projectsDir, 'cnn-with-metadata.onnx');
  writeFileSync(withMeta, withMetadata(readFileSync(standardModel), { image_mean: '[0.286]', image_std: '[0.353]' }));
  const folder = await imageFolder(dirs.projectsDir);
  const server = await serve(dirs, ['--sample']);
  try {
    await openSample(page, server.url);
    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-file-input').setInputFiles(withMeta);
    await expect(page.getByTestId('model-detail')).toContainText('cnn-with-metadata');
    await expect(page.getByTestId('preprocessing-status')).toContainText('Unconfirmed.');

    // The run form says so, and asks about an epsilon written in 0-255 units.
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('new-run-button').click();
    await page.getByTestId('run-model-select').selectOption({ label: 'cnn-with-metadata' });
    await page.getByTestId('run-subset-mode').selectOption('first');
    await page.getByTestId('run-subset-count').fill('20');
    await page.getByTestId('run-batch-size').fill('20');
    await page.getByTestId('run-device-select').selectOption('cpu');
    await page.getByTestId('run-attack-apgd-ce').check();
    await page.getByTestId('run-epsilons').fill('8');
    const warnings = page.getByTestId('run-warning');
    await expect(warnings.filter({ hasText: "the model's preprocessing is unconfirmed" })).toHaveCount(1);
    await expect(warnings.filter({ hasText: 'did you mean 8/255?' })).toHaveCount(1);
    await expect(page.getByTestId('run-start')).toBeDisabled();
    await expect(page.getByTestId('run-epsilons-question')).toContainText('did you mean 8/255?');
    // The form scrolls inside the shell: a tall window shows the field and the footer in one picture.
    await page.setViewportSize({ width: 1280, height: 1700 });
    await shot(page, 'run-form-warnings');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('run-epsilon-confirm').check();
    await expect(page.getByTestId('run-start')).toBeEnabled();
    await page.getByTestId('run-epsilon-use-suggestion').click();
    await expect(page.getByTestId('run-epsilons')).toHaveValue('8/255');
    await expect(warnings.filter({ hasText: 'did you mean' })).toHaveCount(0);

    // Label mapping: an image folder sorts its classes by name, the model's labels do not.
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-folder-input').setInputFiles(folder);
    // An image folder asks how to fit its images; one size throughout proposes strict.
    await expect(page.getByTestId('fit-mode-strict')).toBeChecked();
    await page.getByTestId('fit-import').click();
    await expect(page.getByTestId('dataset-detail')).toContainText('fashion-folders');
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('new-run-button').click();
    await page.getByTestId('run-model-select').selectOption({ label: 'fmnist-cnn-robust' });
    await page.getByTestId('run-dataset-select').selectOption({ label: 'fashion-folders' });
    await page.getByTestId('run-subset-mode').selectOption('all');
    await page.getByTestId('run-attack-apgd-ce').uncheck();
    // "T-shirt/top" cannot name a folder, so that class is "T-shirt-top" there: the names differ too.
    await expect(warnings.filter({ hasText: "the dataset's class names and the model's labels are partly the same names in a different order" })).toHaveCount(1);
    await expect(page.getByTestId('run-start')).toBeEnabled();
    await page.getByTestId('run-warnings').scrollIntoViewIfNeeded();
    await shot(page, 'run-form-label-mapping');

    // A run of the unconfirmed model records the preprocessing it ran with.
    await page.getByTestId('run-model-select').selectOption({ label: 'cnn-with-metadata' });
    await page.getByTestId('run-dataset-select').selectOption({ label: 'fmnist-test-1000' });
    await page.getByTestId('run-subset-mode').selectOption('first');
    await page.getByTestId('run-subset-count').fill('20');
    await startRun(page);
    await expect(page.getByTestId('run-status')).toHaveText('done', { timeout: 60_000 });
    await expect(page.getByTestId('run-config-preprocessing')).toContainText('[0, 1] as is');
    await expect(page.getByTestId('run-config-preprocessing')).toContainText('unconfirmed when the run was made');
    await expect(page.getByTestId('run-preprocessing-notice')).toContainText('Made with unconfirmed preprocessing.');
    await shot(page, 'run-unconfirmed-preprocessing');

    // The model page tries the conventions and proposes the metadata's, which the user confirms.
    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-row').filter({ hasText: 'cnn-with-metadata' }).click();
    await page.getByTestId('preprocessing-test-dataset').selectOption({ label: 'fmnist-test-1000' });
    await page.getByTestId('preprocessing-test-run').click();
    const candidates = page.getByTestId('preprocessing-candidate');
    await expect(candidates).toHaveCount(5, { timeout: 60_000 });
    const proposed = candidates.filter({ has: page.getByTestId('preprocessing-proposed') });
    await expect(proposed).toHaveAttribute('data-candidate', 'metadata');
    await expect(proposed).toContainText('mean 0.286 · std 0.353');
    await expect(candidates.filter({ hasText: 'ImageNet' })).toContainText('not tried: needs 3 channels');
    await expect(page.getByTestId('preprocessing-test-note')).toContainText('300 samples of fmnist-test-1000');
    await page.setViewportSize({ width: 1280, height: 1300 });
    await page.getByTestId('preprocessing-test').scrollIntoViewIfNeeded();
    await shot(page, 'preprocessing-proposal');
    await proposed.getByTestId('preprocessing-use').click();
    await page.getByTestId('preprocessing-save').click();
    await expect(page.getByTestId('preprocessing-status')).toContainText('Confirmed');
    await shot(page, 'preprocessing-confirmed');
    await page.setViewportSize({ width: 1280, height: 800 });

    // The earlier run now says it was made with other settings, in the list and on its page.
    await page.getByTestId('nav-runs').click();
    const row = page.getByTestId('run-row').filter({ hasText: 'cnn-with-metadata' });
    await expect(row.getByTestId('run-row-preprocessing-changed')).toBeVisible();
    await shot(page, 'runs-other-preprocessing');
    await row.click();
    await expect(page.getByTestId('run-preprocessing-changed')).toBeVisible();
    await expect(page.getByTestId('run-preprocessing-notice')).toContainText('Made with other preprocessing.');
    await page.getByTestId('run-config-preprocessing').scrollIntoViewIfNeeded();
    await shot(page, 'run-preprocessing-facts');
  } finally {
    await server.stop();
  }
});
