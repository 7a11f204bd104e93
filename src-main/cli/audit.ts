import { resolve } from 'node:path';
import { providerNote } from '../../src-preload/provider-note.js';
import type { AttackName, AttackNorm, AttackSettings, Device, LipschitzSummary, ReliabilityCheck, RunConfig, RunSummary, Subset } from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import { planText } from '../../src-preload/run-plan.js';
import { imageInputText, logitsText } from '../../src-preload/model-reading.js';
import { UserError } from '../errors.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { appVersion, defaultUserDataDir, samplesDir } from '../paths.js';
import type { Host } from '../service/host.js';
import { BrinkService } from '../service/service.js';
import { progressBar } from './progress-bar.js';
import type { FamilyChoice } from './family-options.js';
import { lipschitzSettings, type LipschitzOptions } from './lipschitz-options.js';

/** The CLI has no dialogs and takes paths from its arguments; a command that saves a file names it (`saveTo`). */
function cliHost(saveTo?: string): Host {
  const refuse = async (): Promise<never> => {
    throw new UserError('the command line takes paths as arguments');
  };
  return {
    kind: 'web',
    userDataDir: defaultUserDataDir(),
    chooseNewProjectPath: refuse,
    chooseProjectToOpen: refuse,
    resolveSource: async (source) => (source.kind === 'paths' ? source.paths : refuse()),
    saveFile: async (_name, write) => {
      if (!saveTo) throw new UserError('the command line saves with `brink export --out FILE`');
      await write(saveTo);
      return { kind: 'saved', path: saveTo };
    },
    openFile: async () => {
      throw new UserError('the command line opens no viewer: open the file by its path');
    },
  };
}

export interface AuditOptions extends LipschitzOptions {
  /** One model (`--model`), or several queued as one audit group on the same samples (`--models`). */
  model?: string;
  models?: string[];
  dataset: string;
  limit?: number;
  random?: number;
  seed?: number;
  batch?: number;
  device?: Device;
  attack?: AttackName[];
  norm?: AttackNorm;
  eps?: number[];
  iters?: number;
  restarts?: number;
  targeted?: number;
  /** FAB untargeted whatever the number of classes. */
  untargeted?: boolean;
  /** The job's memory budget in GB; absent: a safe share of the free memory. */
  memory?: number;
  /** Start even when an epsilon looks implausible for the norm. */
  force?: boolean;
  family?: FamilyChoice;
  json?: boolean;
}

export function attackSettings(opts: Omit<AuditOptions, 'model' | 'dataset'>): AttackSettings | null {
  if (!opts.attack && !opts.family?.norms.length) {
    const stray = (['norm', 'eps', 'iters', 'restarts', 'targeted', 'untargeted'] as const).filter((k) => opts[k] !== undefined);
    if (stray.length) throw new UserError(`--${stray[0]} needs --attack`);
    return null;
  }
  return {
    attacks: opts.attack ?? ['fab'],
    norm: opts.norm ?? 'linf',
    epsilons: opts.eps ?? [],
    iterations: opts.iters ?? null,
    restarts: opts.restarts ?? 1,
    targeted: opts.targeted ?? null,
    ...(opts.untargeted ? { fabUntargeted: true } : {}),
    seed: opts.seed ?? 0,
  };
}

/**
 * What the run form shows before a start: problems stop the run; warnings go to stderr; an
 * implausible epsilon stops it with the suggestion, unless --force.
 */
async function reviewConfig(service: BrinkService, config: RunConfig, force: boolean): Promise<void> {
  const [problem] = await service.invoke('run.check', config);
  if (problem) throw new UserError(problem);
  for (const warning of await service.invoke('run.warnings', config)) {
    if (!warning.needsConfirmation) process.stderr.write(`brink: warning: ${warning.message}\n`);
    else if (force) process.stderr.write(`brink: warning (--force): ${warning.message}\n`);
    else {
      const instead = warning.suggestion ? `--eps ${warning.suggestion.map(formatEpsilon).join(',')} or ` : '';
      throw new UserError(`${warning.message} (${instead}--force to run with the epsilons as given)`);
    }
  }
}

