/**
 * The run analysis and its metrics (issue 9, item 7).
 *
 *   npx tsx bench/analysis.ts [--samples 10000] [--classes 10] [--repeats 5] [--seed 0]
 *                             [--metric-samples 1000000] [--metric-repeats 3] [--rounds 3] [--skip-store] [--skip-reference]
 *                             [--skip-analysis] [--skip-metrics]
 *
 * 1. The whole analysis of a run (`analyzeRun`, src-main/service/run-analysis.ts): every metric,
 *    every epsilon of the grid, 200 bootstrap resamples per interval (its defaults). Target: under
 *    1 s for a 10,000-sample run, so that the GUI's run page feels instant. The run is synthetic
 *    (mulberry32, --seed) and shaped like a real l_inf audit of a 10-class model: float32 logits
 *    with about 85% of predictions correct, the logit margin top1 - top2 of those logits, verified
 *    input margins that follow the logit margin with noise (Kendall tau about 0.6), about 2%
 *    censored (+Infinity: the 2% largest latent margins, as an attack budget would leave them),
 *    feature margins (logit margin over a class pair's head-weight distance), feature distances for
 *    every found margin, attacks FAB and APGD-CE at 8/255 (the grid: the run's 8/255 and the
 *    l_inf defaults 1, 2, 4, 8, 16 / 255: 8/255 is one of them, so the grid has 5). Timed with
 *    200 resamples (the default) and with 1 (the bootstrap refuses 0), whose difference is what
 *    the bootstrap intervals cost: --rounds rounds, each case in turn within a round, each case a
 *    warm-up call and then --repeats timed calls; the median and the fastest of all timed calls.
 *    Then the parts of the analysis, each run through the same engine calls as run-analysis.ts
 *    makes (mirrored, so keep them in step with it: a profile by timers, to trace a slow total).
 *    Unless --skip-store: the path the GUI takes, `runAnalysis(store, id)` on a real project file
 *    (the sample project, built as the app builds it, with the same rows written by
 *    `RunRepo.insertBatch`, adversarial examples included), i.e. reading the columns from SQLite
 *    and analysing them; and the reading alone (`readAnalysisInput`). The stored run's analysis
 *    must equal the in-memory one (same tau, AUROC, robust accuracy), or the bench exits 1.
 * 2. Kendall's tau-b and AUROC on --metric-samples samples against SciPy's `kendalltau` and
 *    scikit-learn's `roc_auc_score` (bench/metrics_reference.py under /usr/bin/python3, on the same
 *    float64 arrays written as .npy), continuous and tie-heavy (values rounded to 3 decimals).
 *    Brink: `kendallTauB(x, y)`, and `auroc(thresholdCounts(scoreOrder(score), y))` (the sort
 *    included, as a single AUROC needs it). Each side: one warm-up call, then the median of
 *    --metric-repeats calls, data in memory (loading is not timed). One round runs every case on
 *    Brink's side, then on the reference's; --rounds interleaves the two so that load bursts on
 *    this shared machine hit both. Reported: the medians over rounds, the median and range of the
 *    per-round ratios reference ms / Brink ms (> 1: Brink faster), and the ratio of the fastest
 *    calls.
 *    The values must agree to 1e-12, or the bench exits 1 (they agree to about 1e-16).
 *
 * Nothing is asserted about time: the figures print beside the load average, the machine being
 * shared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RunAnalysis } from '../src-preload/contract.js';
import { algorithm1Study } from '../src-main/engine/metrics/algorithm1.js';
import { binnedConsistency } from '../src-main/engine/metrics/binned.js';
import { bootstrapCi, bootstrapCis, gather } from '../src-main/engine/metrics/bootstrap.js';
import { aupr, auroc, averagePrecision, fprAtTprDet, fprAtTprMin, precisionRecallCurve, rocCurve, scoreOrder, thresholdCounts } from '../src-main/engine/metrics/curves.js';
import { denseRanks, kendallTauB, spearman } from '../src-main/engine/metrics/rank.js';
import { robustAccuracyCurve } from '../src-main/engine/metrics/robust.js';
import { confidenceScores } from '../src-main/engine/metrics/scores.js';
import { mulberry32 } from '../src-main/engine/random.js';
import { encodeNpy } from '../src-main/engine/runtime/index.js';
import { samplesDir } from '../src-main/paths.js';
import { analyzeRun, epsilonGrid, readAnalysisInput, runAnalysis, type AnalysisInput } from '../src-main/service/run-analysis.js';
import { slack } from '../src-main/service/run-results.js';
import { buildSampleProject } from '../src-main/service/sample-project.js';
import { newId, ProjectStore } from '../src-main/store/project-store.js';
import type { AttackFinding, MarginColumns } from '../src-main/store/run-repo.js';
import { loadAverage, median, table, wholeNumber } from './common.js';
import { AUDIT_EPSILON, normalFrom, syntheticRun, type SyntheticRun } from './synthetic-run.js';

const PYTHON = '/usr/bin/python3';
const REFERENCE_SCRIPT = join(import.meta.dirname, 'metrics_reference.py');
const TARGET_MS = 1000;

interface Options {
  samples: number;
  classes: number;
  repeats: number;
  seed: number;
  metricSamples: number;
  metricRepeats: number;
  rounds: number;
  skipStore: boolean;
  skipReference: boolean;
  skipAnalysis: boolean;
  skipMetrics: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      samples: { type: 'string', default: '10000' },
      classes: { type: 'string', default: '10' },
      repeats: { type: 'string', default: '5' },
      seed: { type: 'string', default: '0' },
      'metric-samples': { type: 'string', default: '1000000' },
      'metric-repeats': { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      'skip-store': { type: 'boolean', default: false },
      'skip-reference': { type: 'boolean', default: false },
      'skip-analysis': { type: 'boolean', default: false },
      'skip-metrics': { type: 'boolean', default: false },
    },
  });
  return {
    samples: wholeNumber('samples', values.samples, 10),
    classes: wholeNumber('classes', values.classes, 2),
    repeats: wholeNumber('repeats', values.repeats, 1),
    seed: wholeNumber('seed', values.seed, 0),
    metricSamples: wholeNumber('metric-samples', values['metric-samples'], 10),
    metricRepeats: wholeNumber('metric-repeats', values['metric-repeats'], 1),
    rounds: wholeNumber('rounds', values.rounds, 1),
    skipStore: values['skip-store'],
    skipReference: values['skip-reference'],
    skipAnalysis: values['skip-analysis'],
    skipMetrics: values['skip-metrics'],
  };
}

interface Timing {
  medianMs: number;
  minMs: number;
}

/** One warm-up call, then the median (and fastest) of `repeats` timed calls. */
function timed<T>(repeats: number, fn: () => T): Timing & { value: T } {
  let value = fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    value = fn();
    times.push(performance.now() - t0);
  }
  return { medianMs: median(times), minMs: Math.min(...times), value };
}

