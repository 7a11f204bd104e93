/**
 * FAB's l_inf margins against a bisection over APGD's epsilon, sample by sample, on the sample
 * robust CNN (CPU): evidence for the claim that FAB's margins are no larger than the smallest
 * epsilon at which APGD breaks the same samples.
 *
 *   npx tsx bench/fab-vs-apgd.ts [--samples 32] [--threads 1] [--apgd-steps 100] [--halvings 10]
 *                                [--apgd-t] [--skip-torch]
 *
 * On the first --samples test images (pixels / 255), each to leave the model's own prediction:
 *   - APGD-CE bisection (`minimalEpsilonByBisection`): l_inf, bracket [0, 0.5], --halvings
 *     halvings, APGD with --apgd-steps steps, 1 restart, seed 0. Its adversarial examples are
 *     checked before anything is compared: each must pass `verifyAdversarials` and lie within its
 *     epsilon (+1e-6), or the bench exits 1, since an epsilon APGD did not really reach would
 *     make FAB look worse than it is. With --apgd-t, APGD-T (DLR-targeted, 9 targets) likewise.
 *   - Brink's FAB l_inf (100 steps, seed 0): untargeted with 1 restart, FAB-T with 9 targets,
 *     FAB-T with 9 targets and 3 restarts.
 *   - The PyTorch reference FAB (bench/torch_fab.py: untargeted, 100 steps, AutoAttack's loop of
 *     backward passes, under torch-env.ts), unless --skip-torch or PyTorch is missing.
 * Every FAB margin is the l_inf norm of its adversarial example after Brink's verification
 * (fresh forward pass, 10 bisection steps towards the original), as an attack run reports it.
 *
 * The bisection's epsilon lies at most one bracket width, (0.5 - 0) / 2^halvings, above the
 * largest epsilon at which APGD was seen to fail; a FAB margin counts as larger than the
 * bisection's only beyond that width. Prints a per-sample table (marked where FAB is larger)
 * and, per FAB variant, how many samples it loses on, the median and largest margin/epsilon
 * ratio, and for PyTorch how many samples differ from Brink's untargeted FAB by more than 1e-4.
 * Times are wall times of the attack alone (PyTorch's: the script's own, without Python's start-up
 * and model building), verification apart.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import type { ApgdLoss } from '../src-main/engine/attacks/apgd.js';
import { minimalEpsilonByBisection } from '../src-main/engine/attacks/apgd-search.js';
import { fab, type FabOptions } from '../src-main/engine/attacks/fab.js';
import type { DifferentiableModel } from '../src-main/engine/attacks/model.js';
import { perturbationNorms } from '../src-main/engine/attacks/norms.js';
import type { Batch } from '../src-main/engine/attacks/types.js';
import { verifyAdversarials } from '../src-main/engine/attacks/verify.js';
import { loadAverage, median, providerLine, table, wholeNumber } from './common.js';
import { loadSampleCnn, ROBUST_CNN } from './sample-cnn.js';
import { runTorchFab, torchUnavailable } from './torch-fab.js';

const LO = 0;
const HI = 0.5;
// A float32 point on the edge of APGD's ball measures a few ulps above its epsilon.
const BALL_SLACK = 1e-6;
const AGREEMENT = 1e-4;

interface Options {
  samples: number;
  threads: number;
  apgdSteps: number;
  halvings: number;
  apgdT: boolean;
  skipTorch: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      samples: { type: 'string', default: '32' },
      threads: { type: 'string', default: '1' },
      'apgd-steps': { type: 'string', default: '100' },
      halvings: { type: 'string', default: '10' },
      'apgd-t': { type: 'boolean', default: false },
      'skip-torch': { type: 'boolean', default: false },
    },
  });
  return {
    samples: wholeNumber('samples', values.samples, 1),
    threads: wholeNumber('threads', values.threads, 1),
    apgdSteps: wholeNumber('apgd-steps', values['apgd-steps'], 1),
    halvings: wholeNumber('halvings', values.halvings, 0),
    apgdT: values['apgd-t'],
    skipTorch: values['skip-torch'],
  };
}

interface Bisection {
  name: string;
  /** Marks a FAB margin above this bisection's epsilon in the per-sample table. */
  mark: string;
  /** Per sample; Infinity where APGD did not break it within HI. */
  epsilon: Float64Array;
  ms: number;
}

