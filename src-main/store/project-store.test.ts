import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../engine/onnx/inspect.js';
import { migrations } from './migrations.js';
import { runDetail } from '../service/run-results.js';
import { newId, ProjectStore } from './project-store.js';

const dir = () => mkdtempSync(join(tmpdir(), 'brink-store-'));

const info: ModelInfo = {
  irVersion: 8,
  opsets: [{ domain: 'ai.onnx', version: 13 }],
  producer: 'test',
  graphName: 'g',
  inputs: [{ name: 'input', elemType: 'float32', shape: ['batch', 1, 28, 28] }],
  outputs: [{ name: 'logits', elemType: 'float32', shape: ['batch', 10] }],
  opHistogram: { Gemm: 1 },
  nodeCount: 1,
  parameterCount: 7850,
  initializerBytes: 31400,
  externalData: false,
};

function addModel(store: ProjectStore, bytes = new Uint8Array([1, 2, 3])): string {
  const id = newId('m');
  store.models.insert({
    id,
    name: 'net',
    fileName: 'net.onnx',
    sha256: 'ab'.repeat(32),
    info,
    preprocessing: { valueRange: [0, 1], mean: [0.5], std: [0.25] },
    labels: null,
    analysis: { differentiable: true, unsupported: [], head: null, headReason: 'test', zeroGradientOps: [] },
    bytes,
  });
  return id;
}

