/**
 * The Brink API contract: the single source of truth for every call the renderer can make,
 * its argument validator, its result type, and the events the host pushes.
 *
 * One service implements it (src-main/service); three transports carry it: Electron IPC,
 * the WebSocket of `brink serve`, and the CLI. Arguments are validated here at every
 * transport boundary, so the service never sees unchecked input.
 */
import { z } from 'zod';

// ---------- shared value types ----------

export type Dim = number | string;

export interface TensorSpec {
  name: string;
  elemType: string;
  shape: Dim[] | null;
}

export interface ProjectInfo {
  path: string;
  name: string;
  createdAt: string;
  modelCount: number;
  datasetCount: number;
  /** The file cannot be written (or is marked read-only): everything can be looked at, nothing changed. */
  readOnly: boolean;
}

export interface RecentProject {
  path: string;
  name: string;
  openedAt: string;
  exists: boolean;
}

/** How raw [0,1] pixels become the model's input: x * (range[1]-range[0]) + range[0], then (x - mean) / std per channel. */
export interface Preprocessing {
  valueRange: [number, number];
  mean: number[];
  std: number[];
}

/** The preprocessing a run was created with, and whether it was confirmed then. */
export interface RunPreprocessing extends Preprocessing {
  confirmed: boolean;
}

/** One common convention tried on labelled samples (model.probePreprocessing). */
export interface PreprocessingCandidate {
  /** 'identity', 'symmetric', 'imagenet', 'byte', 'metadata' or 'current'; equivalent candidates are merged into the first. */
  id: 'identity' | 'symmetric' | 'imagenet' | 'byte' | 'metadata' | 'current';
  /** What it is, e.g. "ImageNet mean/std"; merged candidates name every convention they stand for. */
  label: string;
  preprocessing: Preprocessing;
  /** Null when it cannot apply to this model (the reason is in `skipped`). */
  accuracy: number | null;
  correct: number;
  /** Why it was not tried, e.g. "needs 3 channels; the model takes 1". */
  skipped: string | null;
  /** Whether it does the same as the model's current preprocessing. */
  current: boolean;
  /** For 'metadata': the metadata_props keys it was read from. */
  source: string | null;
}

export interface PreprocessingProbe {
  modelId: string;
  datasetId: string;
  /** Samples drawn at random (seeded) from the dataset and classified under every candidate. */
  samples: number;
  seed: number;
  candidates: PreprocessingCandidate[];
  /** Index of the proposal: the best accuracy (ties go to the current settings); null when nothing could be tried. */
  proposed: number | null;
  /** Chance level (1 / classes), to judge whether even the best candidate is plausible. */
  chance: number | null;
  ms: number;
}

/** An import that found the same content (same SHA-256) already in the project: nothing was imported. */
export interface DuplicateImport {
  duplicateOf: { kind: 'model' | 'dataset'; id: string; name: string };
  /** The file (or files) that were picked. */
  fileName: string;
  /** One line saying so. */
  message: string;
}

export interface ModelSummary {
  id: string;
  name: string;
  fileName: string;
  byteSize: number;
  inputShape: Dim[] | null;
  classCount: number | null;
  createdAt: string;
  /** False until someone gives, confirms or edits the preprocessing: until then it is Brink's guess at import. */
  preprocessingConfirmed: boolean;
}

export interface ModelDetail extends ModelSummary {
  sha256: string;
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  opHistogram: Record<string, number>;
  nodeCount: number;
  parameterCount: number;
  preprocessing: Preprocessing;
  labels: string[] | null;
  /** Null only while a model imported by an older Brink waits to be analysed. */
  analysis: ModelAnalysis | null;
  reading: ModelReading;
}

export type ImageLayout = 'NCHW' | 'NHWC';
/** 'output': the file's first output; 'before-softmax': the input of the Softmax or LogSoftmax that ends the graph. */
export type LogitsSource = 'output' | 'before-softmax';

/**
 * How Brink feeds a model and where it reads its logits (DESIGN.md section 3): detected at
 * import, changed with model.update (the model page) or `model add --input --layout --logits`.
 */
export interface ModelReading {
  /** The fed input that takes the images; null when the file has several and none looks like an image batch. */
  imageInput: string | null;
  layout: ImageLayout;
  /** The layout the image input's shape suggests; null when it does not tell (Brink then assumes NCHW). */
  detectedLayout: ImageLayout | null;
  logits: LogitsSource;
  /** The Softmax or LogSoftmax that ends the graph (also behind Identity, Reshape, Flatten or Squeeze); null when there is none. */
  softmax: { op: 'Softmax' | 'LogSoftmax'; node: string; input: string } | null;
  /** The batch size the file fixes on the image input; null when that axis is symbolic. */
  fileBatch: number | null;
  /** Brink made that fixed axis symbolic after two batch sizes gave the same results; false: every job runs at fileBatch. */
  batchFreed: boolean;
  /** Why a fixed batch axis stays fixed ("it does not run at batch 2 (...)"); null when it is free or was freed. */
  batchFixedBecause: string | null;
  /** [batch, channels, height, width] as Brink feeds the model; null when the image input's shape is unknown. */
  feedShape: Dim[] | null;
  /** Why no run can start as the model is read (an input with no value, no image input chosen); null when runs can. */
  problem: string | null;
}

