import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultVerdictThresholds, type AttackSettings, type ReportSettings, type RunConfig } from '../../src-preload/contract.js';
import { subsetIndices } from '../jobs/subset.js';
import { samplesDir } from '../paths.js';
import { zipSync } from 'fflate';
import { encode, model, node, valueInfo } from '../engine/onnx/fixtures/models.js';
import { mulberry32 } from '../engine/random.js';
import { encodeNpy } from '../engine/runtime/npy.js';
import { importDataset } from '../service/dataset-import.js';
import { importModel } from '../service/model-import.js';
import { buildSampleProject } from '../service/sample-project.js';
import { newId, ProjectStore } from '../store/project-store.js';
import { forwardMargins } from '../worker/forward-margins.js';
import { findChromium } from './chromium.js';
import type { ReportData } from './report-data.js';
import { sectionTitles } from './render-sections.js';
import { chromiumPrinter } from './print-pdf.js';
import { sha256 } from '../sha256.js';
import { writeReport } from './write-report.js';

const chromium = (() => {
  try {
    return findChromium();
  } catch {
    return null;
  }
})();

function pdftotext(path: string, ...args: string[]): string {
  return execFileSync('pdftotext', [...args, path, '-'], { encoding: 'utf8' });
}

describe.skipIf(!chromium)('the PDF audit report of the sample project', () => {
  let root: string;
  let store: ProjectStore;
  let datasetId: string;
  let robustId: string;
  let attackRun: string;
  let forwardRun: string;
  let censoredRun: string;
  const createdAt = '2026-03-01T12:00:00.000Z';

  async function run(attack: AttackSettings | null, count: number, more: Partial<RunConfig> = {}): Promise<string> {
    const config: RunConfig = { modelId: robustId, datasetId, subset: { mode: 'first', count }, batchSize: 100, device: 'cpu', attack, ...more };
    const id = newId('r');
    store.runs.create({ id, config, sampleCount: subsetIndices(config.subset, store.datasets.get(datasetId).count).length, appVersion: 'test' });
    expect(await forwardMargins({ store, runId: id, intraOpThreads: 1, stopRequested: () => false, progress: () => undefined, log: () => undefined })).toBe('done');
    store.runs.setStatus(id, 'done');
    return id;
  }

  function settings(runIds: string[]): ReportSettings {
    return { runIds, title: 'Robustness audit of the FMNIST CNN', client: 'Example Client', auditor: 'A. Auditor', notes: '## Scope\n\nSigned off for **internal** use.\n\n- item one', thresholds: defaultVerdictThresholds };
  }

  async function render(runIds: string[], name: string) {
    return writeReport(store, settings(runIds), join(root, `${name}.pdf`), { createdAt, brinkVersion: 'test', printer: chromiumPrinter(chromium!) });
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-report-'));
    await buildSampleProject(samplesDir, join(root, 'sample.brink'));
    store = ProjectStore.open(join(root, 'sample.brink'));
    datasetId = store.datasets.list()[0].id;
    robustId = store.models.list().find((m) => m.name === 'fmnist-cnn-robust')!.id;
    attackRun = await run({ attacks: ['deepfool', 'apgd-ce'], norm: 'linf', epsilons: [8 / 255], iterations: 10, restarts: 1, targeted: null, seed: 0 }, 200);
    forwardRun = await run(null, 300);
    // One DeepFool step cannot move most samples: a run with many censored samples.
    censoredRun = await run({ attacks: ['deepfool'], norm: 'l2', epsilons: [0.5], iterations: 1, restarts: 1, targeted: null, seed: 0 }, 100);
  }, 240_000);
  afterAll(() => store?.close());

  it('puts the verdict sentence on page 1, "Page 1 of N", every section title and every SHA-256 in the text, and is tagged', async () => {
    const out = await render([attackRun, forwardRun], 'audit');
    const data = JSON.parse(readFileSync(out.sidecar.path, 'utf8')) as ReportData;
    const info = execFileSync('pdfinfo', [out.path], { encoding: 'utf8' });
    expect(info).toMatch(/Tagged:\s+yes/);
    expect(Number(/Pages:\s+(\d+)/.exec(info)![1])).toBe(out.pages);
    const first = pdftotext(out.path, '-raw', '-f', '1', '-l', '1').replace(/\s+/g, ' ');
    expect(first).toContain(data.verdict.sentence.replace(/\s+/g, ' '));
    expect(first).toContain(`Page 1 of ${out.pages}`);
    const text = pdftotext(out.path, '-raw').replace(/\s+/g, '');
    for (const title of Object.values(sectionTitles)) expect(text).toContain(title.replace(/\s+/g, ''));
    // The contents give each section the page its heading is printed on.
    const verdictPage = pdftotext(out.path, '-raw', '-f', '2', '-l', '2');
    expect(verdictPage).toContain('1. Verdict and executive summary');
    expect(first).toMatch(/1\. Verdict and executive summary 2 2\. Scope and threat model 3 /);
    for (const hash of [data.model.sha256, data.dataset.sha256, out.sidecar.sha256, out.samplesCsv.sha256]) expect(text).toContain(hash);
    expect(out.sha256).toBe(sha256(readFileSync(out.path)));
    expect(data.analysis.algorithm1?.withForward?.runId).toBe(forwardRun);
    expect(statSize(out.path)).toBeLessThan(5e6);
  }, 120_000);

  it('gives byte-identical PDFs for two renders of the same project state and settings', async () => {
    const a = await render([attackRun], 'again');
    const firstBytes = readFileSync(a.path);
    const b = await render([attackRun], 'again');
    expect(b.sha256).toBe(a.sha256);
    expect(Buffer.compare(readFileSync(b.path), firstBytes)).toBe(0);
    expect(a.sidecar.sha256).toBe(b.sidecar.sha256);
  }, 120_000);

  it('says what a forward-only run cannot show, and why, instead of leaving sections out', async () => {
    const out = await render([forwardRun], 'forward');
    const data = JSON.parse(readFileSync(out.sidecar.path, 'utf8')) as ReportData;
    expect(data.verdict.level).toBe('not-assessed');
    const text = pdftotext(out.path).replace(/\s+/g, ' ');
    expect(text).toContain('Verdict: NOT ASSESSED');
    expect(text).toContain('Not in this report: every figure of this section. Why: the run computed forward margins only');
    for (const title of Object.values(sectionTitles)) expect(text).toContain(title);
  }, 120_000);

  it('reports censored samples as censored, in the limitations and the reliability section', async () => {
    const out = await render([censoredRun], 'censored');
    const data = JSON.parse(readFileSync(out.sidecar.path, 'utf8')) as ReportData;
    expect(data.analysis.censored).toBeGreaterThan(0);
    const text = pdftotext(out.path).replace(/\s+/g, ' ');
    expect(text).toContain(`${data.analysis.censored} samples are censored`);
    expect(text).toContain('Censored share');
  }, 120_000);

  it("compares the models audited on the same samples, and shows a run's perturbation families and the corruption table", async () => {
    const deepfool: AttackSettings = { attacks: ['deepfool'], norm: 'linf', epsilons: [8 / 255], iterations: 10, restarts: 1, targeted: null, seed: 0 };
    const standardId = store.models.list().find((m) => m.name === 'fmnist-cnn-standard')!.id;
    const audited = await run(deepfool, 60, { perturbations: { families: ['brightness', 'jpeg', 'rotation'], seed: 1 } });
    await run(deepfool, 60, { modelId: standardId, perturbations: { families: ['brightness', 'jpeg', 'rotation'], seed: 1 } });
    const out = await render([audited], 'comparison');
    const data = JSON.parse(readFileSync(out.sidecar.path, 'utf8')) as ReportData;
    expect(data.comparison!.rows.map((r) => r.modelName).sort()).toEqual(['fmnist-cnn-robust', 'fmnist-cnn-standard']);
    expect(data.families!.families.map((f) => f.family)).toEqual(['brightness', 'jpeg', 'rotation']);
    const text = pdftotext(out.path).replace(/\s+/g, ' ');
    expect(text).toContain('Median margin per family');
    expect(text).toContain('fmnist-cnn-standard');
    expect(text).toContain('Accuracy under corruption (CIFAR-10-C severities)');
    expect(text).toContain(`Mean corruption accuracy ${(data.families!.meanCorruptionAccuracy! * 100).toFixed(1)}%`);
    // The audit without families says so in its families section.
    const plain = JSON.parse(readFileSync((await render([attackRun], 'plain')).sidecar.path, 'utf8')) as ReportData;
    expect(plain.families).toBeNull();
    expect(plain.missing.some((m) => m.section === 'families' && /measured no corruption or spatial family/.test(m.reason))).toBe(true);
  }, 180_000);

  it('reports a run on an unlabeled dataset completely, saying why it states no accuracy', async () => {
    const images = store.datasets.read(datasetId, 0, 40);
    const npy = join(root, 'unlabeled.npy');
    writeFileSync(npy, encodeNpy({ data: Float32Array.from(images.data, (v) => v / 255), shape: [40, 1, 28, 28] }));
    const unlabeled = await importDataset(store, npy);
    expect(unlabeled.labeled).toBe(false);
    const id = await run({ attacks: ['deepfool'], norm: 'linf', epsilons: [8 / 255], iterations: 10, restarts: 1, targeted: null, seed: 0 }, 40, { datasetId: unlabeled.id });
    const out = await render([id], 'unlabeled');
    const data = JSON.parse(readFileSync(out.sidecar.path, 'utf8')) as ReportData;
    expect(data.verdict.level).toBe('not-assessed');
    expect(data.analysis.accuracy).toBeNull();
    const text = pdftotext(out.path).replace(/\s+/g, ' ');
    expect(text).toContain('Verdict: NOT ASSESSED. The dataset is unlabeled');
    expect(text).toContain('Margin consistency');
    for (const title of Object.values(sectionTitles)) expect(text).toContain(title);
  }, 120_000);

  it('keeps the report of a 1000-class model readable: the extremes in its sections, every class in Appendix B', async () => {
    // A seeded linear classifier over 1000 classes and 4x4 images, audited on 60 images of 30 labelled classes.
    const random = mulberry32(1000);
    const weights = Float32Array.from({ length: 1000 * 16 }, () => random() - 0.5);
    writeFileSync(
      join(root, 'wide.onnx'),
      encode(
        model({
          name: 'wide',
          input: [valueInfo('input', ['batch', 1, 4, 4])],
          output: [valueInfo('logits', ['batch', 1000])],
          initializer: [{ name: 'W', dims: [1000, 16], dataType: 1, rawData: new Uint8Array(weights.buffer) }],
          node: [node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'Wt'], ['logits']), node('Transpose', ['W'], ['Wt'])],
        }),
      ),
    );
    const wide = await importModel(store, join(root, 'wide.onnx'));
    const x = Uint8Array.from({ length: 60 * 16 }, () => Math.floor(random() * 256));
    const y = BigInt64Array.from({ length: 60 }, (_, i) => BigInt(i % 30));
    writeFileSync(join(root, 'wide.npz'), zipSync({ 'x.npy': encodeNpy({ data: x, shape: [60, 1, 4, 4] }), 'y.npy': encodeNpy({ data: y, shape: [60] }) }));
    const set = await importDataset(store, join(root, 'wide.npz'));
    const id = await run({ attacks: ['deepfool'], norm: 'linf', epsilons: [8 / 255], iterations: 20, restarts: 1, targeted: null, seed: 0 }, 60, { modelId: wide.id, datasetId: set.id });
    const out = await render([id], 'wide');
    const data = JSON.parse(readFileSync(out.sidecar.path, 'utf8')) as ReportData;
    expect(data.analysis.perClass).toHaveLength(30);
    const text = pdftotext(out.path).replace(/\s+/g, ' ');
    expect(text).toContain('… and 10 more (every class in Appendix B and the sidecar JSON)');
    expect(text).toContain('The 10 most affected classes');
    expect(text).toContain('The 10 least affected classes');
    expect(text).toContain("30 classes: every one of them is in Appendix B's per-class table.");
    expect(text).toMatch(/every class's τ is in Appendix B|No class has enough samples with a verified margin/);
    // Appendix B's table has a row per class: each label, then its sample count (2 of each).
    const appendix = text.slice(text.lastIndexOf('Appendix B: full tables'));
    for (let label = 0; label < 30; label++) expect(appendix).toMatch(new RegExp(`\\b${label} 2 `));
    expect(text).toContain('30 classes, 30 of them present with 2 to 2 samples each (median 2)');
  }, 120_000);

  it('refuses a second model in one report: other models appear in its comparison section', async () => {
    const other = store.models.list().find((m) => m.name === 'fmnist-cnn-standard')!.id;
    const config: RunConfig = { modelId: other, datasetId, subset: { mode: 'first', count: 10 }, batchSize: 10, device: 'cpu', attack: null };
    const id = newId('r');
    store.runs.create({ id, config, sampleCount: 10, appVersion: 'test' });
    await expect(render([attackRun, id], 'two')).rejects.toThrow(/audits another model .* comparison section/);
    expect(existsSync(join(root, 'two.pdf'))).toBe(false);
    expect(existsSync(join(root, 'two-samples.csv'))).toBe(false);
  });
});

function statSize(path: string): number {
  return readFileSync(path).byteLength;
}
