// RFC 4180 CSV for the tables the GUI saves and the CLI writes, so that both give the same bytes.

/** One CSV field: quoted when it holds a comma, quote, or line break (RFC 4180), quotes doubled; null is empty. */
export function csvField(value: string | number | null): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : Number.isNaN(value) ? '' : value > 0 ? 'Infinity' : '-Infinity') : value;
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A table as RFC 4180 CSV: CRLF line ends, a header row, numbers at full precision. */
export function tableToCsv(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
