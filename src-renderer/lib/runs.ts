import { marginFamilyNames, type AttackName, type AttackNorm, type AttackSettings, type Device, type MarginFamilyName, type RunConfig, type RunStatus, type RunSummary, type SampleSortKey, type Subset } from '../../src-preload/contract';
import { formatEpsilon, parseEpsilons } from '../../src-preload/epsilon';
import { attackChoices, defaultEpsilons, describeNorms, isMarginAttack, listLabels, normLabel, supportsNorm } from './attacks';
import { formatCount } from './format';
import { LIPSCHITZ_DEFAULT_RADIUS, LIPSCHITZ_DEFAULT_SAMPLES } from '../../src-preload/lipschitz';

/** Statuses in which a worker is (or will be) computing; the run page shows live progress for them. */
export const activeStatuses: readonly RunStatus[] = ['queued', 'running'];

export function isActive(status: RunStatus): boolean {
  return activeStatuses.includes(status);
}

/** Which of the run page's buttons apply to a run in this status. */
export function runActions(status: RunStatus): { pause: boolean; cancel: boolean; resume: boolean; remove: boolean } {
  return {
    pause: status === 'running' || status === 'queued',
    cancel: status === 'running' || status === 'queued' || status === 'paused' || status === 'interrupted',
    resume: status === 'paused' || status === 'interrupted' || status === 'failed' || status === 'cancelled',
    remove: !isActive(status),
  };
}

/** What a status means, for the badge's tooltip. */
export const statusHelp: Record<RunStatus, string> = {
  queued: 'Waiting for a worker',
  running: 'A worker is computing',
  paused: 'Paused; resume to continue from the first missing sample',
  interrupted: 'The worker stopped unexpectedly; completed batches are kept, resume to finish',
  failed: 'Stopped with an error; completed batches are kept',
  done: 'Every sample was evaluated',
  cancelled: 'Cancelled; completed batches are kept',
};

/** The sample-table columns, in the contract's sort-key order (checked against SampleSortKey below). */
export const sampleColumns = [
  { key: 'position', label: '#', title: 'Position in the run', numeric: true },
  { key: 'index', label: 'Index', title: 'Index of the sample in the dataset as imported', numeric: true },
  { key: 'label', label: 'Label', title: 'The dataset’s label', numeric: false },
  { key: 'pred', label: 'Prediction', title: 'The model’s prediction (argmax of the logits)', numeric: false },
  { key: 'correct', label: 'Correct', title: 'Whether the prediction equals the label', numeric: false },
  { key: 'logitMargin', label: 'Logit margin', title: 'f_pred − max of the other logits', numeric: true },
  { key: 'featureMarginLinf', label: 'Feature margin ℓ∞', title: 'Distance to the head’s decision boundary, dual norm ℓ1', numeric: true },
  { key: 'featureMarginL2', label: 'Feature margin ℓ2', title: 'Distance to the head’s decision boundary, ℓ2', numeric: true },
  {
    key: 'inputMargin',
    label: 'Input margin',
    title: 'Norm of the smallest verified perturbation that changes the prediction (an upper bound on the true margin)',
    numeric: true,
  },
  {
    key: 'signedInputMargin',
    label: 'Signed',
    title: 'The input margin signed by correctness (Wu & Yu): +d when the prediction is correct, −d when it is wrong, so that sorting puts the misclassified samples first',
    numeric: true,
  },
  {
    key: 'lipschitzMargin',
    label: 'Lipschitz estimate',
    title:
      'Wu & Yu’s Lipschitz estimate of the margin, min over classes of the logit gap over the largest sampled gradient norm, capped at the radius: an estimate, not a certificate. With an attack it is shown as the bracket [estimate, attack margin]',
    numeric: true,
  },
] as const satisfies readonly { key: SampleSortKey; label: string; title: string; numeric: boolean }[];

/** Columns shown only for runs whose attacks give input margins. */
export const marginColumnKeys: readonly SampleSortKey[] = ['inputMargin', 'signedInputMargin'];

/** Columns shown only for runs that made the Lipschitz estimate. */
export const lipschitzColumnKeys: readonly SampleSortKey[] = ['lipschitzMargin'];

// Fails to compile when the contract gains a sort key that has no column.
type MissingColumn = Exclude<SampleSortKey, (typeof sampleColumns)[number]['key']>;
export const everySortKeyHasAColumn: MissingColumn extends never ? true : never = true;