const ms = (t: number) => (t >= 100 ? t.toFixed(0) : t >= 10 ? t.toFixed(1) : t.toFixed(2));
const thousands = (n: number) => n.toLocaleString('en-US');

/** The columns and findings RunRepo would read back for these rows (marginColumns, attackFindings, featureDistances). */
function analysisInput(run: SyntheticRun, classNames: string[]): AnalysisInput {
  const { rows } = run;
  const n = rows.length;
  const classes = rows[0].logits.length;
  const c: MarginColumns = {
    positions: Uint32Array.from(rows, (r) => r.position),
    labels: Int32Array.from(rows, (r) => r.label),
    preds: Int32Array.from(rows, (r) => r.pred),
    correct: Uint8Array.from(rows, (r) => (r.pred === r.label ? 1 : 0)),
    logitMargin: Float64Array.from(rows, (r) => r.logitMargin),
    inputMargin: Float64Array.from(rows, (r) => (r.best!.found ? r.best!.margin! : Infinity)),
    featureMarginLinf: Float64Array.from(rows, (r) => r.featureMarginLinf ?? NaN),
    featureMarginL2: Float64Array.from(rows, (r) => r.featureMarginL2 ?? NaN),
    bestAttack: rows.map((r) => r.best!.attack),
    classes,
    logits: new Float32Array(n * classes),
  };
  rows.forEach((r, k) => c.logits.set(r.logits, k * classes));
  const byKey = new Map<string, AttackFinding>();
  for (const r of rows) {
    for (const o of r.outcomes ?? []) {
      if (!o.found) continue;
      const key = `${o.attack}@${o.epsilon}`;
      if (!byKey.has(key)) byKey.set(key, { attack: o.attack, epsilon: o.epsilon, positions: [], norms: [] });
      byKey.get(key)!.positions.push(r.position);
      byKey.get(key)!.norms.push(o.linf!);
    }
  }
  return {
    runId: 'r-bench',
    config: run.config,
    columns: c,
    findings: [...byKey.values()],
    classNames,
    labeled: true,
    featureDistance: Float64Array.from(rows, (r) => r.best?.featureDistanceLinf ?? NaN),
    forward: null,
  };
}