export interface ModelAnalysis {
  /** Whether every op between the input and the logits has a gradient rule (attacks need it). */
  differentiable: boolean;
  /** Op types without a gradient rule, with the nodes that use them. */
  unsupported: { op: string; nodes: string[] }[];
  /** The linear layer that produces the logits, when there is one. */
  head: { classes: number; features: number; featuresTensor: string; nodes: string[] } | null;
  /** Why no head was found. */
  headReason: string | null;
  /**
   * Ops between the input and the logits whose gradient is zero almost everywhere (Round, Floor,
   * Ceil, Sign, casts to integers, comparisons), with their nodes: the model is differentiable,
   * but attacks cannot be trusted on it. Empty when there are none.
   */
  zeroGradientOps: { op: string; nodes: string[] }[];
}

export type DatasetFormat = 'idx' | 'cifar10' | 'cifar100' | 'npy' | 'npz' | 'image-folder';

export interface DatasetSummary {
  id: string;
  name: string;
  format: DatasetFormat;
  count: number;
  shape: [number, number, number];
  createdAt: string;
}

export interface DatasetDetail extends DatasetSummary {
  sourceName: string;
  sha256: string;
  dtype: 'uint8' | 'float32';
  classNames: string[] | null;
  classCounts: number[];
  skipped: { file: string; reason: string }[];
  /** How an image folder's images were brought to one size; null for the other formats. */
  fit: ImageFit | null;
}

export const imageFitModes = ['strict', 'crop', 'stretch', 'pad'] as const;
export type ImageFitMode = (typeof imageFitModes)[number];

/**
 * How an image folder's images become samples of one size (sizes are height, width):
 * strict keeps only the images of the most common size, as they are; crop is torchvision's
 * Resize(resize) + CenterCrop(size), the evaluation transform of ImageNet-style models; stretch
 * resizes both sides to the size; pad resizes the long side to fit and pads the rest with zeros.
 * Every resize is Pillow's bilinear with antialias, as torchvision applies it to PIL images.
 */
export type ImageFit =
  | { mode: 'strict' }
  | { mode: 'crop'; size: [number, number]; resize: number }
  | { mode: 'stretch'; size: [number, number] }
  | { mode: 'pad'; size: [number, number] };

/** An image folder's sizes, read from the file headers before import, so the user can choose a fit. */
export interface ImageFolderSurvey {
  /** Readable images, in all class folders. */
  images: number;
  classes: number;
  /** The most common size (ties: the first seen) and how many images have it. */
  commonSize: { width: number; height: number; count: number };
  /** Readable images of another size: strict mode skips them. */
  differing: number;
  /** The smallest width and height among the readable images. */
  smallest: { width: number; height: number };
  /** Files that could not be read as PNG or JPEG. */
  unreadable: number;
}

export interface Thumbnail {
  index: number;
  label: number;
  /** A data: URL of a PNG. */
  src: string;
}

export interface AppInfo {
  version: string;
  host: 'electron' | 'web';
  /** Whether the bundled sample project can be opened. */
  sampleAvailable: boolean;
}

// ---------- audit runs ----------

export type Device = 'auto' | 'cuda' | 'webgpu' | 'cpu';
export type RunStatus = 'queued' | 'running' | 'paused' | 'interrupted' | 'failed' | 'done' | 'cancelled';
export type Subset = { mode: 'all' } | { mode: 'first'; count: number } | { mode: 'random'; count: number; seed: number };

export const attackNames = ['fab', 'deepfool', 'fmn', 'apgd-ce', 'apgd-t'] as const;
export type AttackName = (typeof attackNames)[number];
export type AttackNorm = 'linf' | 'l2' | 'l1';

/** Which attacks support which norm (DESIGN.md section 5). */
export const attackNorms: Record<AttackName, readonly AttackNorm[]> = {
  fab: ['linf', 'l2', 'l1'],
  deepfool: ['linf', 'l2'],
  fmn: ['linf', 'l2', 'l1'],
  'apgd-ce': ['linf', 'l2'],
  'apgd-t': ['linf', 'l2'],
};

/** Minimal-norm attacks give margins; fixed-epsilon ones (APGD) give robust accuracy at each epsilon. */
export const marginAttacks: readonly AttackName[] = ['fab', 'deepfool', 'fmn'];

export interface AttackSettings {
  attacks: AttackName[];
  norm: AttackNorm;
  /** For APGD and for robust accuracy from margins; in [0,1] pixel units. */
  epsilons: number[];
  /** Null: each attack's own default (FAB, FMN, APGD 100; DeepFool 50). */
  iterations: number | null;
  restarts: number;
  /**
   * FAB targeted over the top-k classes / APGD-T's number of target classes; null: each attack's
   * default (FAB untargeted up to 10 classes and targeted over the top 9 beyond, as AutoAttack's
   * standard version; APGD-T 9).
   */
  targeted: number | null;
  /** FAB untargeted whatever the number of classes (all C - 1 rows per step, in chunks that fit the memory budget). */
  fabUntargeted?: boolean;
  seed: number;
}

