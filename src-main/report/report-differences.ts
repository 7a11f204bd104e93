/**
 * Why a report rendered again differs from the kept one: its sidecar JSON holds every number and
 * the environment it was made in, so comparing the kept sidecar with the new one names the cause
 * (another printer or Brink version, or changed results) instead of a bare hash mismatch.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ReportData, ReportEnvironment } from './report-data.js';

const ENVIRONMENT_WORDS: Record<keyof ReportEnvironment, string> = {
  brinkVersion: 'Brink',
  onnxruntimeVersion: 'onnxruntime-node',
  nodeVersion: 'Node',
  os: 'the operating system',
  cpu: 'the processor',
  printer: 'the printer',
};

/** One phrase per difference, e.g. "the printer: Chromium 143.0.7499.40 now, Electron 39.2.3 (Chromium 142.0.7444.175) when it was made". */
export function reportDifferences(kept: ReportData, now: ReportData): string[] {
  const phrases: string[] = [];
  for (const field of Object.keys(ENVIRONMENT_WORDS) as (keyof ReportEnvironment)[]) {
    const before = kept.environment?.[field] ?? 'not recorded';
    const after = now.environment[field] ?? 'not recorded';
    if (before !== after) phrases.push(`${ENVIRONMENT_WORDS[field]}: ${after} now, ${before} when it was made`);
  }
  const changed = (Object.keys(now) as (keyof ReportData)[]).filter((key) => key !== 'environment' && !isDeepStrictEqual(kept[key], now[key]));
  if (changed.length) phrases.push(`the project's ${changed.join(', ')} changed`);
  return phrases;
}
