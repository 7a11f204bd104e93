import { describe, expect, it } from 'vitest';
import { runCampaign } from './campaign.js';
import { kindNames } from './kinds.js';

// A slice of the campaign (tools/fuzz/main.ts runs a thousand per kind): the same seed every run,
// so a failure here replays with `npx tsx tools/fuzz/main.ts --seed 15 --kinds KIND --from N --per-kind 1 --verbose`.
describe('fuzzing every kind of input Brink reads', () => {
  it('refuses or accepts each mutated input, with no crash, hang, memory blow-up or damaged project', { timeout: 120_000 }, async () => {
    const reports = await runCampaign({ seed: 15, perKind: 50, kinds: kindNames });
    const failures = reports.flatMap((r) => r.failures.map((f) => `${r.kind} #${f.index} ${f.outcome} (${f.mutation}): ${f.message}`));
    expect(failures).toEqual([]);
    for (const r of reports) expect(r.tally.tried, r.kind).toBe(50);
    // Image folders pass over a bad image (listed as skipped) rather than refuse the folder; every other kind must refuse some.
    for (const r of reports.filter((r) => r.kind !== 'images')) expect(r.tally.refused, r.kind).toBeGreaterThan(0);
  });
});