/** Runs a job in a worker process as the GUI does, with progress on stderr; resolves to the final run. */
export async function runToEnd(service: BrinkService, runId: string, onStarted: () => void): Promise<RunSummary> {
  const bar = progressBar();
  const off = service.events.on('run.progress', (p) => p.runId === runId && bar.update(p));
  // The plan the job made for its memory, and which FAB runs and why, as the job decides them.
  const offLog = service.events.on('run.log', (entry) => {
    if (entry.runId === runId && /^(memory plan|FAB): /.test(entry.line)) process.stderr.write(`${entry.line}\n`);
  });
  const jobs = service.jobs();
  const interrupt = () => {
    process.stderr.write('\nbrink: pausing after the current batch (Ctrl+C again to stop at once)\n');
    jobs.stop(runId, 'paused');
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  onStarted();
  await jobs.waitFor(runId);
  process.off('SIGINT', interrupt);
  off();
  offLog();
  bar.end();
  return service.call('run.get', { id: runId }) as Promise<RunSummary>;
}

function outcome(run: RunSummary, file: string): void {
  if (run.status === 'done') return;
  if (run.status === 'paused' || run.status === 'interrupted') {
    throw new UserError(`run ${run.id} ${run.status} at ${run.doneCount}/${run.sampleCount}; continue with \`brink resume ${file} --run ${run.id}\``);
  }
  throw new UserError(`run ${run.id} ${run.status}: ${run.error ?? 'no reason recorded'}`);
}

export async function withService<T>(file: string, fn: (service: BrinkService) => Promise<T>, options: { saveTo?: string } = {}): Promise<T> {
  const service = new BrinkService({ host: cliHost(options.saveTo), samplesDir, version: appVersion, spawner: nodeSpawner() });
  try {
    await service.openProject(resolve(file));
    return await fn(service);
  } finally {
    await service.dispose();
  }
}

export async function audit(file: string, opts: AuditOptions): Promise<void> {
  if (opts.limit !== undefined && opts.random !== undefined) throw new UserError('give --limit or --random, not both');
  const subset: Subset =
    opts.random !== undefined ? { mode: 'random', count: opts.random, seed: opts.seed ?? 0 } : opts.limit !== undefined ? { mode: 'first', count: opts.limit } : { mode: 'all' };
  if (opts.family?.norms.length && opts.norm) throw new UserError('give the norm once: --norm or an l_p family in --family');
  const attack = attackSettings(opts);
  const perturbations = opts.family?.perturbations.length ? { families: opts.family.perturbations, seed: opts.seed ?? 0 } : null;
  if ((opts.model === undefined) === (opts.models === undefined)) throw new UserError('give --model ID, or --models ID,ID,... to audit several models on the same samples');
  const modelIds = opts.models ?? null;
  const base: RunConfig = {
    modelId: opts.model ?? opts.models![0],
    datasetId: opts.dataset,
    subset,
    batchSize: opts.batch ?? 128,
    device: opts.device ?? 'auto',
    attack,
    perturbations,
    memoryGb: opts.memory ?? null,
  };
  // One run per l_p family (a run has one norm); the other families ride with the first.
  const norms = opts.family?.norms ?? [];
  const lipschitz = (norm: AttackNorm) => lipschitzSettings(opts, norm, opts.seed ?? 0);
  const configs: RunConfig[] = norms.length
    ? norms.map((norm, i) => ({ ...base, attack: { ...attack!, norm }, perturbations: i === 0 ? perturbations : null, lipschitz: lipschitz(norm) }))
    : [{ ...base, lipschitz: lipschitz(opts.norm ?? 'linf') }];
  if (opts.untargeted && opts.targeted !== undefined) throw new UserError('give --targeted or --untargeted, not both');
  await withService(file, async (service) => {
    const runs: string[] = [];
    let group: string | undefined;
    for (const config of configs) {
      const started = await startConfig(service, config, modelIds, opts.force ?? false, group);
      group = started.group ?? undefined;
      for (const queued of started.runs) {
        const run = await runToEnd(service, queued.id, () => {
          if (!opts.json) process.stderr.write(`run ${queued.id}: ${queued.sampleCount} samples of ${queued.datasetName} through ${queued.modelName}\n`);
        });
        runs.push(run.id);
        if (opts.json && configs.length === 1 && !group) process.stdout.write(`${JSON.stringify({ run: run.id })}\n`);
        await outcomeInGroup(service, run, started.runs, file);
        if (!opts.json) process.stdout.write(`${describeRun(await service.call('run.get', { id: run.id }), await service.invoke('run.reliability', { id: run.id }))}\n`);
      }
    }
    if (opts.json && group) process.stdout.write(`${JSON.stringify({ group, runs })}\n`);
    else if (opts.json && configs.length > 1) process.stdout.write(`${JSON.stringify({ runs })}\n`);
    else if (group) process.stdout.write(`audit group ${group}: ${runs.length} runs; \`brink leaderboard ${file}\` compares them\n`);
  });
}

/**
 * A group's run that did not finish stops the command, as a single run does; the group's runs
 * still waiting are paused with it, so that they do not start unattended the next time the
 * project is opened.
 */
async function outcomeInGroup(service: BrinkService, run: RunSummary, group: RunSummary[], file: string): Promise<void> {
  try {
    outcome(run, file);
  } catch (error) {
    const waiting = [];
    for (const other of group) {
      const status = (await service.invoke('run.get', { id: other.id })).status;
      if (other.id !== run.id && (status === 'queued' || status === 'running')) {
        await service.invoke('run.pause', { id: other.id });
        waiting.push(other.id);
      }
    }
    if (!waiting.length || !(error instanceof UserError)) throw error;
    throw new UserError(`${error.message}; paused the group's other unfinished runs too (${waiting.join(', ')}): \`brink resume ${file} --run ID\` continues each`);
  }
}

/** `--model`: one run, as ever; `--models`: every model's run queued at once under one group (joined by the next norm's runs). */
async function startConfig(
  service: BrinkService,
  config: RunConfig,
  modelIds: string[] | null,
  force: boolean,
  group: string | undefined,
): Promise<{ group: string | null; runs: RunSummary[] }> {
  if (!modelIds) {
    await reviewConfig(service, config, force);
    return { group: null, runs: [await service.invoke('run.start', { ...config, force })] };
  }
  for (const modelId of modelIds) await reviewConfig(service, { ...config, modelId }, force);
  const { modelId: _one, ...shared } = config;
  return service.invoke('run.startMany', { ...shared, modelIds, force, group });
}

export async function resume(file: string, opts: { run: string; json?: boolean }): Promise<void> {
  await withService(file, async (service) => {
    await service.call('run.resume', { id: opts.run });
    const run = await runToEnd(service, opts.run, () => {});
    if (opts.json) process.stdout.write(`${JSON.stringify({ run: run.id })}\n`);
    outcome(run, file);
    if (!opts.json) process.stdout.write(`${describeRun(await service.call('run.get', { id: run.id }), await service.invoke('run.reliability', { id: run.id }))}\n`);
  });
}

/** The run in a few lines; with its reliability checks, a line naming those to review. */
export function describeRun(detail: unknown, reliability?: ReliabilityCheck[]): string {
  const run = detail as import('../../src-preload/contract.js').RunDetail;
  const title = `${run.name ? `"${run.name}"  ` : ''}${run.modelName} on ${run.datasetName}`;
  const lines = [`${run.id}  ${run.status}  ${title}  ${run.doneCount}/${run.sampleCount} samples  ${run.provider ?? ''}`.trimEnd()];
  const gpuNote = providerNote(run.provider, run.providerAttempts);
  if (gpuNote) lines.push(`  ${gpuNote}`);
  if (run.notes) lines.push(`  notes: ${run.notes.replace(/\s+/g, ' ')}`);
  if (run.preprocessing) {
    const p = run.preprocessing;
    const marks = [p.confirmed ? null : 'unconfirmed when the run was made', run.preprocessingChanged ? "the model's has changed since" : null].filter(Boolean);
    lines.push(`  preprocessing [${p.valueRange.join(', ')}], mean ${p.mean.join(',')}, std ${p.std.join(',')}${marks.length ? ` (${marks.join('; ')})` : ''}`);
  }
  if (run.reading) {
    const changed = run.readingChanged ? " (the model's reading has changed since)" : '';
    lines.push(`  read: image input ${imageInputText(run.reading)}, ${run.reading.layout}, logits: ${logitsText(run.reading)}${changed}`);
  }
  if (run.plan) {
    lines.push(`  memory plan: ${planText(run.plan)}`);
    if (run.plan.fab) lines.push(`  FAB: ${run.plan.fab.reason}`);
  }
  if (run.results) {
    const r = run.results;
    lines.push(r.accuracy === null ? `  unlabeled: no accuracy (${r.evaluated} samples)` : `  accuracy ${(r.accuracy * 100).toFixed(1)}% (${r.correct}/${r.evaluated})`);
    lines.push(`  logit margin: min ${r.logitMargin.min.toFixed(4)}, median ${r.logitMargin.median.toFixed(4)}, max ${r.logitMargin.max.toFixed(4)}`);
    if (r.inputMargins) {
      const m = r.inputMargins;
      const median = m.median === null ? 'none found' : `median ${m.median.toFixed(4)}`;
      lines.push(`  input margin (${m.norm}): ${median}; ${m.found} found, ${m.censored} without an adversarial example within budget`);
    }
    if (r.lipschitz) lines.push(`  ${lipschitzLine(r.lipschitz)}`);
    for (const a of r.attacks) if (a.found !== null) lines.push(`  ${a.attack}: prediction changed on ${a.found} samples (verified), median norm ${a.medianNorm?.toFixed(4) ?? '-'}`);
    for (const ra of r.robustness) {
      const parts = [
        ra.fromMargins !== null ? `from margins ${(ra.fromMargins * 100).toFixed(1)}%` : null,
        ...Object.entries(ra.byAttack).map(([a, v]) => `${a} ${((v ?? 0) * 100).toFixed(1)}%`),
        `combined ${(ra.combined * 100).toFixed(1)}%`,
      ].filter(Boolean);
      lines.push(`  robust accuracy at eps ${formatEpsilon(ra.epsilon)}: ${parts.join(', ')}`);
    }
    if (r.equidistance) {
      const e = r.equidistance;
      lines.push(`  head equidistance (||w_i - w_j||_2 over ${e.pairs} pairs): min ${e.l2.min.toFixed(3)}, median ${e.l2.median.toFixed(3)}, max ${e.l2.max.toFixed(3)}`);
    }
  }
  if (reliability?.length) {
    const review = reliability.filter((c) => c.status === 'review');
    lines.push(
      review.length
        ? `  reliability: ${review.length} to review (${review.map((c) => c.title).join('; ')}); \`brink analyze --run ${run.id}\` lists what to do`
        : `  reliability: nothing to review (${reliability.filter((c) => c.status === 'pass').length} of ${reliability.length} checks pass)`,
    );
  }
  if (run.error) lines.push(`  ${run.error}`);
  return lines.join('\n');
}

/** The run's Lipschitz estimates in one line, labelled as the estimate they are. */
function lipschitzLine(l: LipschitzSummary): string {
  const spread = l.median === null ? 'none' : `median ${l.median.toFixed(4)}, min ${l.min!.toFixed(4)}, max ${l.max!.toFixed(4)}`;
  const brackets = l.bracketed ? `; at or below the attack margin on ${l.ordered} of ${l.bracketed}` : '';
  return `Lipschitz estimate (${l.settings.norm}, r ${l.settings.radius}, ${l.settings.samples} points; an estimate, not a certificate): ${spread}; ${l.capped} of ${l.estimated} at the cap${brackets}`;
}
