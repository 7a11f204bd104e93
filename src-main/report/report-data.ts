/**
 * The audit report's document model (issue 13; ../shared/REPORT.md section 6). Everything the
 * report prints is in here, taken from the analysis layer (service/run-analysis,
 * run-reliability, run-results) and the project's records; the HTML only lays it out. Written
 * beside the PDF as the sidecar JSON, so it is versioned: bump REPORT_SCHEMA_VERSION when a
 * field changes meaning or goes away.
 */
import type {
  AttackName,
  DatasetFormat,
  Dim,
  ImageFit,
  Leaderboard,
  LeaderboardRow,
  ModelReading,
  Preprocessing,
  ProviderAttempt,
  PseudoMarginSummary,
  ReliabilityCheck,
  ReportSettings,
  RunAnalysis,
  RunConfig,
  RunFamilies,
  RunPlan,
  RunPreprocessing,
} from '../../src-preload/contract.js';

export const REPORT_SCHEMA_VERSION = 3;

/**
 * The report's sections in print order. A section whose data is absent still prints and says
 * why (a forward-only run has no margins); a new kind of section (comparison, issue 14) is a new
 * id here, its data in ReportData, and its renderer in render-sections.ts.
 */
export const sectionIds = [
  'verdict',
  'scope',
  'method',
  'reliability',
  'robust-accuracy',
  'input-margins',
  'consistency',
  'detection',
  'pseudo-margin',
  'families',
  'sample-efficiency',
  'per-class',
  'comparison',
  'galleries',
  'limitations',
  'provenance',
  'tables',
  'glossary',
] as const;
export type SectionId = (typeof sectionIds)[number];

export type VerdictLevel = 'pass' | 'review' | 'fail' | 'not-assessed';

export interface Verdict {
  level: VerdictLevel;
  /** The one sentence page 1 leads with. */
  sentence: string;
  /** The rule that produced the level, with the thresholds in force. */
  rule: string;
  /** Clean accuracy minus robust accuracy at the audit epsilon (a fraction; null when not assessed). */
  drop: number | null;
  reliabilityReviews: number;
}

export interface Kpi {
  label: string;
  value: string;
  /** What the value is over: samples, epsilon, interval. */
  detail: string;
}

export interface ModelIdentity {
  id: string;
  name: string;
  fileName: string;
  sha256: string;
  byteSize: number;
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  inputs: { name: string; shape: Dim[] | null }[];
  nodeCount: number;
  parameterCount: number;
  classCount: number | null;
  preprocessing: Preprocessing;
  preprocessingConfirmed: boolean;
  /** Where the logits are read and how the image input is fed, as the run read them (else the model's reading now). */
  reading: ModelReading;
  /** The detected linear head, or why none was found. */
  head: { classes: number; features: number } | null;
  headReason: string | null;
  zeroGradientOps: { op: string; nodes: number }[] | null;
  unsupportedOps: string[];
}

export interface DatasetIdentity {
  id: string;
  name: string;
  format: DatasetFormat;
  sourceName: string;
  sha256: string;
  count: number;
  shape: [number, number, number];
  dtype: 'uint8' | 'float32';
  classNames: string[] | null;
  classCounts: number[];
  fit: ImageFit | null;
}

export interface RunIdentity {
  id: string;
  name: string | null;
  kind: 'forward-margins' | 'attacks';
  status: string;
  config: RunConfig;
  /** The config as canonical JSON (sorted keys), as printed in the appendix. */
  configJson: string;
  preprocessing: RunPreprocessing | null;
  appVersion: string;
  provider: string | null;
  providerAttempts: ProviderAttempt[];
  plan: RunPlan | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  activeMs: number;
  sampleCount: number;
  doneCount: number;
  notes: string;
  /** The `brink audit` command that makes a run of the same settings. */
  command: string;
}

/** The machine the report was made on (the run records its provider, not its hardware). */
export interface ReportEnvironment {
  brinkVersion: string;
  onnxruntimeVersion: string | null;
  nodeVersion: string;
  os: string;
  cpu: string;
  /** What printed the PDF (another printer gives other bytes); null in a preview where none is found. */
  printer: string | null;
}

export interface GalleryTile {
  position: number;
  index: number;
  label: number;
  labelName: string | null;
  pred: number;
  predName: string | null;
  adversarialPred: number | null;
  adversarialName: string | null;
  /** Softmax confidences of the prediction before and after, from the stored logits. */
  confidence: number;
  adversarialConfidence: number | null;
  inputMargin: number | null;
  logitMargin: number;
  attack: AttackName | null;
  original: string;
  adversarial: string | null;
  perturbation: string | null;
  amplification: number | null;
}

export interface Gallery {
  id: 'brittle-correct' | 'confident-brittle' | 'most-robust';
  title: string;
  /** How the tiles were chosen. */
  rule: string;
  tiles: GalleryTile[];
  /** Why the gallery is empty, when it is. */
  empty: string | null;
}

/** A part of the report that has no data, with the reason, so that the report says it instead of leaving a gap. */
export interface Missing {
  section: SectionId;
  what: string;
  reason: string;
}

export interface ReportData {
  schema: 'brink-report';
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  createdAt: string;
  settings: ReportSettings;
  sections: SectionId[];
  model: ModelIdentity;
  dataset: DatasetIdentity;
  run: RunIdentity;
  /** A forward-margins run of the same model named among the report's runs: Algorithm 1 estimates its robust accuracy. */
  forwardRun: { id: string; samples: number } | null;
  environment: ReportEnvironment;
  verdict: Verdict;
  kpis: Kpi[];
  findings: string[];
  recommendations: string[];
  /** The run's analysis, every number of it, with its compute time left out (it differs between renders). */
  analysis: Omit<RunAnalysis, 'computeMs'>;
  reliability: ReliabilityCheck[];
  galleries: Gallery[];
  /** The model's stored pseudo-margins with their held-out metrics beside the logit margin's, or why there is none. */
  pseudoMargin: { trained: false; reason: string } | { trained: true; networks: ReportPseudoMargin[] };
  /** The run's perturbation-family analysis (service/run-families); null when it measured none. */
  families: RunFamilies | null;
  /** The leaderboard rows of the models audited on the run's samples (service/leaderboard); null when no other model was. */
  comparison: { rows: LeaderboardRow[]; families: Leaderboard['families'] } | null;
  limitations: string[];
  missing: Missing[];
  /** The per-sample CSV beside the PDF; null in a preview, which writes no files. */
  samplesCsv: { fileName: string; sha256: string; rows: number } | null;
}

/** A stored pseudo-margin as the report shows it: its provenance and held-out figures. */
export interface ReportPseudoMargin {
  id: string;
  runId: string;
  input: PseudoMarginSummary['input'];
  variant: PseudoMarginSummary['variant'];
  seed: number;
  samples: number;
  pseudoMargin: { kendallTau: number | null; auroc: number | null; aupr: number | null; fprAt95Tpr: number | null };
  logitMargin: { kendallTau: number | null; auroc: number | null; aupr: number | null; fprAt95Tpr: number | null };
  verdict: string;
}
