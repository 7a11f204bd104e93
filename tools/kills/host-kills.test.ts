import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src-main/engine/random.js';
import { repeatedSampleNpz } from '../datasets/repeated-sample.js';
import { hostImportCampaign, hostRunCampaign } from './host-kills.js';

// Three kill points each (tools/kills/main.ts --target host-import|host-run runs twenty); the same seeds every run.
describe('SIGKILL of the host process (the CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brink-host-kills-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('during `dataset add` of 20,000 images leaves the dataset absent or whole, never half imported', { timeout: 120_000 }, async () => {
    const file = join(dir, 'sample-x20000.npz');
    writeFileSync(file, repeatedSampleNpz(20_000));
    const report = await hostImportCampaign({ kills: 3, rng: mulberry32(5), file });
    expect(report).toMatchObject({ corrupt: [], partial: 0 });
    expect(report.kills).toBeGreaterThan(0);
    expect(report.absent + report.complete).toBe(3);
  });

  it('during an audit: the worker exits, the run reads interrupted with its cause, and resumes to the uninterrupted rows', { timeout: 120_000 }, async () => {
    const report = await hostRunCampaign({ kills: 3, rng: mulberry32(5), samples: 48, attack: 'deepfool' });
    expect(report).toMatchObject({ corrupt: [], runawayWorkers: 0, lostOrWrong: 0, unequal: 0 });
    expect(report.kills).toBeGreaterThan(0);
    for (const cause of report.causes) expect(cause).toMatch(/^interrupted: Brink stopped while this run was running .*resume to continue/);
  });
});
