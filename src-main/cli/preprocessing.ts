import type { ModelDetail, Preprocessing, PreprocessingProbe } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { withService } from './audit.js';

export interface PreprocessingOptions {
  model: string;
  range?: number[];
  mean?: number[];
  std?: number[];
  /** Confirm the model's preprocessing as it is. */
  confirm?: boolean;
  /** Try the common conventions on this dataset. */
  test?: string;
  samples?: number;
  /** With --test: save (and so confirm) the proposal. */
  apply?: boolean;
  json?: boolean;
}

/**
 * The model page's preprocessing section on the command line: set the values (which confirms
 * them), confirm them as they are, or try the common conventions on a labelled dataset and
 * optionally apply the proposal.
 */
export async function preprocessing(file: string, opts: PreprocessingOptions): Promise<void> {
  const setting = opts.range !== undefined || opts.mean !== undefined || opts.std !== undefined;
  if ([setting, opts.confirm ?? false, opts.test !== undefined].filter(Boolean).length !== 1) {
    throw new UserError('give new values (--range, --mean, --std), --confirm, or --test DATASET');
  }
  if (opts.apply && !opts.test) throw new UserError('--apply needs --test DATASET');
  if (opts.range && opts.range.length !== 2) throw new UserError('--range takes two numbers, e.g. 0,255');
  await withService(file, async (service) => {
    const model = await service.invoke('model.get', { id: opts.model });
    if (!opts.test) {
      const values: Preprocessing = {
        valueRange: (opts.range as [number, number] | undefined) ?? model.preprocessing.valueRange,
        mean: opts.mean ?? model.preprocessing.mean,
        std: opts.std ?? model.preprocessing.std,
      };
      const saved = await service.invoke('model.update', { id: model.id, preprocessing: values });
      return print(opts, { model: saved.id, preprocessing: saved.preprocessing, confirmed: saved.preprocessingConfirmed }, `${saved.name}: preprocessing ${describe(saved.preprocessing)} (confirmed)`);
    }
    const probe = await service.invoke('model.probePreprocessing', { id: model.id, datasetId: opts.test, samples: opts.samples });
    const proposal = probe.proposed === null ? null : probe.candidates[probe.proposed];
    let applied: ModelDetail | null = null;
    if (opts.apply && proposal) applied = await service.invoke('model.update', { id: model.id, preprocessing: proposal.preprocessing });
    print(opts, { probe, applied: applied !== null }, describeProbe(model, probe, applied));
  });
}

function print(opts: { json?: boolean }, json: unknown, text: string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

function describe(p: Preprocessing): string {
  return `[${p.valueRange.join(', ')}], mean ${p.mean.join(',')}, std ${p.std.join(',')}`;
}

function describeProbe(model: ModelDetail, probe: PreprocessingProbe, applied: ModelDetail | null): string {
  const lines = [`${model.name}: ${probe.samples} samples drawn at random (seed ${probe.seed}) from ${probe.datasetId}, ${probe.ms} ms`];
  probe.candidates.forEach((c, k) => {
    const accuracy = c.accuracy === null ? '—' : `${(c.accuracy * 100).toFixed(1)}%`;
    const notes = [c.source ? `metadata_props ${c.source}` : null, c.skipped ? `not tried: ${c.skipped}` : null].filter(Boolean).join('; ');
    const marks = [k === probe.proposed ? 'proposed' : null, c.current ? 'current' : null].filter(Boolean).join(', ');
    lines.push(`  ${accuracy.padStart(6)}  ${c.label}: ${describe(c.preprocessing)}${notes ? ` (${notes})` : ''}${marks ? `  <- ${marks}` : ''}`);
  });
  const proposal = probe.proposed === null ? null : probe.candidates[probe.proposed];
  if (!proposal) lines.push('  no convention could be tried on this dataset');
  else if (applied) lines.push(`applied and confirmed: ${describe(applied.preprocessing)}`);
  else if (!proposal.current) lines.push(`apply it with --apply, or give the values with --range/--mean/--std`);
  else lines.push(`the current settings score best; confirm them with --confirm`);
  return lines.join('\n');
}
