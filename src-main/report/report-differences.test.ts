import { describe, expect, it } from 'vitest';
import type { ReportData } from './report-data.js';
import { reportDifferences } from './report-differences.js';

const environment = { brinkVersion: '0.1.0', onnxruntimeVersion: '1.30.0', nodeVersion: '20.20.2', os: 'linux', cpu: 'EPYC × 2', printer: 'Chromium 156.0.8078.114' };
const report = (changes: Partial<ReportData> = {}): ReportData => ({ environment, analysis: { kendallTau: 0.8 }, run: { id: 'r-1' }, ...changes }) as unknown as ReportData;

describe('why a report rendered again differs', () => {
  it('names each environment field that changed, with both values', () => {
    const now = report({ environment: { ...environment, printer: 'Electron 39.2.3 (Chromium 142.0.7444.175)', nodeVersion: '22.1.0' } });
    expect(reportDifferences(report(), now)).toEqual(['Node: 22.1.0 now, 20.20.2 when it was made', 'the printer: Electron 39.2.3 (Chromium 142.0.7444.175) now, Chromium 156.0.8078.114 when it was made']);
  });

  it('names the parts of the document whose numbers changed, and nothing when none did', () => {
    expect(reportDifferences(report(), report({ analysis: { kendallTau: 0.7 } } as unknown as Partial<ReportData>))).toEqual(["the project's analysis changed"]);
    expect(reportDifferences(report(), report())).toEqual([]);
  });

  it('reads a sidecar made before the printer was recorded', () => {
    const { printer: _printer, ...older } = environment;
    expect(reportDifferences(report({ environment: older } as unknown as Partial<ReportData>), report())).toEqual(['the printer: Chromium 156.0.8078.114 now, not recorded when it was made']);
  });
});
