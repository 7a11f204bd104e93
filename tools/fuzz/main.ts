// npx tsx tools/fuzz/main.ts --seed S --per-kind N --kinds onnx,idx,cifar,npy,npz,images,labels,project
// Mutates real files and feeds each to the entry point the CLI and the service use; prints, per kind,
// how many inputs were tried, refused, accepted, and every crash, hang, memory blow-up or damaged project.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runCampaign } from './campaign.js';
import { kindNames } from './kinds.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    'per-kind': { type: 'string', default: '1000' },
    kinds: { type: 'string', default: kindNames.join(',') },
    from: { type: 'string', default: '0' },
    'time-limit-ms': { type: 'string', default: '30000' },
    out: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const kinds = values.kinds.split(',');
const unknown = kinds.filter((k) => !(kindNames as string[]).includes(k));
if (unknown.length) {
  console.error(`unknown kind ${unknown.join(', ')}: expected some of ${kindNames.join(', ')}`);
  process.exit(2);
}
const started = performance.now();
const reports = await runCampaign({
  seed: Number(values.seed),
  perKind: Number(values['per-kind']),
  from: Number(values.from),
  kinds,
  timeLimitMs: Number(values['time-limit-ms']),
  onResult: (kind, r) => {
    if (values.verbose || (r.outcome !== 'accepted' && r.outcome !== 'refused')) {
      process.stderr.write(`${kind} #${r.index} ${r.outcome.toUpperCase()} (${r.mutation}, ${r.ms.toFixed(0)} ms) ${r.message}\n`);
    }
  },
});

const columns = ['tried', 'refused', 'accepted', 'crash', 'hang', 'memory', 'corrupt'] as const;
console.log(`seed ${values.seed}, ${values['per-kind']} per kind, ${((performance.now() - started) / 1000).toFixed(0)} s`);
console.log(['kind', ...columns].map((c) => c.padStart(9)).join(''));
for (const r of reports) console.log([r.kind, ...columns.map((c) => String(r.tally[c]))].map((c) => c.padStart(9)).join(''));
if (values.out) writeFileSync(values.out, JSON.stringify({ seed: Number(values.seed), perKind: Number(values['per-kind']), reports }, null, 2));
const failed = reports.some((r) => r.failures.length > 0);
process.exit(failed ? 1 : 0);
