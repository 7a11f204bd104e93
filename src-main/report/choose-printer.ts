/**
 * Which printer the CLI and the web host use (issue 13, item 2): the Electron binary where it
 * exists, so that their reports come from the app's Chromium; else a Chromium named by
 * BRINK_CHROMIUM or found on the system. An Electron that cannot print here (no display it can
 * use, a broken install) is tried once with a one-line page and passed over with the reason.
 */
import { findChromium } from './chromium.js';
import { findElectron, type ElectronLookupDeps } from './electron-binary.js';
import { electronBinaryPrinter } from './electron-printer.js';
import { chromiumPrinter, type PdfPrinter } from './print-pdf.js';

const PROBE = '<!doctype html><meta charset="utf-8"><title>Brink</title><p>Brink checks that this Electron can print.</p>';

export interface ChosenPrinter {
  printer: PdfPrinter;
  /** Why the Electron binary does not print (null when it does), for the log. */
  electronSkipped: string | null;
}

export async function choosePrinter(deps: Partial<ElectronLookupDeps> = {}): Promise<ChosenPrinter> {
  const lookup = findElectron(deps);
  let skipped: string;
  if ('found' in lookup) {
    const printer = electronBinaryPrinter(lookup.found, { env: deps.env });
    try {
      await printer.name();
      await printer.print(PROBE);
      return { printer, electronSkipped: null };
    } catch (error) {
      skipped = error instanceof Error ? error.message : String(error);
    }
  } else {
    skipped = lookup.missing;
  }
  return { printer: chromiumPrinter(findChromium(deps.env, deps.exists)), electronSkipped: skipped };
}
