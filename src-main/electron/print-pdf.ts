import { BrowserWindow } from 'electron';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PdfPrinter } from '../report/print-pdf.js';

/**
 * The app's report printer: the same HTML in a hidden, sandboxed window without script, printed
 * by Chromium's printToPDF with the options the CLI's playwright-core printer uses (A4 from the
 * CSS @page rule, backgrounds, tagged, with an outline). Electron documents both tagging and
 * the outline as experimental; the outline appears only with tagging on, so both are set. The
 * window has a session of its own, so blocking its requests (all but the report's own file) leaves
 * the app's session alone.
 */
export const electronPrinter: PdfPrinter = {
  // The same words as report/electron-printer.ts gives the binary, so the app and the CLI name one printer alike.
  name: () => Promise.resolve(`Electron ${process.versions.electron} (Chromium ${process.versions.chrome})`),
  print: printWithElectron,
};

async function printWithElectron(html: string): Promise<Uint8Array> {
  // From a private file, not a data: URL: Chromium refuses URLs over 2 MB, and a report with many classes or photos can pass that.
  const dir = await mkdtemp(join(tmpdir(), 'brink-report-'));
  const file = join(dir, 'report.html');
  const window = new BrowserWindow({
    show: false,
    webPreferences: {
      partition: 'brink-report-print',
      sandbox: true,
      javascript: false,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      // Nothing in a report opens windows (Electronegativity's AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  });
  try {
    await writeFile(file, html);
    const allowed = pathToFileURL(file).href;
    window.webContents.session.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file://*/*'] }, (details, callback) => callback({ cancel: details.url !== allowed }));
    await window.loadFile(file);
    const pdf = await window.webContents.printToPDF({ preferCSSPageSize: true, printBackground: true, generateTaggedPDF: true, generateDocumentOutline: true });
    return new Uint8Array(pdf);
  } finally {
    window.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
