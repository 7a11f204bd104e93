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
  /** False for images without labels: no accuracy, and margins measured from the prediction only. */
  labeled: boolean;
  createdAt: string;
}

export interface DatasetDetail extends DatasetSummary {
  sourceName: string;
  sha256: string;
  dtype: 'uint8' | 'float32';
  classNames: string[] | null;
  /** Empty for an unlabeled dataset. */
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
  /** 0 for a flat folder of unlabeled images. */
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

// ---------- pseudo-margins (issue 12) ----------

/** What a pseudo-margin network reads: the logits (the authors' code) or the penultimate features (the paper's text). */
export const pseudoMarginInputs = ['logits', 'features'] as const;
export type PseudoMarginInput = (typeof pseudoMarginInputs)[number];
/** 'both' trains on each and keeps the one with the better held-out tau. */
export type PseudoMarginInputChoice = PseudoMarginInput | 'both';
/** 'code': four Linear layers of 512 as the authors' modeling.py; 'paper': five dense layers of 512 with ReLU, as the text says. */
export const pseudoMarginVariants = ['code', 'paper'] as const;
export type PseudoMarginVariant = (typeof pseudoMarginVariants)[number];

/** How a pseudo-margin was trained, recorded with it. */
export interface PseudoMarginSettings {
  input: PseudoMarginInputChoice;
  variant: PseudoMarginVariant;
  seed: number;
  epochs: number;
  width: number;
  learningRate: number;
  validationShare: number;
  /** The network regresses sqrt(d_in / marginBound): 1 in l_inf (the authors' sqrt(d_in)), the pixel box's diameter in l2 and l1. */
  marginBound: number;
}

/** One score's metrics on the held-out split at the audit epsilon (the paper's Table 2). */
export interface HeldOutScore {
  kendallTau: number | null;
  auroc: number | null;
  aupr: number | null;
  fprAt95Tpr: number | null;
  /** Binned consistency of the score against the verified input margin (Fig. 7). */
  binned: ConsistencyBin[];
  roc: { x: number; y: number }[];
}

export interface PseudoMarginValidation {
  /** Held-out samples, and how many of them were censored (entered at the bound). */
  samples: number;
  censored: number;
  trainingSamples: number;
  epsilon: number;
  norm: AttackNorm;
  positives: number;
  negatives: number;
  pseudoMargin: HeldOutScore;
  logitMargin: HeldOutScore;
  /** Whether the pseudo-margin's held-out tau beats the logit margin's. */
  better: boolean;
  /** One sentence saying so, with both taus; "not better than the logit margin" when it is not. */
  verdict: string;
  finalLoss: number;
  /** With input 'both': the other input's held-out tau, the one not kept. */
  other: { input: PseudoMarginInput; kendallTau: number | null } | null;
}

export interface PseudoMarginSummary {
  id: string;
  modelId: string;
  runId: string;
  input: PseudoMarginInput;
  variant: PseudoMarginVariant;
  seed: number;
  settings: PseudoMarginSettings;
  validation: PseudoMarginValidation;
  createdAt: string;
}

export interface PseudoMarginDetail extends PseudoMarginSummary {
  /** Training loss per epoch (before that epoch's step). */
  losses: number[];
  /** Sample positions of the run held out for validation. */
  validationPositions: number[];
}

export interface PseudoMarginJob {
  jobId: string;
  modelId: string;
  runId: string;
}

export interface PseudoMarginProgress extends PseudoMarginJob {
  status: 'running' | 'done' | 'failed' | 'cancelled';
  /** 'reading features', 'training on logits', ... */
  stage: string;
  epoch: number;
  epochs: number;
  loss: number | null;
  /** The stored pseudo-margin once done. */
  pseudoMarginId: string | null;
  error: string | null;
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

/**
 * Non-adversarial perturbation families (engine/perturb): the eight common corruptions on their
 * own strength scales, rotation (degrees) and translation (pixels).
 */
export const marginFamilyNames = [
  'gaussian-noise',
  'shot-noise',
  'impulse-noise',
  'gaussian-blur',
  'brightness',
  'contrast',
  'jpeg',
  'pixelate',
  'rotation',
  'translation',
] as const;
export type MarginFamilyName = (typeof marginFamilyNames)[number];
export const corruptionFamilies: readonly MarginFamilyName[] = marginFamilyNames.slice(0, 8);
export const spatialFamilies: readonly MarginFamilyName[] = ['rotation', 'translation'];

/** A run's perturbation families: each gives every sample a margin, the smallest strength that changes its prediction. */
export interface PerturbationSettings {
  families: MarginFamilyName[];
  /** Seeds the noise corruptions' per-sample fields. */
  seed: number;
}

/** One sample's margin in one perturbation family, as the worker stores it. */
export interface FamilyMargin {
  family: MarginFamilyName;
  /** The smallest strength found that changes the prediction; null: censored (none within the family's range). */
  strength: number | null;
  /** The largest strength seen to keep the prediction, below the found one. */
  below: number;
  /** The changed prediction at `strength`. */
  prediction: number | null;
  /** The family's direction that gave the margin (rotation: 0 counter-clockwise, 1 clockwise; translation: one of eight). */
  direction: number | null;
  /** Predictions at the benchmark's five severities, mildest first; null for the spatial families. */
  severityPredictions: number[] | null;
}

/** What a run's perturbation families say (service/run-families), one entry per family measured. */
export interface FamilyAnalysis {
  family: MarginFamilyName;
  title: string;
  /** The unit of the family's own parameter: "sigma", "JPEG quality", "degrees"... */
  parameter: string;
  samples: number;
  found: number;
  /** No strength within the family's range changed the prediction. */
  censored: number;
  /** Median margin over every sample (censored ones above every found one), on the strength scale and the parameter; null when over half are censored. */
  medianStrength: number | null;
  medianParameter: number | null;
  /** Kendall tau-b of the logit margin with the family margin (censored tied above every found one); null when either is constant. */
  kendallTau: number | null;
  /** The logit margin as a detector of "changed by the family at or below its threshold". */
  detection: {
    threshold: number;
    thresholdParameter: number;
    /** Why this threshold: the middle severity, or the usual augmentation range. */
    rule: string;
    positives: number;
    negatives: number;
    auroc: number | null;
    fprAt95Tpr: number | null;
  };
  /** Accuracy under the corruption at the benchmark's five severities; null for the spatial families and on an unlabeled dataset. */
  severities: { severity: number; parameter: number; accuracy: number }[] | null;
  /**
   * Robust accuracy against strength: correct and not changed at or below it; on an unlabeled
   * dataset the share of samples not changed (there is no accuracy to keep).
   */
  curve: { strength: number; parameter: number; robustAccuracy: number }[];
}

export interface RunFamilies {
  /** False on an unlabeled dataset: accuracies are null and the curves count unchanged predictions. */
  labeled: boolean;
  cleanAccuracy: number | null;
  /** Which benchmark's severities the image size is compared with. */
  severityTable: 'CIFAR-10-C' | 'ImageNet-C';
  families: FamilyAnalysis[];
  /** Mean accuracy over the corruptions and their five severities; null without corruptions. */
  meanCorruptionAccuracy: number | null;
}

/**
 * The Lipschitz estimate of each sample's margin (engine/margins/lipschitz; Wu and Yu eq. 16): an
 * estimate, not a certificate. Runs with or without attacks; with attacks, in their norm.
 */
export interface LipschitzSettings {
  norm: AttackNorm;
  /** The ball's radius r in [0,1] pixel units; also the cap on the estimate. */
  radius: number;
  /** Random points per sample in the ball (the sample itself is one more). */
  samples: number;
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
  /** Null or absent: no perturbation families. */
  perturbations?: PerturbationSettings | null;
  /** Null or absent: no Lipschitz estimate. */
  lipschitz?: LipschitzSettings | null;
  /** The job's memory budget in GB (10^9 bytes); null or absent: a safe share of the free memory when the job starts. */
  memoryGb?: number | null;
}

/** A checkpoint series: checkpoints of one model (each a model of the project) in training order. */
export interface SeriesSummary {
  id: string;
  name: string;
  createdAt: string;
  checkpoints: { modelId: string; name: string }[];
}

/** One checkpoint of a series against one dataset: its newest series run and Wu & Yu's margin statistics. */
export interface SeriesCheckpoint {
  modelId: string;
  modelName: string;
  /** The newest run queued for this checkpoint by the series on the dataset; null when none. */
  run: RunSummary | null;
  /** What d is: the verified attack input margin, or the Lipschitz estimate when no margin attack ran; null without either. */
  marginSource: 'attack' | 'lipschitz' | null;
  norm: AttackNorm | null;
  evaluated: number;
  accuracy: number | null;
  /** Smallest signed margin (+d correct, -d wrong); null without margins. */
  minimumMargin: number | null;
  /** Mean of |signed margin|; null without margins. */
  averageMargin: number | null;
  /** Samples without a finite d (no adversarial within the budget), left out of both. */
  censored: number;
  /** Signed margins, on bins shared by every checkpoint of the series. */
  histogram: Histogram;
}

export interface SeriesAnalysis {
  series: SeriesSummary;
  /** The dataset the checkpoints are compared on: the one asked for, else that of the newest series run; null before any run. */
  dataset: { id: string; name: string } | null;
  /** Datasets the series has runs on. */
  datasets: { id: string; name: string }[];
  checkpoints: SeriesCheckpoint[];
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
  /** The CUDA attempt that ran: whether TF32 math was allowed (BRINK_ALLOW_TF32=1), off otherwise; absent for older runs and other providers. */
  tf32?: boolean;
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
  /** The audit group of a run queued with others (run.startMany: one configuration, several models, the same samples); null for a run started alone. */
  auditGroup: string | null;
  /** The threat model, for lists; null for forward margins only. */
  attack: Pick<AttackSettings, 'attacks' | 'norm' | 'epsilons'> | null;
  /** False when the dataset has no labels. */
  labeled: boolean;
  /** Over the samples evaluated so far; null before the first batch, and on an unlabeled dataset. */
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

/** Runs queued by run.startMany: one per model, in the order the models were given, under one audit group. */
export interface AuditGroupStart {
  group: string;
  runs: RunSummary[];
}

/** What removing a model or dataset takes with it: the runs made with it (removed too). */
export interface RemovalImpact {
  runs: RunSummary[];
}

/** Where an exported file went: saved by the desktop app where the user chose, or offered to the browser at a one-time URL. */
export type SavedFile = { kind: 'saved'; path: string } | { kind: 'download'; url: string; name: string };

/**
 * Where a file the project keeps was opened for reading, in place: by the system's viewer in the
 * desktop app, or at a view URL the browser opens in a new tab (with the launch token, as downloads).
 */
export type OpenedFile = { kind: 'opened'; path: string } | { kind: 'view'; url: string; name: string };

/** A screener's threshold: typed in, or calibrated on an analysed run of the model at a target TPR at an epsilon. */
export type ScreenerThreshold =
  | { kind: 'value'; value: number }
  /** epsilon defaults to the run's audit epsilon, tprTarget to the analysis default (0.95). */
  | { kind: 'calibrated'; runId: string; epsilon?: number; tprTarget?: number };

/** A threshold calibrated on a run: its screening operating point (a decision is brittle when its score is at most the threshold). */
/** A screener's operating point: the Screen view's calibration (service/score-calibration). */
export type ScreenerCalibration = ScreeningCalibration;

/** An exported screener: one ONNX model with outputs logits, score and brittle. */
export interface ScreenerExport {
  /** Where the file went; null when the user cancelled the save dialog. */
  file: SavedFile | null;
  fileName: string;
  sha256: string;
  bytes: number;
  modelId: string;
  modelSha256: string;
  score: ScreeningScore['kind'];
  threshold: number;
  calibration: ScreenerCalibration | null;
  /** The ONNX metadata_props written into the file. */
  metadata: { key: string; value: string }[];
}

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
  /** Null on an unlabeled dataset (and robustness is then empty: it needs labels). */
  accuracy: number | null;
  logitMargin: FiveNumbers & { mean: number };
  histogram: { edges: number[]; counts: number[] };
  /** Null when the model has no detected linear head. */
  equidistance: Equidistance | null;
  /** Null for runs without margin attacks. */
  inputMargins: InputMargins | null;
  attacks: AttackStats[];
  robustness: RobustAccuracy[];
  /** Null for runs without the Lipschitz estimate. */
  lipschitz?: LipschitzSummary | null;
}

/** The Lipschitz estimates of a run's samples (an estimate, not a certificate), beside its attack margins. */
export interface LipschitzSummary {
  settings: LipschitzSettings;
  estimated: number;
  /** Estimates at the radius: the boundary was not reached within the ball. */
  capped: number;
  median: number | null;
  min: number | null;
  max: number | null;
  /** Samples with both an estimate and a verified attack margin. */
  bracketed: number;
  /** Of those, the ones whose estimate lies at or below the attack margin, as a lower estimate should. */
  ordered: number;
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
  /**
   * False on an unlabeled dataset: accuracy is null, and robust accuracy, Algorithm 1, per-class
   * results and signed margins (which need labels) are empty; margins, consistency, detection
   * and screening need none (margins are measured from the prediction).
   */
  labeled: boolean;
  correct: number;
  accuracy: number | null;
  /** Samples whose prediction no attack changed within budget: robust at every epsilon, ranked above every found margin. */
  censored: number;
  found: number;
  epsilons: number[];
  /** The epsilon of the KPI strip, the score table and screening: the run's first, else the grid's middle. */
  auditEpsilon: number;
  logitMargin: FiveNumbers & { mean: number; histogram: Histogram };
  /** Over the samples with a verified margin (censored ones left out; see `censored`). */
  inputMargin: (FiveNumbers & { histogram: Histogram }) | null;
  /**
   * The median input margin over every sample, censored ones above every found one, as each
   * perturbation family's median (FamilyAnalysis.medianStrength); null without margin attacks or
   * when half or more are censored.
   */
  medianInputMargin: number | null;
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
  /** The logit margin signed the same way (+d_out correct, -d_out misclassified); null on an unlabeled dataset. */
  signedLogitMargin: SignedMargins | null;
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

// ---------- leaderboard (issue 14; service/leaderboard composes run.analysis and run.families) ----------

/** A column of the leaderboard's heat map: the l_p families come from the minimal-norm attacks, the others from perturbation runs. */
export type LeaderboardFamily = AttackNorm | MarginFamilyName;

/** One model's margin in one family, as the run that measured it analyses it. */
export interface LeaderboardMargin {
  family: LeaderboardFamily;
  title: string;
  runId: string;
  /**
   * Median margin over every sample, censored ones above every found one, on the family's
   * strength scale (larger: more robust; l_p: the distance in [0,1] pixels); null when half or
   * more are censored.
   */
  median: number | null;
  /** The same median in the family's own parameter (`unit`), as the run page shows it. */
  medianParameter: number | null;
  unit: string;
  samples: number;
  found: number;
  censored: number;
  kendallTau: number | null;
  /** The logit margin as a detector of "changed at or below the threshold": the audit epsilon for l_p, the family's threshold otherwise. */
  threshold: number;
  auroc: number | null;
  fprAt95Tpr: number | null;
}

/** The threat model the row's robust accuracy, consistency and detection come from: its l_inf run, else l2, else l1. */
export interface LeaderboardAttack {
  runId: string;
  norm: AttackNorm;
  epsilon: number;
  /** Correct and unbroken by every attack of the run within epsilon; from the margins where the run did not attack at epsilon. */
  robustAccuracy: number | null;
  robustAccuracySource: 'all attacks' | 'margins';
  kendallTau: number | null;
  auroc: number | null;
  fprAt95Tpr: number | null;
  /** Shares of the samples with a verified adversarial example, and with none within budget. */
  verifiedShare: number;
  censoredShare: number;
}

/** Facts read from the ONNX file, as RobustBench lists a model's architecture. */
export interface LeaderboardArchitecture {
  parameters: number;
  nodes: number;
  /** Distinct op types. */
  opTypes: number;
  /** The default (ai.onnx) domain's opset; null when the file does not import it. */
  opset: number | null;
  /** [channels, height, width] as Brink feeds the model; null when unknown. */
  inputSize: Dim[] | null;
}

/**
 * One model on one dataset and subset: its finished runs there merged, the latest for each l_p
 * norm (with a minimal-norm attack) and for each perturbation family, since they evaluate the
 * same samples.
 */
export interface LeaderboardRow {
  /** The comparison (dataset and subset) the row belongs to: rows of one comparison share their samples. */
  comparison: string;
  modelId: string;
  modelName: string;
  modelSha256: string;
  architecture: LeaderboardArchitecture;
  samples: number;
  runs: { id: string; norm: AttackNorm | null; families: MarginFamilyName[]; auditGroup: string | null; activeMs: number }[];
  /** Null on an unlabeled dataset. */
  cleanAccuracy: number | null;
  attack: LeaderboardAttack | null;
  margins: LeaderboardMargin[];
  /** Mean accuracy over the corruptions and their five severities of the run that measured the most corruptions; null without corruptions. */
  meanCorruptionAccuracy: { value: number; corruptions: number; runId: string } | null;
  /** Time the row's runs spent running, summed. */
  runTimeMs: number;
  /** Some run of the row was made with another preprocessing or reading of the model than the model's now. */
  settingsChanged: boolean;
}

export interface LeaderboardComparison {
  key: string;
  datasetId: string;
  datasetName: string;
  subset: Subset;
  models: number;
}

export interface Leaderboard {
  /** Comparisons with the most models first. */
  comparisons: LeaderboardComparison[];
  rows: LeaderboardRow[];
  /** Every family some row measured, in column order: l_inf, l2, l1, then the corruptions and the spatial families. */
  families: { family: LeaderboardFamily; title: string; unit: string }[];
  /** Runs not on the leaderboard because they have not finished. */
  unfinished: number;
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
  /** The Lipschitz estimate of the margin (an estimate, not a certificate; capped at the run's radius); null when the run made none. */
  lipschitzMargin: number | null;
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

export const sampleSortKeys = ['position', 'index', 'label', 'pred', 'correct', 'logitMargin', 'featureMarginLinf', 'featureMarginL2', 'inputMargin', 'signedInputMargin', 'lipschitzMargin'] as const;
export type SampleSortKey = (typeof sampleSortKeys)[number];

// ---------- screening new inputs (issue 12; computed by service/screening) ----------

/**
 * How a screened input is scored (by the Screen view, `brink screen` and an exported screener
 * alike); small scores flag brittle decisions. The logit margin is the analysis layer's
 * (engine/margins); a pseudo-margin names a trained pseudo-margin network stored in the project.
 */
export type ScreeningScore = { kind: 'logit-margin' } | { kind: 'pseudo-margin'; id: string };

/** The threshold as given: typed in, or calibrated on an analysed run (target TPR at an epsilon, as the analysis's screening). */
export type ScreeningThreshold =
  | { kind: 'typed'; value: number }
  | { kind: 'calibrated'; runId: string; epsilon?: number; tprTarget?: number };

/** A threshold calibrated on a run: the analysis layer's screening threshold, with where it came from. */
export interface ScreeningCalibration extends Screening {
  runId: string;
  runName: string;
  norm: AttackNorm;
  /** The run's samples the calibration counted (and how many of them were censored). */
  samples: number;
  censored: number;
}

export interface ScreenedInput {
  index: number;
  /** The file (relative to what was dropped), or `array.npy[i]`, or `dataset[i]`. */
  file: string;
  pred: number;
  /** The model's name for the predicted class; null without class labels. */
  predName: string | null;
  logits: number[];
  score: number;
  brittle: boolean;
}

export interface ScreeningResult {
  /** Names this screening's inputs for thumbnails and for saving them as a dataset, while the service keeps them. */
  id: string;
  modelId: string;
  modelName: string;
  score: ScreeningScore;
  /** Flag an input brittle when its score is at most this. */
  threshold: number;
  /** Null for a typed threshold. */
  calibration: ScreeningCalibration | null;
  /** What was screened: the dataset's name, or the dropped file or folder. */
  source: string;
  /** The stored dataset screened; null for dropped files. */
  datasetId: string | null;
  /** How dropped images were brought to one size; null for arrays and stored datasets. */
  fit: ImageFit | null;
  classes: number;
  inputs: ScreenedInput[];
  brittle: number;
  /** Files passed over while reading (corrupt image, other size). */
  skipped: { file: string; reason: string }[];
  provider: string;
  /** The forward passes alone, and the whole screening (reading and scoring included). */
  forwardMs: number;
  totalMs: number;
}

export interface ScreeningProgress {
  done: number;
  total: number;
  stage: string;
}

/** How screen.run rejects when screen.cancel (or the project closing) stopped it: hosts and views tell a cancel from a failure by it. */
export const SCREENING_CANCELLED = 'screening cancelled: nothing was kept';

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
    perturbations: z
      .object({
        families: z.array(z.enum(marginFamilyNames)).min(1, 'choose at least one perturbation family').max(marginFamilyNames.length),
        seed: z.number().int().nonnegative().max(2 ** 32 - 1),
      })
      .strict()
      .nullable()
      .optional(),
    lipschitz: z
      .object({
        norm: z.enum(['linf', 'l2', 'l1']),
        radius: z.number().finite().positive('the Lipschitz radius must be positive').max(1e6),
        samples: z.number().int().min(1, 'the Lipschitz estimate needs at least one point per sample').max(100_000),
        seed: z.number().int().nonnegative().max(2 ** 32 - 1),
      })
      .strict()
      .nullable()
      .optional(),
    memoryGb: z.number().positive('the memory budget must be positive').max(65536).nullable().optional(),
  })
  .strict();


const screeningScore = z.discriminatedUnion('kind', [z.object({ kind: z.literal('logit-margin') }).strict(), z.object({ kind: z.literal('pseudo-margin'), id }).strict()]);
const screeningThreshold = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('typed'), value: z.number().finite() }).strict(),
  z
    .object({
      kind: z.literal('calibrated'),
      runId: z.string().regex(/^[a-z]-[0-9a-f]{8,32}$/, 'not a Brink id'),
      epsilon: epsilonValue.optional(),
      tprTarget: z.number().gt(0, 'the target TPR is a fraction in (0, 1)').lt(1, 'the target TPR is a fraction in (0, 1)').optional(),
    })
    .strict(),
]);
const screeningInputs = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dataset'), datasetId: id }).strict(),
  z.object({ kind: z.literal('files'), source: importSource, fit: imageFitInput.optional() }).strict(),
]);