export interface RunConfig {
  modelId: string;
  datasetId: string;
  subset: Subset;
  batchSize: number;
  device: Device;
  /** Null: forward margins only. */
  attack: AttackSettings | null;
  /** The job's memory budget in GB (10^9 bytes); null or absent: a safe share of the free memory when the job starts. */
  memoryGb?: number | null;
}

/**
 * What the job planned to stay within its memory budget, recorded on the run when it starts
 * (worker/job-plan): samples per gradient call, Jacobian rows per call, the expected peak, and
 * which form the many-class attacks run in and why.
 */
export interface RunPlan {
  budgetBytes: number;
  budgetSource: 'set' | 'free memory' | 'gpu memory';
  /** Whose free memory the default budget is a share of, or why the GPU's could not be used. */
  budgetNote?: string;
  /** Samples per gradient call. */
  batch: number;
  /** Jacobian rows per sample the attacks need, and per call. */
  rows: number;
  rowsPerChunk: number;
  expectedPeakBytes: number;
  /** False when even one sample and one row per call is expected to exceed the budget. */
  fits: boolean;
  /**
   * What the job process held when it planned (Node, the project, the forward session), outside
   * the budget, which covers the gradient sessions and the attacks' working memory; absent in a
   * plan shown before the run starts.
   */
  baseBytes?: number;
  /** FAB's form; null without FAB. */
  fab: { form: 'targeted' | 'untargeted'; targets: number | null; reason: string } | null;
  /** DeepFool's candidate classes (the sample's own included); null without DeepFool. */
  deepfoolCandidates: number | null;
  /**
   * Out-of-memory exits so far and the last one's batch of the run (1-based); pending until the
   * next start has planned smaller (a later start never plans bigger again).
   */
  outOfMemory: { count: number; atBatch: number; pending: boolean } | null;
}

/**
 * Something about a configuration the auditor should see before a run starts, that does not stop
 * it: the model's preprocessing is unconfirmed, the dataset's class names and the model's labels
 * differ, an epsilon is implausible in [0,1] pixel units, the model's gradient is zero almost
 * everywhere (attacks), its logits are read after its Softmax. An epsilon warning must be confirmed
 * (run.start with force) or the epsilons changed to the suggestion.
 */
export interface RunWarning {
  kind: 'preprocessing' | 'labels' | 'epsilon' | 'gradients' | 'logits';
  message: string;
  needsConfirmation: boolean;
  /** For an epsilon: the epsilons the user probably meant (each implausible one divided by 255), in the run's order. */
  suggestion: number[] | null;
}

export interface ProviderAttempt {
  provider: string;
  ok: boolean;
  reason?: string;
}

export interface RunSummary {
  id: string;
  kind: 'forward-margins' | 'attacks';
  modelId: string;
  modelName: string;
  datasetId: string;
  datasetName: string;
  status: RunStatus;
  sampleCount: number;
  doneCount: number;
  provider: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Time spent running, summed over pauses and resumes (the stretch under way not included). */
  activeMs: number;
  /** When the running stretch under way began; null unless running. */
  runningSince: string | null;
  /** The user's name for the run; null: it is shown as "model on dataset". */
  name: string | null;
  /** The user's notes on the run; empty when there are none. */
  notes: string;
  /** The threat model, for lists; null for forward margins only. */
  attack: Pick<AttackSettings, 'attacks' | 'norm' | 'epsilons'> | null;
  /** Over the samples evaluated so far; null before the first batch. */
  accuracy: number | null;
  /** At the run's first epsilon: correct and unbroken by every attack, as the run page's results; null without an epsilon or results. */
  robustAccuracy: { epsilon: number; value: number } | null;
  /** The preprocessing the run was created with; null for runs made before Brink recorded it. */
  preprocessing: RunPreprocessing | null;
  /** The model's preprocessing has changed since: the run was made with other settings than the model's now. */
  preprocessingChanged: boolean;
  /** How the model is read (image input, layout, logits) has changed since: the run fed or read it otherwise than the model's reading now. */
  readingChanged: boolean;
}

/** What removing a model or dataset takes with it: the runs made with it (removed too). */
export interface RemovalImpact {
  runs: RunSummary[];
}

/** Where an exported file went: saved by the desktop app where the user chose, or offered to the browser at a one-time URL. */
export type SavedFile = { kind: 'saved'; path: string } | { kind: 'download'; url: string; name: string };

/** A run's exports: per-sample results (the CLI's columns) and its adversarial examples. */
export const runExportFormats = ['csv', 'json', 'npy'] as const;
export type RunExportFormat = (typeof runExportFormats)[number];

