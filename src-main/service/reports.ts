/**
 * The project's audit reports (issue 13): preview, export into the folder beside the project,
 * the list, and re-export or regeneration of a kept report. A report is never overwritten in
 * place: re-export renders the same settings and time and must give the recorded bytes;
 * regeneration makes a new report.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { OpenedFile, ReportProgress, ReportRecord, ReportSettings, SavedFile } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { chromiumPrinter, type PdfPrinter } from '../report/print-pdf.js';
import { previewReport, writeReport } from '../report/write-report.js';
import { newId, type ProjectStore } from '../store/project-store.js';
import type { Host } from './host.js';
import { readKeptFile } from './kept-file.js';

export interface ReportOptions {
  version: string;
  /** Electron's printToPDF in the app; a headless Chromium elsewhere. */
  printer?: PdfPrinter;
  progress: (p: ReportProgress) => void;
}

/** project.brink → project.reports/ beside it. */
export function reportsDir(projectPath: string): string {
  return `${projectPath.replace(/\.brink$/i, '')}.reports`;
}

function reportFileName(settings: ReportSettings, createdAt: string, id: string): string {
  const slug =
    settings.title
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'report';
  return `${slug}-${createdAt.slice(0, 10)}-${id}.pdf`;
}

export class Reports {
  constructor(private readonly options: ReportOptions) {}

  private printer(): PdfPrinter {
    return this.options.printer ?? chromiumPrinter();
  }

  preview(store: ProjectStore, settings: ReportSettings): Promise<string> {
    return previewReport(store, settings, new Date().toISOString(), this.options.version);
  }

  /**
   * A new report of the project as it is now, recorded in it: at `createdAt` (now unless given),
   * written to `path` (else into the folder beside the project).
   */
  async export(store: ProjectStore, settings: ReportSettings, where: { createdAt?: string; path?: string } = {}): Promise<ReportRecord> {
    const createdAt = where.createdAt ?? new Date().toISOString();
    const id = newId('a');
    const path = where.path ?? join(reportsDir(store.path), reportFileName(settings, createdAt, id));
    await mkdir(dirname(path), { recursive: true });
    const written = await writeReport(store, settings, path, { createdAt, brinkVersion: this.options.version, printer: this.printer(), progress: this.options.progress });
    const report: ReportRecord = {
      id,
      fileName: basename(path),
      path,
      sha256: written.sha256,
      pages: written.pages,
      sidecarSha256: written.sidecar.sha256,
      samplesSha256: written.samplesCsv.sha256,
      settings,
      createdAt,
    };
    store.reports.add(report);
    return report;
  }

  /** Renders a kept report again with its settings and time; refuses when the project has changed so that the bytes differ. */
  async reexport(store: ProjectStore, id: string): Promise<ReportRecord> {
    const kept = store.reports.get(id);
    const written = await writeReport(store, kept.settings, kept.path, { createdAt: kept.createdAt, brinkVersion: this.options.version, printer: this.printer(), progress: this.options.progress });
    if (written.sha256 !== kept.sha256) {
      throw new UserError(`the project has changed since report ${kept.fileName} was made: the new file's SHA-256 is ${written.sha256}, not ${kept.sha256}; regenerate it for a new report`);
    }
    return kept;
  }

  regenerate(store: ProjectStore, id: string): Promise<ReportRecord> {
    return this.export(store, store.reports.get(id).settings);
  }

  save(store: ProjectStore, host: Host, id: string): Promise<SavedFile | null> {
    const kept = store.reports.get(id);
    return host.saveFile(kept.fileName, (path) => copyFile(kept.path, path));
  }

  /** Opens a kept report for reading, only while its file is where it was written and hashes as recorded: an auditor is never shown another file. */
  async open(store: ProjectStore, host: Host, id: string): Promise<OpenedFile> {
    const kept = store.reports.get(id);
    const reading = await readKeptFile(kept.path, kept.sha256);
    if (reading.state === 'missing') {
      throw new UserError(`report ${kept.fileName} is no longer at ${kept.path} (moved or deleted); re-export it to write the recorded report there again`);
    }
    if (reading.state === 'changed') {
      throw new UserError(`report ${kept.fileName} has changed since it was made: its SHA-256 is ${reading.sha256}, not the recorded ${kept.sha256}; re-export it to write the recorded report again`);
    }
    return host.openFile({ path: kept.path, name: kept.fileName, mediaType: 'application/pdf', sha256: kept.sha256 });
  }
}
