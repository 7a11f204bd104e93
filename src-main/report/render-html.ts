/**
 * The report as one static HTML document: inline CSS and SVG, images as data URIs, no script
 * and a CSP that forbids every fetch, so the preview and the PDF can reach nothing. Page
 * furniture (model short hash, "Page n of N") comes from CSS @page margin boxes, which Chromium
 * prints on every page; h2 headings become the PDF's outline.
 */
import { count, percent } from './format.js';
import type { ReportData, SectionId } from './report-data.js';
import { esc, renderSection, sectionTitles } from './render-sections.js';
import { verdictWord } from './verdict.js';
import { REPORT_FONT, reportFontFaces } from './fonts.js';

/**
 * The bundled Source Sans 3 first (fonts.ts); system fonts for the characters it lacks: DejaVu and
 * Liberation ship with Debian's Chromium and most Linux desktops, the generic family catches the rest.
 */
const FONT_STACK = `${REPORT_FONT}, "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif`;

const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:";

function style(shortHash: string): string {
  return `
  ${reportFontFaces()}
  @page { size: A4; margin: 20mm 16mm 18mm 16mm;
    @top-left { content: "Brink audit report · model ${shortHash}"; font: 8pt ${FONT_STACK}; color: #555; }
    @top-right { content: "${'{title}'}"; font: 8pt ${FONT_STACK}; color: #555; }
    @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt ${FONT_STACK}; color: #555; }
    @bottom-left { content: "Confidential audit report"; font: 8pt ${FONT_STACK}; color: #555; } }
  html { font: 9.5pt/1.4 ${FONT_STACK}; color: #1a1a1a; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { margin: 0; }
  h1 { font-size: 22pt; margin: 0 0 4mm; }
  h2 { font-size: 14pt; margin: 0 0 3mm; padding-bottom: 1mm; border-bottom: 1.5px solid #0072B2; break-after: avoid; }
  h3 { font-size: 11pt; margin: 4mm 0 2mm; break-after: avoid; }
  h4 { font-size: 10pt; margin: 3mm 0 1mm; }
  section { break-before: page; }
  section.cover { break-before: auto; }
  .cover .meta { margin-top: 10mm; }
  .cover .subtitle { font-size: 12pt; color: #444; margin-bottom: 8mm; }
  .verdict { display: flex; gap: 4mm; align-items: center; border: 1.5px solid #999; border-radius: 2mm; padding: 3mm 4mm; margin: 3mm 0; break-inside: avoid; }
  .verdict .badge { font-weight: bold; font-size: 12pt; padding: 1.5mm 3mm; border-radius: 1.5mm; color: #fff; background: #777; white-space: nowrap; }
  .verdict.pass .badge { background: #007a57; } .verdict.review .badge { background: #b36b00; } .verdict.fail .badge { background: #b3261e; }
  .verdict.pass { border-color: #007a57; } .verdict.review { border-color: #b36b00; } .verdict.fail { border-color: #b3261e; }
  .verdict-sentence { margin: 0; font-size: 10.5pt; }
  .rule, .note, .how { color: #444; font-size: 8.5pt; }
  .how { font-style: italic; }
  .kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 2.5mm; margin: 3mm 0; }
  .kpi { border: 1px solid #ccc; border-radius: 1.5mm; padding: 2mm; break-inside: avoid; }
  .kpi-label { font-size: 7.5pt; color: #555; } .kpi-value { font-size: 14pt; font-weight: bold; } .kpi-detail { font-size: 7pt; color: #555; }
  table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; font-size: 8.5pt; }
  th, td { border-bottom: 0.5px solid #ccc; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
  th { background: #f0f3f7; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  dl.facts { margin: 0 0 3mm; } dl.facts div { display: grid; grid-template-columns: 45mm 1fr; gap: 3mm; padding: 0.8mm 0; border-bottom: 0.5px solid #e2e2e2; break-inside: avoid; }
  dl.facts dt { font-weight: bold; color: #333; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
  code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 7.5pt; overflow-wrap: anywhere; }
  code.json, code.cmd { display: block; white-space: pre-wrap; background: #f6f6f6; padding: 1mm; }
  figure { margin: 2mm 0; break-inside: avoid; } figcaption { font-size: 8pt; color: #444; }
  svg.chart { width: 100%; height: auto; display: block; }
  .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 4mm; }
  .missing { border-left: 3px solid #b36b00; padding-left: 2mm; color: #5a3b00; break-inside: avoid; }
  .status { font-weight: bold; white-space: nowrap; } .status.pass { color: #007a57; } .status.review { color: #b36b00; } .status.not-checked { color: #666; }
  .status-line.pass { color: #007a57; font-weight: bold; } .status-line.review { color: #b36b00; font-weight: bold; }
  .tiles { display: grid; grid-template-columns: 1fr 1fr; gap: 3mm; }
  .tile { border: 1px solid #ddd; padding: 2mm; break-inside: avoid; font-size: 7.5pt; }
  .tile .imgs { display: flex; gap: 2mm; } .tile figure { margin: 0; text-align: center; }
  .tile img { width: 20mm; height: 20mm; image-rendering: pixelated; border: 0.5px solid #999; display: block; }
  .gallery { break-inside: avoid-page; }
  .keep { break-inside: avoid; }
  nav.toc ul { list-style: none; padding-left: 0; width: 120mm; } nav.toc a { color: inherit; text-decoration: none; }
  nav.toc li { display: flex; justify-content: space-between; border-bottom: 0.5px dotted #bbb; }
  dl.glossary dt { font-weight: bold; margin-top: 2mm; } dl.glossary dd { margin-left: 0; }
  a { color: #0057a0; }
  @media screen { body { max-width: 178mm; margin: 0 auto; padding: 10mm 12mm; } section { margin-top: 12mm; } }`;
}

