/**
 * Minimal-norm attack throughput (issue 5, item 8): FAB l_inf (100 iterations, 1 restart,
 * untargeted), DeepFool l_inf and l2, FMN l_inf and l2 (their defaults) on the first samples of
 * the sample robust CNN, on CPU.
 *
 *   npx tsx bench/attacks.ts [--samples 500] [--batch 100] [--threads 1] [--attacks LIST]
 *                            [--refine 10] [--rounds 1] [--skip-torch]
 *
 * LIST is a comma list out of fab-linf, deepfool-linf, deepfool-l2, fmn-linf, fmn-l2 (all by
 * default, in that order). For each attack: samples/s, the attack's wall time split into the
 * model's forward calls (`timings.forwardMs`), its gradient calls (`timings.backwardMs`: every
 * vector-Jacobian product, which computes the logits too), FAB's hyperplane choice and
 * projection (`projectionMs`) and the rest (the attack's JavaScript outside those: DeepFool's
 * and FMN's steps, bookkeeping, copies); then the verification the product runs on every result
 * (`verifyAdversarials`: a fresh forward pass, then 10 bisection steps towards the original),
 * timed apart; the success rate after verification and the median verified margin in l_inf and
 * l2, as an attack run reports them. The attack's own median (before verification and
 * bisection, in its norm) is shown beside it, to show what the bisection takes off.
 *
 * The samples go through the attacks in batches of --batch, as the audit worker feeds them
 * (src-main/worker/attack-batch.ts), the model's runner batch being the same size. On a shared
 * machine the absolute figures drift with the load: the load average is printed before and after
 * every attack, and the process's CPU time against its wall time (with one intra-op thread, a
 * ratio well under 1 means the process was waiting for a core), and samples per CPU-second, which
 * waiting for a core does not lower. --rounds N runs every attack N times, interleaved; the time
 * figures are then those of each attack's median round, with the range of samples/s beside them.
 *
 * When fab-linf runs and /usr/bin/python3 has torch, each round also runs bench/torch_fab.py three
 * times (not with --skip-torch): the same FAB l_inf written batched in PyTorch, on Brink's inputs
 * and classes, same batch and thread count, with the Jacobian taken AutoAttack's way (one
 * backward pass per class) under glibc's default malloc and under settings that keep freed memory
 * in the heap (torch-env.ts), and Brink's way (rows replicated once per class, one backward pass)
 * with those settings. Their
 * adversarial examples come back as .npy and go through Brink's verification, so both sides'
 * margins are measured alike.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { deepfool } from '../src-main/engine/attacks/deepfool.js';
import { fab } from '../src-main/engine/attacks/fab.js';
import { fmn } from '../src-main/engine/attacks/fmn.js';
import type { DifferentiableModel, ModelTimings } from '../src-main/engine/attacks/model.js';
import { perturbationNorms } from '../src-main/engine/attacks/norms.js';
import type { AttackResult, Batch } from '../src-main/engine/attacks/types.js';
import { verifyAdversarials } from '../src-main/engine/attacks/verify.js';
import { loadAverage, median, providerLine, table, wholeNumber } from './common.js';
import { CLASSES, loadSampleCnn, ROBUST_CNN } from './sample-cnn.js';
import { runTorchFab, torchUnavailable, type TorchFabRun, type TorchJacobian } from './torch-fab.js';


interface AttackCase {
  name: string;
  norm: 'linf' | 'l2';
  run(model: DifferentiableModel, batch: Batch): Promise<AttackResult & { projectionMs?: number }>;
}

const ATTACKS: AttackCase[] = [
  { name: 'fab-linf', norm: 'linf', run: (m, b) => fab(m, b, { norm: 'linf', steps: 100, restarts: 1, seed: 0 }) },
  { name: 'deepfool-linf', norm: 'linf', run: (m, b) => deepfool(m, b, { norm: 'linf' }) },
  { name: 'deepfool-l2', norm: 'l2', run: (m, b) => deepfool(m, b, { norm: 'l2' }) },
  { name: 'fmn-linf', norm: 'linf', run: (m, b) => fmn(m, b, { norm: 'linf' }) },
  { name: 'fmn-l2', norm: 'l2', run: (m, b) => fmn(m, b, { norm: 'l2' }) },
];

interface Options {
  samples: number;
  batch: number;
  threads: number;
  attacks: AttackCase[];
  refine: number;
  rounds: number;
  skipTorch: boolean;
}


function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      samples: { type: 'string', default: '500' },
      batch: { type: 'string', default: '100' },
      threads: { type: 'string', default: '1' },
      attacks: { type: 'string', default: ATTACKS.map((a) => a.name).join(',') },
      refine: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '1' },
      'skip-torch': { type: 'boolean', default: false },
    },
  });
  const attacks = values.attacks.split(',').map((name) => {
    const found = ATTACKS.find((a) => a.name === name.trim());
    if (!found) throw new Error(`--attacks: unknown attack '${name}' (known: ${ATTACKS.map((a) => a.name).join(', ')})`);
    return found;
  });
  return {
    samples: wholeNumber('samples', values.samples, 1),
    batch: wholeNumber('batch', values.batch, 1),
    threads: wholeNumber('threads', values.threads, 1),
    attacks,
    refine: wholeNumber('refine', values.refine, 0),
    rounds: wholeNumber('rounds', values.rounds, 1),
    skipTorch: values['skip-torch'],
  };
}



const snapshot = (t: ModelTimings): ModelTimings => ({ ...t });
const minus = (a: ModelTimings, b: ModelTimings): ModelTimings => ({
  forwardMs: a.forwardMs - b.forwardMs,
  backwardMs: a.backwardMs - b.backwardMs,
  forwardCalls: a.forwardCalls - b.forwardCalls,
  backwardCalls: a.backwardCalls - b.backwardCalls,
});
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Figures {
  attack: AttackCase;
  wallMs: number;
  cpuMs: number;
  model: ModelTimings;
  projectionMs: number | null;
  verifyMs: number;
  verifyModel: ModelTimings;
  /** Samples the attack itself reported adversarial, and those verification kept. */
  claimed: number;
  found: number;
  /** Verified (and bisected) perturbation norms of the found samples. */
  linf: number[];
  l2: number[];
  /** The attack's own candidates, in its norm, before verification: where it claimed success. */
  raw: number[];
  loadBefore: string;
  loadAfter: string;
}