const fraction = z.number().finite().min(0).max(1);
/** What report.preview and report.export take: the runs, the cover's words, notes and the verdict's thresholds. */
const reportSettings = z
  .object({
    runIds: z.array(id).min(1, 'choose at least one run').max(16),
    title: z.string().trim().min(1, 'a report needs a title').max(200),
    client: z.string().trim().max(200),
    auditor: z.string().trim().max(200),
    notes: z.string().max(20_000, 'notes are at most 20,000 characters'),
    thresholds: z
      .object({ passDrop: fraction, reviewDrop: fraction, consistentTau: z.number().finite().min(-1).max(1) })
      .strict()
      .refine((t) => t.passDrop <= t.reviewDrop, 'the pass limit on the drop must not exceed the review limit'),
  })
  .strict();

/** Curried so that the result type is named and the argument type is inferred from its validator. */
function call<R>() {
  return <A extends z.ZodType>(args: A) => ({ args, result: undefined as unknown as R });
}

const screenerCalibrationArgs = z
  .object({ modelId: id, runId: id, score: screeningScore.default({ kind: 'logit-margin' }), epsilon: epsilonValue.optional(), tprTarget: z.number().gt(0).lt(1).optional() })
  .strict();

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
  /**
   * One configuration queued against several models on the same samples, as one audit group;
   * refuses them all when any cannot start. group: join an earlier group (same dataset and subset).
   */
  'run.startMany': call<AuditGroupStart>()(
    runConfig
      .omit({ modelId: true })
      .extend({
        modelIds: z
          .array(id)
          .min(1, 'choose at least one model')
          .max(64, 'at most 64 models at once')
          .refine((ids) => new Set(ids).size === ids.length, 'a model is listed twice'),
        force: z.boolean().optional(),
        group: id.optional(),
      })
      .strict(),
  ),
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
  /** Null for a run without perturbation families. */
  'run.families': call<RunFamilies | null>()(z.object({ id }).strict()),

  /** Every model of the project side by side, one row per model, dataset and subset, from their finished runs. */
  'leaderboard.get': call<Leaderboard>()(none),
  'series.list': call<SeriesSummary[]>()(none),
  /**
   * Imports checkpoints as one series: a folder's .onnx files ordered by the number in their names
   * (order 'numbers', the default for a folder) or files in the order given; a checkpoint already
   * in the project (same SHA-256) is reused. Preprocessing and labels apply to every checkpoint.
   */
  'series.add': call<SeriesSummary>()(
    z
      .object({ name, source: importSource, order: z.enum(['numbers', 'given']).optional(), preprocessing: preprocessing.optional(), labels: importSource.optional() })
      .strict(),
  ),
  'series.get': call<SeriesAnalysis>()(z.object({ id, datasetId: id.optional() }).strict()),
  /** Queues one run per checkpoint with one configuration; onlyMissing skips checkpoints that already have a series run with it. */
  'series.run': call<RunSummary[]>()(runConfig.omit({ modelId: true }).extend({ id, onlyMissing: z.boolean().optional(), force: z.boolean().optional() })),
  /** Removes the series, not its checkpoints or their runs. */
  'series.remove': call<null>()(z.object({ id }).strict()),

  /** The operating point a run calibrates a screener at: threshold, TPR and FPR at the epsilon and target TPR. */
  'screener.calibration': call<ScreenerCalibration>()(screenerCalibrationArgs),
  /** Builds the model's screener (classifier + score + threshold, one ONNX file) and saves it through the host; file is null when the user cancels. */
  'screener.export': call<ScreenerExport>()(
    z
      .object({
        modelId: id,
        score: screeningScore,
        threshold: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('value'), value: z.number().finite() }).strict(),
          screenerCalibrationArgs.omit({ modelId: true, score: true }).extend({ kind: z.literal('calibrated') }).strict(),
        ]),
      })
      .strict(),
  ),

  /** One forward pass per input in a worker: prediction, logits, score and brittle flag; progress as screen.progress events. One screening at a time. */
  'screen.run': call<ScreeningResult>()(
    z
      .object({
        modelId: id,
        inputs: screeningInputs,
        score: screeningScore.default({ kind: 'logit-margin' }),
        threshold: screeningThreshold,
        batchSize: z.number().int().min(1).max(4096).optional(),
        device: z.enum(['auto', 'cuda', 'webgpu', 'cpu']).optional(),
      })
      .strict(),
  ),
  /**
   * Stops the screening in flight: its worker ends and screen.run rejects with
   * SCREENING_CANCELLED. False when none was in flight (it had just ended: its result stands).
   */
  'screen.cancel': call<boolean>()(none),
  /** Thumbnails of a screening's inputs, while the service keeps them. */
  'screen.thumbnails': call<Thumbnail[]>()(
    z.object({ id: z.string().regex(/^s-[0-9a-f]{8,32}$/, 'not a screening id'), offset: z.number().int().nonnegative(), count: z.number().int().min(1).max(256) }).strict(),
  ),
  /**
   * Some of a screening's inputs as an unlabeled dataset (each margin is measured from the
   * prediction), to verify their margins with an attack run; the dataset already holding
   * exactly them when there is one.
   */
  'screen.saveDataset': call<DatasetDetail>()(
    z
      .object({
        id: z.string().regex(/^s-[0-9a-f]{8,32}$/, 'not a screening id'),
        indices: z.array(z.number().int().nonnegative()).min(1, 'choose at least one input').max(100_000),
        name: name.optional(),
      })
      .strict(),
  ),

  /** Starts training a pseudo-margin on an analysed run in its own job process; progress comes as 'pseudoMargin.progress'. */
  'pseudoMargin.train': call<PseudoMarginJob>()(
    z
      .object({
        runId: id,
        input: z.enum(['logits', 'features', 'both']).default('both'),
        variant: z.enum(pseudoMarginVariants).default('code'),
        seed: z.number().int().nonnegative().max(2 ** 32 - 1).default(0),
        epochs: z.number().int().min(1, 'train for at least 1 epoch').max(100_000).default(500),
      })
      .strict(),
  ),
  'pseudoMargin.cancel': call<null>()(z.object({ jobId: id }).strict()),
  /** The pseudo-margins of a model, newest first. */
  'pseudoMargin.list': call<PseudoMarginSummary[]>()(z.object({ modelId: id }).strict()),
  'pseudoMargin.get': call<PseudoMarginDetail>()(z.object({ id }).strict()),
  'pseudoMargin.remove': call<null>()(z.object({ id }).strict()),
  /** Trainings in progress (one at a time), so a page opened mid-training shows it. */
  'pseudoMargin.jobs': call<PseudoMarginProgress[]>()(none),

  /** The report's HTML, exactly as it is printed (for the preview). */
  'report.preview': call<string>()(reportSettings),
  /** Renders the report to PDF beside the project (with its sidecar JSON and CSV) and records it; progress as report.progress events. */
  'report.export': call<ReportRecord>()(reportSettings),
  'report.list': call<ReportRecord[]>()(none),
  /** Offers a kept report's PDF (a save dialog in the app, a download in the browser). */
  'report.save': call<SavedFile | null>()(z.object({ id }).strict()),
  /** Opens a kept report's PDF for reading, once its file is found to hash as recorded (the system's viewer in the app, a new tab in the browser). */
  'report.open': call<OpenedFile>()(z.object({ id }).strict()),
  /** Renders a kept report again from its recorded settings and time, and checks that the bytes hash as recorded. */
  'report.reexport': call<ReportRecord>()(z.object({ id }).strict()),
  /** A new report from a kept one's settings over the project as it is now (never overwrites the old one). */
  'report.regenerate': call<ReportRecord>()(z.object({ id }).strict()),
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

