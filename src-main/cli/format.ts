import type { DatasetDetail, Dim, ModelDetail, ModelReading } from '../../src-preload/contract.js';
import { describeFit } from '../../src-preload/image-fit.js';
import { batchText, imageInputText, layoutText, logitsText } from '../../src-preload/model-reading.js';

export function shape(dims: Dim[] | null): string {
  return dims ? `[${dims.join(', ')}]` : '[?]';
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let unit = 0;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[unit]}`;
}

export function describeModel(m: ModelDetail): string {
  const ops = Object.entries(m.opHistogram)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op}×${n}`)
    .join(' ');
  return [
    `${m.id}  ${m.name}  (${m.fileName}, ${bytes(m.byteSize)})`,
    `  inputs:  ${m.inputs.map((t) => `${t.name} ${t.elemType}${shape(t.shape)}`).join(', ')}`,
    `  outputs: ${m.outputs.map((t) => `${t.name} ${t.elemType}${shape(t.shape)}`).join(', ')}`,
    `  opset ${m.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}; ${m.nodeCount} nodes; ${m.parameterCount.toLocaleString('en-US')} parameters`,
    `  ops: ${ops}`,
    `  ${describePreprocessing(m)}`,
    ...describeReading(m.reading),
    `  ${describeAnalysis(m)}`,
    `  sha256 ${m.sha256}`,
  ].join('\n');
}

function describePreprocessing(m: ModelDetail): string {
  const p = m.preprocessing;
  const values = `[${p.valueRange.join(', ')}], mean ${p.mean.join(',')}, std ${p.std.join(',')}`;
  return m.preprocessingConfirmed ? `preprocessing ${values}` : `preprocessing ${values} (unconfirmed: Brink's default; give --range/--mean/--std, or test the conventions in the app)`;
}

function describeAnalysis(m: ModelDetail): string {
  const a = m.analysis;
  if (!a) return 'not analysed yet';
  const gradients = a.differentiable
    ? 'differentiable'
    : `not differentiable (no gradient rule for ${a.unsupported.map((u) => `${u.op}: ${u.nodes.join(', ')}`).join('; ')})`;
  const head = a.head ? `linear head ${a.head.features} -> ${a.head.classes} (features: ${a.head.featuresTensor})` : `no linear head (${a.headReason})`;
  const zero = (a.zeroGradientOps ?? []).map((z) => `${z.op}: ${z.nodes.join(', ')}`).join('; ');
  const masked = zero ? `; but its gradient is zero almost everywhere (${zero}): attacks cannot be trusted on it` : '';
  return `${gradients}${masked}; ${head}`;
}

/** Where the logits are, how images are fed, the batch axis, and why runs are refused if they are. */
export function describeReading(r: ModelReading): string[] {
  const lines = [`  image input: ${imageInputText(r)}, layout ${layoutText(r)}`, `  logits: ${logitsText(r)}`, `  batch: ${batchText(r)}`];
  if (r.problem) lines.push(`  cannot run: ${r.problem}`);
  return lines;
}

export function describeDataset(d: DatasetDetail): string {
  const names = d.classNames;
  const counts = d.classCounts.map((n, i) => `${names?.[i] ?? i}: ${n}`).join(', ');
  const lines = [
    `${d.id}  ${d.name}  (${d.format}, ${d.count} samples of ${d.shape.join('×')} ${d.dtype})`,
    `  classes: ${counts}`,
  ];
  if (d.fit) lines.push(`  fit: ${describeFit(d.fit)}`);
  if (d.skipped.length) lines.push(`  skipped ${d.skipped.length} file(s): ${d.skipped.map((s) => `${s.file} (${s.reason})`).join('; ')}`);
  return lines.join('\n');
}
