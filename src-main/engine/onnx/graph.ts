/**
 * An editable, lossless view of an ONNX model (read and written by codec.ts): the parts Brink
 * edits are plain objects; everything else rides along as the original bytes.
 *
 * Editing contract: change these objects freely (rename inputs, add nodes, replace attributes).
 * An object that is unchanged is written back byte for byte; a changed one is re-encoded with
 * the fields the IR does not model (doc strings, metadata, newer fields) kept as they were.
 */
import { oneLine } from './errors.js';
import { floatTensor, int64Tensor } from './tensor.js';
import { readFields, text, type Field } from './wire.js';

/** A dimension: a size, a symbolic name such as 'batch', or '?' when the model does not say. */
export type Dim = number | string;

/** TensorProto.DataType codes Brink builds tensors with. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

export interface Tensor {
  name: string;
  /** TensorProto.DataType. */
  dataType: number;
  dims: number[];
  /**
   * Element bytes, little-endian. Read from raw_data this is a view of the model's buffer (never
   * a copy); read from typed fields (float_data, ...) it is converted. null for external data,
   * strings and the 4-bit types, whose fields stay as read.
   */
  data: Uint8Array | null;
  /** external_data entries (location, offset, length, checksum) when the data lives in a file. */
  external: { key: string; value: string }[] | null;
  /**
   * Reads an external tensor's bytes when its file is at hand (set by attachExternalData in
   * external.ts). Never written: `data` stays null, so the model keeps pointing at the file.
   */
  loadExternal?: () => Uint8Array;
}

export type Attribute =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'tensor'; value: Tensor }
  | { name: string; type: 'floats'; value: number[] }
  | { name: string; type: 'ints'; value: number[] }
  | { name: string; type: 'strings'; value: string[] }
  /** A subgraph (If, Loop, Scan bodies), kept as its GraphProto bytes. */
  | { name: string; type: 'graph'; value: Uint8Array }
  | { name: string; type: 'graphs'; value: Uint8Array[] }
  /** Sparse tensors, type protos, tensor lists, function references: kept as read (value is the type code). */
  | { name: string; type: 'other'; value: number };

export interface Node {
  opType: string;
  /** '' for the default ONNX domain. */
  domain: string;
  name: string;
  /** '' marks an omitted optional input or output. */
  inputs: string[];
  outputs: string[];
  attributes: Attribute[];
}

export interface ValueInfo {
  name: string;
  /** TensorProto.DataType of a tensor value; 0 when unknown or not a tensor (sequences, maps). */
  elemType: number;
  /** null when the rank is unknown. */
  shape: Dim[] | null;
}

export interface Graph {
  name: string;
  nodes: Node[];
  /** Graph inputs, initializers included where the exporter listed them (IR < 4). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Tensor[];
  valueInfo: ValueInfo[];
}

export interface Opset {
  /** '' (or 'ai.onnx') is the default domain. */
  domain: string;
  version: number;
}

export interface OnnxModel {
  irVersion: number;
  opsets: Opset[];
  graph: Graph;
}

// ---- attributes -------------------------------------------------------------------------------

export const attr = {
  int: (name: string, value: number): Attribute => ({ name, type: 'int', value }),
  ints: (name: string, value: number[]): Attribute => ({ name, type: 'ints', value }),
  float: (name: string, value: number): Attribute => ({ name, type: 'float', value }),
  floats: (name: string, value: number[]): Attribute => ({ name, type: 'floats', value }),
  string: (name: string, value: string): Attribute => ({ name, type: 'string', value }),
  tensor: (name: string, value: Tensor): Attribute => ({ name, type: 'tensor', value }),
};

function findAttr(node: Node, name: string, type: Attribute['type']): Attribute | undefined {
  const found = node.attributes.find((a) => a.name === name);
  if (found && found.type !== type) throw new Error(`${describeNode(node)}: attribute '${name}' is ${found.type}, expected ${type}`);
  return found;
}