interface FabMargins {
  name: string;
  /** Verified l_inf per sample; Infinity where no adversarial example survived verification. */
  margin: Float64Array;
  ms: number;
}

const BISECTIONS: { name: string; mark: string; loss: ApgdLoss }[] = [
  { name: 'APGD-CE', mark: '*', loss: 'ce' },
  { name: 'APGD-T', mark: '+', loss: 'dlr-targeted' },
];

const FAB_VARIANTS: { name: string; options: Partial<FabOptions> }[] = [
  { name: 'FAB', options: {} },
  { name: 'FAB-T (9 targets)', options: { targeted: 9 } },
  { name: 'FAB-T (9 targets, 3 restarts)', options: { targeted: 9, restarts: 3 } },
];

async function bisect(model: DifferentiableModel, batch: Batch, spec: (typeof BISECTIONS)[number], opts: Options): Promise<Bisection> {
  const t0 = performance.now();
  const result = await minimalEpsilonByBisection(model, batch, {
    norm: 'linf',
    lo: LO,
    hi: HI,
    iterations: opts.halvings,
    attack: { loss: spec.loss, steps: opts.apgdSteps, restarts: 1, targets: 9 /* APGD-T only */, seed: 0 },
  });
  const ms = performance.now() - t0;
  const verified = await verifyAdversarials(model, batch, result.adv);
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const linf = perturbationNorms(result.adv, batch.x, batch.n, per, 'linf');
  for (let i = 0; i < batch.n; i++) {
    if (!result.found[i]) continue;
    if (!verified.found[i]) throw new Error(`${spec.name} bisection: sample ${i}'s adversarial example at epsilon ${result.epsilon[i]} fails Brink's verification`);
    if (linf[i] > result.epsilon[i] + BALL_SLACK) throw new Error(`${spec.name} bisection: sample ${i}'s adversarial example has l_inf ${linf[i]}, above its epsilon ${result.epsilon[i]}`);
  }
  return { name: spec.name, mark: spec.mark, epsilon: result.epsilon, ms };
}

/** Verified l_inf margins of candidate adversarial examples, Infinity where verification keeps none. */
async function verifiedMargins(model: DifferentiableModel, batch: Batch, adv: Float32Array): Promise<Float64Array> {
  const verified = await verifyAdversarials(model, batch, adv);
  return Float64Array.from(verified.linf, (v, i) => (verified.found[i] ? v : Infinity));
}

async function brinkFab(model: DifferentiableModel, batch: Batch, variant: (typeof FAB_VARIANTS)[number]): Promise<FabMargins> {
  const t0 = performance.now();
  const result = await fab(model, batch, { norm: 'linf', steps: 100, restarts: 1, seed: 0, ...variant.options });
  const ms = performance.now() - t0;
  return { name: variant.name, margin: await verifiedMargins(model, batch, result.adv), ms };
}

async function torchFab(model: DifferentiableModel, batch: Batch, opts: Options): Promise<FabMargins> {
  const run = runTorchFab(batch.x, batch.classes, {
    model: ROBUST_CNN,
    sampleShape: model.sampleShape,
    batch: Math.min(opts.samples, 100),
    steps: 100,
    threads: opts.threads,
    jacobian: 'loop',
    keepHeap: true,
  });
  if (run.predictionMismatches > 0) console.log(`note: PyTorch's model predicts another class than Brink's on ${run.predictionMismatches} sample(s)`);
  return { name: `PyTorch FAB (torch ${run.torch})`, margin: await verifiedMargins(model, batch, run.adv), ms: run.wallMs };
}

// ---- report -----------------------------------------------------------------------------------

const fixed = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '-');

