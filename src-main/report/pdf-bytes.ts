/**
 * What Brink changes in and reads from Chromium's PDF. Two prints of the same HTML differ only
 * in /CreationDate and /ModDate (REPORT.md section 4, probed again here), so writing the
 * report's recorded time into both makes the file reproducible byte for byte. The new dates have
 * the same length as Chromium's, so no cross-reference offset moves.
 */

const DATE = /\/(CreationDate|ModDate) \(D:(\d{14})([^)]*)\)/g;

/** D:YYYYMMDDHHmmSS in UTC. */
function pdfDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`report time ${iso} is not a date`);
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Chromium's bytes with both dates set to `iso` (UTC, written +00'00'); throws when Chromium wrote none. */
export function withPdfDates(pdf: Uint8Array, iso: string): Uint8Array {
  // latin1 maps bytes to characters one to one, so offsets in the text are offsets in the file.
  const text = Buffer.from(pdf).toString('latin1');
  const stamp = pdfDate(iso);
  let found = 0;
  const out = text.replace(DATE, (whole, key: string, _old: string, zone: string) => {
    found++;
    // Chromium writes the zone as +HH'MM' (7 characters): replacing it keeps every offset.
    if (zone.length !== 7) throw new Error(`Chromium wrote the PDF date ${whole} in a form Brink does not rewrite`);
    return `/${key} (D:${stamp}+00'00')`;
  });
  if (found === 0) throw new Error('the PDF has no creation date to set: Chromium changed how it writes PDFs');
  return Uint8Array.from(Buffer.from(out, 'latin1'));
}

/** The page count: the root of the page tree counts every page, so it holds the largest /Count of all its nodes. */
export function pdfPageCount(pdf: Uint8Array): number {
  const text = Buffer.from(pdf).toString('latin1');
  const counts = [...text.matchAll(/\/Type \/Pages\s*\/Count (\d+)/g)].map((m) => Number(m[1]));
  if (counts.length === 0) throw new Error('the PDF has no page tree');
  return Math.max(...counts);
}

/** The text of object `n` (Chromium writes every dictionary as plain text, one object per `n 0 obj`). */
function objectText(text: string, n: number): string {
  const start = text.indexOf(`\n${n} 0 obj\n`);
  if (start < 0) throw new Error(`the PDF has no object ${n}`);
  return text.slice(start, text.indexOf('endobj', start));
}

/** Page object numbers in page order, walking the page tree from the catalog. */
function pageObjects(text: string): number[] {
  const root = /\/Type \/Catalog\s*\/Pages (\d+) 0 R/.exec(text);
  if (!root) throw new Error('the PDF has no catalog');
  const pages: number[] = [];
  const walk = (n: number) => {
    const body = objectText(text, n);
    if (!/\/Type \/Pages\b/.test(body)) {
      pages.push(n);
      return;
    }
    const kids = /\/Kids \[([^\]]*)\]/.exec(body)?.[1] ?? '';
    for (const ref of kids.matchAll(/(\d+) 0 R/g)) walk(Number(ref[1]));
  };
  walk(Number(root[1]));
  return pages;
}

/** Each outline entry's title (literal strings, as Chromium writes ASCII titles) and the 1-based page it points to. */
export function pdfOutlinePages(pdf: Uint8Array): Map<string, number> {
  const text = Buffer.from(pdf).toString('latin1');
  const order = new Map(pageObjects(text).map((n, k) => [n, k + 1]));
  const out = new Map<string, number>();
  for (const m of text.matchAll(/\/Title \(((?:\\.|[^\\)])*)\)\s*\/Dest \[(\d+) 0 R/g)) {
    const title = m[1].replace(/\\(.)/g, '$1');
    const page = order.get(Number(m[2]));
    if (page !== undefined && !out.has(title)) out.set(title, page);
  }
  return out;
}