/** Takes a project file back to schema version `version` by undoing the columns and tables later migrations added. */
function rollBack(db: Database.Database, version: number): void {
  for (const migration of migrations.slice(version).reverse()) {
    for (const [, table, column] of [...migration.matchAll(/ALTER TABLE (\w+) ADD COLUMN (\w+)/g)].reverse()) db.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`);
    for (const [, table] of [...migration.matchAll(/CREATE TABLE (\w+)/g)].reverse()) db.exec(`DROP TABLE ${table}`);
  }
  db.pragma(`user_version = ${version}`);
}

describe('ProjectStore', () => {
  it('creates a WAL project with foreign keys at the latest schema, and reopens it', () => {
    const path = join(dir(), 'a.brink');
    const store = ProjectStore.create(path, 'Audit A');
    expect(store.info()).toMatchObject({ path, name: 'Audit A', modelCount: 0, datasetCount: 0 });
    store.close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    db.close();
    const reopened = ProjectStore.open(path);
    expect(reopened.info().name).toBe('Audit A');
    expect(reopened.integrityCheck()).toBe('ok');
    reopened.close();
  });

  it('refuses to overwrite an existing file', () => {
    const path = join(dir(), 'a.brink');
    writeFileSync(path, 'hello');
    expect(() => ProjectStore.create(path, 'x')).toThrow(/already exists/);
  });

  it('says a random file or a foreign SQLite database is not a Brink project', () => {
    const d = dir();
    writeFileSync(join(d, 'notes.brink'), 'definitely not sqlite, just some text that is long enough'.repeat(20));
    expect(() => ProjectStore.open(join(d, 'notes.brink'))).toThrow(/notes.brink is not a Brink project/);
    const foreign = new Database(join(d, 'other.brink'));
    foreign.exec('CREATE TABLE t (x)');
    foreign.close();
    expect(() => ProjectStore.open(join(d, 'other.brink'))).toThrow(/other.brink is not a Brink project/);
    expect(() => ProjectStore.open(join(d, 'missing.brink'))).toThrow(/no such project file/);
  });

  it('refuses a project written by a newer schema instead of corrupting it', () => {
    const path = join(dir(), 'future.brink');
    ProjectStore.create(path, 'future').close();
    const db = new Database(path);
    db.pragma(`user_version = ${migrations.length + 1}`);
    db.close();
    expect(() => ProjectStore.open(path)).toThrow(/newer Brink/);
  });

  // Found by tools/fuzz (project kind, seed 1, cases 9, 13 and 14; seed 15, case 6): these failed later with raw SQL errors.
  it.each([
    ['a table remade in another shape', 'CREATE TABLE meta_old AS SELECT * FROM meta; DROP TABLE meta; CREATE TABLE meta (x);', /is damaged: its table meta is not as Brink wrote it/],
    ['a table dropped', 'DROP TABLE runs;', /is damaged: its table runs is missing/],
    ['its schema version reset', 'PRAGMA user_version = 0;', /is damaged: table \w+ already exists/],
    ['a negative schema version', 'PRAGMA user_version = -1;', /the project is damaged: its schema version is -1/],
    // seed 2026, cases 201, 566, 571: a reader failed on these with a raw JSON or type error.
    ['a JSON column holding text that is not JSON', "UPDATE models SET preprocessing_json = 'xxxx';", /is damaged: models\.preprocessing_json in row 1 is not what Brink wrote/],
    ['a JSON column holding JSON null', "UPDATE models SET info_json = 'null';", /is damaged: models\.info_json in row 1 is not what Brink wrote/],
  ])('refuses a project with %s as damaged, in one line', (_, sql, message) => {
    const path = join(dir(), 'p.brink');
    const created = ProjectStore.create(path, 'P');
    addModel(created);
    created.close();
    const db = new Database(path);
    db.pragma('foreign_keys = OFF');
    db.exec(sql);
    db.close();
    expect(() => ProjectStore.open(path)).toThrow(message);
  });

  it('keeps model bytes, updates settings, and removing a model removes its bytes', () => {
    const store = ProjectStore.create(join(dir(), 'm.brink'), 'm');
    const id = addModel(store, new Uint8Array([9, 8, 7, 6]));
    expect([...store.models.bytes(id)]).toEqual([9, 8, 7, 6]);
    expect(store.models.list()[0]).toMatchObject({ id, classCount: 10, inputShape: ['batch', 1, 28, 28] });
    store.models.update(id, { name: 'renamed', labels: ['a', 'b'] });
    expect(store.models.get(id)).toMatchObject({ name: 'renamed', labels: ['a', 'b'], parameterCount: 7850 });
    store.models.remove(id);
    expect(store.models.count()).toBe(0);
    expect(() => store.models.bytes(id)).toThrow(/no model/);
    store.close();
  });

  it('stores samples in chunks and reads any range across chunk boundaries exactly', () => {
    const store = ProjectStore.create(join(dir(), 'd.brink'), 'd');
    const shape: [number, number, number] = [1, 512, 512]; // 16 samples per 4 MiB chunk
    const count = 40;
    const per = 512 * 512;
    const data = new Uint8Array(count * per);
    for (let i = 0; i < count; i++) data.fill(i, i * per, (i + 1) * per);
    const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
    const id = newId('d');
    store.datasets.insert({
      id,
      name: 'big',
      format: 'npy',
      sourceName: 'x.npy',
      sha256: '00',
      shape,
      dtype: 'uint8',
      classNames: null,
      classCounts: [14, 13, 13],
      skipped: [],
      data,
      labels,
    });
    const block = store.datasets.read(id, 10, 20);
    expect(block.count).toBe(20);
    for (let i = 0; i < 20; i++) {
      expect(block.data[i * per]).toBe(10 + i);
      expect(block.data[(i + 1) * per - 1]).toBe(10 + i);
      expect(block.labels[i]).toBe((10 + i) % 3);
    }
    expect(store.datasets.read(id, 35, 100).count).toBe(5);
    store.datasets.remove(id);
    expect(store.datasets.count()).toBe(0);
    store.close();
  });
});

describe('RunRepo robust accuracy', () => {
  it('counts a margin that float32 rounding puts just above epsilon as broken at epsilon, as the attack did', () => {
    const store = ProjectStore.create(join(dir(), 'r.brink'), 'r');
    const modelId = addModel(store);
    const datasetId = newId('d');
    store.datasets.insert({
      id: datasetId,
      name: 'd',
      format: 'npy',
      sourceName: 'x.npy',
      sha256: '00',
      shape: [1, 2, 2],
      dtype: 'uint8',
      classNames: null,
      classCounts: [1],
      skipped: [],
      data: new Uint8Array(4),
      labels: Int32Array.of(0),
    });
    const runId = newId('r');
    const attack = { attacks: ['apgd-t' as const, 'fab' as const], norm: 'linf' as const, epsilons: [0.2], iterations: 1, restarts: 1, targeted: null, seed: 0 };
    store.runs.create({ id: runId, config: { modelId, datasetId, subset: { mode: 'all' }, batchSize: 1, device: 'cpu', attack }, sampleCount: 1, appVersion: 'test' });
    const stored = Math.fround(0.2) + 1e-8; // what a float32 perturbation of exactly 0.2 measures as
    store.runs.insertBatch(runId, [
      {
        position: 0,
        index: 0,
        label: 0,
        pred: 0,
        logits: new Float32Array(10),
        logitMargin: 1,
        featureMarginLinf: null,
        featureMarginL2: null,
        best: { found: true, margin: stored, attack: 'apgd-t', linf: stored, l2: null, l1: null, example: null, logits: null, featureDistanceLinf: null, featureDistanceL2: null },
        outcomes: [{ attack: 'apgd-t', epsilon: 0.2, found: true, linf: stored, l2: null, l1: null, iterations: 1 }],
      },
    ]);
    const [at] = runDetail(store, runId).results!.robustness;
    expect(at).toMatchObject({ epsilon: 0.2, fromMargins: 0, combined: 0, byAttack: { 'apgd-t': 0 } });
    store.close();
  });
});

describe('feature distance columns', () => {
  it('reads rows written before the feature-distance migration as null, and stores them after it', () => {
    const path = join(dir(), 'old.brink');
    const store = ProjectStore.create(path, 'old');
    const modelId = addModel(store);
    const datasetId = newId('d');
    store.datasets.insert({
      id: datasetId,
      name: 'd',
      format: 'npy',
      sourceName: 'x.npy',
      sha256: '00',
      shape: [1, 2, 2],
      dtype: 'uint8',
      classNames: null,
      classCounts: [2],
      skipped: [],
      data: new Uint8Array(8),
      labels: Int32Array.of(0, 0),
    });
    const runId = newId('r');
    const attack = { attacks: ['fab' as const], norm: 'linf' as const, epsilons: [], iterations: 1, restarts: 1, targeted: null, seed: 0 };
    store.runs.create({ id: runId, config: { modelId, datasetId, subset: { mode: 'all' }, batchSize: 1, device: 'cpu', attack }, sampleCount: 2, appVersion: 'test' });
    store.close();
    // Back to the schema before the migration, with a row as the Brink of then wrote it.
    const before = migrations.findIndex((m) => m.includes('feature_distance_linf'));
    expect(before).toBeGreaterThan(0);
    const db = new Database(path);
    rollBack(db, before);
    db.prepare(
      `INSERT INTO run_samples (run_id, position, sample_index, label, pred, correct, logits, logit_margin, input_margin, margin_found, best_attack, adv_linf)
       VALUES (?, 0, 0, 0, 0, 1, ?, 1, 0.1, 1, 'fab', 0.1)`,
    ).run(runId, Buffer.from(new Float32Array(10).buffer));
    db.close();

    const reopened = ProjectStore.open(path);
    reopened.runs.insertBatch(runId, [
      {
        position: 1,
        index: 1,
        label: 0,
        pred: 0,
        logits: new Float32Array(10),
        logitMargin: 1,
        featureMarginLinf: null,
        featureMarginL2: null,
        best: { found: true, margin: 0.2, attack: 'fab', linf: 0.2, l2: 0.3, l1: 0.4, example: null, logits: null, featureDistanceLinf: 1.5, featureDistanceL2: 2.5 },
      },
    ]);
    const rows = [...reopened.runs.allSamples(runId)].map((s) => [s.position, s.marginFound, s.featureDistanceLinf, s.featureDistanceL2]);
    expect(rows).toEqual([
      [0, true, null, null],
      [1, true, 1.5, 2.5],
    ]);
    reopened.close();
  });
});
