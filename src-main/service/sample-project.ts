import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ProjectStore } from '../store/project-store.js';
import { importDataset } from './dataset-import.js';
import { importModel } from './model-import.js';

const manifestSchema = z.object({
  dataset: z.object({ name: z.string(), images: z.string() }),
  models: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      mean: z.array(z.number()),
      std: z.array(z.number()),
      labels: z.string(),
    }),
  ),
});

export const SAMPLE_PROJECT_NAME = 'Fashion-MNIST sample';

export function sampleAvailable(samplesDir: string): boolean {
  return existsSync(join(samplesDir, 'manifest.json'));
}

/**
 * Builds the sample project from the committed models and images through the same import
 * path a user takes, so the sample always matches the current schema and importers.
 */
export async function buildSampleProject(samplesDir: string, target: string): Promise<void> {
  const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(samplesDir, 'manifest.json'), 'utf8')));
  const store = ProjectStore.create(target, SAMPLE_PROJECT_NAME);
  try {
    for (const model of manifest.models) {
      await importModel(store, join(samplesDir, model.file), {
        name: model.name,
        mean: model.mean,
        std: model.std,
        labelsPath: join(samplesDir, model.labels),
      });
    }
    await importDataset(store, join(samplesDir, manifest.dataset.images), { name: manifest.dataset.name });
  } catch (error) {
    store.close();
    rmSync(target, { force: true });
    throw error;
  } finally {
    store.close();
  }
}
