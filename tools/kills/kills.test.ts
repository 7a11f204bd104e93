import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src-main/engine/random.js';
import { killCampaign } from './kill-campaign.js';

// Three of the campaign's kill points (tools/kills/main.ts runs twenty): the same seed every run.
describe('SIGKILL of the worker at random moments of an attack run', () => {
  it('leaves the project consistent, every committed row right, and resumes to the uninterrupted results', { timeout: 300_000 }, async () => {
    const report = await killCampaign({ kills: 3, rng: mulberry32(15), samples: 32 });
    expect(report).toMatchObject({ corrupt: [], lostOrWrong: 0, unequal: 0 });
    expect(report.kills).toBeGreaterThan(0);
  });
});
