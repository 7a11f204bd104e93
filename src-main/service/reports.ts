/**
 * The project's audit reports (issue 13): preview, export into the folder beside the project,
 * the list, and re-export or regeneration of a kept report. A report is never overwritten in
 * place: re-export renders the same settings and time and must give the recorded bytes;
 * regeneration makes a new report.
 */
import { copyFile, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { OpenedFile, ReportProgress, ReportRecord, ReportSettings, SavedFile } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { choosePrinter } from '../report/choose-printer.js';
import type { PdfPrinter } from '../report/print-pdf.js';
import type { ReportData } from '../report/report-data.js';
import { reportDifferences } from '../report/report-differences.js';
import { companionPaths, previewReport, writeReport } from '../report/write-report.js';
import { newId, type ProjectStore } from '../store/project-store.js';
import type { Host } from './host.js';
import { readKeptFile } from './kept-file.js';

export interface ReportOptions {
  version: string;
  /** Electron's printToPDF in the app; elsewhere chosen by choosePrinter. */
  printer?: PdfPrinter;
  progress: (p: ReportProgress) => void;
  /** Where a line about the printer's choice goes (the CLI's stderr, the web host's log). */
  log: (line: string) => void;
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

  private chosen: Promise<PdfPrinter> | null = null;

  /** The app's printer, else the Electron binary or a Chromium (chosen once, the choice logged). */
  private printer(): Promise<PdfPrinter> {
    if (this.options.printer) return Promise.resolve(this.options.printer);
    if (!this.chosen) {
      const chosen = choosePrinter().then(async ({ printer, electronSkipped }) => {
        if (electronSkipped) this.options.log(`reports print with ${await printer.name()}, not Electron: ${electronSkipped}`);
        return printer;
      });
      // A failed choice (no Chromium yet) is not kept: installing one makes the next report work.
      chosen.catch(() => {
        if (this.chosen === chosen) this.chosen = null;
      });
      this.chosen = chosen;
    }
    return this.chosen;
  }

  /** The printer's name for the preview's appendix; null where none can be found, which the preview says. */
  private async printerName(): Promise<string | null> {
    try {
      return await (await this.printer()).name();
    } catch {
      return null;
    }
  }

  async preview(store: ProjectStore, settings: ReportSettings): Promise<string> {
    return previewReport(store, settings, { createdAt: new Date().toISOString(), brinkVersion: this.options.version, printer: await this.printerName() });
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
    const written = await writeReport(store, settings, path, { createdAt, brinkVersion: this.options.version, printer: await this.printer(), progress: this.options.progress });
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
      printer: written.printer,
    };
    store.reports.add(report);
    return report;
  }

  /**
   * Renders a kept report again with its settings and time, into a private folder beside it, and
   * puts the files in place only when the PDF hashes as recorded (restoring a deleted or damaged
   * copy); otherwise the kept files stay as they are and the error names what differs.
   */
  async reexport(store: ProjectStore, id: string): Promise<ReportRecord> {
    const kept = store.reports.get(id);
    const printer = await this.printer();
    const printerName = await printer.name();
    if (kept.printer !== null && kept.printer !== printerName) {
      throw new UserError(`report ${kept.fileName} was printed with ${kept.printer}, and this Brink prints with ${printerName}, which gives other bytes: re-export it where it was made, or regenerate it for a new report`);
    }
    await mkdir(dirname(kept.path), { recursive: true });
    // Same file names in another folder: the sidecar and the PDF name their companions by file name.
    const staging = await mkdtemp(join(dirname(kept.path), '.reexport-'));
    try {
      const written = await writeReport(store, kept.settings, join(staging, kept.fileName), { createdAt: kept.createdAt, brinkVersion: this.options.version, printer, progress: this.options.progress });
      if (written.sha256 !== kept.sha256) {
        const causes = await this.differences(kept, written.sidecar.path);
        throw new UserError(
          `report ${kept.fileName} cannot be re-exported as it was: rendered again, its SHA-256 is ${written.sha256}, not ${kept.sha256} (${causes}); the kept files were left as they are; regenerate it for a new report`,
        );
      }
      const target = companionPaths(kept.path);
      await rename(written.samplesCsv.path, target.samplesCsv);
      await rename(written.sidecar.path, target.sidecar);
      await rename(written.path, kept.path);
      return kept;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** What differs between the kept report's sidecar and a new one, in words. */
  private async differences(kept: ReportRecord, newSidecar: string): Promise<string> {
    const keptSidecar = companionPaths(kept.path).sidecar;
    const before = await readKeptFile(keptSidecar, kept.sidecarSha256);
    if (before.state !== 'intact') return `its sidecar ${basename(keptSidecar)} is missing or altered, so the cause cannot be named`;
    const phrases = reportDifferences(JSON.parse(before.bytes.toString('utf8')) as ReportData, JSON.parse(await readFile(newSidecar, 'utf8')) as ReportData);
    return phrases.length ? `differs in ${phrases.join('; ')}` : 'the same document printed to other bytes';
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
