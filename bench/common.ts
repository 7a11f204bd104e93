import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { median } from '../src-main/engine/metrics/summary.js';

/** The statistic every benchmark reports, from the one home of quantiles (engine/metrics). */
export { median };

/** Small helpers every benchmark uses: option parsing and the statistic reported. */

export function wholeNumber(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} takes a whole number >= ${min}, got '${value}'`);
  return n;
}

/** A Markdown table with aligned columns: numbers right-aligned, the first column left-aligned when it holds names. */
export function table(header: string[], rows: string[][], options: { nameColumn?: boolean } = {}): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const cell = (text: string, c: number) => (c === 0 && options.nameColumn ? text.padEnd(widths[c]) : text.padStart(widths[c]));
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The header line saying where a benchmark's sessions ran: figures from different providers do not compare. */
export function providerLine(provider: string): string {
  return `execution provider: ${provider}`;
}

/** The load average, printed beside every figure: the machines these run on are shared. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

export interface Timing {
  imagesPerSecond: number;
  medianMs: number;
  minMs: number;
}

/** Warm-up passes (first-run allocations, onnxruntime's arena), then the median of timed ones. */
export async function timed(images: number, warmup: number, repeats: number, pass: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await pass();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await pass();
    times.push(performance.now() - t0);
  }
  const medianMs = median(times);
  return { imagesPerSecond: (images * 1000) / medianMs, medianMs, minMs: Math.min(...times) };
}

const WORKER_MARK = join('worker', 'entry.');

/** A kernel figure from /proc/<pid>/status in KiB (VmHWM, VmRSS), or null once the process is gone. */
export function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Every live process below `ancestor`, from the parent pids in /proc/<pid>/stat. */
export function descendants(ancestor: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may itself hold spaces or ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(rest[1]));
    } catch {
      // The process ended between listing and reading.
    }
  }
  const found: number[] = [];
  const frontier = [ancestor];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

/** The audit worker: its command line names the worker entry (src-main/worker/entry.ts or .js). */
export function isWorker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(WORKER_MARK));
  } catch {
    return false;
  }
}
