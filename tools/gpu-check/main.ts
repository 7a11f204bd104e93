/**
 * Device check (issue 16): on a machine with an NVIDIA GPU, runs Brink's numerical work on CUDA
 * and WebGPU beside the CPU in one run and prints, per check and provider, the largest error
 * against the reference, images/s, and where onnxruntime placed each node. Providers that cannot
 * open a session here are listed with the reason, and their rows are left out.
 *
 *   npx tsx tools/gpu-check/main.ts [--providers cpu,cuda,webgpu] [--fab-samples 64] [--fab-steps 100]
 *                                   [--batch 128] [--resnet-fab-steps 10] [--repeats 5] [--threads 0]
 *
 * Checks: (1) forward and gradient goldens (src-main/engine/autodiff/goldens, PyTorch float64),
 * (2) FAB l_inf on the sample robust CNN (bench/sample-cnn.ts), margins against the CPU's,
 * (3) the golden ResNet at --batch images: its input gradient (against the CPU's) and FAB over
 * the batch. It runs with a job's environment (BRINK_CUDA_LIB_DIRS, TF32 off unless
 * BRINK_ALLOW_TF32=1). Exit status 1 when a check fails on an available provider or a gradient leaves its
 * tolerance (1e-4 relative, as goldens.test.ts); FAB margins are reported, not judged, because an
 * iterative attack may take another path after a rounding difference.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import type { Provider } from '../../src-main/engine/runtime/providers.js';
import { jobEnvironment, tf32Allowed } from '../../src-main/jobs/job-environment.js';
import { loadAverage, wholeNumber } from '../../bench/common.js';
import { availability, goldenRows, resnetAtBatch, sampleCnnFab, type FabRun, type ResnetRun } from './checks.js';
import { placementText } from './placement.js';
import { availabilityLines, marginAgreement, relativeMaxError, resultTable, type CheckRow } from './report.js';

const TOLERANCE = 1e-4;
const PROVIDERS: readonly Provider[] = ['cpu', 'cuda', 'webgpu'];

function options() {
  const { values } = parseArgs({
    options: {
      providers: { type: 'string', default: PROVIDERS.join(',') },
      'fab-samples': { type: 'string', default: '64' },
      'fab-steps': { type: 'string', default: '100' },
      batch: { type: 'string', default: '128' },
      'resnet-fab-steps': { type: 'string', default: '10' },
      repeats: { type: 'string', default: '5' },
      threads: { type: 'string', default: '0' },
    },
  });
  const providers = values.providers.split(',').map((p) => p.trim());
  const unknown = providers.filter((p) => !PROVIDERS.includes(p as Provider));
  if (unknown.length > 0) throw new Error(`--providers: unknown ${unknown.join(', ')} (use ${PROVIDERS.join(', ')})`);
  // The CPU column is every GPU figure's reference, so it always runs.
  const chosen = PROVIDERS.filter((p) => p === 'cpu' || providers.includes(p));
  return {
    providers: chosen,
    fabSamples: wholeNumber('fab-samples', values['fab-samples'], 1),
    fabSteps: wholeNumber('fab-steps', values['fab-steps'], 1),
    batch: wholeNumber('batch', values.batch, 2),
    resnetFabSteps: wholeNumber('resnet-fab-steps', values['resnet-fab-steps'], 1),
    repeats: wholeNumber('repeats', values.repeats, 1),
    threads: wholeNumber('threads', values.threads, 0),
  };
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n', 1)[0];

async function main(): Promise<number> {
  const o = options();
  const ortVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  console.log(`Brink device check: ${cpus().length} x ${cpus()[0]?.model.trim() ?? 'CPU'}; onnxruntime-node ${ortVersion}; load average ${loadAverage()}`);
  console.log(`TF32 on CUDA: ${tf32Allowed(process.env) ? 'allowed (NVIDIA_TF32_OVERRIDE is not 0: figures are for TF32 math)' : 'off (NVIDIA_TF32_OVERRIDE=0)'}`);
  const available = await Promise.all(o.providers.map((p) => availability(p)));
  for (const line of availabilityLines(available)) console.log(line);
  const skipped = PROVIDERS.filter((p) => !o.providers.includes(p));
  if (skipped.length > 0) console.log(`not asked for: ${skipped.join(', ')}`);

  const rows: CheckRow[] = [];
  const failures: string[] = [];
  const attempt = async <T>(what: string, provider: Provider, run: () => Promise<T>): Promise<T | null> => {
    try {
      return await run();
    } catch (error) {
      failures.push(`${what} on ${provider}: ${firstLine(error)}`);
      rows.push({ check: what, provider, maxError: null, reference: '—', imagesPerSecond: null, placement: '', note: `failed: ${firstLine(error)}` });
      return null;
    }
  };
  const cnn = new Map<Provider, FabRun>();
  const resnet = new Map<Provider, ResnetRun>();
  const fabCheck = `FAB linf, sample robust CNN, ${o.fabSamples} images, ${o.fabSteps} steps`;
  const resnetGradient = `golden ResNet input gradient, batch ${o.batch}`;
  const resnetFab = `FAB linf, golden ResNet, batch ${o.batch}, ${o.resnetFabSteps} steps`;
  // CPU first: it is the reference of the other columns.
  for (const { provider } of available.filter((a) => a.ok)) {
    console.error(`running on ${provider}...`);
    const goldens = await attempt('goldens', provider, () => goldenRows(provider, o.repeats, o.threads));
    if (goldens) rows.push(...goldens);
    const fab = await attempt(fabCheck, provider, () => sampleCnnFab(provider, o.fabSamples, o.fabSteps, o.threads));
    if (fab) {
      cnn.set(provider, fab);
      rows.push(fabRow(fabCheck, provider, fab, cnn.get('cpu'), placementText(fab.placement)));
    }
    const res = await attempt(resnetGradient, provider, () => resnetAtBatch(provider, o.batch, o.resnetFabSteps, o.repeats, o.threads));
    if (res) {
      resnet.set(provider, res);
      const cpu = resnet.get('cpu');
      rows.push({
        check: resnetGradient,
        provider,
        maxError: cpu && provider !== 'cpu' ? relativeMaxError(res.gradient, cpu.gradient) : null,
        reference: provider === 'cpu' ? '(reference)' : 'CPU',
        imagesPerSecond: res.gradientImagesPerSecond,
        placement: placementText(res.placement),
      });
      rows.push(fabRow(resnetFab, provider, res.fab, cpu?.fab, ''));
    }
  }
  console.log('');
  console.log(resultTable(rows));
  for (const r of rows) {
    const judged = r.check.startsWith('forward goldens') || r.check.startsWith('gradient goldens') || r.check === resnetGradient;
    if (judged && r.maxError !== null && r.maxError > TOLERANCE) failures.push(`${r.check} on ${r.provider}: max error ${r.maxError.toExponential(2)} > ${TOLERANCE}`);
  }
  const missing = available.filter((a) => !a.ok).map((a) => a.provider);
  console.log('');
  console.log(missing.length > 0 ? `no figures for ${missing.join(', ')}: unavailable here (reasons above)` : 'every provider asked for ran');
  for (const f of failures) console.log(`FAILED: ${f}`);
  return failures.length > 0 ? 1 : 0;
}

function fabRow(check: string, provider: Provider, run: FabRun, cpu: FabRun | undefined, placement: string): CheckRow {
  const agreement = cpu && provider !== 'cpu' ? marginAgreement(run.norms, cpu.norms) : null;
  const found = run.norms.filter(Number.isFinite).length;
  return {
    check,
    provider,
    maxError: agreement?.maxError ?? null,
    reference: provider === 'cpu' ? '(reference)' : 'CPU margins',
    imagesPerSecond: run.imagesPerSecond,
    placement,
    note: `${found}/${run.norms.length} found${agreement ? `, ${agreement.foundByOne} found by one side only` : ''}`,
  };
}

/**
 * The check runs in a process started with a job's environment (jobs/job-environment): the
 * library folders of BRINK_CUDA_LIB_DIRS and TF32 as a job would have them, which only take
 * effect when a process starts.
 */
function inJobEnvironment(): number | null {
  if (process.env.BRINK_GPU_CHECK_CHILD === '1') return null;
  const env = { ...jobEnvironment(process.env, process.platform), BRINK_GPU_CHECK_CHILD: '1' };
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env, stdio: 'inherit' });
  return child.status ?? 2;
}

const relaunched = inJobEnvironment();
if (relaunched !== null) process.exit(relaunched);

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`gpu-check: ${firstLine(error)}`);
    process.exit(2);
  },
);
