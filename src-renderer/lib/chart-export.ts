import { BasicPlatform, type Chart, type ChartConfiguration } from 'chart.js';
import { approximateMeasure, SvgContext, type MeasureText } from './svg-context';

/**
 * Every chart can be saved as PNG (what is on screen, on white) and as SVG (the same chart laid out
 * again on a recording context, so that axes, ticks, titles and data come out as vector shapes and
 * text); every table as CSV. The bytes leave the app through state/exports.ts (saveFromPage).
 */

/** The chart as a PNG on a white background, at the screen's resolution. */
export function chartToPng(chart: Chart): Blob {
  const source = chart.canvas;
  const canvas = document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('this browser cannot draw the chart to an image');
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(source, 0, 0);
  return dataUrlToBlob(canvas.toDataURL('image/png'));
}

/** 'data:image/png;base64,...' as a Blob. */
export function dataUrlToBlob(url: string): Blob {
  const comma = url.indexOf(',');
  const header = url.slice(5, comma);
  const mime = header.split(';')[0] || 'application/octet-stream';
  const text = url.slice(comma + 1);
  if (!header.endsWith(';base64')) return new Blob([decodeURIComponent(text)], { type: mime });
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: mime });
}

/**
 * The chart as drawn, as SVG: a second chart of the same configuration and size is drawn once on a
 * recording context, with the screen chart's own text measurement so that the layout is the same.
 */
export function chartToSvg(chart: Chart, measure: MeasureText = measureOn(chart)): string {
  const context = new SvgContext(chart.width, chart.height, measure);
  const canvas = { width: chart.width, height: chart.height, style: {}, getContext: () => context };
  context.canvas = canvas;
  const config = chart.config as unknown as ChartConfiguration;
  const copy = new (chart.constructor as typeof Chart)(canvas as unknown as HTMLCanvasElement, {
    type: config.type,
    // Own dataset objects (a plugin may keep state on them); the data arrays are only read. Lines
    // with segment options are drawn on the context itself, not through a Path2D it cannot read.
    data: { ...config.data, datasets: config.data.datasets.map((dataset) => ({ ...dataset, segment: (dataset as { segment?: object }).segment ?? {} })) },
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1, events: [] },
    plugins: config.plugins,
    platform: BasicPlatform,
  } as ChartConfiguration);
  copy.destroy();
  return context.toSvg();
}

/** Text widths from the chart's own canvas, so that the SVG's ticks and titles sit where the screen's do. */
function measureOn(chart: Chart): MeasureText {
  const ctx = chart.ctx as CanvasRenderingContext2D | null;
  if (!ctx || typeof ctx.measureText !== 'function') return approximateMeasure;
  return (text, font) => {
    ctx.save();
    ctx.font = font;
    const width = ctx.measureText(text).width;
    ctx.restore();
    return width;
  };
}

// Shared with the CLI, which writes the same tables.
export { csvField, tableToCsv } from '../../src-preload/csv';

/** A file name from a title: 'Robust accuracy (ℓ∞)' -> 'robust-accuracy'. */
export function fileSlug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'chart'
  );
}
