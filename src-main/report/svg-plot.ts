/**
 * Static SVG charts for print: no script, no animation, vector at any resolution. One plot
 * function draws axes with ticks and any of a few layers (lines, step lines, bands, points,
 * error bars, bars); the report's charts are compositions of it (report-charts.ts).
 */

export interface Axis {
  label: string;
  min: number;
  max: number;
  log?: boolean;
  format?: (v: number) => string;
}

export type Layer =
  | { kind: 'line'; points: [number, number][]; color: string; step?: boolean; dash?: boolean; label?: string }
  | { kind: 'points'; points: [number, number][]; color: string; radius?: number; square?: boolean; label?: string; opacity?: number }
  | { kind: 'errors'; bars: { x: number; low: number; high: number }[]; color: string; label?: string }
  | { kind: 'bars'; bins: { x0: number; x1: number; y: number }[]; color: string; label?: string }
  | { kind: 'diagonal'; color: string };

export interface Plot {
  x: Axis;
  y: Axis;
  layers: Layer[];
  width?: number;
  height?: number;
  /** Alternative text: what the chart shows, for the tagged PDF. */
  title: string;
}

/** Okabe-Ito: distinguishable in colour-blind vision and in greyscale print. */
export const colors = { blue: '#0072B2', orange: '#E69F00', green: '#009E73', red: '#D55E00', purple: '#CC79A7', grey: '#777777', sky: '#56B4E9' } as const;

const margin = { left: 58, right: 14, top: 12, bottom: 40 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceStep(span: number, target: number): number {
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10;
  return unit * power;
}

export function ticks(axis: Axis, target = 5): number[] {
  if (axis.log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(axis.min)); e <= Math.ceil(Math.log10(axis.max)); e++) {
      const v = 10 ** e;
      if (v >= axis.min * (1 - 1e-9) && v <= axis.max * (1 + 1e-9)) out.push(v);
    }
    return out.length >= 2 ? out : [axis.min, axis.max];
  }
  const step = niceStep(axis.max - axis.min || 1, target);
  const out: number[] = [];
  for (let v = Math.ceil(axis.min / step) * step; v <= axis.max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function defaultFormat(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(3))) : v.toExponential(0);
}