/** 'first 1,000', 'random 500 (seed 7)', 'all'. */
export function describeSubset(subset: Subset): string {
  if (subset.mode === 'all') return 'all samples';
  if (subset.mode === 'first') return `first ${formatCount(subset.count)}`;
  return `random ${formatCount(subset.count)} (seed ${subset.seed})`;
}

export const deviceChoices: { value: Device; label: string }[] = [
  { value: 'auto', label: 'Auto (CUDA, then WebGPU, then CPU)' },
  { value: 'cpu', label: 'CPU' },
  { value: 'cuda', label: 'CUDA (NVIDIA; needs CUDA 13, cuDNN 9, driver r580+)' },
  { value: 'webgpu', label: 'WebGPU (Vulkan, Metal or D3D12)' },
];

/** The run form as typed: numbers stay strings so that half-typed values survive. */
export interface RunDraft {
  modelId: string;
  /** Further models the same configuration is queued for, on the same samples, as one audit group (run.startMany). */
  alsoModelIds: string[];
  datasetId: string;
  subsetMode: Subset['mode'];
  count: string;
  seed: string;
  batchSize: string;
  device: Device;
  /** None checked: forward margins only. */
  attacks: AttackName[];
  norm: AttackNorm;
  epsilons: string;
  /** Blank: each attack's own default. */
  iterations: string;
  restarts: string;
  /** Blank: FAB's default (untargeted up to 10 classes, the top 9 beyond), APGD-T 9. */
  targeted: string;
  /** FAB untargeted whatever the number of classes. */
  fabUntargeted: boolean;
  /** The job's memory budget in GB; blank: a safe share of the free memory. */
  memoryGb: string;
  /** Perturbation families measured beside the attacks; none: no family margins. */
  families: MarginFamilyName[];
  /** Wu and Yu's Lipschitz estimate of each margin, in the form's norm; blank radius: the norm's default. */
  lipschitz: boolean;
  lipschitzRadius: string;
  lipschitzPoints: string;
}

export type RunDraftField =
  | 'modelId'
  | 'datasetId'
  | 'count'
  | 'seed'
  | 'batchSize'
  | 'attacks'
  | 'epsilons'
  | 'iterations'
  | 'restarts'
  | 'targeted'
  | 'memoryGb'
  | 'lipschitzRadius'
  | 'lipschitzPoints';

export type RunDraftResult =
  | { ok: true; config: RunConfig }
  | { ok: false; problems: Partial<Record<RunDraftField, string>> };

export const DEFAULT_BATCH_SIZE = 128;
const MAX_SEED = 2 ** 32 - 1;

export function emptyDraft(): RunDraft {
  return {
    modelId: '',
    alsoModelIds: [],
    datasetId: '',
    subsetMode: 'all',
    count: '1000',
    seed: '0',
    batchSize: String(DEFAULT_BATCH_SIZE),
    device: 'auto',
    attacks: [],
    norm: 'linf',
    epsilons: defaultEpsilons.linf,
    iterations: '',
    restarts: '1',
    targeted: '',
    fabUntargeted: false,
    memoryGb: '',
    families: [],
    lipschitz: false,
    lipschitzRadius: '',
    lipschitzPoints: String(LIPSCHITZ_DEFAULT_SAMPLES),
  };
}

/** Whether the form's seed is used: by a random subset, the attacks' random starts, the noise corruptions and the Lipschitz points. */
export function usesSeed(draft: Pick<RunDraft, 'subsetMode' | 'attacks'> & Partial<Pick<RunDraft, 'families' | 'lipschitz'>>): boolean {
  return draft.subsetMode === 'random' || draft.attacks.length > 0 || (draft.families?.length ?? 0) > 0 || draft.lipschitz === true;
}

/** The checked attacks that have no version for the chosen norm. */
export function unsupportedAttacks(draft: Pick<RunDraft, 'attacks' | 'norm'>): AttackName[] {
  return draft.attacks.filter((name) => !supportsNorm(name, draft.norm));
}

const MAX_EPSILONS = 32;

