/**
 * The app's print script: prints one report HTML file to PDF with the app's own printer and
 * exits (0 when the PDF is written). The CLI and the web host run it with the Electron binary
 * (report/electron-printer.ts), so reports printed outside the app come from the app's Chromium.
 */
import { app } from 'electron';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { electronPrinter } from './print-pdf.js';
import { parsePrintRequest } from '../report/print-request.js';

const request = parsePrintRequest(process.argv);
if (!request) {
  console.error('brink print: usage: electron print.js --brink-print=REPORT.html --brink-print-to=REPORT.pdf');
  app.exit(2);
} else {
  // A profile of its own: printing leaves the user's app data alone and runs beside an open Brink.
  const profile = mkdtempSync(join(tmpdir(), 'brink-print-profile-'));
  app.setPath('userData', profile);
  app.disableHardwareAcceleration();
  app.dock?.hide();
  // The print window closes before the PDF is written: that must not end the process.
  app.on('window-all-closed', () => undefined);
  // app.exit emits no quit events, so the profile goes here.
  const finish = (code: number): void => {
    rmSync(profile, { recursive: true, force: true });
    app.exit(code);
  };
  app
    .whenReady()
    .then(async () => {
      await writeFile(request.out, await electronPrinter.print(await readFile(request.html, 'utf8')));
      finish(0);
    })
    .catch((error: unknown) => {
      console.error(`brink print: ${error instanceof Error ? error.message : String(error)}`);
      finish(1);
    });
}
