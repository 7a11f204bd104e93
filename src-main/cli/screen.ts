import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ScreeningResult, ScreeningScore, ScreeningThreshold } from '../../src-preload/contract.js';
import { tableToCsv } from '../../src-preload/csv.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import { screeningTable } from '../../src-preload/screening-table.js';
import { UserError } from '../errors.js';
import { describeFit, fixedImageSize } from '../../src-preload/image-fit.js';
import { withService } from './audit.js';
import { fitFromOptions, type FitOptions } from './fit-options.js';

export interface ScreenOptions extends FitOptions {
  model: string;
  input: string;
  score?: string;
  threshold?: number;
  calibrate?: string;
  eps?: number;
  tpr?: number;
  out: string;
  batch?: number;
  json?: boolean;
}

/** `--score logit-margin | pseudo-margin:ID` as the contract's score. */
export function parseScore(value: string | undefined): ScreeningScore {
  if (value === undefined || value === 'logit-margin') return { kind: 'logit-margin' };
  const pseudo = /^pseudo-margin(?::(.+))?$/.exec(value);
  if (!pseudo) throw new UserError(`--score ${value}: use logit-margin or pseudo-margin:ID`);
  if (!pseudo[1]) throw new UserError('--score pseudo-margin needs the pseudo-margin\'s id: pseudo-margin:ID');
  return { kind: 'pseudo-margin', id: pseudo[1] };
}

export function thresholdOf(opts: Pick<ScreenOptions, 'threshold' | 'calibrate' | 'eps' | 'tpr'>): ScreeningThreshold {
  if (opts.threshold !== undefined && opts.calibrate !== undefined) throw new UserError('give --threshold or --calibrate, not both');
  if (opts.calibrate !== undefined) return { kind: 'calibrated', runId: opts.calibrate, epsilon: opts.eps, tprTarget: opts.tpr };
  if (opts.eps !== undefined || opts.tpr !== undefined) throw new UserError(`--${opts.eps !== undefined ? 'eps' : 'tpr'} needs --calibrate RUN`);
  if (opts.threshold === undefined) throw new UserError('give --threshold X, or --calibrate RUN to take the screening threshold of an analysed run');
  return { kind: 'typed', value: opts.threshold };
}

/** `brink screen`: flags new inputs through the service (one forward pass each, in a job process), written as CSV. */
export async function screenCommand(file: string, opts: ScreenOptions): Promise<void> {
  const score = parseScore(opts.score);
  const threshold = thresholdOf(opts);
  const out = resolve(opts.out);
  await withService(file, async (service) => {
    // A fit's size defaults to the model's input size: the one size it can take.
    const required = fixedImageSize((await service.invoke('model.get', { id: opts.model })).reading.feedShape);
    const fit = fitFromOptions(opts, required ?? undefined);
    const off = service.events.on('screen.progress', (p) => {
      if (opts.json) return;
      if (p.total === 0) process.stderr.write(`brink: ${p.stage}…\n`);
      else if (p.done === p.total) process.stderr.write(`brink: screened ${p.total} inputs\n`);
    });
    // Ctrl+C stops the worker and writes no CSV; a second one leaves at once.
    const cancel = () => {
      process.stderr.write('\nbrink: cancelling the screening (Ctrl+C again to stop at once)\n');
      void service.invoke('screen.cancel', {});
      process.once('SIGINT', () => process.exit(130));
    };
    process.once('SIGINT', cancel);
    try {
      const result = await service.invoke('screen.run', { modelId: opts.model, inputs: { kind: 'files', source: { kind: 'paths', paths: [resolve(opts.input)] }, fit }, score, threshold, batchSize: opts.batch });
      const table = screeningTable(result);
      await writeFile(out, tableToCsv(table.header, table.rows));
      process.stdout.write(opts.json ? `${JSON.stringify(screeningJson(result, out))}\n` : `${screeningText(result, out)}\n`);
    } finally {
      process.off('SIGINT', cancel);
      off();
    }
  });
}

function screeningJson(r: ScreeningResult, out: string): Record<string, unknown> {
  const c = r.calibration;
  return {
    out,
    model: r.modelId,
    score: r.score.kind === 'logit-margin' ? 'logit-margin' : `pseudo-margin:${r.score.id}`,
    threshold: r.threshold,
    calibration: c && { run: c.runId, norm: c.norm, epsilon: c.epsilon, tpr_target: c.tprTarget, tpr: c.tpr, fpr: c.fpr, samples: c.samples, censored: c.censored },
    inputs: r.inputs.length,
    brittle: r.brittle,
    fit: r.fit,
    skipped: r.skipped,
    provider: r.provider,
    forward_ms: r.forwardMs,
  };
}

function screeningText(r: ScreeningResult, out: string): string {
  const c = r.calibration;
  const how = c
    ? `threshold ${r.threshold.toFixed(4)} calibrated on run ${c.runId} at ${formatEpsilon(c.epsilon)} (${c.norm}): TPR ${(c.tpr * 100).toFixed(1)}% for a target of ${(c.tprTarget * 100).toFixed(1)}%, FPR ${(c.fpr * 100).toFixed(1)}% over ${c.samples} samples`
    : `threshold ${r.threshold} (typed)`;
  const skipped = r.skipped.length ? `\n${r.skipped.length} files skipped, first: ${r.skipped[0].file}: ${r.skipped[0].reason}` : '';
  const fitted = r.fit && r.fit.mode !== 'strict' ? `\nImages fitted to the model's input by ${describeFit(r.fit)}` : '';
  return `${r.brittle} of ${r.inputs.length} inputs flagged brittle (${r.score.kind === 'logit-margin' ? 'logit margin' : 'pseudo-margin'} <= threshold); ${how}${fitted}\nWrote ${out}${skipped}`;
}