/**
 * The analysis's parts, each through the engine calls run-analysis.ts makes for it (mirrored, not
 * imported: the composition is private there), so that a slow total can be traced to a part.
 */
function parts(input: AnalysisInput, resamples: number): [string, () => unknown][] {
  const c = input.columns;
  const n = c.positions.length;
  const grid = epsilonGrid(input.config);
  const positives = (epsilon: number) => Uint8Array.from(c.inputMargin, (m) => (m <= slack(epsilon) ? 1 : 0));
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const found: number[] = [];
  for (let k = 0; k < n; k++) if (Number.isFinite(c.inputMargin[k])) found.push(k);
  const fx = Float64Array.from(found, (k) => c.inputMargin[k]);
  const fy = Float64Array.from(found, (k) => c.logitMargin[k]);
  const order = scoreOrder(c.logitMargin.map((m) => -m));
  return [
    ['Kendall tau (once)', () => kendallTauB(c.inputMargin, c.logitMargin)],
    [`Kendall tau bootstrap CI (${resamples} resamples of the dense ranks)`, () => {
      const rx = denseRanks(c.inputMargin).ranks;
      const ry = denseRanks(c.logitMargin).ranks;
      return bootstrapCi(n, (idx) => kendallTauB(gather(rx, idx, x), gather(ry, idx, y)), { resamples });
    }],
    ['Spearman, binned consistency', () => [spearman(c.inputMargin, c.logitMargin), binnedConsistency(fx, fy)]],
    [`detection, ${grid.length} epsilons (curves, AUROC, AUPR, AP, FPR@95)`, () =>
      grid.map((epsilon) => {
        const counts = thresholdCounts(order, positives(epsilon));
        return [rocCurve(counts), precisionRecallCurve(counts), auroc(counts), aupr(counts), averagePrecision(counts), fprAtTprDet(counts), fprAtTprMin(counts)];
      })],
    [`robust accuracy CIs, ${grid.length} epsilons (${resamples} shared resamples)`, () => {
      const flags = grid.map((epsilon) => Uint8Array.from(c.correct, (ok, k) => (ok === 1 && !(c.inputMargin[k] <= slack(epsilon)) ? 1 : 0)));
      return bootstrapCis(n, flags.map((robust) => (idx: Uint32Array) => {
        let s = 0;
        for (let i = 0; i < idx.length; i++) s += robust[idx[i]];
        return s / idx.length;
      }), { resamples });
    }],
    ['robust accuracy curve', () => robustAccuracyCurve(c.correct, c.inputMargin)],
    ['Algorithm 1 study (6 sizes x 10 subsets)', () => algorithm1Study({ inputMargin: c.inputMargin, logitMargin: c.logitMargin, correct: c.correct }, slack(AUDIT_EPSILON), { seed: 0 })],
    ['score comparison (7 logit scores + 2 feature margins: sort, AUROC, tau)', () => {
      const p = positives(AUDIT_EPSILON);
      const scores = [...Object.values(confidenceScores(c.logits, c.classes)), c.featureMarginLinf, c.featureMarginL2];
      return scores.map((s) => [auroc(thresholdCounts(scoreOrder(s.map((v) => -v)), p)), kendallTauB(c.inputMargin, s)]);
    }],
    ['feature consistency (tau, binned)', () => {
      const kept: number[] = [];
      for (let k = 0; k < n; k++) if (Number.isFinite(input.featureDistance![k]) && Number.isFinite(c.inputMargin[k])) kept.push(k);
      const kx = Float64Array.from(kept, (k) => c.inputMargin[k]);
      const ky = Float64Array.from(kept, (k) => input.featureDistance![k]);
      return [kendallTauB(kx, ky), binnedConsistency(kx, ky)];
    }],
  ];
}

