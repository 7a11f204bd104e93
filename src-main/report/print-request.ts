/**
 * The command line of the app's print script (print-main.ts): which HTML file to print to which
 * PDF. Kept apart from Electron so that the CLI, which launches it, shares the spelling.
 */
export interface PrintRequest {
  html: string;
  out: string;
}

const HTML = '--brink-print=';
const OUT = '--brink-print-to=';

export function printRequestArgs(request: PrintRequest): string[] {
  return [`${HTML}${request.html}`, `${OUT}${request.out}`];
}

/** The request in a process's arguments; null unless both halves are there. */
export function parsePrintRequest(argv: readonly string[]): PrintRequest | null {
  const html = argv.find((a) => a.startsWith(HTML))?.slice(HTML.length);
  const out = argv.find((a) => a.startsWith(OUT))?.slice(OUT.length);
  return html && out ? { html, out } : null;
}
