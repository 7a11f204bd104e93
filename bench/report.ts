/**
 * The audit report of a 10,000-sample run (issue 13, item 7): the PDF must stay under 5 MB
 * (thumbnails and aggregated charts, never per-sample data) and render in under 30 s.
 *
 *   npx tsx bench/report.ts [--samples 10000] [--seed 0]
 *
 * The run is bench/synthetic-run.ts's (about 85% correct, 2% censored, FAB and APGD-CE at
 * 8/255), written into the sample project by RunRepo.insertBatch; its sample indices wrap
 * around the sample dataset's 1,000 images so that the galleries have images to show. Timed:
 * the whole export (per-sample CSV, analysis, galleries, HTML, Chromium's print, date fix),
 * as `brink report` runs it. Prints the PDF's size and pages, and the sidecar's and CSV's sizes.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultVerdictThresholds } from '../src-preload/contract.js';
import { samplesDir } from '../src-main/paths.js';
import { choosePrinter } from '../src-main/report/choose-printer.js';
import type { PdfPrinter } from '../src-main/report/print-pdf.js';
import { writeReport } from '../src-main/report/write-report.js';
import { buildSampleProject } from '../src-main/service/sample-project.js';
import { newId, ProjectStore } from '../src-main/store/project-store.js';
import { loadAverage, wholeNumber } from './common.js';
import { syntheticRun } from './synthetic-run.js';

const TARGET_MS = 30_000;
const TARGET_BYTES = 5_000_000;

const { values } = parseArgs({ options: { samples: { type: 'string', default: '10000' }, seed: { type: 'string', default: '0' } } });
const samples = wholeNumber('samples', values.samples, 10);
const seed = wholeNumber('seed', values.seed, 0);

const root = mkdtempSync(join(tmpdir(), 'brink-bench-report-'));
await buildSampleProject(samplesDir, join(root, 'bench.brink'));
const store = ProjectStore.open(join(root, 'bench.brink'));
try {
  const model = store.models.list().find((m) => m.name === 'fmnist-cnn-robust')!;
  const dataset = store.datasets.list()[0];
  const run = syntheticRun(samples, 10, seed, { modelId: model.id, datasetId: dataset.id });
  const id = newId('r');
  store.runs.create({ id, config: run.config, sampleCount: samples, appVersion: 'bench' });
  const rows = run.rows.map((r) => ({ ...r, index: r.position % dataset.count }));
  for (let k = 0; k < rows.length; k += 100) store.runs.insertBatch(id, rows.slice(k, k + 100));
  store.runs.setStatus(id, 'done');

  const settings = { runIds: [id], title: 'Bench report', client: 'Bench', auditor: 'Bench', notes: '', thresholds: defaultVerdictThresholds };
  // The printer `brink report` would choose here; the HTML it is handed is measured on the way.
  const { printer: chosen } = await choosePrinter();
  let largestHtml = 0;
  const printer: PdfPrinter = {
    name: () => chosen.name(),
    print: (html) => {
      largestHtml = Math.max(largestHtml, Buffer.byteLength(html));
      return chosen.print(html);
    },
  };
  const t0 = performance.now();
  const out = await writeReport(store, settings, join(root, 'report.pdf'), { createdAt: '2026-01-01T00:00:00.000Z', brinkVersion: 'bench', printer });
  const elapsed = performance.now() - t0;
  const bytes = statSync(out.path).size;
  console.log(`load average ${loadAverage()}`);
  console.log(`${samples.toLocaleString('en-US')}-sample run: ${out.pages} pages, PDF ${(bytes / 1e6).toFixed(2)} MB (target < ${TARGET_BYTES / 1e6} MB), rendered in ${(elapsed / 1000).toFixed(1)} s (target < ${TARGET_MS / 1000} s)`);
  console.log(`printed with ${out.printer}; the HTML it printed ${(largestHtml / 1e6).toFixed(2)} MB`);
  console.log(`sidecar JSON ${(statSync(out.sidecar.path).size / 1e6).toFixed(2)} MB, per-sample CSV ${(statSync(out.samplesCsv.path).size / 1e6).toFixed(2)} MB`);
  if (bytes >= TARGET_BYTES || elapsed >= TARGET_MS) process.exitCode = 1;
} finally {
  store.close();
}