export const getInt = (node: Node, name: string, fallback: number): number => (findAttr(node, name, 'int')?.value as number | undefined) ?? fallback;
export const getFloat = (node: Node, name: string, fallback: number): number => (findAttr(node, name, 'float')?.value as number | undefined) ?? fallback;
export const getString = (node: Node, name: string, fallback: string): string => (findAttr(node, name, 'string')?.value as string | undefined) ?? fallback;
export const getInts = (node: Node, name: string): number[] | undefined => findAttr(node, name, 'ints')?.value as number[] | undefined;
export const getTensor = (node: Node, name: string): Tensor | undefined => findAttr(node, name, 'tensor')?.value as Tensor | undefined;

/** "Conv 'conv1'" (or "Conv #3" when unnamed): how errors name a node. */
export function describeNode(node: Node, index?: number): string {
  const op = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}::${node.opType}` : node.opType;
  const id = node.name ? `'${oneLine(node.name)}'` : index !== undefined ? `#${index}` : `producing '${oneLine(node.outputs[0] ?? '')}'`;
  return `${oneLine(op)} ${id}`;
}

// ---- model-level queries ------------------------------------------------------------------------

export const isDefaultDomain = (domain: string): boolean => domain === '' || domain === 'ai.onnx';

/** The opset the model imports for a domain (the default domain unless named), or null. */
export function opsetVersion(model: OnnxModel, domain = ''): number | null {
  const found = model.opsets.find((o) => (isDefaultDomain(domain) ? isDefaultDomain(o.domain) : o.domain === domain));
  return found ? found.version : null;
}

/** Graph inputs that are not initializers: what a caller feeds. */
export function feedInputs(graph: Graph): ValueInfo[] {
  const init = new Set(graph.initializers.map((t) => t.name));
  return graph.inputs.filter((v) => !init.has(v.name));
}

/** Every value name the graph defines or uses. */
export function valueNames(graph: Graph): Set<string> {
  const names = new Set<string>();
  for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo, ...graph.initializers]) names.add(v.name);
  for (const n of graph.nodes) for (const v of [...n.inputs, ...n.outputs, ...implicitInputs(n)]) if (v) names.add(v);
  return names;
}

/** A name not yet in `taken`, built from `hint`; adds it to `taken`. */
export function freshName(taken: Set<string>, hint: string): string {
  let name = hint;
  for (let i = 1; taken.has(name); i++) name = `${hint}_${i}`;
  taken.add(name);
  return name;
}

export function producers(graph: Graph): Map<string, Node> {
  const map = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) map.set(o, n);
  return map;
}

/** value -> nodes that read it (subgraph bodies' outer-scope reads count for the node holding them). */
export function consumers(graph: Graph): Map<string, Node[]> {
  const map = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const v of new Set([...n.inputs, ...implicitInputs(n)])) {
      if (!v) continue;
      const list = map.get(v);
      if (list) list.push(n);
      else map.set(v, [n]);
    }
  }
  return map;
}

/**
 * The nodes in an order where every value is produced before it is read. Stable: among the
 * nodes ready to go, the earliest in the file goes first, so a sorted graph keeps its order.
 */
export function topologicalOrder(graph: Graph): Node[] {
  const nodes = graph.nodes;
  const made = producers(graph);
  const waiting = nodes.map((n) => new Set([...n.inputs, ...implicitInputs(n)].filter((v) => v && made.has(v) && !n.outputs.includes(v))).size);
  const readers = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const v of new Set([...n.inputs, ...implicitInputs(n)])) {
      if (!v || !made.has(v) || n.outputs.includes(v)) continue;
      const list = readers.get(v);
      if (list) list.push(i);
      else readers.set(v, [i]);
    }
  });
  const ready = new MinHeap();
  waiting.forEach((w, i) => w === 0 && ready.push(i));
  const order: Node[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(nodes[i]);
    for (const o of new Set(nodes[i].outputs)) {
      for (const j of readers.get(o) ?? []) if (--waiting[j] === 0) ready.push(j);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.findIndex((_, i) => waiting[i] > 0);
    throw new Error(`the graph has a cycle (through ${describeNode(nodes[stuck], stuck)})`);
  }
  return order;
}

class MinHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

// Ops whose output changes between runs although they read no input.
const RANDOM_OPS = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** Values that do not depend on any fed input: initializers, Constant outputs and what is computed from them alone. */
export function constantValues(graph: Graph): Set<string> {
  const constant = new Set(graph.initializers.map((t) => t.name));
  const fed = new Set(feedInputs(graph).map((v) => v.name));
  for (const n of topologicalOrder(graph)) {
    if (!isDefaultDomain(n.domain) || RANDOM_OPS.has(n.opType)) continue;
    const reads = [...n.inputs, ...implicitInputs(n)].filter((v) => v);
    if (reads.every((v) => constant.has(v) && !fed.has(v))) for (const o of n.outputs) if (o) constant.add(o);
  }
  for (const v of fed) constant.delete(v);
  return constant;
}

/** The tensor behind a value that is an initializer or a Constant node's output (through Identity), else null. */
export function constantTensor(graph: Graph, name: string): Tensor | null {
  const init = graph.initializers.find((t) => t.name === name);
  if (init) return feedInputs(graph).some((v) => v.name === name) ? null : init;
  const node = graph.nodes.find((n) => n.outputs[0] === name);
  if (!node || !isDefaultDomain(node.domain)) return null;
  if (node.opType === 'Identity') return constantTensor(graph, node.inputs[0]);
  if (node.opType !== 'Constant') return null;
  const t = getTensor(node, 'value');
  if (t) return t;
  const f = node.attributes.find((a) => a.name === 'value_float' || a.name === 'value_floats');
  if (f && (f.type === 'float' || f.type === 'floats')) {
    const values = f.type === 'float' ? [f.value] : f.value;
    return floatTensor(name, f.type === 'float' ? [] : [values.length], values);
  }
  const i = node.attributes.find((a) => a.name === 'value_int' || a.name === 'value_ints');
  if (i && (i.type === 'int' || i.type === 'ints')) {
    const values = i.type === 'int' ? [i.value] : i.value;
    return int64Tensor(name, i.type === 'int' ? [] : [values.length], values);
  }
  return null;
}

// ---- subgraphs ----------------------------------------------------------------------------------


const implicitCache = new WeakMap<Uint8Array, string[]>();

/** Outer-scope values that a node's subgraph attributes (If/Loop/Scan bodies) read. */
export function implicitInputs(node: Node): string[] {
  const found: string[] = [];
  for (const a of node.attributes) {
    if (a.type === 'graph') found.push(...freeValues(a.value, 0));
    else if (a.type === 'graphs') for (const g of a.value) found.push(...freeValues(g, 0));
  }
  return [...new Set(found)];
}

function freeValues(graphBytes: Uint8Array, depth: number): string[] {
  const cached = implicitCache.get(graphBytes);
  if (cached) return cached;
  if (depth > 64) throw new Error('subgraphs nested more than 64 deep');
  const defined = new Set<string>();
  const used = new Set<string>();
  const nameOf = (msg: Uint8Array, field: number) => text(readFields(msg).find((f) => f.number === field)?.value ?? new Uint8Array());
  for (const f of readFields(graphBytes)) {
    if (f.number === 11) defined.add(nameOf(f.value, 1));
    else if (f.number === 5) defined.add(nameOf(f.value, 8));
    else if (f.number === 1) {
      for (const nf of readFields(f.value)) {
        if (nf.number === 1) used.add(text(nf.value));
        else if (nf.number === 2) defined.add(text(nf.value));
        else if (nf.number === 5) for (const g of subgraphsOf(nf)) for (const v of freeValues(g, depth + 1)) used.add(v);
      }
    }
  }
  const free = [...used].filter((v) => v && !defined.has(v));
  implicitCache.set(graphBytes, free);
  return free;
}

function subgraphsOf(attributeField: Field): Uint8Array[] {
  return readFields(attributeField.value)
    .filter((f) => f.number === 6 || f.number === 11)
    .map((f) => f.value);
}
