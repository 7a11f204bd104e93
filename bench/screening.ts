/**
 * Screening throughput (issue 12, item 10): images/s of `screen.run` against the forward-margins
 * job on the same model and the same 1,000 samples, and the cost of one screened input against
 * one input of a FAB run: the paper's "for free" as a ratio.
 *
 *   npx tsx bench/screening.ts [--rounds 3] [--threads 1] [--fab-samples 20]
 *
 * Both sides go through the service as the app does (BrinkService, a job process per run or
 * screening, onnxruntime on the CPU, batch 128), timed wall-clock from the call to its result:
 * process start, session creation and, for the runs, the SQLite commit are inside on both sides.
 * Rounds alternate the two so that a shared machine's drift hits both; the medians are printed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunConfig } from '../src-preload/contract.js';
import { nodeSpawner } from '../src-main/jobs/node-spawner.js';
import { samplesDir } from '../src-main/paths.js';
import { BrinkService } from '../src-main/service/service.js';
import { testHost } from '../src-main/service/test-host.js';
import { median } from './common.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, threads: { type: 'string', default: '1' }, 'fab-samples': { type: 'string', default: '20' } } });
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const fabSamples = Number(values['fab-samples']);

const root = mkdtempSync(join(tmpdir(), 'brink-bench-screening-'));
const service = new BrinkService({ host: testHost(root), samplesDir, version: 'bench', spawner: nodeSpawner(), intraOpThreads: threads });
await service.invoke('project.openSample', {});
const model = (await service.invoke('model.list', {})).find((m) => m.name === 'fmnist-cnn-robust')!;
const dataset = (await service.invoke('dataset.list', {}))[0];
const base: Omit<RunConfig, 'subset' | 'attack'> = { modelId: model.id, datasetId: dataset.id, batchSize: 128, device: 'cpu' };

async function timedRun(config: RunConfig): Promise<number> {
  const started = performance.now();
  const run = await service.invoke('run.start', config);
  await service.jobs().waitFor(run.id);
  const done = await service.invoke('run.get', { id: run.id });
  if (done.status !== 'done') throw new Error(`run ${run.id} is ${done.status}: ${done.error}`);
  return performance.now() - started;
}

async function timedScreening(): Promise<{ wall: number; forward: number }> {
  const started = performance.now();
  const result = await service.invoke('screen.run', { modelId: model.id, inputs: { kind: 'dataset', datasetId: dataset.id }, threshold: { kind: 'typed', value: 1 }, batchSize: 128, device: 'cpu' });
  return { wall: performance.now() - started, forward: result.forwardMs };
}

const forwardMs: number[] = [];
const screenMs: number[] = [];
const screenForwardMs: number[] = [];
for (let round = 0; round < rounds; round++) {
  forwardMs.push(await timedRun({ ...base, subset: { mode: 'all' }, attack: null }));
  const s = await timedScreening();
  screenMs.push(s.wall);
  screenForwardMs.push(s.forward);
}
const fabMs = await timedRun({ ...base, batchSize: fabSamples, subset: { mode: 'first', count: fabSamples }, attack: { attacks: ['fab'], norm: 'linf', epsilons: [], iterations: null, restarts: 1, targeted: null, seed: 0 } });
await service.dispose();

const n = dataset.count;
const forwardRate = n / (median(forwardMs) / 1000);
const screenRate = n / (median(screenMs) / 1000);
const fabPerInput = fabMs / fabSamples;
const screenPerInput = median(screenMs) / n;
console.log(`fmnist-cnn-robust, ${n} samples, CPU, ${threads} thread(s), batch 128, median of ${rounds} rounds`);
console.log(`forward-margins job: ${forwardRate.toFixed(0)} images/s (${median(forwardMs).toFixed(0)} ms)`);
console.log(`screening:           ${screenRate.toFixed(0)} images/s (${median(screenMs).toFixed(0)} ms; forward passes alone ${median(screenForwardMs).toFixed(0)} ms)`);
console.log(`screening / forward-margins throughput: ${(screenRate / forwardRate).toFixed(2)}x (target >= 0.9x)`);
console.log(`FAB (l_inf, default 100 iterations, untargeted) on ${fabSamples} samples: ${fabPerInput.toFixed(1)} ms per input`);
console.log(`one screened input costs 1/${(fabPerInput / screenPerInput).toFixed(0)} of one FAB-attacked input (${screenPerInput.toFixed(3)} ms against ${fabPerInput.toFixed(1)} ms)`);
