// The report's typeface, bundled: Source Sans 3 (SIL Open Font License) from the
// @fontsource/source-sans-3 package, embedded as data URIs so that the report renders the same
// on every machine and reaches nothing. Its Latin, Latin-extended and Greek subsets (τ, ε) at the
// weights the report uses; other characters (ℓ, ∞, ≤) fall back to the system fonts after it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const SUBSETS = ['latin', 'latin-ext', 'greek'] as const;
const WEIGHTS = [400, 600, 700] as const;
export const REPORT_FONT = '"Source Sans 3"';

let cached: string | null = null;

/** @font-face rules for the bundled font, read from the package's own CSS (its unicode ranges) once per process. */
export function reportFontFaces(): string {
  if (cached !== null) return cached;
  const root = dirname(createRequire(import.meta.url).resolve('@fontsource/source-sans-3/package.json'));
  const rules: string[] = [];
  for (const weight of WEIGHTS) {
    const css = readFileSync(join(root, `${weight}.css`), 'utf8');
    for (const subset of SUBSETS) {
      const name = `source-sans-3-${subset}-${weight}-normal`;
      const block = new RegExp(`/\\* ${name} \\*/\\s*@font-face \\{[^}]*unicode-range: ([^;]+);`).exec(css);
      if (!block) throw new Error(`the bundled font has no ${name} face`);
      const data = readFileSync(join(root, 'files', `${name}.woff2`)).toString('base64');
      rules.push(`@font-face { font-family: ${REPORT_FONT}; font-style: normal; font-weight: ${weight}; src: url(data:font/woff2;base64,${data}) format('woff2'); unicode-range: ${block[1]}; }`);
    }
  }
  cached = rules.join('\n');
  return cached;
}
