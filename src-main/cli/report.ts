import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defaultVerdictThresholds, type ReportSettings } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { openProjectFile } from '../service/open-project.js';
import { Reports } from '../service/reports.js';
import { appVersion } from '../paths.js';
import { companionPaths } from '../report/write-report.js';

export interface ReportOptions {
  run: string[];
  out: string;
  title?: string;
  client?: string;
  auditor?: string;
  notes?: string;
  time?: string;
  json?: boolean;
}

/** `brink report`: the audit report of a project's runs as a PDF, with its sidecar JSON and per-sample CSV beside it, recorded in the project. */
export async function report(file: string, opts: ReportOptions): Promise<void> {
  if (!/\.pdf$/i.test(opts.out)) throw new UserError(`${opts.out}: the report is written as a .pdf`);
  if (opts.time !== undefined && Number.isNaN(new Date(opts.time).getTime())) throw new UserError(`--time ${opts.time} is not a date; write it as ISO 8601, e.g. 2026-03-01T12:00:00Z`);
  const settings: ReportSettings = {
    runIds: opts.run,
    title: opts.title ?? 'Adversarial robustness audit',
    client: opts.client ?? '',
    auditor: opts.auditor ?? '',
    notes: opts.notes ? await readFile(resolve(opts.notes), 'utf8') : '',
    thresholds: defaultVerdictThresholds,
  };
  const store = openProjectFile(resolve(file));
  try {
    const reports = new Reports({
      version: appVersion,
      progress: (p) => {
        if (!opts.json) process.stderr.write(`report: ${p.stage} ${Math.round(p.fraction * 100)}%\n`);
      },
      log: (line) => process.stderr.write(`report: ${line}\n`),
    });
    const out = resolve(opts.out);
    const made = await reports.export(store, settings, { path: out, createdAt: opts.time && new Date(opts.time).toISOString() });
    const { sidecar, samplesCsv } = companionPaths(out);
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ report: { path: out, sha256: made.sha256, pages: made.pages, printer: made.printer, sidecar, samples_csv: samplesCsv } })}\n`
        : `Wrote ${made.pages} pages to ${out} (printed with ${made.printer})\nSHA-256 ${made.sha256}\nSidecar ${sidecar} (SHA-256 ${made.sidecarSha256})\nSamples ${samplesCsv} (SHA-256 ${made.samplesSha256})\n`,
    );
  } finally {
    store.close();
  }
}
