import { OnnxFormatError, oneLine } from './errors.js';
import { elemType, onnx, toSafeInt, type pb } from './proto.js';
import { distinctiveForeignFormat, likelyForeignFormat } from './sniff.js';
import { valueNameProblem } from './value-names.js';

export { OnnxFormatError } from './errors.js';

/** A dimension: a size, a symbolic name such as 'batch', or '?' when unknown. */
export type Dim = number | string;

export interface TensorSpec {
  name: string;
  /** 'float32', 'int64', ...; containers read like 'sequence<float32>'; 'unknown' when absent. */
  elemType: string;
  /** null when the model does not say (unknown rank); [] for a scalar. */
  shape: Dim[] | null;
}

export interface ModelInfo {
  irVersion: number;
  /** The default domain '' is shown as 'ai.onnx'. */
  opsets: { domain: string; version: number }[];
  producer: string;
  graphName: string;
  /** Graph inputs that are not initializers. */
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** op_type -> count, 'domain::Op' outside the default domain; includes If/Loop/Scan bodies. */
  opHistogram: Record<string, number>;
  /** Every node, subgraph bodies included (the sum of opHistogram). */
  nodeCount: number;
  /** Elements of all initializers plus float Constant tensors. */
  parameterCount: number;
  /** Bytes of initializer data, as stored (raw_data, typed fields or external files). */
  initializerBytes: number;
  /** Whether any initializer or attribute tensor keeps its data in an external file. */
  externalData: boolean;
}

// ONNX IR 3 (2017) is the oldest onnxruntime accepts; the newest today is 11, and a bound well
// above it keeps future models while rejecting random bytes that decode to a huge version.
const MIN_IR_VERSION = 3;
const MAX_IR_VERSION = 20;
// Real models nest control flow a few levels deep; a deeper chain is a crafted or corrupt file.
const MAX_SUBGRAPH_DEPTH = 64;
const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL

const CORRUPT = 'truncated or corrupt ONNX protobuf';

/** A reason to reject the model; inspectOnnx turns it into an OnnxFormatError naming the file. */
class Rejection extends Error {}
const corrupt = (detail: string): Rejection => new Rejection(`${CORRUPT} (${detail})`);

/**
 * Reads an ONNX model's metadata and checks that it is a usable classifier graph.
 * Throws only OnnxFormatError, whatever the bytes are.
 */
export function inspectOnnx(bytes: Uint8Array, fileName?: string): ModelInfo {
  try {
    if (!(bytes instanceof Uint8Array)) throw new Rejection('not a byte buffer');
    if (bytes.length === 0) throw new Rejection('empty file');
    const foreign = distinctiveForeignFormat(bytes);
    if (foreign) throw new Rejection(foreign);
    try {
      return summarise(decode(bytes));
    } catch (error) {
      const explained = likelyForeignFormat(bytes);
      throw explained ? new Rejection(explained) : error;
    }
  } catch (error) {
    if (error instanceof Rejection) throw new OnnxFormatError(error.message, fileName);
    // protobufjs throws plain Errors/RangeErrors (and deep nesting a stack overflow): all mean
    // the bytes are not a well-formed model.
    const detail = error instanceof Error ? error.message : String(error);
    throw new OnnxFormatError(`${CORRUPT} (${oneLine(detail)})`, fileName);
  }
}

function decode(bytes: Uint8Array): pb.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw corrupt(oneLine(error instanceof Error ? error.message : String(error)));
  }
}

function summarise(model: pb.ModelProto): ModelInfo {
  const graph = model.graph;
  if (!graph) throw corrupt('no graph');
  if (!graph.node?.length) throw corrupt('the graph has no nodes');
  const tally = new Tally();
  tally.graph(graph, 0);

  const initializerNames = new Set<string>([
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...(graph.sparseInitializer ?? []).map((s) => s.values?.name ?? ''),
  ]);
  // Exporters before IR 4 listed every initializer among the inputs as well.
  const inputs = (graph.input ?? []).filter((v) => !initializerNames.has(v.name ?? '')).map(tensorSpec);
  const outputs = (graph.output ?? []).map(tensorSpec);
  if (inputs.length === 0) throw corrupt('the graph has no inputs besides its initializers');
  if (outputs.length === 0) throw corrupt('the graph has no outputs');
  for (const spec of [...inputs, ...outputs]) checkSampleSize(spec);
  const names = valueNameProblem(graph);
  if (names) throw new Rejection(`the graph breaks ONNX's rules: ${names}`);
  const opsets = (model.opsetImport ?? []).map(opset);
  if (opsets.length === 0) throw corrupt('no opset_import');
  checkDomainsImported(tally.domains, opsets, model);

  return {
    irVersion: irVersion(model.irVersion),
    opsets,
    producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
    graphName: graph.name ?? '',
    inputs,
    outputs,
    opHistogram: Object.fromEntries(tally.ops),
    nodeCount: tally.nodes,
    parameterCount: tally.parameters,
    initializerBytes: tally.bytes,
    externalData: tally.external,
  };
}

