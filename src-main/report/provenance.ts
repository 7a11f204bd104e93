/** Appendix A's facts: who the model, data and run are, the command that reproduces the run, and the machine the report was made on. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, platform, release } from 'node:os';
import type { DatasetDetail, ModelDetail, RunConfig, RunDetail } from '../../src-preload/contract.js';
import { formatEpsilon } from '../../src-preload/epsilon.js';
import type { DatasetIdentity, ModelIdentity, ReportEnvironment, RunIdentity } from './report-data.js';

/** JSON with object keys sorted at every level, so that equal settings print (and hash) the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export function modelIdentity(m: ModelDetail, reading: RunDetail['reading']): ModelIdentity {
  return {
    id: m.id,
    name: m.name,
    fileName: m.fileName,
    sha256: m.sha256,
    byteSize: m.byteSize,
    irVersion: m.irVersion,
    opsets: m.opsets,
    producer: m.producer,
    inputs: m.inputs.map((i) => ({ name: i.name, shape: i.shape })),
    nodeCount: m.nodeCount,
    parameterCount: m.parameterCount,
    classCount: m.classCount,
    preprocessing: m.preprocessing,
    preprocessingConfirmed: m.preprocessingConfirmed,
    reading: reading ?? m.reading,
    head: m.analysis?.head ? { classes: m.analysis.head.classes, features: m.analysis.head.features } : null,
    headReason: m.analysis ? m.analysis.headReason : 'the model waits to be analysed',
    zeroGradientOps: m.analysis ? m.analysis.zeroGradientOps.map((o) => ({ op: o.op, nodes: o.nodes.length })) : null,
    unsupportedOps: m.analysis?.unsupported.map((u) => u.op) ?? [],
  };
}

export function datasetIdentity(d: DatasetDetail): DatasetIdentity {
  return {
    id: d.id,
    name: d.name,
    format: d.format,
    sourceName: d.sourceName,
    sha256: d.sha256,
    count: d.count,
    shape: d.shape,
    dtype: d.dtype,
    classNames: d.classNames,
    classCounts: d.classCounts,
    fit: d.fit,
  };
}

/** `brink audit` with the run's settings: the same model and data in a project give the same run. */
export function auditCommand(config: RunConfig, projectFile: string): string {
  const parts = ['brink audit', JSON.stringify(projectFile), `--model ${config.modelId}`, `--dataset ${config.datasetId}`];
  if (config.subset.mode === 'first') parts.push(`--limit ${config.subset.count}`);
  if (config.subset.mode === 'random') parts.push(`--random ${config.subset.count} --seed ${config.subset.seed}`);
  parts.push(`--batch ${config.batchSize}`, `--device ${config.device}`);
  const a = config.attack;
  if (a) {
    parts.push(`--attack ${a.attacks.join(',')}`, `--norm ${a.norm}`);
    if (a.epsilons.length) parts.push(`--eps ${a.epsilons.map(formatEpsilon).join(',')}`);
    if (a.iterations !== null) parts.push(`--iters ${a.iterations}`);
    parts.push(`--restarts ${a.restarts}`);
    if (a.targeted !== null) parts.push(`--targeted ${a.targeted}`);
    if (a.fabUntargeted) parts.push('--untargeted');
  }
  if (config.memoryGb) parts.push(`--memory ${config.memoryGb}`);
  return parts.join(' ');
}

export function runIdentity(r: RunDetail, projectFile: string): RunIdentity {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    status: r.status,
    config: r.config,
    configJson: canonicalJson(r.config),
    preprocessing: r.preprocessing,
    appVersion: r.appVersion,
    provider: r.provider,
    providerAttempts: r.providerAttempts,
    plan: r.plan,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    activeMs: r.activeMs,
    sampleCount: r.sampleCount,
    doneCount: r.doneCount,
    notes: r.notes,
    command: auditCommand(r.config, projectFile),
  };
}

function onnxruntimeVersion(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

export function reportEnvironment(brinkVersion: string, printer: string | null): ReportEnvironment {
  const cores = cpus();
  return {
    brinkVersion,
    onnxruntimeVersion: onnxruntimeVersion(),
    nodeVersion: process.versions.node,
    os: `${platform()} ${release()} ${arch()}`,
    cpu: cores.length ? `${cores[0].model.trim()} × ${cores.length}` : 'unknown',
    printer,
  };
}
