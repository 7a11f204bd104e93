import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { join } from 'node:path';
import { expectModelDetail, expectSampleDataset, idxImages, idxLabels, robustModel, shot, standardModel } from '../journey';
import { freshDirs } from '../serve';
import { electronBinary } from './electron-binary';

const binary = electronBinary();
if (!binary) console.log('electron e2e: skipped: no Electron binary (installed with ELECTRON_SKIP_BINARY_DOWNLOAD)');

test.describe('the desktop app', () => {
  test.skip(!binary, 'skipped: no Electron binary');

  let app: ElectronApplication;
  const dirs = freshDirs();

  test.beforeAll(async () => {
    app = await electron.launch({ executablePath: binary!, args: ['.'], env: { ...process.env, BRINK_HOME: dirs.home } });
  });
  test.afterAll(async () => app?.close());

  test('create a project, import models by picker and by drop, import a dataset, and find them after a restart', async () => {
    const page = await app.firstWindow();
    // The first launch opens the sample project; close it to reach the start screen.
    await page.getByTestId('close-project').click();
    const projectPath = join(dirs.projectsDir, 'E2E audit.brink');
    await app.evaluate(({ dialog }, filePath) => {
      dialog.showSaveDialog = (async () => ({ canceled: false, filePath })) as typeof dialog.showSaveDialog;
    }, projectPath);
    await page.getByTestId('new-project-name').fill('E2E audit');
    await page.getByTestId('new-project-submit').click();
    await expect(page.getByTestId('project-name')).toHaveText('E2E audit');

    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-file-input').setInputFiles(standardModel);
    await expectModelDetail(page, standardModel);

    // A drop carries real files: take them from a file input so that they have paths, as an OS drop does.
    const picker = await page.evaluateHandle(() => {
      const input = document.createElement('input');
      input.type = 'file';
      return input;
    });
    await picker.setInputFiles(robustModel);
    await page.evaluate((input) => {
      const dt = new DataTransfer();
      dt.items.add(input.files![0]);
      for (const type of ['dragenter', 'dragover', 'drop']) document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true }));
    }, picker);
    await expectModelDetail(page, robustModel);

    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-file-input').setInputFiles([idxImages, idxLabels]);
    await expectSampleDataset(page);
    await shot(page, 'electron-dataset-detail');

    await app.close();
    app = await electron.launch({ executablePath: binary!, args: ['.'], env: { ...process.env, BRINK_HOME: dirs.home } });
    const again = await app.firstWindow();
    await expect(again.getByTestId('project-name')).toHaveText('E2E audit');
    await again.getByTestId('nav-models').click();
    await expect(again.getByTestId('model-row')).toHaveCount(2);
  });
});
