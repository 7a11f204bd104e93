import { expect, test } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idxImages, robustModel } from '../journey';
import { electronBinary } from './electron-binary';

const binary = electronBinary();
const script = join(process.cwd(), 'out', 'main', 'print.js');
if (!binary) console.log('electron print: skipped: no Electron binary (installed with ELECTRON_SKIP_BINARY_DOWNLOAD)');

const html = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Print check</title>
<style>@page { size: A4; margin: 20mm } h1 { break-after: page }</style>
<h1>Verdict</h1><h2>Method</h2><p>Printed by the app's print script.</p>
<!-- ${'Past the 2 MB a data: URL may carry. '.repeat(70_000)} -->`;

function brink(home: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], { encoding: 'utf8', env: { ...process.env, BRINK_HOME: home } });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

test.describe('reports printed outside the app with the Electron binary', () => {
  test.skip(!binary, 'skipped: no Electron binary');

  test("the app's print script prints a page over 2 MB to a tagged A4 PDF with an outline", () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-electron-print-'));
    writeFileSync(join(dir, 'check.html'), html);
    const switches = [...(process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY ? ['--ozone-platform=headless'] : []), ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
    const printed = spawnSync(binary!, [...switches, script, `--brink-print=${join(dir, 'check.html')}`, `--brink-print-to=${join(dir, 'check.pdf')}`], { encoding: 'utf8', timeout: 120_000 });
    expect(printed.status, printed.stderr).toBe(0);
    const info = execFileSync('pdfinfo', [join(dir, 'check.pdf')], { encoding: 'utf8' });
    expect(info).toMatch(/Tagged:\s+yes/);
    expect(info).toMatch(/Pages:\s+2/);
    expect(info).toMatch(/Page size:.*\(A4\)/);
    expect(execFileSync('pdftotext', [join(dir, 'check.pdf'), '-'], { encoding: 'utf8' })).toContain("Printed by the app's print script.");
  });

  test('brink report prints with Electron', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-electron-report-'));
    const project = join(dir, 'audit.brink');
    brink(dir, 'project', 'create', project);
    const modelId = (JSON.parse(brink(dir, 'model', 'add', project, robustModel, '--json')) as { id: string }).id;
    const datasetId = (JSON.parse(brink(dir, 'dataset', 'add', project, idxImages, '--json')) as { id: string }).id;
    const audit = brink(dir, 'audit', project, '--model', modelId, '--dataset', datasetId, '--attack', 'deepfool', '--eps', '8/255', '--iters', '5', '--limit', '20', '--device', 'cpu', '--json');
    const runId = (JSON.parse(audit.trim().split('\n').at(-1)!) as { run: string }).run;
    const out = JSON.parse(brink(dir, 'report', project, '--run', runId, '--out', join(dir, 'report.pdf'), '--json')) as { report: { printer: string; pages: number } };
    expect(out.report.printer).toMatch(/^Electron \d+\.\d+\.\d+ \(Chromium \d+\./);
    expect(execFileSync('pdfinfo', [join(dir, 'report.pdf')], { encoding: 'utf8' })).toMatch(/Tagged:\s+yes/);
  });
});
