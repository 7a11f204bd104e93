import { expect, test } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropFile, expectModelDetail, expectSampleDataset, idxImages, idxLabels, robustModel, shot, standardModel } from '../journey';
import { freshDirs, serve } from '../serve';

test('create a project, import models by upload and by drop, import a dataset, and find it all after a reload and a restart', async ({ page }) => {
  const dirs = freshDirs();
  let server = await serve(dirs);
  try {
    await page.goto(server.url);
    await expect(page.getByTestId('start-screen')).toBeVisible();
    await shot(page, 'start-screen');

    await page.getByTestId('new-project-name').fill('E2E audit');
    await page.getByTestId('new-project-submit').click();
    await expect(page.getByTestId('project-name')).toHaveText('E2E audit');

    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-file-input').setInputFiles(standardModel);
    await expectModelDetail(page, standardModel);
    await shot(page, 'model-detail');

    await dropFile(page, robustModel);
    await expectModelDetail(page, robustModel);

    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-file-input').setInputFiles([idxImages, idxLabels]);
    await expectSampleDataset(page);
    await shot(page, 'dataset-detail');

    await page.reload();
    await expect(page.getByTestId('project-name')).toHaveText('E2E audit');
    await page.getByTestId('nav-models').click();
    await expect(page.getByTestId('model-row')).toHaveCount(2);
    await shot(page, 'models-list');

    await server.stop();
    server = await serve(dirs);
    await page.goto(server.url);
    await page.getByTestId('recent-project').filter({ hasText: 'E2E audit' }).click();
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-row').first().click();
    await expectSampleDataset(page);
  } finally {
    await server.stop();
  }
});

test('a PNG named .onnx is refused with a one-line message and the project is unchanged', async ({ page }) => {
  const dirs = freshDirs();
  const server = await serve(dirs);
  try {
    mkdirSync(dirs.projectsDir, { recursive: true });
    const fake = join(dirs.projectsDir, 'picture.onnx');
    writeFileSync(fake, Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'));
    await page.goto(server.url);
    await page.getByTestId('new-project-name').fill('Bad input');
    await page.getByTestId('new-project-submit').click();
    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-file-input').setInputFiles(fake);
    const toast = page.getByTestId('toast-error');
    await expect(toast).toContainText('picture.onnx');
    await expect(toast).toContainText('PNG');
    await expect(page.getByTestId('model-row')).toHaveCount(0);
    await shot(page, 'bad-model-error');
  } finally {
    await server.stop();
  }
});

test('the sample project opens from the start screen with its models and dataset', async ({ page }) => {
  const server = await serve(freshDirs());
  try {
    await page.goto(server.url);
    await page.getByTestId('open-sample-button').click();
    await expect(page.getByTestId('project-name')).toHaveText('Fashion-MNIST sample');
    await page.getByTestId('nav-models').click();
    await expect(page.getByTestId('model-row')).toHaveCount(2);
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-row').first().click();
    await expectSampleDataset(page);
  } finally {
    await server.stop();
  }
});