async function runAttack(
  model: DifferentiableModel & { timings: ModelTimings },
  attack: AttackCase,
  x: Float32Array,
  classes: Int32Array,
  opts: Options,
): Promise<Figures> {
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const f: Figures = {
    attack,
    wallMs: 0,
    cpuMs: 0,
    model: { forwardMs: 0, backwardMs: 0, forwardCalls: 0, backwardCalls: 0 },
    projectionMs: null,
    verifyMs: 0,
    verifyModel: { forwardMs: 0, backwardMs: 0, forwardCalls: 0, backwardCalls: 0 },
    claimed: 0,
    found: 0,
    linf: [],
    l2: [],
    raw: [],
    loadBefore: loadAverage(),
    loadAfter: '',
  };
  const add = (into: ModelTimings, d: ModelTimings) => {
    into.forwardMs += d.forwardMs;
    into.backwardMs += d.backwardMs;
    into.forwardCalls += d.forwardCalls;
    into.backwardCalls += d.backwardCalls;
  };
  for (let start = 0; start < opts.samples; start += opts.batch) {
    const n = Math.min(opts.batch, opts.samples - start);
    const batch: Batch = { x: x.subarray(start * per, (start + n) * per), n, classes: classes.subarray(start, start + n) };

    const before = snapshot(model.timings);
    const cpu0 = cpuMs();
    const t0 = performance.now();
    const result = await attack.run(model, batch);
    f.wallMs += performance.now() - t0;
    f.cpuMs += cpuMs() - cpu0;
    add(f.model, minus(model.timings, before));
    if (result.projectionMs !== undefined) f.projectionMs = (f.projectionMs ?? 0) + result.projectionMs;

    const beforeVerify = snapshot(model.timings);
    const t1 = performance.now();
    const verified = await verifyAdversarials(model, batch, result.adv, opts.refine);
    f.verifyMs += performance.now() - t1;
    add(f.verifyModel, minus(model.timings, beforeVerify));

    const raw = perturbationNorms(result.adv, batch.x, n, per, attack.norm);
    for (let i = 0; i < n; i++) {
      if (result.success[i]) {
        f.claimed++;
        f.raw.push(raw[i]);
      }
      if (verified.found[i]) {
        f.found++;
        f.linf.push(verified.linf[i]);
        f.l2.push(verified.l2[i]);
      }
    }
    process.stdout.write('.');
  }
  f.loadAfter = loadAverage();
  return f;
}

