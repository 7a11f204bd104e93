/**
 * Writes a report: the per-sample CSV first, then the sidecar JSON (the document model, which
 * carries the CSV's hash), then the PDF, whose appendix prints both hashes. Chromium prints it
 * twice: the first print's outline gives the table of contents its page numbers. The PDF's dates
 * are the report's recorded time, so the same project state and settings give the same bytes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ReportProgress, ReportSettings } from '../../src-preload/contract.js';
import { exportRun } from '../service/run-export.js';
import type { ProjectStore } from '../store/project-store.js';
import { buildReport, reportRuns } from './build-report.js';
import { pdfOutlinePages, pdfPageCount, withPdfDates } from './pdf-bytes.js';
import type { PdfPrinter } from './print-pdf.js';
import { renderReportHtml, sectionHeading, type SectionPages } from './render-html.js';
import type { ReportData } from './report-data.js';
import { sha256 } from '../sha256.js';

export interface WriteReportOptions {
  /** The report's recorded time (ISO 8601). */
  createdAt: string;
  brinkVersion: string;
  printer: PdfPrinter;
  progress?: (p: ReportProgress) => void;
}

export interface WrittenReport {
  path: string;
  printer: string;
  sha256: string;
  pages: number;
  sidecar: { path: string; sha256: string };
  samplesCsv: { path: string; sha256: string };
}

/** The page each section starts on, from the print's outline. */
function sectionPages(pdf: Uint8Array, data: ReportData): SectionPages {
  const outline = pdfOutlinePages(pdf);
  const pages: SectionPages = new Map();
  for (const id of data.sections) {
    const page = outline.get(sectionHeading(data, id));
    if (page === undefined) throw new Error(`the printed PDF's outline has no entry for "${sectionHeading(data, id)}"`);
    pages.set(id, page);
  }
  return pages;
}

/** report.pdf → report.json and report-samples.csv beside it. */
export function companionPaths(pdfPath: string): { sidecar: string; samplesCsv: string } {
  const stem = basename(pdfPath).replace(/\.pdf$/i, '');
  return { sidecar: join(dirname(pdfPath), `${stem}.json`), samplesCsv: join(dirname(pdfPath), `${stem}-samples.csv`) };
}

/** The report's HTML without writing anything: the preview, with the files' hashes left to the export. */
export async function previewReport(store: ProjectStore, settings: ReportSettings, ctx: { createdAt: string; brinkVersion: string; printer: string | null }): Promise<string> {
  return renderReportHtml(await buildReport(store, settings, { ...ctx, samplesCsv: null }), null);
}

export async function writeReport(store: ProjectStore, settings: ReportSettings, pdfPath: string, options: WriteReportOptions): Promise<WrittenReport> {
  const progress = options.progress ?? (() => undefined);
  const paths = companionPaths(pdfPath);
  // Refuse runs a report cannot take before any file is written.
  reportRuns(store, settings.runIds);
  progress({ stage: 'samples', fraction: 0.05 });
  const rows = await exportRun(store, settings.runIds[0], paths.samplesCsv, 'csv');
  const csvSha = sha256(await readFile(paths.samplesCsv));
  progress({ stage: 'analysis', fraction: 0.25 });
  const printer = await options.printer.name();
  const data = await buildReport(store, settings, {
    createdAt: options.createdAt,
    brinkVersion: options.brinkVersion,
    printer,
    samplesCsv: { fileName: basename(paths.samplesCsv), sha256: csvSha, rows },
  });
  const sidecar = `${JSON.stringify(data, null, 1)}\n`;
  const sidecarSha = sha256(sidecar);
  await writeFile(paths.sidecar, sidecar);
  progress({ stage: 'html', fraction: 0.4 });
  const draft = await options.printer.print(renderReportHtml(data, sidecarSha));
  progress({ stage: 'pdf', fraction: 0.65 });
  // Page numbers in the contents do not move a heading: the second print's outline must agree.
  const pages = sectionPages(draft, data);
  const printed = await options.printer.print(renderReportHtml(data, sidecarSha, pages));
  const moved = [...sectionPages(printed, data)].find(([id, page]) => pages.get(id) !== page);
  if (moved) throw new Error(`section ${moved[0]} moved to page ${moved[1]} when the contents got page numbers`);
  const pdf = withPdfDates(printed, options.createdAt);
  await writeFile(pdfPath, pdf);
  progress({ stage: 'done', fraction: 1 });
  return { path: pdfPath, printer, sha256: sha256(pdf), pages: pdfPageCount(pdf), sidecar: { path: paths.sidecar, sha256: sidecarSha }, samplesCsv: { path: paths.samplesCsv, sha256: csvSha } };
}
