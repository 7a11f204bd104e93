/**
 * Where each node of a session ran, from onnxruntime's profile (SessionOptions.enableProfiling:
 * one JSON array of trace events; every kernel run is a 'Node' event whose args name its
 * provider and op). A GPU session can still run nodes on the CPU (ops without a kernel there,
 * shape arithmetic onnxruntime keeps on the CPU on purpose), and each such node costs copies.
 */
import type { Provider } from '../../src-main/engine/runtime/providers.js';

const ORT_NAMES: Record<Provider, string> = { cpu: 'CPUExecutionProvider', cuda: 'CUDAExecutionProvider', webgpu: 'WebGpuExecutionProvider' };

export interface Placement {
  /** Distinct nodes per onnxruntime provider name. */
  nodesByProvider: Record<string, number>;
  /** Op types of the nodes that ran outside the session's provider, with their counts. */
  elsewhere: Record<string, number>;
}

interface NodeEvent {
  cat?: unknown;
  name?: unknown;
  args?: { provider?: unknown; op_name?: unknown };
}

/** Counts each profiled node once (a profile holds one event per run of a node). */
export function nodePlacement(events: readonly unknown[], provider: Provider): Placement {
  const seen = new Map<string, { provider: string; op: string }>();
  for (const raw of events) {
    const e = raw as NodeEvent;
    if (e.cat !== 'Node' || typeof e.name !== 'string' || typeof e.args?.provider !== 'string') continue;
    const node = e.name.replace(/_kernel_time$/, '');
    if (node === e.name) continue;
    seen.set(node, { provider: e.args.provider, op: typeof e.args.op_name === 'string' ? e.args.op_name : '?' });
  }
  const nodesByProvider: Record<string, number> = {};
  const elsewhere: Record<string, number> = {};
  for (const { provider: p, op } of seen.values()) {
    nodesByProvider[p] = (nodesByProvider[p] ?? 0) + 1;
    if (p !== ORT_NAMES[provider]) elsewhere[op] = (elsewhere[op] ?? 0) + 1;
  }
  return { nodesByProvider, elsewhere };
}

/** "CUDA 180, CPU 3 (Shape 2, Gather 1)": nodes per provider, then the ops outside the session's own. */
export function placementText(placement: Placement): string {
  const short = (name: string) => name.replace(/ExecutionProvider$/, '');
  const counts = Object.entries(placement.nodesByProvider)
    .sort((a, b) => b[1] - a[1])
    .map(([p, n]) => `${short(p)} ${n}`)
    .join(', ');
  const ops = Object.entries(placement.elsewhere)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([op, n]) => `${op} ${n}`);
  return ops.length > 0 ? `${counts} (elsewhere: ${ops.join(', ')})` : counts || 'no nodes profiled';
}