/**
 * The most values one sample of an input or output may declare (after the batch axis): 2^28,
 * a gigabyte as float32, far beyond any image classifier (a 4K RGB image has 2^24.6). Brink
 * allocates samples from these shapes, so an absurd one is refused here, before anything is.
 */
export const MAX_SAMPLE_VALUES = 2 ** 28;

function checkSampleSize(spec: TensorSpec): void {
  const fixed = (spec.shape ?? []).slice(1).filter((d): d is number => typeof d === 'number');
  const values = fixed.reduce((a, b) => a * b, 1);
  if (values > MAX_SAMPLE_VALUES) {
    throw new Rejection(`'${oneLine(spec.name)}' declares ${values.toExponential(2)} values per sample (shape [${spec.shape!.join(', ')}]), more than Brink's limit of 2^28`);
  }
}

/** Checked last, so that a well-formed model from an unsupported exporter says so plainly. */
function irVersion(value: pb.ModelProto['irVersion']): number {
  const v = toSafeInt(value);
  if (v === null || v < 1) throw corrupt('no IR version');
  if (v < MIN_IR_VERSION) {
    throw new Rejection(`ONNX IR version ${v} is too old (Brink reads ${MIN_IR_VERSION} and later); re-export the model`);
  }
  if (v > MAX_IR_VERSION) throw corrupt(`IR version ${v} is beyond any ONNX release`);
  return v;
}

/**
 * onnxruntime refuses a node whose domain has no opset_import. Exporters write opset_import
 * last, so this is also what catches a file cut right after one of its opset entries.
 */
function checkDomainsImported(used: Set<string>, opsets: { domain: string }[], model: pb.ModelProto): void {
  const declared = new Set([...opsets.map((o) => o.domain), ...(model.functions ?? []).map((f) => f.domain || 'ai.onnx')]);
  for (const domain of used) {
    if (!declared.has(domain)) throw corrupt(`nodes use domain '${oneLine(domain)}', which opset_import does not declare`);
  }
}

function opset(o: pb.IOperatorSetIdProto): { domain: string; version: number } {
  const domain = o.domain || 'ai.onnx';
  const version = toSafeInt(o.version);
  if (version === null || version < 1) throw corrupt(`opset_import for ${oneLine(domain)} has no valid version`);
  return { domain, version };
}

class Tally {
  // A Map, not an object, because op types come from the file ('__proto__' would be a prototype).
  readonly ops = new Map<string, number>();
  readonly domains = new Set<string>();
  nodes = 0;
  parameters = 0;
  bytes = 0;
  external = false;

  graph(graph: pb.IGraphProto, depth: number): void {
    if (depth > MAX_SUBGRAPH_DEPTH) throw corrupt(`subgraphs nested more than ${MAX_SUBGRAPH_DEPTH} deep`);
    for (const node of graph.node ?? []) this.node(node, depth);
    for (const t of graph.initializer ?? []) {
      const count = elementCount(t, `initializer '${oneLine(t.name ?? '')}'`);
      this.parameters += count;
      this.bytes += storedBytes(t, count, `initializer '${oneLine(t.name ?? '')}'`);
      if (t.dataLocation === EXTERNAL) this.external = true;
    }
    for (const s of graph.sparseInitializer ?? []) {
      const what = `sparse initializer '${oneLine(s.values?.name ?? '')}'`;
      for (const part of [s.values, s.indices]) {
        if (!part) continue;
        const count = elementCount(part, what);
        if (part === s.values) this.parameters += count;
        this.bytes += storedBytes(part, count, what);
        if (part.dataLocation === EXTERNAL) this.external = true;
      }
    }
  }

