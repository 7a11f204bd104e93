import type { Chart, ChartType, Plugin } from 'chart.js';

/** A dashed vertical line at x with a label at its top (an epsilon over margins). */
export interface Marker {
  x: number;
  label: string;
  /** A stronger line for the selected epsilon. */
  strong?: boolean;
}

export interface MarkerOptions {
  markers: Marker[];
}

/** A vertical bar from low to high at x (a median with its standard error, an interval). */
export interface ErrorBar {
  x: number;
  low: number;
  high: number;
}

export interface ErrorBarOptions {
  bars: ErrorBar[];
  color?: string;
}

declare module 'chart.js' {
  // Merged declarations must repeat chart.js's type parameter, used or not.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface PluginOptionsByType<TType extends ChartType> {
    verticalMarkers?: MarkerOptions;
    errorBars?: ErrorBarOptions;
  }
}

const MARKER_COLOR = '#b42318';

/**
 * Dashed vertical lines with labels at the top; labels that would overlap go one line lower. Drawn
 * under the datasets, so that a point on the line stays visible.
 */
export const verticalMarkers: Plugin<ChartType, MarkerOptions> = {
  id: 'verticalMarkers',
  beforeDatasetsDraw(chart: Chart, _args, options) {
    const { ctx, chartArea } = chart;
    const x = chart.scales.x;
    if (!x) return;
    ctx.save();
    ctx.strokeStyle = MARKER_COLOR;
    ctx.fillStyle = MARKER_COLOR;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    const lineEnds: number[] = [];
    for (const marker of [...(options.markers ?? [])].sort((a, b) => a.x - b.x)) {
      const at = x.getPixelForValue(marker.x);
      if (!Number.isFinite(at) || at < chartArea.left || at > chartArea.right) continue;
      ctx.lineWidth = marker.strong ? 2 : 1.25;
      ctx.setLineDash(marker.strong ? [] : [4, 3]);
      ctx.beginPath();
      ctx.moveTo(at, chartArea.top);
      ctx.lineTo(at, chartArea.bottom);
      ctx.stroke();
      const width = ctx.measureText(marker.label).width;
      const left = at + 4 + width > chartArea.right ? at - 4 - width : at + 4;
      let line = lineEnds.findIndex((end) => end < left);
      if (line < 0) line = lineEnds.length;
      lineEnds[line] = left + width + 4;
      ctx.textAlign = 'left';
      ctx.fillText(marker.label, left, chartArea.top + 2 + line * 13);
    }
    ctx.restore();
  },
};

/** Vertical error bars with short caps, drawn over the datasets on the x and y scales. */
export const errorBars: Plugin<ChartType, ErrorBarOptions> = {
  id: 'errorBars',
  afterDatasetsDraw(chart: Chart, _args, options) {
    const { ctx } = chart;
    const { x, y } = chart.scales;
    if (!x || !y || !options.bars?.length) return;
    ctx.save();
    ctx.strokeStyle = options.color ?? '#1d2329';
    ctx.lineWidth = 1.25;
    ctx.setLineDash([]);
    for (const bar of options.bars) {
      const px = x.getPixelForValue(bar.x);
      const top = y.getPixelForValue(bar.high);
      const bottom = y.getPixelForValue(bar.low);
      if (![px, top, bottom].every(Number.isFinite)) continue;
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.moveTo(px - 3, top);
      ctx.lineTo(px + 3, top);
      ctx.moveTo(px - 3, bottom);
      ctx.lineTo(px + 3, bottom);
      ctx.stroke();
    }
    ctx.restore();
  },
};