function stored(a: RunAnalysis) {
  const at = a.detection.find((d) => d.epsilon === a.auditEpsilon)!;
  return { tau: a.consistency!.kendallTau!, auroc: at.auroc!, robust: a.robustAccuracy.find((r) => r.epsilon === a.auditEpsilon)!.fromMargins!, ci: a.consistency!.kendallTauCi };
}

/** Times every case in turn, --rounds times over (so that load bursts spread over all), each call of a round after one warm-up. */
function interleaved(cases: [string, () => unknown][], repeats: number, rounds: number): Map<string, Timing> {
  const times = new Map(cases.map(([name]) => [name, [] as number[]]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of cases) {
      fn();
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        fn();
        times.get(name)!.push(performance.now() - t0);
      }
    }
  }
  return new Map([...times].map(([name, t]) => [name, { medianMs: median(t), minMs: Math.min(...t) }]));
}

async function benchAnalysis(opts: Options): Promise<void> {
  console.log(`\n## 1. Whole analysis of a ${thousands(opts.samples)}-sample run (analyzeRun)\n`);
  console.log(`load average before: ${loadAverage()}`);
  const classNames = Array.from({ length: opts.classes }, (_, k) => `class ${k}`);
  const memoryRun = syntheticRun(opts.samples, opts.classes, opts.seed, { modelId: 'm-bench', datasetId: 'd-bench' });
  const input = analysisInput(memoryRun, classNames);
  const a = analyzeRun(input);
  const at = a.detection.find((d) => d.epsilon === a.auditEpsilon)!;
  console.log(
    `run: ${thousands(a.samples)} samples, ${opts.classes} classes, accuracy ${a.accuracy!.toFixed(3)}, ${a.censored} censored, ` +
      `Kendall tau ${a.consistency!.kendallTau!.toFixed(3)} [${a.consistency!.kendallTauCi!.map((v) => v.toFixed(3)).join(', ')}], ` +
      `${a.epsilons.length} epsilons (${a.epsilons.map((e) => `${(e * 255).toFixed(0)}/255`).join(', ')}), ` +
      `at ${(a.auditEpsilon * 255).toFixed(0)}/255: ${at.positives} non-robust, AUROC ${at.auroc!.toFixed(3)}, robust accuracy ${a.robustAccuracy.find((r) => r.epsilon === a.auditEpsilon)!.fromMargins!.toFixed(3)}`,
  );

  const FULL = 'analyzeRun, defaults (200 resamples)';
  const ONE = 'analyzeRun, 1 resample';
  const STORED = 'runAnalysis(store, id): SQLite read + analysis';
  const READ = 'readAnalysisInput alone (the SQLite read)';
  const cases: [string, () => unknown][] = [
    [FULL, () => analyzeRun(input)],
    [ONE, () => analyzeRun(input, { resamples: 1 })],
  ];
  const root = opts.skipStore ? null : mkdtempSync(join(tmpdir(), 'brink-bench-analysis-'));
  let store: ProjectStore | null = null;
  try {
    if (root) {
      const path = join(root, 'bench.brink');
      await buildSampleProject(samplesDir, path);
      store = ProjectStore.open(path);
      const s = store;
      const model = s.models.list().find((m) => m.name === 'fmnist-cnn-robust') ?? s.models.list()[0];
      const storeRun = syntheticRun(opts.samples, opts.classes, opts.seed, { modelId: model.id, datasetId: s.datasets.list()[0].id });
      const id = newId('r');
      s.runs.create({ id, config: storeRun.config, sampleCount: opts.samples, appVersion: 'bench' });
      const t0 = performance.now();
      for (let k = 0; k < storeRun.rows.length; k += 100) s.runs.insertBatch(id, storeRun.rows.slice(k, k + 100));
      const insertMs = performance.now() - t0;
      s.runs.setStatus(id, 'done');
      const expected = stored(analyzeRun(analysisInput(storeRun, s.models.get(model.id).labels ?? classNames)));
      const got = stored(runAnalysis(s, id));
      if (JSON.stringify(expected) !== JSON.stringify(got)) {
        console.error(`the stored run's analysis differs from the in-memory one: ${JSON.stringify(got)} against ${JSON.stringify(expected)}`);
        process.exitCode = 1;
      }
      cases.push([STORED, () => runAnalysis(s, id)], [READ, () => readAnalysisInput(s, id)]);
      console.log(`project file: the sample project plus the run's ${thousands(opts.samples)} rows (written in batches of 100 in ${ms(insertMs)} ms, adversarial examples included)`);
    }
    const t = interleaved(cases, opts.repeats, opts.rounds);
    const full = t.get(FULL)!;
    const one = t.get(ONE)!;
    const row = (name: string, target: boolean) => {
      const x = t.get(name)!;
      return [name, ms(x.medianMs), ms(x.minMs), target ? ms(TARGET_MS) : '', target ? (x.medianMs / TARGET_MS).toFixed(2) : ''];
    };
    const rows = [row(FULL, true), row(ONE, false), ['what the bootstrap costs (difference)', ms(full.medianMs - one.medianMs), ms(full.minMs - one.minMs), '', '']];
    if (root) rows.push(row(STORED, true), row(READ, false));
    console.log(`\n${opts.rounds} rounds of ${opts.repeats} calls each after a warm-up, interleaved; median and fastest call (ms):\n`);
    console.log(table(['what', 'median ms', 'fastest ms', 'target ms', 'median / target'], rows, { nameColumn: true }));
  } finally {
    store?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  }

  const full = interleaved([[FULL, () => analyzeRun(input)]], opts.repeats, 1).get(FULL)!;
  const partTimes = interleaved(parts(input, 200), opts.repeats, opts.rounds);
  const partRows = [...partTimes].map(([name, x]) => [name, ms(x.medianMs), ms(x.minMs), `${((100 * x.minMs) / full.minMs).toFixed(0)}%`]);
  console.log(`\nits parts, each through the engine calls run-analysis.ts makes (share: fastest call against analyzeRun's fastest, ${ms(full.minMs)} ms, timed again here; per-class results and summaries not shown):\n`);
  console.log(table(['part', 'median ms', 'fastest ms', 'share'], partRows, { nameColumn: true }));
  console.log(`\nload average after: ${loadAverage()}`);
}