function report(bisections: Bisection[], fabs: FabMargins[], opts: Options): void {
  const width = (HI - LO) / 2 ** opts.halvings;
  const above = (b: Bisection, margin: number, i: number) => Number.isFinite(b.epsilon[i]) && margin > b.epsilon[i] + width;
  console.log(
    `\nverified l_inf margins (pixels in [0,1]; '-': none found); bisection epsilons within ${width.toExponential(2)} of APGD's last failure; ` +
      bisections.map((b) => `'${b.mark}': above ${b.name}'s epsilon + ${width.toExponential(2)}`).join(', ') +
      ':',
  );
  console.log(
    table(
      ['sample', ...bisections.map((b) => `${b.name} epsilon`), ...fabs.map((f) => f.name)],
      Array.from({ length: opts.samples }, (_, i) => [
        String(i),
        ...bisections.map((b) => (Number.isFinite(b.epsilon[i]) ? b.epsilon[i].toFixed(4) : `> ${HI}`)),
        ...fabs.map((f) => fixed(f.margin[i]) + bisections.map((b) => (above(b, f.margin[i], i) ? b.mark : ' ')).join('')),
      ]),
    ),
  );

  const brink = fabs[0];
  const differs = (a: number, b: number) => a !== b && !(Math.abs(a - b) <= AGREEMENT);
  console.log(`\nper FAB variant, against each bisection (ratio: FAB margin / bisection epsilon, over samples both broke):`);
  console.log(
    table(
      [
        'attack',
        'time s',
        'verified',
        ...bisections.flatMap((b) => [`above ${b.name} + width`, `median ratio to ${b.name}`, `largest ratio to ${b.name}`]),
        `differs from ${brink.name} by > ${AGREEMENT}`,
      ],
      fabs.map((f) => {
        const found = f.margin.filter(Number.isFinite).length;
        return [
          f.name,
          (f.ms / 1000).toFixed(1),
          `${found} / ${opts.samples}`,
          ...bisections.flatMap((b) => {
            const both = [...f.margin.keys()].filter((i) => Number.isFinite(f.margin[i]) && Number.isFinite(b.epsilon[i]) && b.epsilon[i] > 0);
            const ratios = both.map((i) => f.margin[i] / b.epsilon[i]);
            const lost = f.margin.filter((m, i) => above(b, m, i)).length;
            return [`${lost} / ${opts.samples}`, fixed(median(ratios)), fixed(Math.max(...ratios))];
          }),
          f === brink ? '-' : `${f.margin.filter((m, i) => differs(m, brink.margin[i])).length} / ${opts.samples}`,
        ];
      }),
      { nameColumn: true },
    ),
  );
  console.log(`\nbisections (${opts.halvings} halvings of [${LO}, ${HI}], APGD ${opts.apgdSteps} steps, 1 restart, seed 0):`);
  console.log(
    table(
      ['bisection', 'time s', `broken within ${HI}`, 'median epsilon'],
      bisections.map((b) => [b.name, (b.ms / 1000).toFixed(1), `${b.epsilon.filter(Number.isFinite).length} / ${opts.samples}`, fixed(median(b.epsilon.filter(Number.isFinite)))]),
      { nameColumn: true },
    ),
  );
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.versions.node}; onnxruntime-node ${ort.env.versions.node}; load average before: ${loadAverage()}`);
  const { model, x, classes, correct } = await loadSampleCnn(opts.samples, { batchSize: Math.min(opts.samples, 128), threads: opts.threads });
  console.log(providerLine(model.provider));
  try {
    console.log(`${opts.samples} samples, ${correct} predicted as labelled; ${opts.threads} intra-op thread(s)`);
    const batch: Batch = { x, n: opts.samples, classes };

    const bisections: Bisection[] = [];
    for (const spec of opts.apgdT ? BISECTIONS : BISECTIONS.slice(0, 1)) {
      const b = await bisect(model, batch, spec, opts);
      console.log(`${b.name} bisection ${(b.ms / 1000).toFixed(1)} s, adversarial examples verified (load ${loadAverage()})`);
      bisections.push(b);
    }
    const fabs: FabMargins[] = [];
    for (const variant of FAB_VARIANTS) {
      const f = await brinkFab(model, batch, variant);
      console.log(`${f.name} ${(f.ms / 1000).toFixed(1)} s (load ${loadAverage()})`);
      fabs.push(f);
    }
    const unavailable = opts.skipTorch ? 'skipped (--skip-torch)' : torchUnavailable();
    if (unavailable) console.log(`PyTorch FAB: ${unavailable}`);
    else {
      const f = await torchFab(model, batch, opts);
      console.log(`${f.name} ${(f.ms / 1000).toFixed(1)} s (load ${loadAverage()})`);
      fabs.push(f);
    }
    report(bisections, fabs, opts);
    console.log(`\nload average after: ${loadAverage()}`);
  } finally {
    await model.release();
  }
}

await main();