// ---- PyTorch FAB l_inf ------------------------------------------------------------------------

/** keepHeap: under torchEnv (see torch-env.ts) rather than glibc's default malloc. */
interface TorchVariant {
  jacobian: TorchJacobian;
  keepHeap: boolean;
}
const TORCH_VARIANTS: TorchVariant[] = [
  { jacobian: 'loop', keepHeap: false },
  { jacobian: 'loop', keepHeap: true },
  { jacobian: 'replicate', keepHeap: true },
];
const variantName = (v: TorchVariant) =>
  `${v.jacobian === 'loop' ? 'backward per class (AutoAttack)' : 'replicated rows (as Brink)'}, ${v.keepHeap ? 'malloc keeping its heap' : 'default malloc'}`;

interface TorchFigures extends Omit<TorchFabRun, 'adv'> {
  variant: TorchVariant;
  /** After Brink's verification of PyTorch's adversarial examples. */
  found: number;
  linf: number[];
  l2: number[];
}

/** Runs bench/torch_fab.py on Brink's inputs and classes, then verifies its adversarial examples as Brink's own. */
async function runTorch(model: DifferentiableModel, x: Float32Array, classes: Int32Array, variant: TorchVariant, opts: Options): Promise<TorchFigures> {
  const per = model.sampleShape.reduce((a, b) => a * b, 1);
  const { adv, ...run } = runTorchFab(x, classes, { model: ROBUST_CNN, sampleShape: model.sampleShape, batch: opts.batch, steps: 100, threads: opts.threads, ...variant });
  const f: TorchFigures = { ...run, variant, found: 0, linf: [], l2: [] };
  for (let start = 0; start < opts.samples; start += opts.batch) {
    const n = Math.min(opts.batch, opts.samples - start);
    const batch: Batch = { x: x.subarray(start * per, (start + n) * per), n, classes: classes.subarray(start, start + n) };
    const verified = await verifyAdversarials(model, batch, adv.subarray(start * per, (start + n) * per), opts.refine);
    for (let i = 0; i < n; i++) {
      if (!verified.found[i]) continue;
      f.found++;
      f.linf.push(verified.linf[i]);
      f.l2.push(verified.l2[i]);
    }
  }
  return f;
}

// ---- report -----------------------------------------------------------------------------------


const seconds = (ms: number) => (ms / 1000).toFixed(1);
const share = (ms: number, total: number) => `${seconds(ms)} (${Math.round((100 * ms) / total)}%)`;

/** The round whose attack wall time is the median (the lower middle one for an even count). */
function medianRound(rounds: Figures[]): Figures {
  const sorted = [...rounds].sort((a, b) => a.wallMs - b.wallMs);
  return sorted[(sorted.length - 1) >> 1];
}