// ---------- audit reports (issue 13; built by src-main/report from the analysis layer) ----------

/**
 * The verdict's rules, editable by the auditor. The drop is clean accuracy minus robust accuracy
 * at the audit epsilon, in percentage points (as a fraction): at most passDrop passes, at most
 * reviewDrop asks for review, more fails; any reliability check to review caps the verdict at
 * review. consistentTau: the Kendall tau from which the logit margin is recommended as a
 * brittleness screen.
 */
export interface VerdictThresholds {
  passDrop: number;
  reviewDrop: number;
  consistentTau: number;
}

export const defaultVerdictThresholds: VerdictThresholds = { passDrop: 0.1, reviewDrop: 0.2, consistentTau: 0.5 };

/** What a report describes and how: the runs (the first is the audited one), the cover's words, the auditor's notes (Markdown) and the verdict's thresholds. */
export interface ReportSettings {
  runIds: string[];
  title: string;
  client: string;
  auditor: string;
  notes: string;
  thresholds: VerdictThresholds;
}

/** A report kept in the project: its files, their SHA-256, and what it was made from. */
export interface ReportRecord {
  id: string;
  /** The PDF's file name; the sidecar JSON and the per-sample CSV sit beside it. */
  fileName: string;
  path: string;
  sha256: string;
  pages: number;
  sidecarSha256: string;
  samplesSha256: string;
  settings: ReportSettings;
  /** The report's recorded time: printed on it and written as the PDF's creation and modification dates. */
  createdAt: string;
  /** What printed it (e.g. "Electron 39.2.3 (Chromium 142.0.7444.175)"); another printer gives other bytes. Null for reports made before it was recorded. */
  printer: string | null;
}

export interface ReportProgress {
  stage: 'analysis' | 'samples' | 'html' | 'pdf' | 'done';
  /** 0 to 1. */
  fraction: number;
}

// ---------- events ----------

export interface Events {
  'project.changed': ProjectInfo | null;
  'models.changed': null;
  'datasets.changed': null;
  'runs.changed': null;
  'run.progress': RunProgress;
  'run.log': { runId: string; at: string; line: string };
  'screen.progress': ScreeningProgress;
  'pseudoMargin.progress': PseudoMarginProgress;
  'pseudoMargins.changed': { modelId: string };
  'report.progress': ReportProgress;
}
export type EventName = keyof Events;
export const eventNames: EventName[] = [
  'project.changed',
  'models.changed',
  'datasets.changed',
  'runs.changed',
  'run.progress',
  'run.log',
  'screen.progress',
  'pseudoMargin.progress',
  'pseudoMargins.changed',
  'report.progress',
];

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
