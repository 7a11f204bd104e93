import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProjectInfo } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { DatasetRepo } from './dataset-repo.js';
import { migrations } from './migrations.js';
import { ModelRepo } from './model-repo.js';
import { PseudoMarginRepo } from './pseudo-margin-repo.js';
import { ReportRepo } from './report-repo.js';
import { RunRepo } from './run-repo.js';
import { SeriesRepo } from './series-repo.js';
import { openSqlite, type Sqlite } from './sqlite.js';

const APPLICATION_ID = 0x42524e4b; // 'BRNK': marks the file as a Brink project for `file` and for us

/** m: model, d: dataset, r: run, p: pseudo-margin, j: training job, a: audit report, g: audit group, s: checkpoint series. */
export function newId(prefix: 'm' | 'd' | 'r' | 'p' | 'j' | 'a' | 'g' | 's'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** One project: one SQLite file, opened with WAL and foreign keys, migrated on open. */
export class ProjectStore {
  readonly models: ModelRepo;
  readonly datasets: DatasetRepo;
  readonly runs: RunRepo;
  readonly pseudoMargins: PseudoMarginRepo;
  readonly reports: ReportRepo;
  readonly series: SeriesRepo;

  private constructor(
    readonly path: string,
    private readonly db: Sqlite,
    /** Opened without write access: the file is marked read-only or cannot be written. */
    readonly readOnly = false,
  ) {
    this.models = new ModelRepo(db);
    this.datasets = new DatasetRepo(db);
    this.runs = new RunRepo(db);
    this.pseudoMargins = new PseudoMarginRepo(db);
    this.reports = new ReportRepo(db);
    this.series = new SeriesRepo(db);
  }

  static create(path: string, name: string): ProjectStore {
    if (existsSync(path)) throw new UserError(`${basename(path)} already exists; choose another name`);
    const db = openSqlite(path, { mustExist: false });
    try {
      configure(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      migrate(db);
      const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      db.transaction(() => {
        insert.run('name', name);
        insert.run('created_at', new Date().toISOString());
      })();
    } catch (error) {
      db.close();
      throw error;
    }
    return new ProjectStore(path, db);
  }

  static open(path: string): ProjectStore {
    if (!existsSync(path)) throw new UserError(`${basename(path)}: no such project file`);
    const readOnly = !writable(path);
    let db: Sqlite;
    try {
      db = openSqlite(path, { mustExist: true, readonly: readOnly });
      configure(db, readOnly);
    } catch (error) {
      throw notAProject(path, error);
    }
    try {
      const appId = db.pragma('application_id', { simple: true }) as number;
      if (appId !== APPLICATION_ID) throw new UserError(`${basename(path)} is not a Brink project`);
      if (readOnly && (db.pragma('user_version', { simple: true }) as number) < migrations.length) {
        throw new UserError(`${basename(path)} is read-only and was written by an older Brink: make it writable once so that Brink can upgrade it`);
      }
      migrate(db);
      checkSchema(db, basename(path));
      checkJsonColumns(db, basename(path));
    } catch (error) {
      db.close();
      throw notAProject(path, error);
    }
    return new ProjectStore(path, db, readOnly);
  }

  info(): ProjectInfo {
    const meta = Object.fromEntries(
      (this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]),
    );
    return {
      path: this.path,
      name: meta.name ?? basename(this.path),
      createdAt: meta.created_at ?? '',
      modelCount: this.models.count(),
      datasetCount: this.datasets.count(),
      readOnly: this.readOnly,
    };
  }

  rename(name: string): void {
    this.db.prepare("UPDATE meta SET value = ? WHERE key = 'name'").run(name);
  }

  /**
   * Runs `work` on one read snapshot, across its awaits: an export reads a count and then rows
   * that must agree while a worker commits batches. Only for a connection of its own (a second
   * ProjectStore.open), since writes on this connection wait until the snapshot ends.
   */
  async readSnapshot<T>(work: () => Promise<T>): Promise<T> {
    this.db.exec('BEGIN');
    try {
      return await work();
    } finally {
      this.db.exec('COMMIT');
    }
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * A project whose file has no write permission bit is opened read-only, even for a user (root)
 * whom the system would let write: marking a file read-only is how a user says "do not change it".
 */
function writable(path: string): boolean {
  if ((statSync(path).mode & 0o222) === 0) return false;
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function configure(db: Sqlite, readOnly = false): void {
  // A read-only connection cannot change the journal mode; the file keeps the WAL mode it was written in.
  if (!readOnly) db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

function migrate(db: Sqlite): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (!Number.isInteger(version) || version < 0) throw new UserError(`the project is damaged: its schema version is ${version}`);
  if (version > migrations.length) {
    throw new UserError(`this project was written by a newer Brink (schema ${version}); update Brink to open it`);
  }
  for (let v = version; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** The tables and columns the migrations make, from a scratch database: what an open project must have. */
let expectedSchema: Map<string, string> | null = null;

function schemaOf(db: Sqlite): Map<string, string> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  return new Map(
    tables.map(({ name }) => {
      const columns = db.prepare(`PRAGMA table_info("${name.replace(/"/g, '""')}")`).all() as { name: string; type: string }[];
      return [name, columns.map((c) => `${c.name} ${c.type}`).join(', ')];
    }),
  );
}

/**
 * A file another program rewrote (a table dropped or remade, a schema version reset) would fail
 * later on some query with an SQL error; it is refused here, by name, instead.
 */
function checkSchema(db: Sqlite, fileName: string): void {
  if (!expectedSchema) {
    const scratch = openSqlite(':memory:', { mustExist: false });
    migrate(scratch);
    expectedSchema = schemaOf(scratch);
    scratch.close();
  }
  const actual = schemaOf(db);
  for (const [table, columns] of expectedSchema) {
    if (!actual.has(table)) throw new UserError(`${fileName} is damaged: its table ${table} is missing`);
    if (actual.get(table) !== columns) throw new UserError(`${fileName} is damaged: its table ${table} is not as Brink wrote it`);
  }
}

/**
 * Brink writes an object or an array (or NULL) into every `*_json` column; anything else there
 * was put by another program or a damaged disk, and would fail later in a reader. One scan at
 * open: the tables with JSON columns hold a row per model, dataset or run, not per sample.
 */
function checkJsonColumns(db: Sqlite, fileName: string): void {
  for (const [table, columns] of expectedSchema!) {
    for (const column of columns.split(', ').map((c) => c.split(' ')[0]).filter((c) => c.endsWith('_json'))) {
      const bad = db
        .prepare(
          `SELECT rowid FROM "${table}" WHERE "${column}" IS NOT NULL AND (json_valid("${column}") = 0 OR json_type("${column}") NOT IN ('object', 'array')) LIMIT 1`,
        )
        .get() as { rowid: number } | undefined;
      if (bad) throw new UserError(`${fileName} is damaged: ${table}.${column} in row ${bad.rowid} is not what Brink wrote`);
    }
  }
}

function notAProject(path: string, error: unknown): Error {
  if (error instanceof UserError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return new UserError(`${basename(path)} is not a Brink project`);
  // Any other SQL failure while migrating: the file's schema is not what its version says.
  if (code === 'SQLITE_ERROR') return new UserError(`${basename(path)} is damaged: ${(error as Error).message.split('\n')[0]}`);
  return error as Error;
}