export interface FiveNumbers {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export interface Equidistance {
  /** ||w_i - w_j||_1 over all class pairs (the dual norm for l_inf margins). */
  linf: FiveNumbers;
  /** ||w_i - w_j||_2 over all class pairs. */
  l2: FiveNumbers;
  pairs: number;
}

export interface RobustAccuracy {
  epsilon: number;
  /** Correct and no verified adversarial within epsilon from the margin attacks; null without them. */
  fromMargins: number | null;
  /** Correct and not broken by each fixed-epsilon attack at this epsilon. */
  byAttack: Partial<Record<AttackName, number>>;
  /** Correct and unbroken by every attack of the run. */
  combined: number;
}

export interface AttackStats {
  attack: AttackName;
  /** Fixed-epsilon attacks: null (see robustness). */
  found: number | null;
  medianNorm: number | null;
}

export interface InputMargins {
  norm: AttackNorm;
  found: number;
  /** No adversarial example within the attacks' budget: censored, never counted as 0. */
  censored: number;
  median: number | null;
  min: number | null;
  max: number | null;
  /** Which attack gave each sample's best margin. */
  bestBy: Partial<Record<AttackName, number>>;
}

export interface RunResults {
  evaluated: number;
  correct: number;
  accuracy: number;
  logitMargin: FiveNumbers & { mean: number };
  histogram: { edges: number[]; counts: number[] };
  /** Null when the model has no detected linear head. */
  equidistance: Equidistance | null;
  /** Null for runs without margin attacks. */
  inputMargins: InputMargins | null;
  attacks: AttackStats[];
  robustness: RobustAccuracy[];
}

// ---------- run analysis (DESIGN.md section 5; computed by service/run-analysis from per-sample rows) ----------

/** A histogram: counts[k] holds values in [edges[k], edges[k+1]); the last bin is closed on the right. */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/** One bin of the binned consistency plot (the paper's Fig. 2): medians of both variables, standard error of y. */
export interface ConsistencyBin {
  /** Median input margin of the bin, in pixel units of the run's norm. */
  x: number;
  /** Median of the min-max normalised score over the kept samples, in [0, 1]. */
  y: number;
  /** Standard error of the mean of y in the bin; null for a bin of one sample. */
  sem: number | null;
  n: number;
}

/** A point of the input-margin against logit-margin scatter; censored samples have no input margin. */
export interface ScatterPoint {
  position: number;
  inputMargin: number;
  logitMargin: number;
  correct: boolean;
}

export interface Consistency {
  /** Samples in the correlation: every evaluated sample; censored ones rank above every found margin, tied. */
  samples: number;
  kendallTau: number | null;
  /** Percentile bootstrap, 95 %, seeded. */
  kendallTauCi: [number, number] | null;
  spearman: number | null;
  /** Pearson needs finite values: over the samples with a verified margin only. */
  pearson: number | null;
  pearsonSamples: number;
  binned: ConsistencyBin[];
  /** Samples kept after trimming the input margin to its 5-95 % range. */
  binnedSamples: number;
  /** Every sample with a verified margin, or an evenly spaced subset of at most `scatterLimit`. */
  scatter: ScatterPoint[];
  scatterTotal: number;
}

/** A point of a detection curve: predicted non-robust when -logit margin >= threshold, i.e. logit margin <= -threshold. */
export interface CurvePoint {
  x: number;
  y: number;
  /** The logit-margin threshold of this point (a sample at or below it is flagged brittle); null where no sample is flagged. */
  logitMargin: number | null;
}

/** Confusion counts of the brittle-decision detector at one logit-margin threshold. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface DetectionAtEpsilon {
  epsilon: number;
  /** Samples with input margin <= epsilon (non-robust, the positive class). */
  positives: number;
  negatives: number;
  /** Null with the reason when one class is empty at this epsilon. */
  skipped: string | null;
  auroc: number | null;
  /** Trapezoid over (recall, precision), as the paper computes AUPR. */
  aupr: number | null;
  /** scikit-learn's average precision. */
  ap: number | null;
  /** As the paper's code: det_curve, first point of the lowest TPR plateau >= 0.95. */
  fprAt95Tpr: number | null;
  /** Textbook: the smallest FPR with TPR >= 0.95. */
  fprAt95TprMin: number | null;
  /** At most 500 points each, for display; the full curves are in the export. */
  roc: CurvePoint[];
  pr: CurvePoint[];
  /** Every distinct threshold for the slider: logit margin, with its confusion counts (at most 500, evenly by rank). */
  thresholds: (Confusion & { logitMargin: number })[];
}

export interface RobustAccuracyPoint {
  epsilon: number;
  /** Correct and input margin > epsilon (censored samples count as robust); null without margin attacks. */
  fromMargins: number | null;
  ci: [number, number] | null;
  apgdCe: number | null;
  apgdT: number | null;
  /** Correct and no attack of the run changed the prediction within epsilon; null at epsilons the run did not attack at. */
  combined: number | null;
}

export interface Algorithm1Size {
  n: number;
  repeats: number;
  /** The estimated robust accuracy of each repeat (fractions); a repeat whose subset has one class only is left out. */
  estimates: number[];
  /** The calibrated logit-margin threshold lambda of each repeat: robust when d_out > lambda and correct. */
  thresholds: number[];
  absErrors: number[];
  meanAbsError: number | null;
  sdAbsError: number | null;
}

