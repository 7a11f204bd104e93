/**
 * Epsilons as auditors write them: `8/255`, `0.1`, `2e-2`, or a comma list of those. Shared by
 * the GUI form and the CLI so that both accept exactly the same spellings.
 */
export function parseEpsilons(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.every((part) => part === '')) throw new Error('give at least one epsilon, e.g. 8/255 or 0.1');
  return parts.map(parseEpsilon);
}

export function parseEpsilon(text: string): number {
  const match = /^([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)(?:\s*\/\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?))?$/i.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not an epsilon: write a number like 0.1 or a fraction like 8/255`);
  const value = Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2]));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`"${text}" is not a positive epsilon`);
  return value;
}

/** A short decimal when there is one (0.1, 0.25), else k/255 when it is one (8/255), else six digits. */
export function formatEpsilon(value: number): string {
  const plain = String(Number(value.toPrecision(6)));
  if (plain.length <= 5) return plain;
  const over255 = value * 255;
  if (Math.abs(over255 - Math.round(over255)) < 1e-9 && Math.round(over255) >= 1) return `${Math.round(over255)}/255`;
  return plain;
}
