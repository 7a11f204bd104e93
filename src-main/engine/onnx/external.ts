/**
 * External data: initializers whose bytes live in files beside the .onnx (TensorProto
 * data_location EXTERNAL, with external_data entries location, offset, length, checksum), which
 * is how models over protobuf's 2 GB limit are saved. This module lists and checks the
 * references; reading the files is left to callers, which hand a reader back in.
 */
import { OnnxFormatError, oneLine } from './errors.js';
import type { OnnxModel, Tensor } from './graph.js';
import { elemType, onnx, toSafeInt, type pb } from './proto.js';

export interface ExternalReference {
  /** The tensor's name ('' for an unnamed attribute tensor). */
  tensor: string;
  /** The location as the model writes it. */
  location: string;
  /** The location checked and normalised: '/'-separated, relative, without '.' or empty segments. */
  path: string;
  offset: number;
  /** Bytes of the tensor: the declared length, or what its type and shape need. */
  length: number;
}

/** Reads one tensor's bytes from wherever its file is at hand (the model's folder, a project). */
export type ExternalDataReader = (ref: ExternalReference) => Uint8Array;

const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL
const MAX_LOCATION_LENGTH = 1024;
const MAX_SUBGRAPH_DEPTH = 64;

/**
 * Every external data reference of a decoded model: initializers, sparse initializers and
 * attribute tensors, in subgraphs and functions too. Throws OnnxFormatError (one line, naming the
 * tensor and the location) for a location that could leave the model's folder or an entry that
 * does not parse.
 */
export function externalReferences(model: pb.IModelProto, fileName?: string): ExternalReference[] {
  const refs: ExternalReference[] = [];
  const add = (t: pb.ITensorProto | null | undefined) => {
    if (t && t.dataLocation === EXTERNAL) refs.push(referenceOf(t.name ?? '', t.externalData ?? [], t.dataType ?? 0, (t.dims ?? []).map(toSafeInt), fileName));
  };
  if (model.graph) walkGraph(model.graph, add, 0);
  for (const f of model.functions ?? []) for (const n of f.node ?? []) walkNode(n, add, 0);
  return refs;
}

/** Whether any tensor of the model, subgraphs included, keeps its data in an external file. */
export function hasExternalData(model: OnnxModel): boolean {
  const g = model.graph;
  if (g.initializers.some((t) => t.external)) return true;
  for (const n of g.nodes) {
    for (const a of n.attributes) {
      if (a.type === 'tensor' && a.value.external) return true;
      const bodies = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const body of bodies) {
        let found = false;
        walkGraph(onnx.GraphProto.decode(body), (t) => (found ||= t?.dataLocation === EXTERNAL), 1);
        if (found) return true;
      }
    }
  }
  return false;
}

/**
 * Lets Brink read the values of external tensors it needs itself (the linear head's W and b,
 * constant axes and pads): each external tensor of the main graph gets a `loadExternal` that
 * calls `read`. Its `data` stays null, so writeModel keeps the reference as it was.
 */
export function attachExternalData(model: OnnxModel, read: ExternalDataReader, fileName?: string): OnnxModel {
  const attach = (t: Tensor) => {
    if (!t.external) return;
    const ref = referenceOf(t.name, t.external, t.dataType, t.dims, fileName);
    t.loadExternal = () => read(ref);
  };
  model.graph.initializers.forEach(attach);
  for (const n of model.graph.nodes) for (const a of n.attributes) if (a.type === 'tensor') attach(a.value);
  return model;
}

/**
 * A location must name a file inside the model's folder (DESIGN.md section 7): relative, '/'
 * separated, without '..'. Returns the normalised path; throws OnnxFormatError otherwise.
 */
export function checkExternalLocation(location: string, tensor: string, fileName?: string): string {
  const refuse = (why: string) =>
    new OnnxFormatError(`tensor '${oneLine(tensor)}' has external data location '${oneLine(location)}', which ${why}`, fileName);
  if (location.length === 0) throw refuse('is empty');
  if (location.length > MAX_LOCATION_LENGTH) throw refuse(`is longer than ${MAX_LOCATION_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(location)) throw refuse('contains a control character');
  if (location.includes('\\')) throw refuse("contains a backslash (Brink reads only '/'-separated relative paths)");
  if (location.startsWith('/')) throw refuse('is an absolute path');
  if (/^[A-Za-z]:/.test(location)) throw refuse('names a drive');
  if (location.includes(':')) throw refuse("contains ':'");
  const segments = location.split('/');
  if (segments.includes('..')) throw refuse("leaves the model's folder ('..')");
  const kept = segments.filter((s) => s !== '' && s !== '.');
  if (kept.length === 0) throw refuse('names no file');
  return kept.join('/');
}

function referenceOf(
  tensor: string,
  entries: readonly { key?: string | null; value?: string | null }[],
  dataType: number,
  dims: readonly (number | null)[],
  fileName: string | undefined,
): ExternalReference {
  const what = `tensor '${oneLine(tensor)}'`;
  const fail = (why: string) => new OnnxFormatError(`${what}: ${why}`, fileName);
  const values = new Map<string, string>();
  for (const e of entries) {
    const key = e.key ?? '';
    if (values.has(key) && (key === 'location' || key === 'offset' || key === 'length')) throw fail(`external data lists '${oneLine(key)}' twice`);
    values.set(key, e.value ?? '');
  }
  const location = values.get('location');
  if (location === undefined) throw fail('external data without a location');
  const path = checkExternalLocation(location, tensor, fileName);
  const size = (key: string): number | null => {
    const text = values.get(key);
    if (text === undefined) return null;
    const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n)) throw fail(`external data ${key} '${oneLine(text)}' is not a byte count`);
    return n;
  };
  const offset = size('offset') ?? 0;
  const declared = size('length');
  const { bits, name } = elemType(dataType);
  let needed: number | null = null;
  if (bits !== null && dims.every((d) => d !== null && d >= 0)) {
    const count = (dims as number[]).reduce((a, b) => a * b, 1);
    needed = Number.isSafeInteger(count) ? Math.ceil((count * bits) / 8) : null;
  }
  if (declared !== null && needed !== null && declared !== needed) {
    throw fail(`external data length ${declared} does not match the ${needed} bytes its ${name} shape [${dims.join(', ')}] needs`);
  }
  const length = declared ?? needed;
  if (length === null) throw fail(`external data of type ${name} needs a length`);
  if (!Number.isSafeInteger(offset + length)) throw fail('external data ends beyond any file size');
  return { tensor, location, path, offset, length };
}

type Visit = (t: pb.ITensorProto | null | undefined) => void;

function walkGraph(g: pb.IGraphProto, visit: Visit, depth: number): void {
  if (depth > MAX_SUBGRAPH_DEPTH) throw new OnnxFormatError(`subgraphs nested more than ${MAX_SUBGRAPH_DEPTH} deep`);
  for (const t of g.initializer ?? []) visit(t);
  for (const s of g.sparseInitializer ?? []) {
    visit(s.values);
    visit(s.indices);
  }
  for (const n of g.node ?? []) walkNode(n, visit, depth);
}

function walkNode(n: pb.INodeProto, visit: Visit, depth: number): void {
  for (const a of n.attribute ?? []) {
    visit(a.t);
    for (const t of a.tensors ?? []) visit(t);
    for (const s of [a.sparseTensor, ...(a.sparseTensors ?? [])]) {
      visit(s?.values);
      visit(s?.indices);
    }
    if (a.g) walkGraph(a.g, visit, depth + 1);
    for (const g of a.graphs ?? []) walkGraph(g, visit, depth + 1);
  }
}
