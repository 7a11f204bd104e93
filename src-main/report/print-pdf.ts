/**
 * Prints the report's HTML to PDF with a headless Chromium through playwright-core (the CLI and
 * the web host; the app prints with Electron's printToPDF, the same DevTools call). A4 from the
 * CSS @page rule, backgrounds on, tagged, with an outline from the headings.
 */
import { chromium } from 'playwright-core';
import { findChromium } from './chromium.js';

/** Prints one HTML document; resolves to the PDF's bytes as Chromium wrote them. */
export type PdfPrinter = (html: string) => Promise<Uint8Array>;

export function chromiumPrinter(executablePath: string = findChromium()): PdfPrinter {
  return async (html) => {
    // No network of any kind: the document is self-contained, and the CSP blocks fetches besides.
    const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    try {
      const context = await browser.newContext({ offline: true, javaScriptEnabled: false });
      const page = await context.newPage();
      await page.route('**/*', (route) => route.abort());
      await page.setContent(html, { waitUntil: 'load' });
      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true, tagged: true, outline: true });
      return new Uint8Array(pdf);
    } finally {
      await browser.close();
    }
  };
}
