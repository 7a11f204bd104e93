import type { HeldOutScore, PseudoMarginInputChoice, PseudoMarginProgress, PseudoMarginSummary, PseudoMarginVariant } from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import { UserError } from '../errors.js';
import type { BrinkService } from '../service/service.js';
import { withService } from './audit.js';
import { progressBar } from './progress-bar.js';

export interface PseudoMarginTrainOptions {
  run: string;
  input?: PseudoMarginInputChoice;
  variant?: PseudoMarginVariant;
  seed?: number;
  epochs?: number;
  json?: boolean;
}

/** Trains in a job process as the GUI does, with epochs and loss on stderr; Ctrl+C cancels (nothing is stored). */
export async function trainPseudoMarginCommand(file: string, opts: PseudoMarginTrainOptions): Promise<void> {
  await withService(file, async (service) => {
    const job = await service.invoke('pseudoMargin.train', { runId: opts.run, input: opts.input, variant: opts.variant, seed: opts.seed, epochs: opts.epochs });
    const final = await followTraining(service, job.jobId);
    if (final.status !== 'done') throw new UserError(final.status === 'cancelled' ? 'training cancelled; nothing was stored' : `training failed: ${final.error ?? 'no reason recorded'}`);
    const detail = await service.invoke('pseudoMargin.get', { id: final.pseudoMarginId! });
    process.stdout.write(opts.json ? `${JSON.stringify(detail)}\n` : `${describePseudoMargin(detail)}\n`);
  });
}

async function followTraining(service: BrinkService, jobId: string): Promise<PseudoMarginProgress> {
  const trainings = service.pseudoMarginTrainings();
  const bar = progressBar();
  // Epochs per second from the first report of each stage, for the ETA.
  let start: { stage: string; at: number; epoch: number } | null = null;
  const off = service.events.on('pseudoMargin.progress', (p) => {
    if (p.jobId !== jobId || p.status !== 'running') return;
    if (start?.stage !== p.stage) start = { stage: p.stage, at: Date.now(), epoch: p.epoch };
    const elapsed = (Date.now() - start.at) / 1000;
    const rate = elapsed > 0.5 ? (p.epoch - start.epoch) / elapsed : null;
    const loss = p.loss === null ? '' : `, loss ${p.loss.toExponential(3)}`;
    bar.update({ stage: `${p.stage}${loss}`, done: p.epoch, total: p.epochs, samplesPerSecond: null, etaSeconds: rate ? (p.epochs - p.epoch) / rate : null, provider: 'cpu' });
  });
  const cancel = () => {
    process.stderr.write('\nbrink: cancelling the training (Ctrl+C again to stop at once)\n');
    trainings.cancel(jobId);
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', cancel);
  try {
    return await trainings.waitFor(jobId);
  } finally {
    process.off('SIGINT', cancel);
    off();
    bar.end();
  }
}

const num = (v: number | null, digits = 3) => (v === null ? '-' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(2)}%`);
const row = (name: string, s: HeldOutScore) => `  ${name.padEnd(14)} tau ${num(s.kendallTau).padStart(6)}  AUROC ${pct(s.auroc).padStart(7)}  AUPR ${pct(s.aupr).padStart(7)}  FPR@95 ${pct(s.fprAt95Tpr).padStart(7)}`;

export function describePseudoMargin(p: PseudoMarginSummary): string {
  const v = p.validation;
  const other = v.other ? `; ${v.other.input} gave held-out tau ${num(v.other.kendallTau)} and was not kept` : '';
  return [
    `${p.id}  model ${p.modelId}  run ${p.runId}  input ${p.input}  network ${p.variant}  seed ${p.seed}  ${p.settings.epochs} epochs${other}`,
    `  held out: ${v.samples} samples (${v.censored} censored), trained on ${v.trainingSamples}; detection at eps ${formatEpsilon(v.epsilon)} (${v.norm}): ${v.positives} non-robust, ${v.negatives} robust; final loss ${v.finalLoss.toExponential(3)}`,
    row('pseudo-margin', v.pseudoMargin),
    row('logit margin', v.logitMargin),
    `  ${v.verdict}`,
  ].join('\n');
}

export async function listPseudoMargins(file: string, opts: { json?: boolean }): Promise<void> {
  await withService(file, async (service) => {
    const models = await service.invoke('model.list', {});
    const all = (await Promise.all(models.map((m) => service.invoke('pseudoMargin.list', { modelId: m.id })))).flat();
    process.stdout.write(opts.json ? `${JSON.stringify({ pseudoMargins: all })}\n` : `${all.length ? all.map(describePseudoMargin).join('\n') : 'No pseudo-margins.'}\n`);
  });
}