function scale(axis: Axis, from: number, to: number): (v: number) => number {
  const f = axis.log ? Math.log10 : (v: number) => v;
  const lo = f(axis.min);
  const hi = f(axis.max);
  const span = hi - lo || 1;
  return (v) => {
    const clamped = Math.min(Math.max(axis.log ? Math.max(v, axis.min) : v, axis.min), axis.max);
    return from + ((f(clamped) - lo) / span) * (to - from);
  };
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function layerSvg(layer: Layer, sx: (v: number) => number, sy: (v: number) => number, x: Axis, y: Axis): string {
  switch (layer.kind) {
    case 'line': {
      if (layer.points.length === 0) return '';
      let d = '';
      layer.points.forEach(([px, py], k) => {
        if (k === 0) d += `M${r2(sx(px))},${r2(sy(py))}`;
        else if (layer.step) d += `H${r2(sx(px))}V${r2(sy(py))}`;
        else d += `L${r2(sx(px))},${r2(sy(py))}`;
      });
      return `<path d="${d}" fill="none" stroke="${layer.color}" stroke-width="1.6"${layer.dash ? ' stroke-dasharray="4 3"' : ''}/>`;
    }
    case 'points': {
      const rad = layer.radius ?? 2;
      const opacity = layer.opacity === undefined ? '' : ` fill-opacity="${layer.opacity}"`;
      const shapes = layer.points.map(([px, py]) =>
        layer.square
          ? `<rect x="${r2(sx(px) - rad)}" y="${r2(sy(py) - rad)}" width="${2 * rad}" height="${2 * rad}"/>`
          : `<circle cx="${r2(sx(px))}" cy="${r2(sy(py))}" r="${rad}"/>`,
      );
      return `<g fill="${layer.color}"${opacity}>${shapes.join('')}</g>`;
    }
    case 'errors':
      return `<g stroke="${layer.color}" stroke-width="1.2">${layer.bars
        .map((b) => {
          const cx = r2(sx(b.x));
          return `<path d="M${cx},${r2(sy(b.low))}V${r2(sy(b.high))}M${cx - 3},${r2(sy(b.low))}h6M${cx - 3},${r2(sy(b.high))}h6"/>`;
        })
        .join('')}</g>`;
    case 'bars':
      return `<g fill="${layer.color}" stroke="#fff" stroke-width="0.5">${layer.bins
        .map((b) => `<rect x="${r2(sx(b.x0))}" y="${r2(sy(b.y))}" width="${r2(Math.max(0.5, sx(b.x1) - sx(b.x0)))}" height="${r2(sy(y.min) - sy(b.y))}"/>`)
        .join('')}</g>`;
    case 'diagonal': {
      const lo = Math.max(x.min, y.min);
      const hi = Math.min(x.max, y.max);
      return `<path d="M${r2(sx(lo))},${r2(sy(lo))}L${r2(sx(hi))},${r2(sy(hi))}" stroke="${layer.color}" stroke-dasharray="3 3" fill="none"/>`;
    }
  }
}

function legend(layers: Layer[], left: number, top: number): string {
  const items = layers.filter((l): l is Exclude<Layer, { kind: 'diagonal' }> => l.kind !== 'diagonal' && Boolean(l.label));
  if (items.length === 0) return '';
  // A pale backing keeps the legend readable where it falls on the data.
  const backing = `<rect x="${left - 4}" y="${top - 12}" width="186" height="${12 * items.length + 6}" fill="#fff" fill-opacity="0.85"/>`;
  return backing + items
    .map((l, k) => {
      const y = top + 12 * k;
      const mark = l.kind === 'line' ? `<path d="M${left},${y - 3}h14" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="4 3"' : ''}/>` : `<rect x="${left + 3}" y="${y - 7}" width="8" height="8" fill="${l.color}"/>`;
      return `${mark}<text x="${left + 18}" y="${y}" font-size="10">${escapeXml(l.label!)}</text>`;
    })
    .join('');
}

export function plot(p: Plot): string {
  const width = p.width ?? 640;
  const height = p.height ?? 280;
  const left = margin.left;
  const right = width - margin.right;
  const top = margin.top;
  const bottom = height - margin.bottom;
  const sx = scale(p.x, left, right);
  const sy = scale(p.y, bottom, top);
  const fx = p.x.format ?? defaultFormat;
  const fy = p.y.format ?? defaultFormat;
  const xt = ticks(p.x)
    .map((v) => `<path d="M${r2(sx(v))},${bottom}v4" stroke="#444"/><text x="${r2(sx(v))}" y="${bottom + 15}" text-anchor="middle">${escapeXml(fx(v))}</text>`)
    .join('');
  const yt = ticks(p.y)
    .map((v) => `<path d="M${left},${r2(sy(v))}H${right}" stroke="#e4e4e4"/><text x="${left - 5}" y="${r2(sy(v)) + 3}" text-anchor="end">${escapeXml(fy(v))}</text>`)
    .join('');
  const body = p.layers.map((l) => layerSvg(l, sx, sy, p.x, p.y)).join('');
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(p.title)}" xmlns="http://www.w3.org/2000/svg" font-family="inherit" font-size="10" fill="#222">` +
    `<title>${escapeXml(p.title)}</title>` +
    yt +
    `<defs><clipPath id="c${width}x${height}"><rect x="${left}" y="${top - 4}" width="${right - left + 4}" height="${bottom - top + 8}"/></clipPath></defs>` +
    `<g clip-path="url(#c${width}x${height})">${body}</g>` +
    `<path d="M${left},${top}V${bottom}H${right}" fill="none" stroke="#444"/>` +
    xt +
    `<text x="${(left + right) / 2}" y="${height - 6}" text-anchor="middle" font-size="11">${escapeXml(p.x.label)}</text>` +
    `<text transform="translate(13 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeXml(p.y.label)}</text>` +
    legend(p.layers, right - 190, top + 10) +
    '</svg>'
  );
}