function report(byAttack: Figures[][], opts: Options): void {
  const perSecond = (ms: number) => (opts.samples * 1000) / ms;
  const rounds = byAttack[0].length;
  console.log(
    `\n\ntime per attack over ${opts.samples} samples, batch ${opts.batch}, ${opts.threads} intra-op thread(s)` +
      (rounds > 1 ? `; the round with the median attack time of ${rounds}, samples/s range over rounds beside it` : '') +
      ' (s, share of the attack wall time):',
  );
  console.log(
    table(
      ['attack', 'samples/s', ...(rounds > 1 ? ['range'] : []), 'attack s', 'forward', 'backward (gradient)', 'projection', 'rest (JS)', 'samples/cpu-s', 'cpu/wall', 'fwd calls', 'grad calls', 'verify s', 'samples/s incl. verify'],
      byAttack.map((all) => {
        const f = medianRound(all);
        const projection = f.projectionMs ?? 0;
        const rest = f.wallMs - f.model.forwardMs - f.model.backwardMs - projection;
        const speeds = all.map((r) => perSecond(r.wallMs));
        return [
          f.attack.name,
          perSecond(f.wallMs).toFixed(1),
          ...(rounds > 1 ? [`${Math.min(...speeds).toFixed(1)}-${Math.max(...speeds).toFixed(1)}`] : []),
          seconds(f.wallMs),
          share(f.model.forwardMs, f.wallMs),
          share(f.model.backwardMs, f.wallMs),
          f.projectionMs === null ? '-' : share(projection, f.wallMs),
          share(rest, f.wallMs),
          perSecond(f.cpuMs).toFixed(1),
          (f.cpuMs / f.wallMs).toFixed(2),
          String(f.model.forwardCalls),
          String(f.model.backwardCalls),
          seconds(f.verifyMs),
          perSecond(f.wallMs + f.verifyMs).toFixed(1),
        ];
      }), { nameColumn: true }
    ),
  );
  console.log(`\nmargins (pixels in [0,1]; medians over the samples verification kept; verification = fresh forward pass + ${opts.refine} bisection steps):`);
  console.log(
    table(
      ['attack', 'claimed', 'verified', 'success rate', 'median linf', 'median l2', "attack's own median (its norm, before verify)", 'load before', 'load after'],
      byAttack.map((all) => {
        const f = all[0];
        return [
          f.attack.name,
          String(f.claimed),
          String(f.found),
          `${((100 * f.found) / opts.samples).toFixed(1)}%`,
          median(f.linf).toFixed(4),
          median(f.l2).toFixed(4),
          `${median(f.raw).toFixed(4)} (${f.attack.norm})`,
          all.map((r) => r.loadBefore.split(' ')[0]).join(', '),
          all.map((r) => r.loadAfter.split(' ')[0]).join(', '),
        ];
      }), { nameColumn: true }
    ),
  );
  for (const all of byAttack) {
    const differ = all.some((r) => r.found !== all[0].found || r.linf.some((v, i) => v !== all[0].linf[i]) || r.l2.some((v, i) => v !== all[0].l2[i]));
    if (differ) console.log(`note: ${all[0].attack.name} gave different margins in different rounds (the table shows round 1)`);
  }
}