export interface Algorithm1 {
  epsilon: number;
  /** Robust accuracy from the run's margins over all its samples: the reference the estimates are compared with. */
  robustAccuracy: number;
  seed: number;
  sizes: Algorithm1Size[];
  /** The workflow Algorithm 1 exists for: this run as the calibration subset, a forward run over the whole dataset. */
  withForward: {
    runId: string;
    samples: number;
    threshold: number;
    alpha: number;
    estimate: number;
    /** The subset's own robust accuracy from margins, and the accuracy of the forward run. */
    subsetRobustAccuracy: number;
    accuracy: number;
  } | null;
}

export const scoreNames = ['logit-margin', 'probability-margin', 'max-probability', 'entropy', 'energy', 'doctor-alpha', 'doctor-beta', 'feature-margin-linf', 'feature-margin-l2'] as const;
export type ScoreName = (typeof scoreNames)[number];

/** A confidence score as a brittleness detector: higher = more confident, so -score flags brittle decisions. */
export interface ScoreComparison {
  name: ScoreName;
  kendallTau: number | null;
  auroc: number | null;
  aupr: number | null;
  fprAt95Tpr: number | null;
  /** The best AUROC at the audit epsilon. */
  best: boolean;
}

export interface FeatureConsistency {
  /** ||h(x) - h(x_adv)||_inf of the penultimate features against the input margin (the paper's Fig. 6). */
  samples: number;
  kendallTau: number | null;
  binned: ConsistencyBin[];
}

export interface Screening {
  epsilon: number;
  tprTarget: number;
  /** Flag a decision brittle when its logit margin is at most this. */
  threshold: number;
  tpr: number;
  fpr: number;
  confusion: Confusion;
}

export interface ClassAnalysis {
  label: number;
  name: string | null;
  samples: number;
  accuracy: number;
  robustAccuracy: number | null;
  medianInputMargin: number | null;
  censored: number;
  kendallTau: number | null;
  auroc: number | null;
}

export interface RunAnalysis {
  runId: string;
  norm: AttackNorm | null;
  samples: number;
  correct: number;
  accuracy: number;
  /** Samples whose prediction no attack changed within budget: robust at every epsilon, ranked above every found margin. */
  censored: number;
  found: number;
  epsilons: number[];
  /** The epsilon of the KPI strip, the score table and screening: the run's first, else the grid's middle. */
  auditEpsilon: number;
  logitMargin: FiveNumbers & { mean: number; histogram: Histogram };
  inputMargin: (FiveNumbers & { histogram: Histogram }) | null;
  consistency: Consistency | null;
  detection: DetectionAtEpsilon[];
  robustAccuracy: RobustAccuracyPoint[];
  /** The robust-accuracy step curve from margins: (epsilon, fraction) at every distinct found margin of a correct sample. */
  robustCurve: { epsilon: number; robustAccuracy: number }[];
  algorithm1: Algorithm1 | null;
  scores: ScoreComparison[];
  featureConsistency: FeatureConsistency | null;
  screening: Screening | null;
  perClass: ClassAnalysis[];
  bootstrapResamples: number;
  /** Milliseconds the analysis took (computed, or read back from the cache). */
  computeMs: number;
  /** True when every number above is over the correctly classified samples only (`samples` is then their count). */
  correctOnly: boolean;
  /** Misclassified samples left out by the correct-only view; 0 otherwise. */
  excluded: number;
  /** Which attack gave each sample's best verified margin, counted over the samples above. */
  bestBy: Partial<Record<AttackName, number>>;
  /** What each attack of the run found over the samples above (as RunResults.attacks over every sample). */
  attackStats: AttackStats[];
  /** Wu & Yu's signed input margin (+d correct, -d misclassified) over the samples with a verified margin; null without one. */
  signedInputMargin: SignedMargins | null;
  /** The logit margin signed the same way (+d_out correct, -d_out misclassified). */
  signedLogitMargin: SignedMargins;
}

/**
 * Margins signed by correctness (Wu & Yu 2019): +d for a correctly classified sample, -d for a
 * misclassified one. The minimum margin is the smallest signed value; the average margin is the
 * mean of |d| (the unsigned mean). Censored samples (no verified margin) are left out.
 */
export interface SignedMargins {
  samples: number;
  /** Samples with a negative signed margin: misclassified, with a margin. */
  negative: number;
  min: number;
  median: number;
  meanAbs: number;
}

// ---------- evaluation reliability (AutoAttack's checks; Pintor et al. 2022, indicators of attack failure) ----------

export const reliabilityCheckIds = [
  'zero-gradient-ops',
  'zero-gradient-samples',
  'nondeterministic-forward',
  'probability-outputs',
  'censored-share',
  'fixed-epsilon-beats-margins',
  'attacks-disagree',
] as const;
export type ReliabilityCheckId = (typeof reliabilityCheckIds)[number];

/** review: a sign that the attacks may have failed and the numbers may be too optimistic; not-checked: no data to decide (why is in the finding). */
export type ReliabilityStatus = 'pass' | 'review' | 'not-checked';

export interface ReliabilityCheck {
  id: ReliabilityCheckId;
  status: ReliabilityStatus;
  /** A few words naming the check, e.g. "Zero-gradient samples". */
  title: string;
  /** One line with the numbers behind the status. */
  finding: string;
  /** One line: what to do about it (for a pass, what it means). */
  action: string;
}