// ---------------------------------------------------------------------------------------------
// 2. Kendall tau and AUROC against SciPy and scikit-learn

interface MetricCase {
  key: string;
  metric: 'Kendall tau-b' | 'AUROC';
  name: 'continuous' | 'ties';
  files: Record<string, Float64Array>;
  distinct: string;
  brink: () => number;
}

const round3 = (values: Float64Array) => values.map((v) => Math.round(v * 1000) / 1000);
const distinctCount = (values: Float64Array) => new Set(values).size;

function metricCases(n: number, seed: number): MetricCase[] {
  const rng = mulberry32(seed + 1);
  const normal = normalFrom(rng);
  const x = Float64Array.from({ length: n }, normal);
  const y = x.map((v) => 0.7 * v + 0.7 * normal());
  const score = Float64Array.from({ length: n }, normal);
  const label = score.map((s) => (rng() < 1 / (1 + Math.exp(-1.5 * s)) ? 1 : 0));
  const cases: MetricCase[] = [];
  for (const name of ['continuous', 'ties'] as const) {
    const [kx, ky, s] = name === 'ties' ? [round3(x), round3(y), round3(score)] : [x, y, score];
    cases.push(
      { key: `kendall:${name}`, metric: 'Kendall tau-b', name, files: { [`${name}_kendall_x`]: kx, [`${name}_kendall_y`]: ky }, distinct: `${thousands(distinctCount(kx))} / ${thousands(distinctCount(ky))}`, brink: () => kendallTauB(kx, ky) },
      { key: `auroc:${name}`, metric: 'AUROC', name, files: { [`${name}_auroc_score`]: s, [`${name}_auroc_label`]: label }, distinct: thousands(distinctCount(s)), brink: () => auroc(thresholdCounts(scoreOrder(s), label))! },
    );
  }
  return cases;
}

interface ReferenceCase {
  value: number;
  median_ms: number;
  min_ms: number;
}

function referenceUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import numpy, scipy, sklearn'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import numpy, scipy and sklearn (${probe.stderr.trim().split('\n').pop() ?? 'no output'})`;
  return null;
}

/** Writes every case's arrays as float64 .npy into a fresh folder, for the reference to load. */
function writeCases(cases: MetricCase[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'brink-bench-metrics-'));
  for (const c of cases) for (const [file, data] of Object.entries(c.files)) writeFileSync(join(dir, `${file}.npy`), encodeNpy({ data, shape: [data.length] }));
  return dir;
}

function runReference(dir: string, cases: MetricCase[], repeats: number): { versions: string; results: Record<string, ReferenceCase> } {
  const run = spawnSync(PYTHON, [REFERENCE_SCRIPT, '--dir', dir, '--repeats', String(repeats), ...cases.map((c) => c.key)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) throw new Error(`metrics_reference.py failed (exit ${run.status}): ${run.stderr.trim()}`);
  const report = JSON.parse(line) as { scipy: string; sklearn: string; numpy: string; cases: Record<string, ReferenceCase> };
  return { versions: `SciPy ${report.scipy}, scikit-learn ${report.sklearn}, numpy ${report.numpy}`, results: report.cases };
}

function benchMetrics(opts: Options): void {
  console.log(`\n## 2. Kendall tau-b and AUROC on ${thousands(opts.metricSamples)} samples against SciPy and scikit-learn\n`);
  const cases = metricCases(opts.metricSamples, opts.seed);
  const why = opts.skipReference ? '--skip-reference' : referenceUnavailable();
  if (why) console.log(`reference skipped: ${why}`);
  const dir = why ? null : writeCases(cases);
  // One round: every case on Brink's side, then every case on the reference's; rounds interleave
  // the two sides so that a burst of load on this shared machine hits both.
  const brink: (Timing & { value: number })[][] = cases.map(() => []);
  const reference: ReferenceCase[][] = cases.map(() => []);
  let versions = '';
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const load = loadAverage();
      cases.forEach((c, k) => brink[k].push(timed(opts.metricRepeats, c.brink)));
      if (dir) {
        const ref = runReference(dir, cases, opts.metricRepeats);
        versions = ref.versions;
        cases.forEach((c, k) => reference[k].push(ref.results[c.key]));
      }
      console.log(`round ${round + 1}: load average ${load} before, ${loadAverage()} after`);
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  if (versions) console.log(`reference: ${versions} (${PYTHON})`);
  const rows = cases.map((c, k) => {
    const ours = brink[k];
    const ref = reference[k];
    const value = ours[0].value;
    const oursMs = median(ours.map((t) => t.medianMs));
    const row = [c.metric, c.name, thousands(opts.metricSamples), c.distinct, ms(oursMs)];
    if (ref.length === 0) return [...row, '-', '-', '-', '-', value.toFixed(6), '-'];
    const ratios = ref.map((r, i) => r.median_ms / ours[i].medianMs);
    const difference = Math.max(...ref.map((r) => Math.abs(r.value - value)));
    if (!(difference <= 1e-12)) {
      console.error(`${c.key}: Brink ${value} against the reference's ${ref[0].value}`);
      process.exitCode = 1;
    }
    const fastest = Math.min(...ref.map((r) => r.min_ms)) / Math.min(...ours.map((t) => t.minMs));
    return [
      ...row,
      `${ms(median(ref.map((r) => r.median_ms)))} (${c.metric === 'AUROC' ? 'scikit-learn' : 'SciPy'})`,
      median(ratios).toFixed(2),
      `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
      fastest.toFixed(2),
      value.toFixed(6),
      difference.toExponential(1),
    ];
  });
  console.log(`\nmedians over ${opts.rounds} rounds of each side's median of ${opts.metricRepeats} calls after a warm-up; ratio = reference / Brink (> 1: Brink faster)\n`);
  console.log(
    table(['metric', 'data', 'n', 'distinct values', 'Brink ms', 'reference ms', 'reference / Brink', 'ratio range', 'fastest-call ratio', 'value', '|difference|'], rows, {
      nameColumn: true,
    }),
  );
}

const opts = options(process.argv.slice(2));
if (!opts.skipAnalysis) await benchAnalysis(opts);
if (!opts.skipMetrics) benchMetrics(opts);
