import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultVerdictThresholds, type ReportSettings, type RunConfig } from '../../src-preload/contract.js';
import { samplesDir } from '../paths.js';
import { findChromium } from '../report/chromium.js';
import { chromiumPrinter, type PdfPrinter } from '../report/print-pdf.js';
import { companionPaths } from '../report/write-report.js';
import { newId, ProjectStore } from '../store/project-store.js';
import { forwardMargins } from '../worker/forward-margins.js';
import { Reports, reportsDir } from './reports.js';
import { buildSampleProject } from './sample-project.js';
import { testHost } from './test-host.js';

const hasChromium = (() => {
  try {
    return Boolean(findChromium());
  } catch {
    return false;
  }
})();

describe.skipIf(!hasChromium)("the project's reports", () => {
  let store: ProjectStore;
  let settings: ReportSettings;
  let root: string;
  const stages: string[] = [];
  const logged: string[] = [];
  const reports = new Reports({ version: 'test', progress: (p) => stages.push(p.stage), log: (line) => logged.push(line) });
  const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-reports-'));
    await buildSampleProject(samplesDir, join(root, 'sample.brink'));
    store = ProjectStore.open(join(root, 'sample.brink'));
    const config: RunConfig = { modelId: store.models.list()[0].id, datasetId: store.datasets.list()[0].id, subset: { mode: 'first', count: 50 }, batchSize: 50, device: 'cpu', attack: null };
    const id = newId('r');
    store.runs.create({ id, config, sampleCount: 50, appVersion: 'test' });
    await forwardMargins({ store, runId: id, intraOpThreads: 1, stopRequested: () => false, progress: () => undefined, log: () => undefined });
    store.runs.setStatus(id, 'done');
    settings = { runIds: [id], title: 'Kept report', client: '', auditor: '', notes: '', thresholds: defaultVerdictThresholds };
  }, 120_000);
  afterAll(() => store?.close());

  it('keeps an exported report beside the project, re-exports it to the recorded bytes, and regenerates it as a new report', async () => {
    const made = await reports.export(store, settings, { createdAt: '2026-03-01T12:00:00.000Z' });
    expect(made.path.startsWith(reportsDir(store.path))).toBe(true);
    expect(existsSync(made.path)).toBe(true);
    expect(stages).toEqual(['samples', 'analysis', 'html', 'pdf', 'done']);
    expect(store.reports.list()).toEqual([made]);
    // No Electron binary is installed beside these tests, so the choice of printer says why it fell to Chromium.
    expect(made.printer).toMatch(/^Chromium \d+\./);
    expect(logged.join('\n')).toMatch(/reports print with Chromium .*, not Electron: /);
    expect(readFileSync(companionPaths(made.path).sidecar, 'utf8')).toContain(`"printer": "${made.printer}"`);

    expect(await reports.reexport(store, made.id)).toEqual(made);
    // A deleted copy comes back with the recorded bytes, and no staging folder is left.
    rmSync(made.path);
    expect(await reports.reexport(store, made.id)).toEqual(made);
    expect(hash(made.path)).toBe(made.sha256);
    expect(readdirSync(dirname(made.path)).filter((name) => name.startsWith('.reexport-'))).toEqual([]);

    const renewed = await reports.regenerate(store, made.id);
    expect(renewed.id).not.toBe(made.id);
    expect(renewed.path).not.toBe(made.path);
    expect(renewed.settings).toEqual(made.settings);
    expect(store.reports.list().map((r) => r.id).sort()).toEqual([made.id, renewed.id].sort());
    expect(existsSync(made.path)).toBe(true);
  }, 120_000);

  it('refuses a re-export that would give other bytes, names why, and leaves the kept files as they were', async () => {
    const made = await reports.export(store, settings, { createdAt: '2026-03-02T12:00:00.000Z' });
    const files = companionPaths(made.path);
    const before = [made.path, files.sidecar, files.samplesCsv].map(hash);
    // Another Brink version renders another appendix, so other bytes.
    const newer = new Reports({ version: 'test-2', progress: () => undefined, log: () => undefined, printer: chromiumPrinter(findChromium()) });
    await expect(newer.reexport(store, made.id)).rejects.toThrow(/cannot be re-exported as it was: .*differs in Brink: test-2 now, test when it was made.*the kept files were left as they are/);
    expect([made.path, files.sidecar, files.samplesCsv].map(hash)).toEqual(before);
    expect(readdirSync(dirname(made.path)).filter((name) => name.startsWith('.reexport-'))).toEqual([]);

    // Another printer is refused before anything is rendered.
    const other: PdfPrinter = { name: () => Promise.resolve('Other printer 1.0'), print: () => Promise.reject(new Error('must not print')) };
    const elsewhere = new Reports({ version: 'test', progress: () => undefined, log: () => undefined, printer: other });
    await expect(elsewhere.reexport(store, made.id)).rejects.toThrow(`was printed with ${made.printer}, and this Brink prints with Other printer 1.0`);
    expect(hash(made.path)).toBe(made.sha256);
  }, 120_000);

  it('opens a kept report only while its file is where it was written and hashes as recorded', async () => {
    const made = await reports.export(store, { ...settings, title: 'Opened report' }, { createdAt: '2026-03-02T12:00:00.000Z' });
    const host = testHost(root);
    expect(await reports.open(store, host, made.id)).toEqual({ kind: 'opened', path: made.path });

    renameSync(made.path, `${made.path}.moved`);
    await expect(reports.open(store, host, made.id)).rejects.toThrow(`report ${made.fileName} is no longer at ${made.path} (moved or deleted); re-export it`);
    renameSync(`${made.path}.moved`, made.path);

    appendFileSync(made.path, '%% one more line\n');
    const refused = reports.open(store, host, made.id);
    await expect(refused).rejects.toThrow(new RegExp(`^report ${made.fileName} has changed since it was made: its SHA-256 is [0-9a-f]{64}, not the recorded ${made.sha256}; re-export it`));
    await expect(refused).rejects.toHaveProperty('name', 'UserError');
  }, 120_000);
});