export interface RunDetail extends RunSummary {
  config: RunConfig;
  /** How the model was read when the run was created; null for runs made before Brink recorded it. */
  reading: ModelReading | null;
  providerAttempts: ProviderAttempt[];
  appVersion: string;
  /** The memory plan the job recorded when it last started; null before it started and for older runs. */
  plan: RunPlan | null;
  results: RunResults | null;
  log: { at: string; line: string }[];
}

export interface RunProgress {
  runId: string;
  status: RunStatus;
  done: number;
  total: number;
  samplesPerSecond: number | null;
  etaSeconds: number | null;
  provider: string | null;
  stage: string;
  /** The batch in flight: its samples and the fraction of its attack steps done, so that a run of one batch moves too; null between batches. */
  batch: { samples: number; fraction: number } | null;
}

export interface RunSampleRow {
  position: number;
  index: number;
  label: number;
  pred: number;
  correct: boolean;
  logitMargin: number;
  featureMarginLinf: number | null;
  featureMarginL2: number | null;
  /** Null when no margin attack ran, or none found an adversarial example (see marginFound). */
  inputMargin: number | null;
  marginFound: boolean | null;
  bestAttack: AttackName | null;
  advLinf: number | null;
  advL2: number | null;
  advL1: number | null;
}

/** One sample in the explorer: the original, its best verified adversarial, and both predictions. */
export interface SampleExplorerItem {
  row: RunSampleRow;
  original: string;
  /** PNG data URLs; null when no adversarial example was found. */
  adversarial: string | null;
  /** The perturbation, amplified to the full grey range around mid-grey. */
  perturbation: string | null;
  amplification: number | null;
  logits: number[];
  adversarialLogits: number[] | null;
  adversarialPred: number | null;
  classNames: string[] | null;
}

/** Which samples a table shows: all, those with a verified margin, those censored, or margins at most `maxInputMargin`. */
export const sampleFilters = ['all', 'found', 'censored', 'wrong'] as const;
export type SampleFilter = (typeof sampleFilters)[number];

export const sampleSortKeys = ['position', 'index', 'label', 'pred', 'correct', 'logitMargin', 'featureMarginLinf', 'featureMarginL2', 'inputMargin', 'signedInputMargin'] as const;
export type SampleSortKey = (typeof sampleSortKeys)[number];

// ---------- import sources ----------

/**
 * Where imported files come from. The renderer never names arbitrary paths: in Electron the
 * preload turns dropped or picked File objects into paths (main re-checks them); in the browser
 * the files are uploaded first and referred to by the upload id.
 */
const importSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('paths'), paths: z.array(z.string().min(1).max(4096)).min(1).max(100_000) }),
  z.object({ kind: z.literal('upload'), uploadId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/) }),
]);
export type ImportSource = z.infer<typeof importSource>;

const side = z.number().int().min(1).max(4096);
const fitSize = z.tuple([side, side]);
/** An ImageFit as asked for: crop's resize may be left out (then size / 0.875, the ImageNet convention). */
const imageFitInput = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('strict') }).strict(),
  z.object({ mode: z.literal('crop'), size: fitSize, resize: z.number().int().min(1).max(8192).optional() }).strict(),
  z.object({ mode: z.literal('stretch'), size: fitSize }).strict(),
  z.object({ mode: z.literal('pad'), size: fitSize }).strict(),
]);
export type ImageFitInput = z.infer<typeof imageFitInput>;

// ---------- calls ----------

const id = z.string().regex(/^[a-z]-[0-9a-f]{8,32}$/, 'not a Brink id');
const name = z.string().trim().min(1, 'a name cannot be empty').max(200, 'names are at most 200 characters');
const finite = z.number().finite();
const preprocessing = z.object({
  valueRange: z.tuple([finite, finite]).refine(([lo, hi]) => hi > lo, 'value range must be increasing'),
  mean: z.array(finite).min(1).max(4),
  std: z.array(finite.positive('std must be positive')).min(1).max(4),
});

/** How to read a model (ModelReading): each field left out stays as it is. */
const readingChange = z
  .object({
    imageInput: z.string().min(1).max(4096).optional(),
    layout: z.enum(['NCHW', 'NHWC']).optional(),
    logits: z.enum(['output', 'before-softmax']).optional(),
  })
  .strict();
export type ReadingChange = z.infer<typeof readingChange>;

const none = z.object({}).strict();

/** A run's name: blank clears it (the run is then shown as "model on dataset"). */
const runName = z
  .string()
  .trim()
  .max(200, 'names are at most 200 characters')
  .transform((value) => value || null);
