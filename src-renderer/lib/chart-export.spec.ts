import { BarController, BarElement, Chart, LinearScale, LineController, LineElement, PointElement, ScatterController, type ChartConfiguration } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { chartToSvg, csvField, dataUrlToBlob, fileSlug, tableToCsv } from './chart-export';
import { SvgContext, svgPaint } from './svg-context';

Chart.register(BarController, BarElement, LinearScale, LineController, LineElement, PointElement, ScatterController);

/** A chart drawn in node on a recording context, as chart.js does without a DOM. */
function chartOn(config: ChartConfiguration, width = 400, height = 300): Chart {
  const context = new SvgContext(width, height);
  const canvas = { width, height, style: {}, getContext: () => context };
  context.canvas = canvas;
  return new Chart(canvas as unknown as HTMLCanvasElement, {
    ...config,
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
  } as ChartConfiguration);
}

describe('tableToCsv', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180) and ends lines with CRLF', () => {
    const csv = tableToCsv(['class', 'note'], [['cat, tabby', 'said "hi"'], ['dog', 'two\nlines']]);
    expect(csv).toBe('class,note\r\n"cat, tabby","said ""hi"""\r\ndog,"two\nlines"\r\n');
  });

  it('writes numbers at full precision, null as an empty field and infinities by name', () => {
    expect(tableToCsv(['a', 'b', 'c', 'd'], [[0.1 + 0.2, null, Infinity, Number.NaN]])).toBe('a,b,c,d\r\n0.30000000000000004,,Infinity,\r\n');
  });

  it('quotes fields with leading or trailing spaces so that readers keep them', () => {
    expect(csvField(' x')).toBe('" x"');
    expect(csvField('x')).toBe('x');
  });
});

describe('dataUrlToBlob', () => {
  it('decodes base64 data URLs with their type', async () => {
    const blob = dataUrlToBlob('data:image/png;base64,AAEC');
    expect(blob.type).toBe('image/png');
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([0, 1, 2]);
  });
});

describe('fileSlug', () => {
  it('makes a file name from a title', () => {
    expect(fileSlug('Robust accuracy (ε, ℓ∞)')).toBe('robust-accuracy');
    expect(fileSlug('***')).toBe('chart');
  });
});

describe('svgPaint', () => {
  it('splits rgba and 8-digit hex colours into paint and opacity', () => {
    expect(svgPaint('rgba(1, 2, 3, 0.5)')).toEqual(['rgb(1,2,3)', 0.5]);
    expect(svgPaint('#11223380')).toEqual(['#112233', 128 / 255]);
    expect(svgPaint('#abc')).toEqual(['#abc', 1]);
  });
});

describe('SvgContext', () => {
  it('applies the transform to paths and closes clip groups on restore', () => {
    const context = new SvgContext(100, 50);
    context.save();
    context.translate(10, 5);
    context.beginPath();
    context.rect(0, 0, 20, 10);
    context.clip();
    context.beginPath();
    context.moveTo(0, 0);
    context.lineTo(20, 10);
    context.strokeStyle = 'rgba(0,0,255,0.5)';
    context.stroke();
    context.restore();
    context.fillText('a < b', 1, 2);
    const svg = context.toSvg();
    expect(svg).toContain('<clipPath id="clip1"><path d="M10 5L30 5L30 15L10 15ZM10 5"/></clipPath>');
    expect(svg).toContain('<path d="M10 5L30 15" fill="none" stroke="rgb(0,0,255)" stroke-width="1" stroke-opacity="0.5"/>');
    expect(svg.indexOf('</g>')).toBeLessThan(svg.indexOf('a &lt; b'));
    expect(svg).toContain('x="1" y="2"');
  });

  it('draws a full circle as two half arcs', () => {
    const context = new SvgContext(10, 10);
    context.beginPath();
    context.arc(5, 5, 2, 0, Math.PI * 2);
    context.fill();
    expect(context.toSvg()).toContain('<path d="M7 5A2 2 0 0 1 3 5A2 2 0 0 1 7 5" fill="#000000"/>');
  });

  it('writes rotated text with its transform and its alignment', () => {
    const context = new SvgContext(10, 10);
    context.translate(5, 5);
    context.rotate(-Math.PI / 2);
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.font = 'bold 12px sans-serif';
    context.fillText('y title', 0, 0);
    expect(context.toSvg()).toMatch(/<text x="0" y="0" transform="matrix\(0 -1 1 0 5 5\)" style="font: bold 12px sans-serif" text-anchor="middle" dominant-baseline="central"/);
  });
});

describe('chartToSvg', () => {
  it('draws a bar chart with its axes, ticks, titles and bars', () => {
    const chart = chartOn({
      type: 'bar',
      data: { datasets: [{ data: [{ x: 1, y: 3 }, { x: 2, y: 5 }], backgroundColor: '#7f9be0' }] },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: 'input margin (ℓ∞, pixels)' } },
          y: { type: 'linear', title: { display: true, text: 'samples' } },
        },
      },
    });
    const svg = chartToSvg(chart);
    chart.destroy();
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"')).toBe(true);
    expect(svg).toContain('>input margin (ℓ∞, pixels)</text>');
    expect(svg).toContain('>samples</text>');
    // y ticks 0..5, bars in their colour
    expect(svg).toMatch(/>5(\.0)?<\/text>/);
    expect(svg.match(/fill="#7f9be0"/g)?.length).toBe(2);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('draws a scatter with its points and inline plugins, and leaves the screen chart untouched', () => {
    const marks: string[] = [];
    const chart = chartOn({
      type: 'scatter',
      data: { datasets: [{ data: [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 4 }], pointRadius: 2, backgroundColor: '#2d5bcf' }] },
      options: { parsing: false, scales: { x: { type: 'linear' }, y: { type: 'linear' } } },
      plugins: [
        {
          id: 'mark',
          afterDraw: (drawn: Chart) => {
            marks.push('drawn');
            drawn.ctx.fillStyle = '#ff0000';
            drawn.ctx.fillRect(0, 0, 3, 3);
          },
        },
      ],
    });
    const before = marks.length;
    const svg = chartToSvg(chart);
    expect(marks.length).toBe(before + 1);
    // three points, each a filled and a stroked circle of two half arcs
    expect(svg.match(/A2 2 0 0 1/g)?.length).toBe(12);
    expect(svg).toContain('fill="#ff0000"');
    expect(chart.data.datasets[0].data).toHaveLength(3);
    chart.destroy();
  });
});
