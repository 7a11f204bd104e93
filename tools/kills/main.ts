// npx tsx tools/kills/main.ts [--target worker|host-import|host-run] --seed S --kills 20
//  worker (default): SIGKILL an attack run's worker at random moments on the sample CNN and check,
//    after each, the project's integrity and every committed row, and at the end that resuming gave
//    exactly the results of an uninterrupted run.
//  host-import: SIGKILL the CLI during `dataset add` of --file (default: the sample IDX file; give
//    --images N to build an .npz of N repeated sample images instead): the dataset is absent or whole.
//  host-run: SIGKILL the CLI during `audit` (--attack deepfool|fab): the orphaned worker exits, the run
//    reads interrupted with its cause, committed rows are right, and resume completes it exactly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../src-main/engine/random.js';
import { samplesDir } from '../../src-main/paths.js';
import { repeatedSampleNpz } from '../datasets/repeated-sample.js';
import { hostImportCampaign, hostRunCampaign } from './host-kills.js';
import { killCampaign } from './kill-campaign.js';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'worker' },
    seed: { type: 'string', default: '1' },
    kills: { type: 'string', default: '20' },
    samples: { type: 'string', default: '48' },
    attack: { type: 'string', default: 'deepfool' },
    file: { type: 'string' },
    images: { type: 'string' },
  },
});
const kills = Number(values.kills);
const rng = mulberry32(Number(values.seed));

async function campaign(): Promise<{ failed: boolean; report: object }> {
  if (values.target === 'worker') {
    const report = await killCampaign({ kills, rng, samples: Number(values.samples) });
    return { report, failed: report.corrupt.length > 0 || report.lostOrWrong > 0 || report.unequal > 0 };
  }
  if (values.target === 'host-import') {
    const dir = mkdtempSync(join(tmpdir(), 'brink-kills-data-'));
    try {
      let file = values.file ?? join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz');
      if (values.images) {
        file = join(dir, `sample-x${values.images}.npz`);
        writeFileSync(file, repeatedSampleNpz(Number(values.images)));
      }
      const report = await hostImportCampaign({ kills, rng, file });
      return { report: { file, ...report }, failed: report.corrupt.length > 0 || report.partial > 0 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (values.target === 'host-run') {
    if (values.attack !== 'deepfool' && values.attack !== 'fab') throw new Error(`--attack takes deepfool or fab, got '${values.attack}'`);
    const report = await hostRunCampaign({ kills, rng, samples: Number(values.samples), attack: values.attack });
    return { report, failed: report.corrupt.length > 0 || report.runawayWorkers > 0 || report.lostOrWrong > 0 || report.unequal > 0 };
  }
  throw new Error(`--target takes worker, host-import or host-run, got '${values.target}'`);
}

const { report, failed } = await campaign();
console.log(JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);