/** A file name the host may offer in a save dialog or a download: no folders, an extension. */
const fileName = z
  .string()
  .trim()
  .min(1, 'a file name cannot be empty')
  .max(200, 'file names are at most 200 characters')
  .regex(/^[^\\/:*?"<>|]+$/, 'a file name cannot contain / \\ : * ? " < > | or control characters')
  .refine((value) => ![...value].some((c) => c.charCodeAt(0) < 0x20), 'a file name cannot contain / \\ : * ? " < > | or control characters')
  .regex(/^[^.].*\.[A-Za-z0-9]{1,8}$/, 'a file name needs an extension and cannot start with a dot');
/** Saved files travel as base64: at most 48 MiB of text (36 MiB of bytes). */
const MAX_SAVED_BASE64 = 48 * 2 ** 20;

const epsilonValue = z.number().finite().positive('epsilons must be positive').max(1e6);
const attackSettings = z
  .object({
    attacks: z.array(z.enum(attackNames)).min(1, 'choose at least one attack').max(attackNames.length),
    norm: z.enum(['linf', 'l2', 'l1']),
    epsilons: z.array(epsilonValue).max(32),
    iterations: z.number().int().min(1).max(100_000).nullable(),
    restarts: z.number().int().min(1).max(100),
    targeted: z.number().int().min(1).max(1000).nullable(),
    fabUntargeted: z.boolean().optional(),
    seed: z.number().int().nonnegative().max(2 ** 32 - 1),
  })
  .strict();

const runConfig = z
  .object({
    modelId: id,
    datasetId: id,
    subset: z.discriminatedUnion('mode', [
      z.object({ mode: z.literal('all') }),
      z.object({ mode: z.literal('first'), count: z.number().int().positive() }),
      z.object({ mode: z.literal('random'), count: z.number().int().positive(), seed: z.number().int().nonnegative().max(2 ** 32 - 1) }),
    ]),
    batchSize: z.number().int().min(1, 'batch size must be at least 1').max(4096, 'batch size is at most 4096'),
    device: z.enum(['auto', 'cuda', 'webgpu', 'cpu']),
    attack: attackSettings.nullable().default(null),
    memoryGb: z.number().positive('the memory budget must be positive').max(65536).nullable().optional(),
  })
  .strict();


/** Curried so that the result type is named and the argument type is inferred from its validator. */
function call<R>() {
  return <A extends z.ZodType>(args: A) => ({ args, result: undefined as unknown as R });
}

export const calls = {
  'app.info': call<AppInfo>()(none),

  'project.current': call<ProjectInfo | null>()(none),
  /** Null when the user cancels the save dialog. */
  'project.create': call<ProjectInfo | null>()(z.object({ name }).strict()),
  'project.openDialog': call<ProjectInfo | null>()(none),
  'project.openRecent': call<ProjectInfo>()(z.object({ path: z.string().min(1).max(4096) }).strict()),
  'project.openSample': call<ProjectInfo>()(none),
  'project.recent': call<RecentProject[]>()(none),
  'project.rename': call<ProjectInfo>()(z.object({ name }).strict()),
  'project.close': call<null>()(none),

  'model.list': call<ModelSummary[]>()(none),
  'model.get': call<ModelDetail>()(z.object({ id }).strict()),
  /** A file whose SHA-256 is already in the project is not imported (a DuplicateImport says which) unless allowDuplicate. */
  'model.import': call<ModelDetail | DuplicateImport>()(
    z.object({ source: importSource, name: name.optional(), allowDuplicate: z.boolean().optional() }).strict(),
  ),
  /** Giving the preprocessing, changed or not, confirms it. */
  'model.update': call<ModelDetail>()(
    z.object({ id, name: name.optional(), preprocessing: preprocessing.optional(), reading: readingChange.optional() }).strict(),
  ),
  'model.setLabels': call<ModelDetail>()(z.object({ id, source: importSource }).strict()),
  'model.remove': call<null>()(z.object({ id }).strict()),
  /** Classifies a few hundred labelled samples under each common preprocessing convention, in a worker process. */
  'model.probePreprocessing': call<PreprocessingProbe>()(
    z.object({ id, datasetId: id, samples: z.number().int().min(1).max(2000).optional() }).strict(),
  ),
  /** The runs removing the model would remove with it. */
  'model.removalImpact': call<RemovalImpact>()(z.object({ id }).strict()),

  'dataset.list': call<DatasetSummary[]>()(none),
  'dataset.get': call<DatasetDetail>()(z.object({ id }).strict()),
  /** Samples whose SHA-256 is already in the project are not imported (a DuplicateImport says which) unless allowDuplicate. */
  'dataset.import': call<DatasetDetail | DuplicateImport>()(
    z
      .object({
        source: importSource,
        name: name.optional(),
        limit: z.number().int().positive().optional(),
        allowDuplicate: z.boolean().optional(),
        /** Image folders only; strict when left out. */
        fit: imageFitInput.optional(),
      })
      .strict(),
  ),
  /** An image folder's sizes from its file headers, so that a fit can be chosen before import; null for other formats. */
  'dataset.survey': call<ImageFolderSurvey | null>()(z.object({ source: importSource }).strict()),
  'dataset.thumbnails': call<Thumbnail[]>()(
    z.object({ id, offset: z.number().int().nonnegative(), count: z.number().int().min(1).max(256) }).strict(),
  ),
  'dataset.remove': call<null>()(z.object({ id }).strict()),
  /** The runs removing the dataset would remove with it. */
  'dataset.removalImpact': call<RemovalImpact>()(z.object({ id }).strict()),

  /** Problems that would stop a run (shape, channels, classes); empty when it can start. */
  'run.check': call<string[]>()(runConfig),
  /** What the auditor should see before the run starts but that does not stop it (see RunWarning). */
  'run.warnings': call<RunWarning[]>()(runConfig),
  /** The memory plan the run would start with (batch, rows per call, expected peak, FAB's form); null without attacks. */
  'run.plan': call<RunPlan | null>()(runConfig),
  /** Refuses an implausible epsilon unless force (the user confirmed it). */
  'run.start': call<RunSummary>()(runConfig.extend({ force: z.boolean().optional() })),
  'run.list': call<RunSummary[]>()(none),
  'run.get': call<RunDetail>()(z.object({ id }).strict()),
  'run.samples': call<{ total: number; rows: RunSampleRow[] }>()(
    z
      .object({
        id,
        offset: z.number().int().nonnegative(),
        limit: z.number().int().min(1).max(1000),
        sort: z.enum(sampleSortKeys).optional(),
        descending: z.boolean().optional(),
        filter: z.enum(sampleFilters).optional(),
        maxInputMargin: z.number().finite().nonnegative().optional(),
      })
      .strict(),
  ),
  'run.sample': call<SampleExplorerItem>()(z.object({ id, position: z.number().int().nonnegative() }).strict()),
  'run.cancel': call<RunSummary>()(z.object({ id }).strict()),
  'run.pause': call<RunSummary>()(z.object({ id }).strict()),
  'run.resume': call<RunSummary>()(z.object({ id }).strict()),
  'run.remove': call<null>()(z.object({ id }).strict()),
  /** Names or annotates a run; a blank name clears it. */
  'run.update': call<RunSummary>()(
    z.object({ id, name: runName.optional(), notes: z.string().max(10_000, 'notes are at most 10,000 characters').optional() }).strict(),
  ),
  /** Saves a run's per-sample results (csv, json) or its adversarial examples (npy) through the host; null when the user cancels. */
  'run.export': call<SavedFile | null>()(z.object({ id, format: z.enum(runExportFormats) }).strict()),
  /** Saves bytes made in the page (a chart, a table, an image) through the host: the desktop app's save dialog; null when cancelled. */
  'file.save': call<SavedFile | null>()(
    z.object({ name: fileName, data: z.base64('data must be base64').max(MAX_SAVED_BASE64, 'the file is too large to save this way (36 MiB at most)') }).strict(),
  ),
  /** The run's analysis; epsilons default to the run's plus the norm's grid, withForward names a forward run of the same model. */
  'run.analysis': call<RunAnalysis>()(
    z
      .object({
        id,
        epsilons: z.array(epsilonValue).min(1).max(32).optional(),
        withForward: id.optional(),
        tprTarget: z.number().gt(0).lt(1).optional(),
        /** Every curve point and threshold (exports), instead of at most 500 for display. */
        fullCurves: z.boolean().optional(),
        /** Every statistic over the correctly classified samples only. */
        correctOnly: z.boolean().optional(),
      })
      .strict(),
  ),
  /** The run's evaluation-reliability checks, pass / review, from its rows, its model and what the worker recorded. */
  'run.reliability': call<ReliabilityCheck[]>()(z.object({ id }).strict()),
};

export type CallName = keyof typeof calls;
export type CallArgs<K extends CallName> = z.input<(typeof calls)[K]['args']>;
export type CallResult<K extends CallName> = (typeof calls)[K]['result'];
/** Arguments after validation (defaults applied, strings trimmed). */
export type ValidArgs<K extends CallName> = z.output<(typeof calls)[K]['args']>;

export function isCallName(value: unknown): value is CallName {
  return typeof value === 'string' && Object.hasOwn(calls, value);
}

/** Validates a call's name and arguments; throws a ContractError with a one-line reason. */
export function parseCall<K extends CallName>(method: unknown, args: unknown): { method: K; args: ValidArgs<K> } {
  if (!isCallName(method)) throw new ContractError(`unknown call ${JSON.stringify(method)}`);
  const parsed = calls[method].args.safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new ContractError(`${method}: ${where}${issue.message}`);
  }
  return { method: method as K, args: parsed.data as ValidArgs<K> };
}

export class ContractError extends Error {
  override name = 'ContractError';
}

// ---------- events ----------

export interface Events {
  'project.changed': ProjectInfo | null;
  'models.changed': null;
  'datasets.changed': null;
  'runs.changed': null;
  'run.progress': RunProgress;
  'run.log': { runId: string; at: string; line: string };
}
export type EventName = keyof Events;
export const eventNames: EventName[] = ['project.changed', 'models.changed', 'datasets.changed', 'runs.changed', 'run.progress', 'run.log'];

// ---------- the object the renderer sees as window.brink ----------

export interface BrinkApi {
  invoke<K extends CallName>(method: K, args: CallArgs<K>): Promise<CallResult<K>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
  /**
   * Turns files the user dropped or picked into an import source: in Electron their paths
   * (read by the preload, never by page script), in the browser an upload.
   * Folder picks keep their structure (File.webkitRelativePath).
   */
  stageFiles(files: File[]): Promise<ImportSource>;
}

/** An error as it crosses a transport: a message a user can read, and a kind for tests and logs. */
export interface WireError {
  kind: 'user' | 'contract' | 'internal';
  message: string;
}
