import { UserError } from '../errors.js';
import type { Sqlite } from './sqlite.js';

/** A checkpoint series as stored: its checkpoints (models) in training order. */
export interface StoredSeries {
  id: string;
  name: string;
  createdAt: string;
  /** Model ids in training order. */
  modelIds: string[];
}

/** Checkpoint series (migration: series, series_models, series_runs). */
export class SeriesRepo {
  constructor(private readonly db: Sqlite) {}

  create(series: { id: string; name: string; modelIds: string[] }): void {
    const insertModel = this.db.prepare('INSERT INTO series_models (series_id, position, model_id) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO series (id, name, created_at) VALUES (?, ?, ?)').run(series.id, series.name, new Date().toISOString());
      series.modelIds.forEach((modelId, position) => insertModel.run(series.id, position, modelId));
    })();
  }

  list(): StoredSeries[] {
    const rows = this.db.prepare('SELECT id, name, created_at FROM series ORDER BY created_at, id').all() as { id: string; name: string; created_at: string }[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, modelIds: this.modelIds(r.id) }));
  }

  get(id: string): StoredSeries {
    const row = this.db.prepare('SELECT id, name, created_at FROM series WHERE id = ?').get(id) as { id: string; name: string; created_at: string } | undefined;
    if (!row) throw new UserError(`no checkpoint series ${id} in this project`);
    return { id: row.id, name: row.name, createdAt: row.created_at, modelIds: this.modelIds(id) };
  }

  /** Records a run queued for one of the series' checkpoints. */
  addRun(id: string, runId: string): void {
    this.db.prepare('INSERT INTO series_runs (series_id, run_id) VALUES (?, ?)').run(id, runId);
  }

  /** The runs queued for the series, newest first. */
  runIds(id: string): string[] {
    return this.db
      .prepare('SELECT s.run_id FROM series_runs s JOIN runs r ON r.id = s.run_id WHERE s.series_id = ? ORDER BY r.created_at DESC, r.id DESC')
      .pluck()
      .all(id) as string[];
  }

  /** Removes the series, not its checkpoints or their runs. */
  remove(id: string): void {
    if (this.db.prepare('DELETE FROM series WHERE id = ?').run(id).changes === 0) throw new UserError(`no checkpoint series ${id} in this project`);
  }

  private modelIds(id: string): string[] {
    return this.db.prepare('SELECT model_id FROM series_models WHERE series_id = ? ORDER BY position').pluck().all(id) as string[];
  }
}
