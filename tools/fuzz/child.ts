// One fuzzing process: builds a host project and the seeds, then runs the cases main asks for,
// reporting each one's start (so a hang or a death is pinned on it) and its outcome.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { mulberry32 } from '../../src-main/engine/random.js';
import { isUserFacing } from '../../src-main/errors.js';
import { samplesDir } from '../../src-main/paths.js';
import { importDataset } from '../../src-main/service/dataset-import.js';
import { importModel } from '../../src-main/service/model-import.js';
import { ProjectStore } from '../../src-main/store/project-store.js';
import { kinds, loadSeeds, type KindName } from './kinds.js';
import { caseSeed } from './mutate.js';
import type { CaseResult, ChildReport, ChildRequest } from './protocol.js';

const root = mkdtempSync(join(tmpdir(), 'brink-fuzz-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

async function hostProject(): Promise<{ store: ProjectStore; seedProject: Uint8Array }> {
  const store = ProjectStore.create(join(root, 'host.brink'), 'Fuzz host');
  await importModel(store, join(samplesDir, 'fmnist-cnn-standard.onnx'));
  await importDataset(store, join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz'));
  const copy = join(root, 'seed.brink');
  const db = new Database(store.path, { readonly: true });
  db.exec(`VACUUM INTO '${copy}'`);
  db.close();
  return { store, seedProject: new Uint8Array(readFileSync(copy)) };
}

/** Every row of every table, hashed: "the project's content" that a refused input must leave alone. */
function fingerprint(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const hash = createHash('sha256');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    for (const { name } of tables) {
      hash.update(name);
      for (const row of db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).iterate() as Iterable<Record<string, unknown>>) {
        for (const value of Object.values(row)) hash.update(value instanceof Uint8Array ? value : String(value));
      }
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

/** A refusal is an error meant for the user, in one readable line; anything else is a crash. */
export function judge(error: unknown): Pick<CaseResult, 'outcome' | 'message'> {
  if (!(error instanceof Error)) return { outcome: 'crash', message: `threw a non-Error: ${String(error).slice(0, 200)}` };
  const line = `${error.name}: ${error.message}`.slice(0, 300);
  if (!isUserFacing(error)) return { outcome: 'crash', message: `${line} @ ${(error as Error).stack?.split('\n')[1]?.trim() ?? ''}` };
  if (error.message.includes('\n') || error.message.length > 400) return { outcome: 'crash', message: `not one line: ${line}` };
  return { outcome: 'refused', message: error.message };
}

const send = (report: ChildReport) => process.send!(report);

async function main(): Promise<void> {
  const { store, seedProject } = await hostProject();
  const seeds = await loadSeeds(seedProject);
  let baseline = fingerprint(store.path);
  send({ type: 'ready' });
  process.on('message', async (request: ChildRequest) => {
    for (let index = request.from; index < request.to; index++) {
      const kind = kinds[request.kind as KindName];
      const rng = mulberry32(caseSeed(request.seed, request.kind, index));
      const dir = join(root, 'case');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      send({ type: 'start', index });
      const testCase = kind.make(rng, seeds, root);
      send({ type: 'case', mutation: testCase.mutation });
      for (const [name, bytes] of Object.entries(testCase.files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), bytes);
      }
      const bytes = Object.values(testCase.files).reduce((sum, b) => sum + b.length, 0);
      const before = process.memoryUsage().rss;
      const started = performance.now();
      let result: Pick<CaseResult, 'outcome' | 'message'>;
      try {
        const added = await kind.run({ store, seeds }, join(dir, testCase.entry));
        if (added?.model) store.models.remove(added.model);
        if (added?.dataset) store.datasets.remove(added.dataset);
        result = { outcome: 'accepted', message: '' };
      } catch (error) {
        result = judge(error);
      }
      const ms = performance.now() - started;
      if (result.outcome === 'refused') {
        const integrity = store.integrityCheck();
        if (integrity !== 'ok') result = { outcome: 'corrupt', message: `integrity_check: ${integrity}` };
        else if (fingerprint(store.path) !== baseline) result = { outcome: 'corrupt', message: `content changed after: ${result.message}` };
      } else if (result.outcome === 'accepted') {
        baseline = fingerprint(store.path);
      }
      send({ type: 'result', result: { index, mutation: testCase.mutation, bytes, ms, rssBefore: before, rssAfter: process.memoryUsage().rss, ...result } });
    }
    send({ type: 'done' });
  });
}

void main();
