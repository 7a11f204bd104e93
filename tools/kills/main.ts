// npx tsx tools/kills/main.ts --seed S --kills 20: SIGKILL an attack run's worker at random moments
// on the sample CNN and check, after each, the project's integrity and every committed row, and at
// the end that resuming gave exactly the results of an uninterrupted run.
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../src-main/engine/random.js';
import { killCampaign } from './kill-campaign.js';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, kills: { type: 'string', default: '20' }, samples: { type: 'string', default: '48' } } });
const report = await killCampaign({ kills: Number(values.kills), rng: mulberry32(Number(values.seed)), samples: Number(values.samples) });
console.log(JSON.stringify(report, null, 2));
process.exit(report.corrupt.length || report.lostOrWrong || report.unequal ? 1 : 0);
