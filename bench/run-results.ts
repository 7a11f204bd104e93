/**
 * What one `run.get` costs the host on a long run: the run's results are recomputed from its rows
 * whenever a batch lands (service/run-results.ts), and kept until the next one. Times, on a
 * synthetic run (bench/synthetic-run.ts) of N samples with 10 and with 1000 classes written into
 * the sample project: reading the margin columns with the logits (what the analysis needs) and
 * without them (what the results need), and runDetail after a batch of one row landed (recomputed; the insert counted in) and
 * again before the next one (kept). Medians of 7.
 *
 *   npx tsx bench/run-results.ts [--samples 10000]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { samplesDir } from '../src-main/paths.js';
import { runDetail } from '../src-main/service/run-results.js';
import { buildSampleProject } from '../src-main/service/sample-project.js';
import { newId, ProjectStore } from '../src-main/store/project-store.js';
import { loadAverage, median, table, wholeNumber } from './common.js';
import { syntheticRun } from './synthetic-run.js';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '10000' } } });
const samples = wholeNumber('samples', values.samples, 100);

function timed(work: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  return median(times);
}

const root = mkdtempSync(join(tmpdir(), 'brink-bench-run-results-'));
await buildSampleProject(samplesDir, join(root, 'bench.brink'));
const store = ProjectStore.open(join(root, 'bench.brink'));
try {
  const model = store.models.list()[0];
  const dataset = store.datasets.list()[0];
  const rows: string[][] = [];
  for (const classes of [10, 1000]) {
    // Seven rows more than the run starts with: each timed read after a landed batch lands one of them first.
    const run = syntheticRun(samples + 7, classes, 0, { modelId: model.id, datasetId: dataset.id });
    const id = newId('r');
    store.runs.create({ id, config: run.config, sampleCount: samples + 7, appVersion: 'bench' });
    const written = run.rows.map((r) => ({ ...r, index: r.position % dataset.count }));
    for (let k = 0; k < samples; k += 100) store.runs.insertBatch(id, written.slice(k, Math.min(k + 100, samples)));
    const withLogits = timed(() => store.runs.marginColumns(id));
    const withoutLogits = timed(() => store.runs.marginColumns(id, { withLogits: false }));
    let landed = samples;
    const recomputed = timed(() => {
      store.runs.insertBatch(id, [written[landed++]]);
      runDetail(store, id);
    });
    const kept = timed(() => runDetail(store, id));
    rows.push([String(classes), withLogits.toFixed(1), withoutLogits.toFixed(1), `${(withLogits / withoutLogits).toFixed(2)}x`, recomputed.toFixed(1), kept.toFixed(2)]);
  }
  console.log(`# run.get on a ${samples.toLocaleString('en-US')}-sample run; load average ${loadAverage()}`);
  console.log(table(['classes', 'columns with logits (ms)', 'without (ms)', 'ratio', 'runDetail, batch landed (ms)', 'runDetail, kept (ms)'], rows));
} finally {
  store.close();
}
