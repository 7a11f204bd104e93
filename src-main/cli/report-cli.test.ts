import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attr, encode, floatTensor, model, node, valueInfo } from '../engine/onnx/fixtures/models.js';
import { idxFile, ramp } from '../engine/data/test-fixtures.js';
import { findChromium } from '../report/chromium.js';
import type { ReportData } from '../report/report-data.js';

function brink(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A classifier whose logits come from a 28x28 convolution: no Gemm or MatMul, so no linear head to detect. */
function convOnlyClassifier(): Uint8Array {
  return encode(
    model({
      name: 'main_graph',
      input: [valueInfo('input', ['batch', 1, 28, 28])],
      output: [valueInfo('logits', ['batch', 10])],
      initializer: [floatTensor('conv.weight', [10, 1, 28, 28]), floatTensor('conv.bias', [10])],
      node: [node('Conv', ['input', 'conv.weight', 'conv.bias'], ['conv'], [attr.ints('kernel_shape', [28, 28])]), node('Flatten', ['conv'], ['logits'], [attr.int('axis', 1)])],
    }),
  );
}

const hasChromium = (() => {
  try {
    return Boolean(findChromium());
  } catch {
    return false;
  }
})();

describe.skipIf(!hasChromium)('brink report', () => {
  it('writes the PDF with its sidecar and CSV, prints their paths and hash as JSON, gives the same bytes for the same --time, and says when the model has no detected head', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-cli-report-'));
    const path = (name: string) => join(dir, name);
    writeFileSync(path('net.onnx'), convOnlyClassifier());
    writeFileSync(path('set-images-idx3-ubyte'), idxFile([12, 28, 28], ramp(12 * 28 * 28)));
    writeFileSync(path('set-labels-idx1-ubyte'), idxFile([12], Uint8Array.from({ length: 12 }, (_, i) => i % 10)));
    writeFileSync(path('notes.md'), 'Reviewed with the **client**.');
    const project = path('audit.brink');
    expect(brink('project', 'create', project).code).toBe(0);
    const modelId = (JSON.parse(brink('model', 'add', project, path('net.onnx'), '--json').stdout) as { id: string }).id;
    const datasetId = (JSON.parse(brink('dataset', 'add', project, path('set-images-idx3-ubyte'), '--json').stdout) as { id: string }).id;
    const audit = brink('audit', project, '--model', modelId, '--dataset', datasetId, '--attack', 'deepfool', '--eps', '8/255', '--iters', '5', '--device', 'cpu', '--json');
    expect(audit.code, audit.stderr).toBe(0);
    const runId = (JSON.parse(audit.stdout.trim().split('\n').at(-1)!) as { run: string }).run;

    const args = ['report', project, '--run', runId, '--out', path('report.pdf'), '--title', 'Conv audit', '--client', 'Client Co', '--auditor', 'Ann Auditor', '--notes', path('notes.md'), '--time', '2026-03-01T12:00:00Z', '--json'];
    const first = brink(...args);
    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout) as { report: { path: string; sha256: string; pages: number; printer: string; sidecar: string; samples_csv: string } };
    expect(out.report).toMatchObject({ path: path('report.pdf'), sidecar: path('report.json'), samples_csv: path('report-samples.csv') });
    // No Electron binary beside these tests: the system's Chromium prints, and the report says which.
    expect(out.report.printer).toMatch(/^Chromium \d+\./);
    expect(out.report.pages).toBeGreaterThan(5);
    const data = JSON.parse(readFileSync(out.report.sidecar, 'utf8')) as ReportData;
    expect(data.model.head).toBeNull();
    const text = execFileSync('pdftotext', [out.report.path, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(text).toContain('Not in this report: feature margins and feature-space consistency. Why: no linear head was detected in the model');
    expect(text).toContain('Reviewed with the client.');
    expect(text).toContain(`Page 1 of ${out.report.pages}`);

    const again = JSON.parse(brink(...args).stdout) as typeof out;
    expect(again.report.sha256).toBe(out.report.sha256);
  }, 180_000);
});
