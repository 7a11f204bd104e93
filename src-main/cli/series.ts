// `brink series add` and `brink series`: checkpoint series through the service, as the GUI uses them.
import { resolve } from 'node:path';
import type { RunConfig, SeriesAnalysis, SeriesCheckpoint, Subset } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { attackSettings, runToEnd, withService, type AuditOptions } from './audit.js';
import { lipschitzSettings } from './lipschitz-options.js';

export interface SeriesAddOptions {
  name: string;
  mean?: number[];
  std?: number[];
  labels?: string;
  /** Order files given one by one by the numbers in their names too. */
  byNumber?: boolean;
  json?: boolean;
}

export async function seriesAdd(file: string, paths: string[], opts: SeriesAddOptions): Promise<void> {
  if ((opts.mean && !opts.std) || (opts.std && !opts.mean)) throw new UserError('give --mean and --std together');
  await withService(file, async (service) => {
    const series = await service.invoke('series.add', {
      name: opts.name,
      source: { kind: 'paths', paths: paths.map((p) => resolve(p)) },
      ...(opts.byNumber ? { order: 'numbers' as const } : {}),
      ...(opts.mean && opts.std ? { preprocessing: { valueRange: [0, 1] as [number, number], mean: opts.mean, std: opts.std } } : {}),
      ...(opts.labels ? { labels: { kind: 'paths' as const, paths: [resolve(opts.labels)] } } : {}),
    });
    if (opts.json) process.stdout.write(`${JSON.stringify({ id: series.id, checkpoints: series.checkpoints.map((c) => c.modelId) })}\n`);
    else process.stdout.write(`${series.id}  "${series.name}"  ${series.checkpoints.length} checkpoints: ${series.checkpoints.map((c) => c.name).join(', ')}\n`);
  });
}

export type SeriesShowOptions = Pick<AuditOptions, 'limit' | 'batch' | 'device' | 'attack' | 'norm' | 'iters' | 'restarts' | 'seed' | 'lipschitz' | 'radius' | 'samples' | 'force'> & {
  series: string;
  dataset: string;
  json?: boolean;
};

/** Queues what the series misses for the configuration (if one is given), waits for it, and prints the per-checkpoint table. */
export async function seriesShow(file: string, opts: SeriesShowOptions): Promise<void> {
  // Without --attack, --norm is the Lipschitz estimate's.
  const attack = attackSettings(opts.attack ? opts : { ...opts, norm: undefined });
  const lipschitz = lipschitzSettings(opts, attack?.norm ?? opts.norm ?? 'linf', opts.seed ?? 0);
  await withService(file, async (service) => {
    if (attack || lipschitz) {
      const subset: Subset = opts.limit !== undefined ? { mode: 'first', count: opts.limit } : { mode: 'all' };
      const config: Omit<RunConfig, 'modelId'> = { datasetId: opts.dataset, subset, batchSize: opts.batch ?? 128, device: opts.device ?? 'auto', attack, lipschitz };
      const queued = await service.invoke('series.run', { id: opts.series, ...config, onlyMissing: true, force: opts.force });
      for (const run of queued) {
        const done = await runToEnd(service, run.id, () => process.stderr.write(`run ${run.id}: ${run.modelName}\n`));
        if (done.status !== 'done') throw new UserError(`run ${done.id} of ${done.modelName} ${done.status}: ${done.error ?? 'no reason recorded'}`);
      }
    }
    const analysis = await service.invoke('series.get', { id: opts.series, datasetId: opts.dataset });
    process.stdout.write(opts.json ? `${JSON.stringify(analysis)}\n` : `${seriesTable(analysis)}\n`);
  });
}

const sources: Record<NonNullable<SeriesCheckpoint['marginSource']>, string> = {
  attack: 'verified attack margin',
  lipschitz: 'Lipschitz estimate (an estimate, not a certificate)',
};

/** The per-checkpoint table: accuracy, minimum and average signed margin (Wu & Yu), censored count. */
export function seriesTable(a: SeriesAnalysis): string {
  const source = a.checkpoints.find((c) => c.marginSource)?.marginSource;
  const norm = a.checkpoints.find((c) => c.norm)?.norm;
  const lines = [`${a.series.id}  "${a.series.name}" on ${a.dataset?.name ?? 'no dataset yet'}${source ? `  (d: ${sources[source]}, ${norm})` : ''}`];
  const width = Math.max(10, ...a.checkpoints.map((c) => c.modelName.length));
  const number = (v: number | null) => (v === null ? '-' : v.toFixed(4));
  lines.push(`  ${'checkpoint'.padEnd(width)}  ${'run'.padEnd(15)}  ${'status'.padEnd(11)}  samples  accuracy  min margin  avg margin  censored`);
  for (const c of a.checkpoints) {
    const accuracy = c.accuracy === null ? '-' : `${(c.accuracy * 100).toFixed(1)}%`;
    lines.push(
      `  ${c.modelName.padEnd(width)}  ${(c.run?.id ?? '-').padEnd(15)}  ${(c.run?.status ?? 'no run').padEnd(11)}  ${String(c.evaluated).padStart(7)}  ${accuracy.padStart(8)}  ${number(c.minimumMargin).padStart(10)}  ${number(c.averageMargin).padStart(10)}  ${String(c.censored).padStart(8)}`,
    );
  }
  return lines.join('\n');
}
