import type { DatasetDetail, Dim, ModelDetail } from '../../src-preload/contract.js';

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
    `  ${describeAnalysis(m)}`,
    `  sha256 ${m.sha256}`,
  ].join('\n');
}

function describeAnalysis(m: ModelDetail): string {
  const a = m.analysis;
  if (!a) return 'not analysed yet';
  const gradients = a.differentiable
    ? 'differentiable'
    : `not differentiable (no gradient rule for ${a.unsupported.map((u) => `${u.op}: ${u.nodes.join(', ')}`).join('; ')})`;
  const head = a.head ? `linear head ${a.head.features} -> ${a.head.classes} (features: ${a.head.featuresTensor})` : `no linear head (${a.headReason})`;
  return `${gradients}; ${head}`;
}

export function describeDataset(d: DatasetDetail): string {
  const names = d.classNames;
  const counts = d.classCounts.map((n, i) => `${names?.[i] ?? i}: ${n}`).join(', ');
  const lines = [
    `${d.id}  ${d.name}  (${d.format}, ${d.count} samples of ${d.shape.join('×')} ${d.dtype})`,
    `  classes: ${counts}`,
  ];
  if (d.skipped.length) lines.push(`  skipped ${d.skipped.length} file(s): ${d.skipped.map((s) => `${s.file} (${s.reason})`).join('; ')}`);
  return lines.join('\n');
}
