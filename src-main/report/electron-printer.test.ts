import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findChromium } from './chromium.js';
import { choosePrinter } from './choose-printer.js';
import { findElectron } from './electron-binary.js';
import { electronBinaryPrinter, electronSwitches } from './electron-printer.js';

/**
 * A stand-in for the Electron binary (none can be installed here): it answers the version query
 * as Electron run as Node does, and for a print request writes "PDF" plus the HTML it was given,
 * logging its arguments and environment; FAKE_ELECTRON_FAIL makes it fail the way Electron does
 * without a display.
 */
function fakeElectron(): { binary: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'brink-fake-electron-'));
  const binary = join(dir, 'electron');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(
    binary,
    `#!${process.execPath}
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null }) + '\\n');
if (process.env.ELECTRON_RUN_AS_NODE === '1' && process.argv[2] === '-p') { console.log('40.1.0 144.0.7500.1'); process.exit(0); }
if (process.env.FAKE_ELECTRON_FAIL) { console.error('[1:ERROR:ozone_platform_x11.cc] Missing X server or $DISPLAY'); process.exit(1); }
const arg = (prefix) => process.argv.find((a) => a.startsWith(prefix)).slice(prefix.length);
fs.writeFileSync(arg('--brink-print-to='), 'PDF ' + fs.readFileSync(arg('--brink-print='), 'utf8'));
`,
  );
  chmodSync(binary, 0o755);
  return { binary, log };
}

const calls = (log: string) => readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { argv: string[]; runAsNode: string | null });

const hasChromium = (() => {
  try {
    return Boolean(findChromium());
  } catch {
    return false;
  }
})();

describe('printing with the Electron binary', () => {
  it('runs the print script on the HTML in a private folder and reads back the PDF, naming Electron and its Chromium', async () => {
    const fake = fakeElectron();
    const printer = electronBinaryPrinter({ binary: fake.binary, script: '/app/out/main/print.js' }, { env: { PATH: process.env.PATH, ELECTRON_RUN_AS_NODE: '1' }, platform: 'linux', root: false });
    expect(await printer.name()).toBe('Electron 40.1.0 (Chromium 144.0.7500.1)');
    expect(new TextDecoder().decode(await printer.print('<h1>Ünïcode report</h1>'))).toBe('PDF <h1>Ünïcode report</h1>');
    const [query, print] = calls(fake.log);
    expect(query.runAsNode).toBe('1');
    // A caller's ELECTRON_RUN_AS_NODE must not reach the print, or Electron would run the script as plain Node.
    expect(print.runAsNode).toBeNull();
    expect(print.argv.slice(0, 2)).toEqual(['--ozone-platform=headless', '/app/out/main/print.js']);
    const html = print.argv.find((a) => a.startsWith('--brink-print='))!.slice('--brink-print='.length);
    expect(existsSync(html)).toBe(false);
  });

  it('says why when Electron fails, with the end of what it printed', async () => {
    const fake = fakeElectron();
    const printer = electronBinaryPrinter({ binary: fake.binary, script: '/app/print.js' }, { env: { PATH: process.env.PATH, FAKE_ELECTRON_FAIL: '1' } });
    await expect(printer.print('<p>x</p>')).rejects.toThrow(/could not print the report: it exited with 1: .*Missing X server or \$DISPLAY/);
  });

  it('starts headless only where Linux has no display, and without the sandbox only as root', () => {
    expect(electronSwitches({}, 'linux', false)).toEqual(['--ozone-platform=headless']);
    expect(electronSwitches({ DISPLAY: ':0' }, 'linux', true)).toEqual(['--no-sandbox']);
    expect(electronSwitches({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux', false)).toEqual([]);
    expect(electronSwitches({}, 'darwin', false)).toEqual([]);
  });
});

describe('finding the Electron binary', () => {
  const script = '/app/out/main/print.js';
  it("takes BRINK_ELECTRON, else the electron package's binary, and needs the built print script", () => {
    const all = () => true;
    expect(findElectron({ env: { BRINK_ELECTRON: '/opt/electron' }, exists: all, packageBinary: () => '/pkg/electron', script })).toEqual({ found: { binary: '/opt/electron', script } });
    expect(findElectron({ env: {}, exists: all, packageBinary: () => '/pkg/electron', script })).toEqual({ found: { binary: '/pkg/electron', script } });
    expect(findElectron({ env: {}, exists: (p) => p !== script, packageBinary: () => '/pkg/electron', script })).toEqual({ missing: expect.stringMatching(/the app is not built .*npm run build/) });
  });

  it('reports a package installed without its binary, and refuses a BRINK_ELECTRON that names nothing', () => {
    expect(findElectron({ env: {}, exists: () => true, packageBinary: () => null, script })).toEqual({ missing: expect.stringMatching(/no Electron binary .*ELECTRON_SKIP_BINARY_DOWNLOAD/) });
    expect(findElectron({ env: {}, exists: (p) => p === script, packageBinary: () => '/pkg/electron', script })).toHaveProperty('missing');
    expect(() => findElectron({ env: { BRINK_ELECTRON: '/nope' }, exists: () => false, script })).toThrow('BRINK_ELECTRON names /nope, which does not exist');
  });
});

describe.skipIf(!hasChromium)('choosing the printer', () => {
  const script = join(mkdtempSync(join(tmpdir(), 'brink-print-script-')), 'print.js');
  writeFileSync(script, '');

  it('prints with an Electron that passes the one-page check', async () => {
    const fake = fakeElectron();
    const chosen = await choosePrinter({ env: { PATH: process.env.PATH, BRINK_ELECTRON: fake.binary }, script });
    expect(chosen.electronSkipped).toBeNull();
    expect(await chosen.printer.name()).toBe('Electron 40.1.0 (Chromium 144.0.7500.1)');
  });

  it('falls back to Chromium, with the reason, when Electron cannot print here or is not installed', async () => {
    const fake = fakeElectron();
    const failing = await choosePrinter({ env: { PATH: process.env.PATH, BRINK_ELECTRON: fake.binary, FAKE_ELECTRON_FAIL: '1' }, script });
    expect(failing.electronSkipped).toMatch(/Missing X server/);
    expect(await failing.printer.name()).toMatch(/^Chromium \d+\./);
    expect(readdirSync(tmpdir()).some((name) => name.startsWith('brink-print-') && existsSync(join(tmpdir(), name, 'report.html')))).toBe(false);

    const absent = await choosePrinter({ env: {}, packageBinary: () => null, script });
    expect(absent.electronSkipped).toMatch(/no Electron binary/);
  });
});
