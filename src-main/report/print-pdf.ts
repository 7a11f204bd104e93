/**
 * Prints the report's HTML to PDF with a headless Chromium through playwright-core (the CLI and
 * the web host where no Electron binary prints; the app prints with Electron's printToPDF, the
 * same DevTools call). A4 from the CSS @page rule, backgrounds on, tagged, with an outline from
 * the headings.
 */
import { chromium } from 'playwright-core';

/** What prints reports. Another printer (or another version of one) gives other bytes, so its name is printed in the report. */
export interface PdfPrinter {
  /** The program and its version, e.g. "Chromium 143.0.7499.40" or "Electron 39.2.3 (Chromium 142.0.7444.175)". */
  name(): Promise<string>;
  /** Prints one HTML document; resolves to the PDF's bytes as Chromium wrote them. */
  print(html: string): Promise<Uint8Array>;
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export function chromiumPrinter(executablePath: string): PdfPrinter {
  let name: Promise<string> | null = null;
  return {
    name() {
      name ??= (async () => {
        const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
        try {
          return `Chromium ${browser.version()}`;
        } finally {
          await browser.close();
        }
      })();
      return name;
    },
    async print(html) {
      // No network of any kind: the document is self-contained, and the CSP blocks fetches besides.
      const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
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
    },
  };
}
