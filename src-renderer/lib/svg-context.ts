/**
 * A canvas 2D context that records what is drawn on it as SVG: the subset of CanvasRenderingContext2D
 * that chart.js (and Brink's own chart plugins) draw with. Paths are written in user units with the
 * current transform applied, text with its font and alignment, clips as clipPath groups. What a canvas
 * draws as pixels only (images, gradients, shadows) is left out. Pure: runs in node for the specs.
 */

/** The width of a text in a CSS font; chart.js lays out its ticks and titles with it. */
export type MeasureText = (text: string, font: string) => number;

type Matrix = [number, number, number, number, number, number];

interface DrawState {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  lineCap: CanvasLineCap;
  lineJoin: CanvasLineJoin;
  miterLimit: number;
  lineDash: number[];
  lineDashOffset: number;
  font: string;
  textAlign: CanvasTextAlign;
  textBaseline: CanvasTextBaseline;
  globalAlpha: number;
  matrix: Matrix;
  /** Clip groups opened while this state was current, closed by the restore() that ends it. */
  groups: number;
}

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];
const TAU = Math.PI * 2;

/** Glyph widths of a sans-serif font on average: good enough where no real canvas measures. */
export const approximateMeasure: MeasureText = (text, font) => text.length * fontSize(font) * 0.55;

function fontSize(font: string): number {
  const match = /([0-9.]+)px/.exec(font);
  return match ? Number(match[1]) : 10;
}

function round(x: number): string {
  return String(Math.round(x * 100) / 100);
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A canvas colour as SVG paint plus its opacity: 'rgba(1,2,3,0.5)' -> ['rgb(1,2,3)', 0.5]; gradients -> grey. */
export function svgPaint(style: unknown): [string, number] {
  if (typeof style !== 'string') return ['#888888', 1];
  const rgba = /^rgba\(\s*([^,]+),\s*([^,]+),\s*([^,]+),\s*([^)]+)\)$/i.exec(style.trim());
  if (rgba) return [`rgb(${rgba[1].trim()},${rgba[2].trim()},${rgba[3].trim()})`, Number(rgba[4])];
  const hex8 = /^#([0-9a-f]{6})([0-9a-f]{2})$/i.exec(style.trim());
  if (hex8) return [`#${hex8[1]}`, parseInt(hex8[2], 16) / 255];
  if (style.trim() === 'transparent') return ['none', 1];
  return [style, 1];
}

const anchors: Record<CanvasTextAlign, string> = { start: 'start', left: 'start', center: 'middle', right: 'end', end: 'end' };
const baselines: Record<CanvasTextBaseline, string> = {
  top: 'text-before-edge',
  hanging: 'hanging',
  middle: 'central',
  alphabetic: 'alphabetic',
  ideographic: 'ideographic',
  bottom: 'text-after-edge',
};

