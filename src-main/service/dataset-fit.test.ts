import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageFit, ImageFitInput } from '../../src-preload/contract.js';
import { surveyImageFolder } from '../engine/data/index.js';
import { idxFile, ramp } from '../engine/data/test-fixtures.js';
import { migrations } from '../store/migrations.js';
import { ProjectStore } from '../store/project-store.js';
import { importDataset } from './dataset-import.js';

// Six photos of six sizes in two class folders (tools/goldens/make_image_fit_goldens.py).
const PHOTOS = join(import.meta.dirname, '..', 'engine', 'data', 'goldens', 'image-fit', 'photos');

describe('importing an image folder of mixed sizes', () => {
  let dir = '';
  let store: ProjectStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brink-fit-'));
    store = ProjectStore.create(join(dir, 'p.brink'), 'p');
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('surveys the sizes from the headers before import', async () => {
    expect(await surveyImageFolder(PHOTOS)).toEqual({
      images: 6,
      classes: 2,
      commonSize: { width: 450, height: 300, count: 1 },
      differing: 5,
      smallest: { width: 74, height: 78 },
      unreadable: 0,
    });
    writeFileSync(join(dir, 'x-images-idx3-ubyte'), idxFile([1, 2, 2], ramp(4)));
    expect(await surveyImageFolder(join(dir, 'x-images-idx3-ubyte'))).toBeNull();
  });

  it('strict keeps the images of the most common size and lists the others as skipped', async () => {
    const dataset = await importDataset(store, PHOTOS);
    expect(dataset).toMatchObject({ count: 1, shape: [3, 300, 450], fit: { mode: 'strict' } });
    expect(dataset.skipped).toHaveLength(5);
    expect(dataset.skipped[0]).toEqual({ file: join('photos', 'cats', 'b-tall.png'), reason: "size 136x197 differs from the other images' 450x300" });
  });

  it.each<[ImageFitInput, ImageFit, number[]]>([
    [{ mode: 'crop', size: [224, 224] }, { mode: 'crop', size: [224, 224], resize: 256 }, [3, 224, 224]],
    [{ mode: 'crop', size: [56, 64], resize: 70 }, { mode: 'crop', size: [56, 64], resize: 70 }, [3, 56, 64]],
    [{ mode: 'stretch', size: [40, 48] }, { mode: 'stretch', size: [40, 48] }, [3, 40, 48]],
    [{ mode: 'pad', size: [32, 32] }, { mode: 'pad', size: [32, 32] }, [3, 32, 32]],
  ])('%j imports every photo, skips none and records the fit', async (fit, recorded, shape) => {
    const dataset = await importDataset(store, PHOTOS, { fit, allowDuplicate: true });
    expect(dataset).toMatchObject({ count: 6, shape, skipped: [], fit: recorded, classCounts: [3, 3] });
    expect(store.datasets.get(dataset.id).fit).toEqual(recorded);
  });

  it('records strict on image folders imported before fits existed, and no fit on other formats', async () => {
    const folder = await importDataset(store, PHOTOS);
    writeFileSync(join(dir, 'x-images-idx3-ubyte'), idxFile([1, 2, 2], ramp(4)));
    writeFileSync(join(dir, 'x-labels-idx1-ubyte'), idxFile([1], Uint8Array.of(0)));
    const idx = await importDataset(store, join(dir, 'x-images-idx3-ubyte'));
    store.close();
    // Back to the schema before the fit migration, as the Brink of then left the file.
    const version = migrations.findIndex((m) => m.includes('fit_json'));
    const db = new Database(join(dir, 'p.brink'));
    undoMigrations(db, version);
    db.pragma(`user_version = ${version}`);
    db.close();
    store = ProjectStore.open(join(dir, 'p.brink'));
    expect(store.datasets.get(folder.id).fit).toEqual({ mode: 'strict' });
    expect(store.datasets.get(idx.id).fit).toBeNull();
  });

  it('refuses a crop larger than its resize and a fit on a dataset that is not an image folder', async () => {
    await expect(importDataset(store, PHOTOS, { fit: { mode: 'crop', size: [224, 224], resize: 200 } })).rejects.toThrow(
      'resize 200 is smaller than the crop 224x224: give a resize of at least 224',
    );
    writeFileSync(join(dir, 'x-images-idx3-ubyte'), idxFile([1, 2, 2], ramp(4)));
    writeFileSync(join(dir, 'x-labels-idx1-ubyte'), idxFile([1], Uint8Array.of(0)));
    await expect(importDataset(store, join(dir, 'x-images-idx3-ubyte'), { fit: { mode: 'stretch', size: [4, 4] } })).rejects.toThrow(
      'x-images-idx3-ubyte: a stretch fit applies to image folders only, and this is idx; import it without one',
    );
    const idx = await importDataset(store, join(dir, 'x-images-idx3-ubyte'));
    expect(idx.fit).toBeNull();
  });
});

/**
 * Takes a project file back to the schema before migration `from`: the tables, indexes and
 * columns that migration and the later ones added are dropped, so that opening it adds them again.
 */
function undoMigrations(db: Database.Database, from: number): void {
  for (const sql of migrations.slice(from).reverse()) {
    const code = sql.replace(/--.*$/gm, '');
    for (const [, index] of [...code.matchAll(/CREATE INDEX (\w+)/g)].reverse()) db.exec(`DROP INDEX ${index}`);
    for (const [, table] of [...code.matchAll(/CREATE TABLE (\w+)/g)].reverse()) db.exec(`DROP TABLE ${table}`);
    for (const [, table, column] of [...code.matchAll(/ALTER TABLE (\w+) ADD COLUMN (\w+)/g)].reverse()) db.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`);
  }
}
