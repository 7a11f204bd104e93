import { resolve } from 'node:path';
import type { ScreenerExport, ScreenerThreshold } from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import { UserError } from '../errors.js';
import { withService } from './audit.js';
import { parseScore } from './screen.js';

export interface ScreenerExportOptions {
  model: string;
  score?: string;
  threshold?: number;
  calibrate?: string;
  eps?: number;
  tpr?: number;
  out: string;
  json?: boolean;
}

function screenerThreshold(opts: ScreenerExportOptions): ScreenerThreshold {
  if (opts.threshold !== undefined && opts.calibrate !== undefined) throw new UserError('give --threshold or --calibrate, not both');
  if (opts.threshold !== undefined) {
    if (opts.eps !== undefined || opts.tpr !== undefined) throw new UserError('--eps and --tpr go with --calibrate');
    return { kind: 'value', value: opts.threshold };
  }
  if (opts.calibrate === undefined) throw new UserError('give the threshold: --threshold X, or --calibrate RUN [--eps E] [--tpr 0.95]');
  return { kind: 'calibrated', runId: opts.calibrate, epsilon: opts.eps, tprTarget: opts.tpr };
}

/** `brink screener export`: the model's screener through the service, written to --out. */
export async function screenerExport(file: string, opts: ScreenerExportOptions): Promise<void> {
  const out = resolve(opts.out);
  const request = { modelId: opts.model, score: parseScore(opts.score), threshold: screenerThreshold(opts) };
  const exported = await withService(file, (service) => service.invoke('screener.export', request), { saveTo: out });
  process.stdout.write(opts.json ? `${JSON.stringify({ screener: screenerJson(exported, out) })}\n` : `${screenerText(exported, out)}\n`);
}

export function screenerJson(s: ScreenerExport, path: string): Record<string, unknown> {
  const c = s.calibration;
  return {
    path,
    sha256: s.sha256,
    bytes: s.bytes,
    model: s.modelId,
    model_sha256: s.modelSha256,
    score: s.score,
    threshold: s.threshold,
    rule: 'brittle = score <= threshold',
    calibration: c && { run: c.runId, norm: c.norm, epsilon: c.epsilon, tpr_target: c.tprTarget, tpr: c.tpr, fpr: c.fpr, samples: c.samples, ...c.confusion },
    metadata: Object.fromEntries(s.metadata.map((p) => [p.key, p.value])),
  };
}

function screenerText(s: ScreenerExport, path: string): string {
  const c = s.calibration;
  const percent = (v: number) => `${(v * 100).toFixed(1)}%`;
  const source = c
    ? `calibrated on run ${c.runId} at ${c.norm} epsilon ${formatEpsilon(c.epsilon)}: TPR ${percent(c.tpr)} (target ${percent(c.tprTarget)}), FPR ${percent(c.fpr)} over ${c.samples} samples`
    : 'typed in';
  return [
    `Wrote the screener to ${path} (${s.bytes} bytes, sha256 ${s.sha256})`,
    `  outputs logits, score (${s.score}), brittle = score <= ${s.threshold}`,
    `  threshold ${source}`,
  ].join('\n');
}
