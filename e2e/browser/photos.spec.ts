import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { shot } from '../journey';
import { freshDirs, serve } from '../serve';

// Six photos of six sizes in two class folders (tools/goldens/make_image_fit_goldens.py).
const photos = join(process.cwd(), 'src-main', 'engine', 'data', 'goldens', 'image-fit', 'photos');

test('a folder of photos of mixed sizes asks how to fit them, proposes the ImageNet center crop, and records the choice', async ({ page }) => {
  const server = await serve(freshDirs(), ['--sample']);
  try {
    await page.goto(server.url);
    await expect(page.getByTestId('project-name')).toHaveText('Fashion-MNIST sample');
    await page.getByTestId('nav-datasets').click();

    await page.getByTestId('dataset-folder-input').setInputFiles(photos);
    const dialog = page.getByTestId('fit-dialog');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('fit-survey')).toContainText('6 images in 2 class folders.');
    await expect(page.getByTestId('fit-survey')).toContainText('5 differ in size from the most common one (450×300, 1 image)');
    await expect(page.getByTestId('fit-mode-crop')).toBeChecked();
    await expect(page.getByTestId('fit-height')).toHaveValue('224');
    await expect(page.getByTestId('fit-resize')).toHaveValue('256');
    await expect(page.getByTestId('fit-outcome')).toHaveText('Every image becomes 224×224 (H×W); none is skipped for its size.');

    // Strict says what it would skip; a resize smaller than the crop is refused before import.
    await page.getByTestId('fit-mode-strict').check();
    await expect(page.getByTestId('fit-outcome')).toHaveText('Keeps 1 image of 450×300 as they are; 5 images of other sizes will be skipped.');
    await expect(page.getByTestId('fit-height')).toBeDisabled();
    await page.getByTestId('fit-mode-crop').check();
    await page.getByTestId('fit-height').fill('56');
    await page.getByTestId('fit-width').fill('64');
    await expect(page.getByTestId('fit-resize')).toHaveValue('64');
    await page.getByTestId('fit-resize').fill('60');
    await expect(page.getByTestId('fit-outcome')).toHaveText('resize 60 is smaller than the crop 56x64: give a resize of at least 64');
    await expect(page.getByTestId('fit-import')).toBeDisabled();
    await page.getByTestId('fit-resize').fill('70');
    await expect(page.getByTestId('fit-import')).toBeEnabled();
    await shot(page, 'photos-fit-dialog');

    await page.getByTestId('fit-import').click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('dataset-detail')).toContainText('photos');
    await expect(page.getByTestId('dataset-count')).toHaveText('6');
    await expect(page.getByTestId('dataset-shape')).toContainText('56');
    await expect(page.getByTestId('dataset-fit')).toHaveText('center crop: Resize(70) + CenterCrop(56×64), bilinear with antialias');
    await shot(page, 'photos-dataset-fit');
  } finally {
    await server.stop();
  }
});
