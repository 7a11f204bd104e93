import { BrowserWindow } from 'electron';
import type { PdfPrinter } from '../report/print-pdf.js';

/**
 * The app's report printer: the same HTML in a hidden, sandboxed window without script, printed
 * by Chromium's printToPDF with the options the CLI's playwright-core printer uses (A4 from the
 * CSS @page rule, backgrounds, tagged, with an outline). Electron documents both tagging and
 * the outline as experimental; the outline appears only with tagging on, so both are set. The
 * window has a session of its own, so blocking its requests leaves the app's session alone.
 */
export const electronPrinter: PdfPrinter = async (html) => {
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
    window.webContents.session.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file://*/*'] }, (_details, callback) => callback({ cancel: true }));
    await window.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html).toString('base64')}`);
    const pdf = await window.webContents.printToPDF({ preferCSSPageSize: true, printBackground: true, generateTaggedPDF: true, generateDocumentOutline: true });
    return new Uint8Array(pdf);
  } finally {
    window.destroy();
  }
};