export class SvgContext {
  /** chart.js reads the canvas back from its context. */
  canvas: unknown = null;
  readonly width: number;
  readonly height: number;
  #measure: MeasureText;
  #state: DrawState = {
    fillStyle: '#000000',
    strokeStyle: '#000000',
    lineWidth: 1,
    lineCap: 'butt',
    lineJoin: 'miter',
    miterLimit: 10,
    lineDash: [],
    lineDashOffset: 0,
    font: '10px sans-serif',
    textAlign: 'start',
    textBaseline: 'alphabetic',
    globalAlpha: 1,
    matrix: [...IDENTITY],
    groups: 0,
  };
  #stack: DrawState[] = [];
  #path: string[] = [];
  /** The current point, in user units after the transform: arcs join it with a line as canvas does. */
  #current: [number, number] | null = null;
  #body: string[] = [];
  #clips = 0;

  constructor(width: number, height: number, measure: MeasureText = approximateMeasure) {
    this.width = width;
    this.height = height;
    this.#measure = measure;
  }

  // ---- state ----
  get fillStyle(): unknown { return this.#state.fillStyle; }
  set fillStyle(value: unknown) { this.#state.fillStyle = value; }
  get strokeStyle(): unknown { return this.#state.strokeStyle; }
  set strokeStyle(value: unknown) { this.#state.strokeStyle = value; }
  get lineWidth(): number { return this.#state.lineWidth; }
  set lineWidth(value: number) { if (Number.isFinite(value) && value > 0) this.#state.lineWidth = value; }
  get lineCap(): CanvasLineCap { return this.#state.lineCap; }
  set lineCap(value: CanvasLineCap) { this.#state.lineCap = value; }
  get lineJoin(): CanvasLineJoin { return this.#state.lineJoin; }
  set lineJoin(value: CanvasLineJoin) { this.#state.lineJoin = value; }
  get miterLimit(): number { return this.#state.miterLimit; }
  set miterLimit(value: number) { this.#state.miterLimit = value; }
  get lineDashOffset(): number { return this.#state.lineDashOffset; }
  set lineDashOffset(value: number) { this.#state.lineDashOffset = value; }
  get font(): string { return this.#state.font; }
  set font(value: string) { this.#state.font = value; }
  get textAlign(): CanvasTextAlign { return this.#state.textAlign; }
  set textAlign(value: CanvasTextAlign) { this.#state.textAlign = value; }
  get textBaseline(): CanvasTextBaseline { return this.#state.textBaseline; }
  set textBaseline(value: CanvasTextBaseline) { this.#state.textBaseline = value; }
  get globalAlpha(): number { return this.#state.globalAlpha; }
  set globalAlpha(value: number) { if (value >= 0 && value <= 1) this.#state.globalAlpha = value; }
  globalCompositeOperation = 'source-over';
  imageSmoothingEnabled = true;

  setLineDash(segments: number[]): void {
    this.#state.lineDash = segments.filter((x) => Number.isFinite(x) && x >= 0);
  }

  getLineDash(): number[] {
    return [...this.#state.lineDash];
  }

  save(): void {
    this.#stack.push({ ...this.#state, matrix: [...this.#state.matrix], lineDash: [...this.#state.lineDash] });
    this.#state = { ...this.#state, matrix: [...this.#state.matrix], lineDash: [...this.#state.lineDash], groups: 0 };
  }

  restore(): void {
    const previous = this.#stack.pop();
    if (!previous) return;
    this.#closeGroups();
    this.#state = previous;
  }

  // ---- transform ----
  setTransform(a: number | DOMMatrix2DInit = 1, b = 0, c = 0, d = 1, e = 0, f = 0): void {
    if (typeof a === 'object') {
      this.#state.matrix = [a.a ?? 1, a.b ?? 0, a.c ?? 0, a.d ?? 1, a.e ?? 0, a.f ?? 0];
      return;
    }
    this.#state.matrix = [a, b, c, d, e, f];
  }

  resetTransform(): void {
    this.#state.matrix = [...IDENTITY];
  }

  getTransform(): { a: number; b: number; c: number; d: number; e: number; f: number } {
    const [a, b, c, d, e, f] = this.#state.matrix;
    return { a, b, c, d, e, f };
  }

  transform(a: number, b: number, c: number, d: number, e: number, f: number): void {
    const [ma, mb, mc, md, me, mf] = this.#state.matrix;
    this.#state.matrix = [ma * a + mc * b, mb * a + md * b, ma * c + mc * d, mb * c + md * d, ma * e + mc * f + me, mb * e + md * f + mf];
  }

  translate(x: number, y: number): void {
    this.transform(1, 0, 0, 1, x, y);
  }

  rotate(angle: number): void {
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    this.transform(cos, sin, -sin, cos, 0, 0);
  }

  scale(x: number, y: number): void {
    this.transform(x, 0, 0, y, 0, 0);
  }

  #point(x: number, y: number): [number, number] {
    const [a, b, c, d, e, f] = this.#state.matrix;
    return [a * x + c * y + e, b * x + d * y + f];
  }

  /** The transform's length scale (chart.js only translates, rotates and scales evenly). */
  #scale(): number {
    const [a, b, c, d] = this.#state.matrix;
    return Math.sqrt(Math.abs(a * d - b * c));
  }

  // ---- paths ----
  beginPath(): void {
    this.#path = [];
    this.#current = null;
  }

  closePath(): void {
    if (this.#path.length > 0) this.#path.push('Z');
  }

  moveTo(x: number, y: number): void {
    const [px, py] = this.#point(x, y);
    this.#path.push(`M${round(px)} ${round(py)}`);
    this.#current = [px, py];
  }

  lineTo(x: number, y: number): void {
    if (!this.#current) return this.moveTo(x, y);
    const [px, py] = this.#point(x, y);
    this.#path.push(`L${round(px)} ${round(py)}`);
    this.#current = [px, py];
  }

  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void {
    if (!this.#current) this.moveTo(cx, cy);
    const [qx, qy] = this.#point(cx, cy);
    const [px, py] = this.#point(x, y);
    this.#path.push(`Q${round(qx)} ${round(qy)} ${round(px)} ${round(py)}`);
    this.#current = [px, py];
  }

  bezierCurveTo(c1x: number, c1y: number, c2x: number, c2y: number, x: number, y: number): void {
    if (!this.#current) this.moveTo(c1x, c1y);
    const [ax, ay] = this.#point(c1x, c1y);
    const [bx, by] = this.#point(c2x, c2y);
    const [px, py] = this.#point(x, y);
    this.#path.push(`C${round(ax)} ${round(ay)} ${round(bx)} ${round(by)} ${round(px)} ${round(py)}`);
    this.#current = [px, py];
  }

  arcTo(x1: number, y1: number): void {
    this.lineTo(x1, y1);
  }

  rect(x: number, y: number, w: number, h: number): void {
    this.moveTo(x, y);
    this.lineTo(x + w, y);
    this.lineTo(x + w, y + h);
    this.lineTo(x, y + h);
    this.closePath();
    this.moveTo(x, y);
  }

  roundRect(x: number, y: number, w: number, h: number): void {
    this.rect(x, y, w, h);
  }

  arc(x: number, y: number, radius: number, start: number, end: number, counterclockwise = false): void {
    this.ellipse(x, y, radius, radius, 0, start, end, counterclockwise);
  }

  ellipse(x: number, y: number, rx: number, ry: number, rotation: number, start: number, end: number, counterclockwise = false): void {
    if (!(rx >= 0 && ry >= 0)) return;
    let sweep = counterclockwise ? start - end : end - start;
    const full = sweep >= TAU;
    sweep = full ? TAU : ((sweep % TAU) + TAU) % TAU;
    const at = (angle: number): [number, number] => {
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      const ux = rx * cos;
      const uy = ry * sin;
      return [x + ux * Math.cos(rotation) - uy * Math.sin(rotation), y + ux * Math.sin(rotation) + uy * Math.cos(rotation)];
    };
    const [sx, sy] = at(start);
    if (this.#current) this.lineTo(sx, sy);
    else this.moveTo(sx, sy);
    if (sweep === 0) return;
    const [a, b, c, d] = this.#state.matrix;
    const flip = a * d - b * c < 0;
    const direction = counterclockwise ? -1 : 1;
    const sweepFlag = (direction > 0) !== flip ? 1 : 0;
    const scale = this.#scale();
    const degrees = ((rotation + Math.atan2(b, a)) * 180) / Math.PI;
    // A full turn is two half turns: one SVG arc cannot end where it starts.
    const pieces = full ? [start + (direction * Math.PI), start + direction * TAU] : [start + direction * sweep];
    let from = start;
    for (const to of pieces) {
      const [ex, ey] = this.#point(...at(to));
      const large = Math.abs(to - from) > Math.PI ? 1 : 0;
      this.#path.push(`A${round(rx * scale)} ${round(ry * scale)} ${round(degrees)} ${large} ${sweepFlag} ${round(ex)} ${round(ey)}`);
      this.#current = [ex, ey];
      from = to;
    }
  }

  // ---- painting ----
  fill(rule?: CanvasFillRule | unknown): void {
    if (this.#path.length === 0) return;
    const evenodd = rule === 'evenodd' ? ' fill-rule="evenodd"' : '';
    this.#body.push(`<path d="${this.#path.join('')}"${this.#fillAttributes()}${evenodd}/>`);
  }

  stroke(): void {
    if (this.#path.length === 0) return;
    this.#body.push(`<path d="${this.#path.join('')}" fill="none"${this.#strokeAttributes()}/>`);
  }

  fillRect(x: number, y: number, w: number, h: number): void {
    this.#body.push(`<path d="${this.#rectPath(x, y, w, h)}"${this.#fillAttributes()}/>`);
  }

  strokeRect(x: number, y: number, w: number, h: number): void {
    this.#body.push(`<path d="${this.#rectPath(x, y, w, h)}" fill="none"${this.#strokeAttributes()}/>`);
  }

  /** The export draws on white; clearing has nothing to remove. */
  clearRect(): void {}

  clip(): void {
    if (this.#path.length === 0) return;
    const id = `clip${++this.#clips}`;
    this.#body.push(`<clipPath id="${id}"><path d="${this.#path.join('')}"/></clipPath>`, `<g clip-path="url(#${id})">`);
    this.#state.groups++;
  }

  fillText(text: string, x: number, y: number): void {
    this.#text(text, x, y, this.#fillAttributes());
  }

  strokeText(text: string, x: number, y: number): void {
    this.#text(text, x, y, ` fill="none"${this.#strokeAttributes()}`);
  }

  measureText(text: string): TextMetrics {
    return { width: this.#measure(text, this.#state.font) } as TextMetrics;
  }

  drawImage(): void {}

  createLinearGradient(): { addColorStop: () => void } {
    return { addColorStop: () => {} };
  }

  createRadialGradient(): { addColorStop: () => void } {
    return this.createLinearGradient();
  }

  createPattern(): null {
    return null;
  }

  isPointInPath(): boolean {
    return false;
  }

  /** The drawing as one SVG document on a white background. */
  toSvg(): string {
    while (this.#stack.length > 0) this.restore();
    this.#closeGroups();
    const w = round(this.width);
    const h = round(this.height);
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`,
      `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
      ...this.#body,
      '</svg>',
    ].join('\n');
  }

  #closeGroups(): void {
    for (; this.#state.groups > 0; this.#state.groups--) this.#body.push('</g>');
  }

  #rectPath(x: number, y: number, w: number, h: number): string {
    const corners = [this.#point(x, y), this.#point(x + w, y), this.#point(x + w, y + h), this.#point(x, y + h)];
    return `${corners.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${round(px)} ${round(py)}`).join('')}Z`;
  }

  #text(text: string, x: number, y: number, paint: string): void {
    const [a, b, c, d, e, f] = this.#state.matrix;
    const plain = a === 1 && b === 0 && c === 0 && d === 1;
    const position = plain ? ` x="${round(x + e)}" y="${round(y + f)}"` : ` x="${round(x)}" y="${round(y)}" transform="matrix(${[a, b, c, d, e, f].map(round).join(' ')})"`;
    const anchor = anchors[this.#state.textAlign] ?? 'start';
    const baseline = baselines[this.#state.textBaseline] ?? 'alphabetic';
    this.#body.push(
      `<text${position} style="font: ${escapeXml(this.#state.font)}" text-anchor="${anchor}" dominant-baseline="${baseline}"${paint}>${escapeXml(String(text))}</text>`,
    );
  }

  #fillAttributes(): string {
    const [color, alpha] = svgPaint(this.#state.fillStyle);
    const opacity = alpha * this.#state.globalAlpha;
    return ` fill="${escapeXml(color)}"${opacity < 1 ? ` fill-opacity="${round(opacity)}"` : ''}`;
  }

  #strokeAttributes(): string {
    const [color, alpha] = svgPaint(this.#state.strokeStyle);
    const opacity = alpha * this.#state.globalAlpha;
    const scale = this.#scale();
    const parts = [` stroke="${escapeXml(color)}"`, ` stroke-width="${round(this.#state.lineWidth * scale)}"`];
    if (opacity < 1) parts.push(` stroke-opacity="${round(opacity)}"`);
    if (this.#state.lineCap !== 'butt') parts.push(` stroke-linecap="${this.#state.lineCap}"`);
    if (this.#state.lineJoin !== 'miter') parts.push(` stroke-linejoin="${this.#state.lineJoin}"`);
    if (this.#state.lineDash.length > 0) {
      parts.push(` stroke-dasharray="${this.#state.lineDash.map((x) => round(x * scale)).join(' ')}"`);
      if (this.#state.lineDashOffset !== 0) parts.push(` stroke-dashoffset="${round(this.#state.lineDashOffset * scale)}"`);
    }
    return parts.join('');
  }
}
