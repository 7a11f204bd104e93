import type { ReportRecord, ReportSettings } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { Sqlite } from './sqlite.js';

interface ReportRow {
  id: string;
  file_name: string;
  path: string;
  sha256: string;
  pages: number;
  sidecar_sha256: string;
  samples_sha256: string;
  settings_json: string;
  created_at: string;
  printer: string | null;
}

function record(r: ReportRow): ReportRecord {
  return {
    id: r.id,
    fileName: r.file_name,
    path: r.path,
    sha256: r.sha256,
    pages: r.pages,
    sidecarSha256: r.sidecar_sha256,
    samplesSha256: r.samples_sha256,
    settings: JSON.parse(r.settings_json) as ReportSettings,
    createdAt: r.created_at,
    printer: r.printer,
  };
}

/** The reports made from the project: each row is one PDF, never replaced (a regenerated report is a new row). */
export class ReportRepo {
  constructor(private readonly db: Sqlite) {}

  add(report: ReportRecord): void {
    this.db
      .prepare(
        `INSERT INTO reports (id, file_name, path, sha256, pages, sidecar_sha256, samples_sha256, run_ids_json, settings_json, created_at, printer)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(report.id, report.fileName, report.path, report.sha256, report.pages, report.sidecarSha256, report.samplesSha256, JSON.stringify(report.settings.runIds), JSON.stringify(report.settings), report.createdAt, report.printer);
  }

  list(): ReportRecord[] {
    return (this.db.prepare('SELECT * FROM reports ORDER BY created_at DESC, id').all() as ReportRow[]).map(record);
  }

  get(id: string): ReportRecord {
    const row = this.db.prepare('SELECT * FROM reports WHERE id = ?').get(id) as ReportRow | undefined;
    if (!row) throw new UserError(`no report ${id} in this project`);
    return record(row);
  }
}
