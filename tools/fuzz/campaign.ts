// Runs the cases of each kind in a child process under a watchdog: a case that outlives the time
// limit is a HANG, one that grows the child's resident memory past the limit is MEMORY, and a child
// that dies takes only its current case with it (a CRASH); a fresh child goes on with the next.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { CaseResult, ChildReport, ChildRequest, Outcome } from './protocol.js';

export interface CampaignOptions {
  seed: number;
  perKind: number;
  kinds: string[];
  /** Per case. */
  timeLimitMs?: number;
  /** Growth of the child's resident memory during one case. */
  memoryLimitBytes?: number;
  /** The first case index of each kind (to replay one case: from = N, perKind = 1). */
  from?: number;
  onResult?: (kind: string, result: CaseResult) => void;
}

export type Tally = Record<Outcome | 'tried', number>;

export interface KindReport {
  kind: string;
  tally: Tally;
  /** Every case that was not accepted or refused. */
  failures: CaseResult[];
  /** A few refusals, to show what the messages look like. */
  refusals: CaseResult[];
  /** Outcomes per mutation (numbers in its description folded to N), to see what each one reaches. */
  byMutation: Record<string, Partial<Record<Outcome, number>>>;
}

const PAGE = 4096;

/** Resident bytes of a process, from /proc (Linux); null where there is none. */
function residentBytes(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
  } catch {
    return null;
  }
}

class Child {
  readonly process: ChildProcess;
  private listeners: ((report: ChildReport) => void)[] = [];
  exited: string | null = null;

  constructor() {
    this.process = fork(new URL('./child.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    this.process.stderr!.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-2000)));
    this.process.on('message', (report: ChildReport) => this.listeners.forEach((l) => l(report)));
    this.process.on('exit', (code, signal) => {
      const lines = stderr.trim().split('\n');
      const error = lines.find((line) => /^\w*Error\b/.test(line)) ?? lines.at(-1) ?? '';
      this.exited = `the fuzzing process died (${signal ?? `exit ${code}`}): ${error}`;
      this.listeners.forEach((l) => l({ type: 'done' }));
    });
  }

  on(listener: (report: ChildReport) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const off = this.on((report) => {
        if (report.type === 'ready') resolve();
        else if (this.exited) reject(new Error(this.exited));
        off();
      });
    });
  }

  kill(): void {
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
  }
}

export async function runCampaign(options: CampaignOptions): Promise<KindReport[]> {
  const timeLimit = options.timeLimitMs ?? 30_000;
  const memoryLimit = options.memoryLimitBytes ?? 768 * 2 ** 20;
  const reports: KindReport[] = [];
  let child: Child | null = null;
  try {
    for (const kind of options.kinds) {
      const report: KindReport = { kind, tally: { tried: 0, accepted: 0, refused: 0, crash: 0, hang: 0, memory: 0, corrupt: 0 }, failures: [], refusals: [], byMutation: {} };
      const record = (result: CaseResult) => {
        report.tally.tried++;
        report.tally[result.outcome]++;
        const mutation = result.mutation.replace(/^[\w/-]+\.\w+: /, '').replace(/\d+/g, 'N');
        const counts = (report.byMutation[mutation] ??= {});
        counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
        if (result.outcome !== 'accepted' && result.outcome !== 'refused') report.failures.push(result);
        else if (result.outcome === 'refused' && report.refusals.length < 5) report.refusals.push(result);
        options.onResult?.(kind, result);
      };
      const first = options.from ?? 0;
      let next = first;
      while (next < first + options.perKind) {
        if (!child || child.exited) {
          child = new Child();
          await child.ready();
        }
        next = await runSlice(child, { seed: options.seed, kind, from: next, to: first + options.perKind }, timeLimit, memoryLimit, record);
        if (next < first + options.perKind) {
          child.kill();
          child = null;
        }
      }
      reports.push(report);
    }
  } finally {
    child?.kill();
  }
  return reports;
}

/** Runs cases until the slice ends or one fails in a way that takes the child down; returns the next index. */
function runSlice(child: Child, request: ChildRequest, timeLimit: number, memoryLimit: number, record: (result: CaseResult) => void): Promise<number> {
  return new Promise((resolve) => {
    let current: { index: number; mutation: string; started: number; rss: number; peak: number } | null = null;
    let next = request.from;
    const finish = (failure: { outcome: Outcome; message: string } | null) => {
      clearInterval(watchdog);
      off();
      if (failure) {
        // A child that dies between cases (in setup) is still pinned on the case it was about to run.
        const at = current ?? { index: next, mutation: '(before the case started)', started: performance.now(), rss: 0, peak: 0 };
        record({ index: at.index, mutation: at.mutation, bytes: 0, ms: performance.now() - at.started, rssBefore: at.rss, rssAfter: at.peak, ...failure });
        next = at.index + 1;
      }
      resolve(next);
    };
    const watchdog = setInterval(() => {
      if (!current) return;
      const rss = residentBytes(child.process.pid!) ?? 0;
      current.peak = Math.max(current.peak, rss);
      if (current.peak - current.rss > memoryLimit) finish({ outcome: 'memory', message: `resident memory grew by ${((current.peak - current.rss) / 2 ** 20).toFixed(0)} MiB` });
      else if (performance.now() - current.started > timeLimit) finish({ outcome: 'hang', message: `no answer after ${timeLimit} ms` });
    }, 20);
    const off = child.on((report) => {
      if (report.type === 'start') {
        const rss = residentBytes(child.process.pid!) ?? 0;
        current = { index: report.index, mutation: '(being made)', started: performance.now(), rss, peak: rss };
      } else if (report.type === 'case') {
        if (current) current.mutation = report.mutation;
      } else if (report.type === 'result') {
        const peak = current?.peak ?? 0;
        current = null;
        const result = report.result;
        // The watchdog samples every 20 ms; the child's own after-case reading catches a spike it missed.
        const grown = Math.max(peak, result.rssAfter) - result.rssBefore;
        record(grown > memoryLimit && (result.outcome === 'accepted' || result.outcome === 'refused') ? { ...result, outcome: 'memory', message: `resident memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB (${result.message})` } : result);
        next = result.index + 1;
      } else if (report.type === 'done') {
        finish(child.exited ? { outcome: 'crash', message: child.exited } : null);
      }
    });
    child.process.send(request);
  });
}