/** A section's heading as printed, which is also its entry in the PDF's outline. */
export function sectionHeading(d: ReportData, id: SectionId): string {
  return `${d.sections.indexOf(id) + 1}. ${sectionTitles[id]}`;
}

function cover(d: ReportData, sidecarSha: string | null, pages: SectionPages | null): string {
  const s = d.settings;
  const pairs: [string, string][] = [
    ['Client', s.client || 'not named'],
    ['Auditor', s.auditor || 'not named'],
    ['Date', d.createdAt.slice(0, 10)],
    ['Model', `${d.model.name}, SHA-256 ${d.model.sha256.slice(0, 16)}…`],
    ['Dataset', `${d.dataset.name}, SHA-256 ${d.dataset.sha256.slice(0, 16)}…`],
    ['Run', `${d.run.id}: ${count(d.analysis.samples)} samples, clean accuracy ${percent(d.analysis.accuracy)}`],
    ['Brink', d.environment.brinkVersion],
    ['Report ID', sidecarSha ? `${sidecarSha.slice(0, 16)}… (SHA-256 of the sidecar JSON)` : 'assigned when the PDF is exported'],
  ];
  return `<section class="cover"><h1>${esc(s.title)}</h1><p class="subtitle">Adversarial robustness audit of ${esc(d.model.name)} · Verdict: ${verdictWord(d.verdict.level)}</p>
    <div class="verdict ${d.verdict.level}"><span class="badge">${verdictWord(d.verdict.level)}</span><p class="verdict-sentence">${esc(d.verdict.sentence)}</p></div>
    <dl class="facts meta">${pairs.map(([k, v]) => `<div><dt>${k}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
    <nav class="toc"><h3>Contents</h3><ul>${d.sections
      .map((id) => `<li><a href="#${id}">${sectionHeading(d, id)}</a>${pages?.get(id) ? `<span class="page">${pages.get(id)}</span>` : ''}</li>`)
      .join('')}</ul></nav></section>`;
}

/** The page each section starts on, read from a first print's outline (absent in a preview). */
export type SectionPages = Map<SectionId, number>;

/**
 * The whole document; sidecarSha is the SHA-256 of the sidecar JSON, null in a preview (no files
 * written); pages fill the table of contents' page numbers, null before the first print.
 */
export function renderReportHtml(d: ReportData, sidecarSha: string | null, pages: SectionPages | null = null): string {
  const shortHash = d.model.sha256.slice(0, 12);
  const sections = d.sections.map((id) => `<section id="${id}"><h2>${sectionHeading(d, id)}</h2>${renderSection(id, d, sidecarSha)}</section>`).join('\n');
  const css = style(shortHash).replace('{title}', esc(d.settings.title).replace(/["\\]/g, ''));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"/>
<meta http-equiv="Content-Security-Policy" content="${CSP}"/>
<title>${esc(d.settings.title)}</title>
<style>${css}</style></head>
<body>${cover(d, sidecarSha, pages)}
${sections}
</body></html>
`;
}
