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