/** The epsilon field: the values, or why they cannot be read (blank is fine without APGD). */
export function parseEpsilonField(draft: Pick<RunDraft, 'epsilons' | 'attacks'>): { ok: true; values: number[] } | { ok: false; problem: string } {
  const needsOne = draft.attacks.some((name) => !isMarginAttack(name));
  if (draft.epsilons.trim() === '') {
    return needsOne ? { ok: false, problem: 'APGD attacks at fixed budgets: give at least one epsilon, e.g. 8/255 or 0.1' } : { ok: true, values: [] };
  }
  try {
    const values = parseEpsilons(draft.epsilons);
    if (values.length > MAX_EPSILONS) return { ok: false, problem: `At most ${MAX_EPSILONS} epsilons` };
    if (values.some((value) => value > 1e6)) return { ok: false, problem: 'Epsilons are at most 1,000,000' };
    return { ok: true, values: [...new Set(values)].sort((a, b) => a - b) };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}


/** The contract's argument rules, checked as the user types; the service's run.check covers the rest. */
export function parseRunDraft(draft: RunDraft): RunDraftResult {
  const problems: Partial<Record<RunDraftField, string>> = {};
  if (!draft.modelId) problems.modelId = 'Choose a model';
  if (!draft.datasetId) problems.datasetId = 'Choose a dataset';
  const count = parseInteger(draft.count);
  const seed = parseInteger(draft.seed);
  const batchSize = parseInteger(draft.batchSize);
  if (draft.subsetMode !== 'all' && (count === null || count < 1)) problems.count = 'The number of samples must be a whole number of at least 1';
  if (usesSeed(draft) && (seed === null || seed < 0 || seed > MAX_SEED)) {
    problems.seed = `The seed must be a whole number from 0 to ${formatCount(MAX_SEED)}`;
  }
  if (batchSize === null || batchSize < 1 || batchSize > 4096) problems.batchSize = 'The batch size must be a whole number from 1 to 4,096';
  const memoryGb = draft.memoryGb.trim() === '' ? null : Number(draft.memoryGb.trim());
  if (memoryGb !== null && !(Number.isFinite(memoryGb) && memoryGb > 0 && memoryGb <= 65536)) {
    problems.memoryGb = 'The memory budget must be blank (a share of the free memory) or a number of GB, e.g. 8 or 0.5';
  }
  const attack = parseAttackFields(draft, problems);
  const lipschitzRadius = draft.lipschitzRadius.trim() === '' ? LIPSCHITZ_DEFAULT_RADIUS[draft.norm] : Number(draft.lipschitzRadius.trim());
  const lipschitzPoints = parseInteger(draft.lipschitzPoints);
  if (draft.lipschitz && !(Number.isFinite(lipschitzRadius) && lipschitzRadius > 0)) problems.lipschitzRadius = 'The radius must be blank (the norm’s default) or a positive number in [0,1] pixel units';
  if (draft.lipschitz && (lipschitzPoints === null || lipschitzPoints < 1 || lipschitzPoints > 100_000)) problems.lipschitzPoints = 'The points per sample must be a whole number from 1 to 100,000';
  if (Object.keys(problems).length > 0) return { ok: false, problems };

  const subset: Subset =
    draft.subsetMode === 'all'
      ? { mode: 'all' }
      : draft.subsetMode === 'first'
        ? { mode: 'first', count: count! }
        : { mode: 'random', count: count!, seed: seed! };
  return {
    ok: true,
    config: {
      modelId: draft.modelId,
      datasetId: draft.datasetId,
      subset,
      batchSize: batchSize!,
      device: draft.device,
      attack: attack ? { ...attack, seed: seed! } : null,
      // Kept in the order of the families' list, whatever order they were checked in.
      ...(draft.families.length > 0 ? { perturbations: { families: marginFamilyNames.filter((f) => draft.families.includes(f)), seed: seed! } } : {}),
      ...(draft.lipschitz ? { lipschitz: { norm: draft.norm, radius: lipschitzRadius, samples: lipschitzPoints!, seed: seed! } } : {}),
      ...(memoryGb !== null ? { memoryGb } : {}),
    },
  };
}

/** The attack settings without the seed (shared with the subset), or null when no attack is checked. */
function parseAttackFields(draft: RunDraft, problems: Partial<Record<RunDraftField, string>>): Omit<AttackSettings, 'seed'> | null {
  if (draft.attacks.length === 0) return null;
  const unsupported = unsupportedAttacks(draft);
  if (unsupported.length > 0) {
    const which = listLabels(unsupported);
    const only = unsupported.length === 1 ? `${which} works in ${describeNorms(unsupported[0])} only` : `${which} have no ${normLabel(draft.norm)} version`;
    problems.attacks = `${only}: uncheck ${unsupported.length === 1 ? 'it' : 'them'} or choose another norm`;
  }
  const epsilons = parseEpsilonField(draft);
  if (!epsilons.ok) problems.epsilons = epsilons.problem;
  const iterations = optionalInteger(draft.iterations);
  if (iterations === undefined || (iterations !== null && (iterations < 1 || iterations > 100_000))) {
    problems.iterations = 'Iterations must be blank (each attack’s default) or a whole number from 1 to 100,000';
  }
  const restarts = parseInteger(draft.restarts);
  if (restarts === null || restarts < 1 || restarts > 100) problems.restarts = 'Restarts must be a whole number from 1 to 100';
  const targeted = optionalInteger(draft.targeted);
  if (targeted === undefined || (targeted !== null && (targeted < 1 || targeted > 1000))) {
    problems.targeted = 'Target classes must be blank (each attack’s default) or a whole number from 1 to 1,000';
  }
  if (draft.fabUntargeted && targeted !== null && targeted !== undefined) problems.targeted = 'Give target classes or untargeted FAB, not both';
  // Kept in the order of the choices, whatever order they were checked in.
  const attacks = attackChoices.map((choice) => choice.name).filter((name) => draft.attacks.includes(name));
  return {
    attacks,
    norm: draft.norm,
    epsilons: epsilons.ok ? epsilons.values : [],
    iterations: iterations ?? null,
    restarts: restarts ?? 1,
    targeted: targeted ?? null,
    ...(draft.fabUntargeted ? { fabUntargeted: true } : {}),
  };
}

/** The form prefilled from a run's configuration ('run again'). */
export function draftOf(config: RunConfig): RunDraft {
  return {
    modelId: config.modelId,
    alsoModelIds: [],
    datasetId: config.datasetId,
    subsetMode: config.subset.mode,
    count: config.subset.mode === 'all' ? '1000' : String(config.subset.count),
    seed:
      config.subset.mode === 'random'
        ? String(config.subset.seed)
        : config.attack
          ? String(config.attack.seed)
          : config.perturbations
            ? String(config.perturbations.seed)
            : '0',
    batchSize: String(config.batchSize),
    device: config.device,
    attacks: config.attack ? [...config.attack.attacks] : [],
    norm: config.attack?.norm ?? 'linf',
    epsilons: config.attack ? config.attack.epsilons.map(formatEpsilon).join(', ') : defaultEpsilons.linf,
    iterations: config.attack?.iterations != null ? String(config.attack.iterations) : '',
    restarts: String(config.attack?.restarts ?? 1),
    targeted: config.attack?.targeted != null ? String(config.attack.targeted) : '',
    fabUntargeted: config.attack?.fabUntargeted ?? false,
    memoryGb: config.memoryGb != null ? String(config.memoryGb) : '',
    families: config.perturbations ? [...config.perturbations.families] : [],
    lipschitz: Boolean(config.lipschitz),
    lipschitzRadius: config.lipschitz && config.lipschitz.radius !== LIPSCHITZ_DEFAULT_RADIUS[config.lipschitz.norm] ? String(config.lipschitz.radius) : '',
    lipschitzPoints: String(config.lipschitz?.samples ?? LIPSCHITZ_DEFAULT_SAMPLES),
  };
}

/** Blank -> null; a whole number -> it; anything else -> undefined. */
function optionalInteger(text: string): number | null | undefined {
  if (text.trim() === '') return null;
  return parseInteger(text) ?? undefined;
}

function parseInteger(text: string): number | null {
  const trimmed = text.trim().replaceAll(',', '').replaceAll('_', '');
  if (!/^\d+$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Time spent running, advanced by the clock while the run is running: the stretches that ended
 * (activeMs) plus the one under way, timed from when it began, so that the count goes on after a
 * resume and does not restart whenever the run is read again.
 */
export function liveActiveMs(run: Pick<RunSummary, 'status' | 'activeMs' | 'runningSince'>, now: number): number {
  const since = run.status === 'running' && run.runningSince ? Date.parse(run.runningSince) : Number.NaN;
  return Number.isFinite(since) ? run.activeMs + Math.max(0, now - since) : run.activeMs;
}

export interface LogLine {
  at: string;
  line: string;
}

/** The most log lines the run page keeps; older ones stay in the project. */
export const LOG_LIMIT = 1000;

/**
 * The run's stored log (authoritative) followed by live lines that arrived after it was read.
 * Live lines already in the stored log, or older than its last line, are dropped.
 */
export function mergeLog(stored: readonly LogLine[], live: readonly LogLine[]): LogLine[] {
  const seen = new Set(stored.map(keyOf));
  const last = stored.at(-1)?.at ?? '';
  const newer = live.filter((entry) => !seen.has(keyOf(entry)) && entry.at >= last);
  return [...stored, ...newer].slice(-LOG_LIMIT);
}

export function appendLog(log: readonly LogLine[], entry: LogLine): LogLine[] {
  return [...log.slice(-(LOG_LIMIT - 1)), entry];
}

const keyOf = (entry: LogLine) => `${entry.at}\u0000${entry.line}`;
