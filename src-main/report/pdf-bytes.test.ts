import { describe, expect, it } from 'vitest';
import { pdfPageCount, withPdfDates } from './pdf-bytes.js';

const chromiumLike = (date: string) =>
  new TextEncoder().encode(`%PDF-1.4\n1 0 obj\n<</Type /Pages\n/Count 1\n>>\nendobj\n2 0 obj\n<</Type /Pages\n/Count 12\n/Kids [1 0 R]>>\nendobj\n3 0 obj\n<</Creator (Chromium)\n/CreationDate (D:${date}+02'00')\n/ModDate (D:${date}+02'00')>>\nendobj\nxref\n`);

describe('the PDF bytes Brink rewrites', () => {
  it('sets both dates to the recorded time in UTC without moving a byte', () => {
    const before = chromiumLike('20261206061056');
    const after = withPdfDates(before, '2026-03-01T12:00:00.000Z');
    expect(after.length).toBe(before.length);
    const text = new TextDecoder().decode(after);
    expect(text).toContain("/CreationDate (D:20260301120000+00'00')");
    expect(text).toContain("/ModDate (D:20260301120000+00'00')");
    expect(withPdfDates(chromiumLike('20250101000000'), '2026-03-01T12:00:00.000Z')).toEqual(after);
  });

  it('refuses a PDF without dates or a time that is not one', () => {
    expect(() => withPdfDates(new TextEncoder().encode('%PDF-1.4\n'), '2026-03-01T12:00:00Z')).toThrow(/no creation date/);
    expect(() => withPdfDates(chromiumLike('20261206061056'), 'yesterday')).toThrow(/not a date/);
  });

  it('counts the pages at the root of the page tree', () => {
    expect(pdfPageCount(chromiumLike('20261206061056'))).toBe(12);
  });
});
