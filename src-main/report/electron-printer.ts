/**
 * Prints reports with the Electron binary from outside the app (the CLI and the web host): one
 * Electron process per print runs the app's print script on the HTML written to a private
 * temporary folder, so the PDF comes from the same Chromium and the same printToPDF options as the
 * app's own exports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ElectronPrintProgram } from './electron-binary.js';
import type { PdfPrinter } from './print-pdf.js';
import { printRequestArgs } from './print-request.js';

const run = promisify(execFile);
const PRINT_TIMEOUT_MS = 180_000;

export interface ElectronPrinterOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Whether this process runs as root (Chromium's sandbox refuses root). */
  root?: boolean;
}

/** Chromium switches for a print without a screen: the headless Ozone platform where Linux has no display, no sandbox as root. */
export function electronSwitches(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, root: boolean): string[] {
  const switches: string[] = [];
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) switches.push('--ozone-platform=headless');
  if (root) switches.push('--no-sandbox');
  return switches;
}

/** The last lines of a failed process's output, for a one-paragraph reason. */
function tail(text: string): string {
  return text.trim().split('\n').slice(-4).join(' / ') || 'no output';
}

export function electronBinaryPrinter(program: ElectronPrintProgram, options: ElectronPrinterOptions = {}): PdfPrinter {
  const baseEnv = options.env ?? process.env;
  const switches = electronSwitches(baseEnv, options.platform ?? process.platform, options.root ?? process.getuid?.() === 0);
  // A variable left set by the caller would make Electron run the script as plain Node.
  const { ELECTRON_RUN_AS_NODE: _runAsNode, ...env } = baseEnv;
  let name: Promise<string> | null = null;
  return {
    name() {
      name ??= run(program.binary, ['-p', 'process.versions.electron + " " + process.versions.chrome'], { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 30_000 }).then(({ stdout }) => {
        const [electron, chrome] = stdout.trim().split(/\s+/);
        if (!electron || !chrome) throw new Error(`${program.binary} did not say its versions (it printed "${stdout.trim()}")`);
        return `Electron ${electron} (Chromium ${chrome})`;
      });
      return name;
    },
    async print(html) {
      const dir = await mkdtemp(join(tmpdir(), 'brink-print-'));
      try {
        const request = { html: join(dir, 'report.html'), out: join(dir, 'report.pdf') };
        await writeFile(request.html, html);
        try {
          await run(program.binary, [...switches, program.script, ...printRequestArgs(request)], { env, timeout: PRINT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
        } catch (error) {
          const failed = error as { stderr?: string; stdout?: string; code?: number | string; killed?: boolean; message: string };
          const why = failed.killed ? `it did not finish within ${PRINT_TIMEOUT_MS / 1000} s` : `it exited with ${failed.code ?? 'an error'}: ${tail(`${failed.stdout ?? ''}\n${failed.stderr ?? ''}`)}`;
          throw new Error(`Electron (${program.binary}) could not print the report: ${why}`, { cause: error });
        }
        return new Uint8Array(await readFile(request.out));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