  private node(node: pb.INodeProto, depth: number): void {
    const opType = node.opType ?? '';
    if (!opType) throw corrupt(`node ${this.nodes + 1}${node.name ? ` '${oneLine(node.name)}'` : ''} has no op_type`);
    const defaultDomain = !node.domain || node.domain === 'ai.onnx';
    const key = defaultDomain ? opType : `${node.domain}::${opType}`;
    this.ops.set(key, (this.ops.get(key) ?? 0) + 1);
    this.domains.add(defaultDomain ? 'ai.onnx' : (node.domain as string));
    this.nodes += 1;
    if (defaultDomain && opType === 'Constant') this.parameters += constantParameters(node);
    for (const attr of node.attribute ?? []) {
      if ([attr.t, ...(attr.tensors ?? [])].some((t) => t?.dataLocation === EXTERNAL)) this.external = true;
      if (attr.g) this.graph(attr.g, depth + 1);
      for (const g of attr.graphs ?? []) this.graph(g, depth + 1);
    }
  }
}

// Only float constants are weights (folded biases, scales); integer ones are shapes and axes.
function constantParameters(node: pb.INodeProto): number {
  let count = 0;
  for (const attr of node.attribute ?? []) {
    if (attr.name === 'value' && attr.t && elemType(attr.t.dataType).float) {
      const what = `Constant '${oneLine(node.name ?? '')}'`;
      const n = elementCount(attr.t, what);
      storedBytes(attr.t, n, what);
      count += n;
    } else if (attr.name === 'value_float') {
      count += 1;
    } else if (attr.name === 'value_floats') {
      count += attr.floats?.length ?? 0;
    }
  }
  return count;
}

function elementCount(t: pb.ITensorProto, what: string): number {
  let count = 1;
  for (const d of t.dims ?? []) {
    const n = toSafeInt(d);
    if (n === null || n < 0) throw corrupt(`${what} has an invalid dimension`);
    count *= n;
  }
  if (!Number.isSafeInteger(count)) throw corrupt(`${what} has an impossible shape`);
  return count;
}

/** The tensor's data size, after checking that inline data is as long as its shape needs. */
function storedBytes(t: pb.ITensorProto, count: number, what: string): number {
  const { bits, name } = elemType(t.dataType);
  const needed = bits === null ? null : Math.ceil((count * bits) / 8);
  if (t.dataLocation === EXTERNAL) {
    const length = (t.externalData ?? []).find((e) => e.key === 'length')?.value;
    const declared = length && /^\d+$/.test(length) ? Number(length) : null;
    return declared ?? needed ?? 0;
  }
  const raw = t.rawData?.length ?? 0;
  if (raw > 0) {
    if (needed !== null && raw !== needed) throw corrupt(`${what} holds ${raw} bytes but its ${name} shape needs ${needed}`);
    return raw;
  }
  if (name === 'string') return (t.stringData ?? []).reduce((sum, s) => sum + s.length, 0);
  const typedValues =
    (t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0) + (t.int64Data?.length ?? 0) + (t.doubleData?.length ?? 0) + (t.uint64Data?.length ?? 0);
  if (count > 0 && typedValues === 0) throw corrupt(`${what} has no data`);
  return needed ?? 0;
}

function tensorSpec(v: pb.IValueInfoProto): TensorSpec {
  const name = v.name ?? '';
  if (!name) throw corrupt('a graph input or output has no name');
  return { name, ...typeSpec(v.type, 0) };
}

function typeSpec(type: pb.ITypeProto | null | undefined, depth: number): Omit<TensorSpec, 'name'> {
  if (!type || depth > 8) return { elemType: 'unknown', shape: null };
  const inner = (t: pb.ITypeProto | null | undefined) => typeSpec(t, depth + 1).elemType;
  if (type.tensorType) return { elemType: elemType(type.tensorType.elemType).name, shape: shapeOf(type.tensorType.shape) };
  if (type.sparseTensorType) {
    return { elemType: `sparse<${elemType(type.sparseTensorType.elemType).name}>`, shape: shapeOf(type.sparseTensorType.shape) };
  }
  if (type.sequenceType) return { elemType: `sequence<${inner(type.sequenceType.elemType)}>`, shape: null };
  if (type.mapType) {
    return { elemType: `map<${elemType(type.mapType.keyType).name},${inner(type.mapType.valueType)}>`, shape: null };
  }
  if (type.optionalType) return { elemType: `optional<${inner(type.optionalType.elemType)}>`, shape: null };
  return { elemType: 'unknown', shape: null };
}

function shapeOf(shape: pb.ITensorShapeProto | null | undefined): Dim[] | null {
  if (!shape) return null;
  return (shape.dim ?? []).map((d): Dim => {
    if (d.dimParam) return d.dimParam;
    // Some exporters write -1 for "dynamic"; anything negative or past 2^53 means unknown.
    const n = toSafeInt(d.dimValue);
    return n !== null && n >= 0 ? n : '?';
  });
}