function reportTorch(brink: Figures[], torch: TorchFigures[][], opts: Options): void {
  const perSecond = (ms: number) => (opts.samples * 1000) / ms;
  const b = medianRound(brink);
  const middle = (rounds: TorchFigures[]) => [...rounds].sort((p, q) => p.wallMs - q.wallMs)[(rounds.length - 1) >> 1];
  console.log(
    `\nFAB l_inf (100 iterations, untargeted, from the clean point), Brink against PyTorch ${torch[0][0].torch} on the same inputs and classes, ` +
      `batch ${opts.batch}, ${opts.threads} thread(s); PyTorch's adversarial examples verified by Brink's verification; median round of ${brink.length}:`,
  );
  const rows: string[][] = [
    [
      'Brink',
      perSecond(b.wallMs).toFixed(1),
      '1.00',
      seconds(b.wallMs),
      share(b.model.backwardMs, b.wallMs),
      share(b.projectionMs ?? 0, b.wallMs),
      share(b.model.forwardMs, b.wallMs),
      share(b.wallMs - b.model.backwardMs - (b.projectionMs ?? 0) - b.model.forwardMs, b.wallMs),
      perSecond(b.cpuMs).toFixed(1),
      String(b.claimed),
      String(b.found),
      median(b.linf).toFixed(4),
      median(b.l2).toFixed(4),
      median(b.raw).toFixed(4),
    ],
  ];
  for (const rounds of torch) {
    const t = middle(rounds);
    // Per round: PyTorch's time over Brink's in the same round, i.e. Brink's speed-up.
    const ratios = rounds.map((r, i) => r.wallMs / brink[i].wallMs);
    rows.push([
      `PyTorch, ${variantName(t.variant)}`,
      perSecond(t.wallMs).toFixed(1),
      `${median(ratios).toFixed(2)}${ratios.length > 1 ? ` (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})` : ''}`,
      seconds(t.wallMs),
      share(t.gradientMs, t.wallMs),
      share(t.projectionMs, t.wallMs),
      share(t.forwardMs, t.wallMs),
      share(t.restMs, t.wallMs),
      perSecond(t.cpuMs).toFixed(1),
      String(t.claimed),
      String(t.found),
      median(t.linf).toFixed(4),
      median(t.l2).toFixed(4),
      t.medianLinf.toFixed(4),
    ]);
  }
  console.log(
    table(
      ['side', 'samples/s', 'Brink speed-up', 'attack s', 'gradient (logits + Jacobian)', 'projection', 'forward', 'rest', 'samples/cpu-s', 'claimed', 'verified', 'median linf', 'median l2', 'own median linf'],
      rows, { nameColumn: true }
    ),
  );
  for (const rounds of torch) {
    const t = rounds[0];
    const both = brink[0].linf.length === opts.samples && t.linf.length === opts.samples;
    console.log(
      `PyTorch (${variantName(t.variant)}): predictions differing from Brink's: ${t.predictionMismatches}` +
        (both
          ? `; verified l_inf margins, Brink smaller on ${brink[0].linf.filter((v, i) => v < t.linf[i] - 1e-6).length}, ` +
            `PyTorch smaller on ${brink[0].linf.filter((v, i) => v > t.linf[i] + 1e-6).length} of ${opts.samples} samples (1e-6 tolerance)`
          : ''),
    );
  }
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}; Node ${process.versions.node}; onnxruntime-node ${ort.env.versions.node}; load average before: ${loadAverage()}`);
  const t0 = performance.now();
  const { model, x, classes, correct } = await loadSampleCnn(opts.samples, { batchSize: opts.batch, threads: opts.threads });
  console.log(`gradient and forward sessions built in ${(performance.now() - t0).toFixed(0)} ms; ${providerLine(model.provider)}`);
  try {
    console.log(`${opts.samples} samples, ${correct} predicted as labelled (${((100 * correct) / opts.samples).toFixed(1)}%)`);
    // Warm-up outside the timing: onnxruntime's first run of a shape allocates its arena, and
    // the first call with several rows per sample builds the session that shares the forward pass.
    const per = model.sampleShape.reduce((a, b) => a * b, 1);
    const n = Math.min(opts.batch, opts.samples);
    await model.vjp(x.subarray(0, n * per), new Float32Array(n * CLASSES).fill(1), n);
    await model.vjpRows(x.subarray(0, n * per), new Float32Array(n * (CLASSES - 1) * CLASSES).fill(1), n, CLASSES - 1);
    await model.logits(x.subarray(0, n * per), n);

    // Rounds interleave the attacks, so that a burst of other load does not hit one attack only.
    const fabIndex = opts.attacks.findIndex((a) => a.name === 'fab-linf');
    const unavailable = opts.skipTorch ? 'skipped (--skip-torch)' : fabIndex < 0 ? 'not run (fab-linf not among --attacks)' : torchUnavailable();
    if (unavailable) console.log(`PyTorch FAB: ${unavailable}`);
    const byAttack: Figures[][] = opts.attacks.map(() => []);
    const torchRounds: TorchFigures[][] = TORCH_VARIANTS.map(() => []);
    for (let round = 0; round < opts.rounds; round++) {
      const prefix = opts.rounds > 1 ? `round ${round + 1} ` : '';
      for (const [a, attack] of opts.attacks.entries()) {
        process.stdout.write(`${prefix}${attack.name} `);
        const f = await runAttack(model, attack, x, classes, opts);
        console.log(` ${seconds(f.wallMs)} s + verify ${seconds(f.verifyMs)} s, ${f.found}/${opts.samples} verified (load ${f.loadAfter})`);
        byAttack[a].push(f);
      }
      if (!unavailable) {
        for (const [v, variant] of TORCH_VARIANTS.entries()) {
          const t = await runTorch(model, x, classes, variant, opts);
          console.log(`${prefix}PyTorch fab-linf (${variantName(variant)}) ${seconds(t.wallMs)} s, ${t.found}/${opts.samples} verified (load ${loadAverage()})`);
          torchRounds[v].push(t);
        }
      }
    }
    report(byAttack, opts);
    if (!unavailable) reportTorch(byAttack[fabIndex], torchRounds, opts);
    console.log(`\nload average after: ${loadAverage()}`);
  } finally {
    await model.release();
  }
}

await main();
