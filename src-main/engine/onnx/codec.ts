/**
 * Reads an ONNX ModelProto into the editable IR of graph.ts and writes it back, losslessly.
 *
 * protobufjs (onnx-proto) drops fields its schema does not know, so this works on the wire
 * format: every message Brink models remembers its original bytes; an unchanged one is written
 * back verbatim, a changed one is re-encoded with its unmodelled fields appended as they were
 * (protobuf readers accept fields in any order and concatenate repeated ones).
 */
import { OnnxFormatError, oneLine } from './errors.js';
import type { Attribute, Graph, Node, OnnxModel, Opset, Tensor, ValueInfo } from './graph.js';
import { floats32, floats64, int64, readFields, text, varints, VARINT, WireError, Writer, type Field } from './wire.js';

interface Origin {
  bytes: Uint8Array;
  /** The modelled fields as read, to tell whether the object was edited since. */
  print: string;
  /** Field numbers the IR models for this object; the others are kept from `bytes`. */
  modeled: ReadonlySet<number>;
}

const origins = new WeakMap<object, Origin>();
const containerFields = new WeakMap<object, Field[]>();

// ---- field numbers (onnx.proto) -----------------------------------------------------------------

const MODEL = { irVersion: 1, graph: 7, opset: 8 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
const NODE_FIELDS = new Set([1, 2, 3, 4, 5, 7]);
const OPSET_FIELDS = new Set([1, 2]);
const VALUE_INFO_FIELDS = new Set([1, 2]);
const VALUE_INFO_NAME_ONLY = new Set([1]);
const ATTRIBUTE_FIELDS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 20]);
const ATTRIBUTE_OTHER_FIELDS = new Set([1, 20]);
const TENSOR_BASE = [1, 2, 8, 9, 13, 14];
const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL

// AttributeProto.AttributeType codes Brink models (9 TENSORS and 11+ are kept as 'other').
const ATTR_TYPES: Partial<Record<number, Attribute['type']>> = { 1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings', 10: 'graphs' };
const ATTR_CODE: Record<string, number> = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8, graphs: 10 };

// ---- reading ------------------------------------------------------------------------------------

/** Decodes a model. Throws OnnxFormatError (naming `fileName`) when the bytes are not a ModelProto. */
export function readModel(bytes: Uint8Array, fileName?: string): OnnxModel {
  try {
    return readModelProto(bytes);
  } catch (error) {
    if (error instanceof WireError || error instanceof RangeError || error instanceof TypeError) {
      throw new OnnxFormatError(`truncated or corrupt ONNX protobuf (${oneLine(error.message)})`, fileName);
    }
    throw error;
  }
}

function readModelProto(bytes: Uint8Array): OnnxModel {
  const fields = readFields(bytes);
  let irVersion = 0;
  const opsets: Opset[] = [];
  const graphParts: Uint8Array[] = [];
  for (const f of fields) {
    if (f.number === MODEL.irVersion && f.wire === VARINT) irVersion = int64(f.value);
    else if (f.number === MODEL.opset) opsets.push(readOpset(f.value));
    else if (f.number === MODEL.graph) graphParts.push(f.value);
  }
  if (graphParts.length === 0) throw new WireError('no graph');
  // A message field that occurs twice is merged, which for protobuf is concatenation.
  const graph = readGraph(graphParts.length === 1 ? graphParts[0] : concat(graphParts));
  const model: OnnxModel = { irVersion, opsets, graph };
  containerFields.set(model, fields);
  return model;
}

function readGraph(bytes: Uint8Array): Graph {
  const fields = readFields(bytes);
  const graph: Graph = { name: '', nodes: [], inputs: [], outputs: [], initializers: [], valueInfo: [] };
  for (const f of fields) {
    switch (f.number) {
      case GRAPH.node: graph.nodes.push(readNode(f.value)); break;
      case GRAPH.name: graph.name = text(f.value); break;
      case GRAPH.initializer: graph.initializers.push(readTensor(f.value)); break;
      case GRAPH.input: graph.inputs.push(readValueInfo(f.value)); break;
      case GRAPH.output: graph.outputs.push(readValueInfo(f.value)); break;
      case GRAPH.valueInfo: graph.valueInfo.push(readValueInfo(f.value)); break;
    }
  }
  containerFields.set(graph, fields);
  return graph;
}

function remember<T extends object>(obj: T, bytes: Uint8Array, modeled: ReadonlySet<number>, print: (o: T) => string): T {
  origins.set(obj, { bytes, modeled, print: print(obj) });
  return obj;
}

function readOpset(bytes: Uint8Array): Opset {
  const o: Opset = { domain: '', version: 0 };
  for (const f of readFields(bytes)) {
    if (f.number === 1) o.domain = text(f.value);
    else if (f.number === 2) o.version = int64(f.value);
  }
  return remember(o, bytes, OPSET_FIELDS, opsetPrint);
}

function readNode(bytes: Uint8Array): Node {
  const n: Node = { opType: '', domain: '', name: '', inputs: [], outputs: [], attributes: [] };
  for (const f of readFields(bytes)) {
    switch (f.number) {
      case 1: n.inputs.push(text(f.value)); break;
      case 2: n.outputs.push(text(f.value)); break;
      case 3: n.name = text(f.value); break;
      case 4: n.opType = text(f.value); break;
      case 5: n.attributes.push(readAttribute(f.value)); break;
      case 7: n.domain = text(f.value); break;
    }
  }
  return remember(n, bytes, NODE_FIELDS, nodePrint);
}

function readAttribute(bytes: Uint8Array): Attribute {
  const fields = readFields(bytes);
  const last = (n: number) => fields.filter((f) => f.number === n).pop();
  const all = (n: number) => fields.filter((f) => f.number === n);
  const name = text(last(1)?.value ?? new Uint8Array());
  const typeField = last(20);
  const code = typeField ? int64(typeField.value) : 0;
  // Before IR 2 there was no `type`; the field that is set says what the attribute is.
  const type = typeField ? ATTR_TYPES[code] : LEGACY_TYPES.find(([field]) => last(field))?.[1];
  let a: Attribute;
  switch (type) {
    case 'float': a = { name, type, value: floats32(last(2) ?? emptyField(2))[0] ?? 0 }; break;
    case 'int': a = { name, type, value: last(3) ? int64(last(3)!.value) : 0 }; break;
    case 'string': a = { name, type, value: text(last(4)?.value ?? new Uint8Array()) }; break;
    case 'tensor': a = { name, type, value: readTensor(last(5)?.value ?? new Uint8Array()) }; break;
    case 'graph': a = { name, type, value: last(6)?.value ?? new Uint8Array() }; break;
    case 'floats': a = { name, type, value: all(7).flatMap(floats32) }; break;
    case 'ints': a = { name, type, value: all(8).flatMap(varints).map(Number) }; break;
    case 'strings': a = { name, type, value: all(9).map((f) => text(f.value)) }; break;
    case 'graphs': a = { name, type, value: all(11).map((f) => f.value) }; break;
    default: a = { name, type: 'other', value: code };
  }
  return remember(a, bytes, a.type === 'other' ? ATTRIBUTE_OTHER_FIELDS : ATTRIBUTE_FIELDS, attributePrint);
}

const LEGACY_TYPES: [number, Attribute['type']][] = [
  [2, 'float'], [3, 'int'], [4, 'string'], [5, 'tensor'], [6, 'graph'], [7, 'floats'], [8, 'ints'], [9, 'strings'], [11, 'graphs'],
];

const emptyField = (number: number): Field => ({ number, wire: 2, bytes: new Uint8Array(), value: new Uint8Array() });

// Element width in bytes for data types held in int32_data (TensorProto comments).
const INT32_DATA_WIDTH: Record<number, number> = { 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 9: 1, 10: 2, 16: 2, 17: 1, 18: 1, 19: 1, 20: 1, 24: 1 };

function readTensor(bytes: Uint8Array): Tensor {
  const t: Tensor = { name: '', dataType: 0, dims: [], data: null, external: null };
  const typed = new Map<number, Field[]>();
  let raw: Uint8Array | null = null;
  let location = 0;
  for (const f of readFields(bytes)) {
    switch (f.number) {
      case 1: t.dims.push(...varints(f).map(Number)); break;
      case 2: t.dataType = int64(f.value); break;
      case 8: t.name = text(f.value); break;
      case 9: raw = f.value; break;
      case 13: t.external = [...(t.external ?? []), readEntry(f.value)]; break;
      case 14: location = int64(f.value); break;
      case 4: case 5: case 7: case 10: case 11: typed.set(f.number, [...(typed.get(f.number) ?? []), f]); break;
    }
  }
  const modeled = new Set(TENSOR_BASE);
  if (location !== EXTERNAL) t.external = null;
  if (raw !== null) t.data = raw;
  else if (location !== EXTERNAL) {
    const converted = fromTypedFields(t.dataType, typed, t.dims.reduce((a, b) => a * b, 1));
    if (converted) {
      t.data = converted.data;
      if (converted.field) modeled.add(converted.field);
    }
  }
  return remember(t, bytes, modeled, tensorPrint);
}

function fromTypedFields(dataType: number, typed: Map<number, Field[]>, count: number): { data: Uint8Array; field: number | null } | null {
  const get = (n: number) => typed.get(n) ?? [];
  const out = (data: ArrayBufferView, field: number) => ({ data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), field });
  if (dataType === 8 || typed.size > 1) return null; // strings, or an ambiguous tensor: keep as read
  if (typed.size === 0) return count === 0 ? { data: new Uint8Array(), field: null } : null;
  if (dataType === 1 || dataType === 14) return out(Float32Array.from(get(4).flatMap(floats32)), 4);
  if (dataType === 11 || dataType === 15) return out(Float64Array.from(get(10).flatMap(floats64)), 10);
  if (dataType === 7) return out(BigInt64Array.from(get(7).flatMap(varints)), 7);
  if (dataType === 12 || dataType === 13) {
    const values = get(11).flatMap(varints).map((v) => BigInt.asUintN(64, v));
    return dataType === 13 ? out(BigUint64Array.from(values), 11) : out(Uint32Array.from(values.map(Number)), 11);
  }
  const width = INT32_DATA_WIDTH[dataType];
  if (!width) return null;
  const values = get(5).flatMap(varints).map(Number);
  const data = width === 1 ? Uint8Array.from(values, (v) => v & 0xff) : width === 2 ? Uint16Array.from(values, (v) => v & 0xffff) : Int32Array.from(values);
  return out(data, 5);
}

function readEntry(bytes: Uint8Array): { key: string; value: string } {
  const e = { key: '', value: '' };
  for (const f of readFields(bytes)) {
    if (f.number === 1) e.key = text(f.value);
    else if (f.number === 2) e.value = text(f.value);
  }
  return e;
}

function readValueInfo(bytes: Uint8Array): ValueInfo {
  const v: ValueInfo = { name: '', elemType: 0, shape: null };
  let typeIsTensor = true;
  for (const f of readFields(bytes)) {
    if (f.number === 1) v.name = text(f.value);
    else if (f.number === 2) {
      const tensorType = readFields(f.value).find((tf) => tf.number === 1);
      typeIsTensor = tensorType !== undefined;
      if (tensorType) readTensorType(tensorType.value, v);
    }
  }
  // A sequence or map type is not modelled: its field then stays as read.
  return remember(v, bytes, typeIsTensor ? VALUE_INFO_FIELDS : VALUE_INFO_NAME_ONLY, valueInfoPrint);
}

function readTensorType(bytes: Uint8Array, v: ValueInfo): void {
  for (const f of readFields(bytes)) {
    if (f.number === 1) v.elemType = int64(f.value);
    else if (f.number === 2) {
      v.shape = [];
      for (const d of readFields(f.value)) {
        if (d.number !== 1) continue;
        let dim: number | string = '?';
        for (const df of readFields(d.value)) {
          if (df.number === 1) dim = int64(df.value);
          else if (df.number === 2) dim = text(df.value);
        }
        v.shape.push(typeof dim === 'number' && dim < 0 ? '?' : dim);
      }
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const w = new Writer();
  for (const p of parts) w.raw(p);
  return w.finish();
}

// ---- change detection ---------------------------------------------------------------------------

const ids = new WeakMap<object, number>();
let nextId = 1;
function idOf(o: object | null): number {
  if (o === null) return 0;
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

const opsetPrint = (o: Opset) => JSON.stringify([o.domain, o.version]);
const valueInfoPrint = (v: ValueInfo) => JSON.stringify([v.name, v.elemType, v.shape]);
const tensorPrint = (t: Tensor) => JSON.stringify([t.name, t.dataType, t.dims, idOf(t.data), t.data?.byteOffset, t.data?.length, t.external]);
function attributePrint(a: Attribute): string {
  const value = a.type === 'tensor' ? tensorPrint(a.value) : a.type === 'graph' ? idOf(a.value) : a.type === 'graphs' ? a.value.map(idOf) : a.value;
  return JSON.stringify([a.name, a.type, value]);
}
const nodePrint = (n: Node) => JSON.stringify([n.opType, n.domain, n.name, n.inputs, n.outputs, n.attributes.map(attributePrint)]);

// ---- writing ------------------------------------------------------------------------------------

export function writeModel(model: OnnxModel): Uint8Array {
  return modelWriter(model).finish();
}

/** Writes an element: its original bytes when unchanged, else its modelled fields plus the rest as read. */
function element<T extends object>(obj: T, print: (o: T) => string, encode: (o: T, w: Writer) => void): Writer {
  const w = new Writer();
  const o = origins.get(obj);
  if (o && o.print === print(obj)) return w.raw(o.bytes);
  encode(obj, w);
  if (o) for (const f of readFields(o.bytes)) if (!o.modeled.has(f.number)) w.raw(f.bytes);
  return w;
}

/**
 * Walks the container's original fields in order, replacing each modelled kind by the IR's
 * current list at the place where that kind first appeared; kinds new to the container go last.
 */
function container(obj: object, emitters: Map<number, (w: Writer) => void>): Writer {
  const w = new Writer();
  const done = new Set<number>();
  for (const f of containerFields.get(obj) ?? []) {
    const emit = emitters.get(f.number);
    if (!emit) w.raw(f.bytes);
    else if (!done.has(f.number)) {
      done.add(f.number);
      emit(w);
    }
  }
  for (const [number, emit] of [...emitters].sort((a, b) => a[0] - b[0])) if (!done.has(number)) emit(w);
  return w;
}

function modelWriter(m: OnnxModel): Writer {
  const original = containerFields.get(m)?.find((f) => f.number === MODEL.irVersion);
  return container(
    m,
    new Map<number, (w: Writer) => void>([
      [MODEL.irVersion, (w) => (original && int64(original.value) === m.irVersion ? w.raw(original.bytes) : w.varint(MODEL.irVersion, m.irVersion))],
      [MODEL.graph, (w) => w.message(MODEL.graph, graphWriter(m.graph))],
      [MODEL.opset, (w) => m.opsets.forEach((o) => w.message(MODEL.opset, element(o, opsetPrint, encodeOpset)))],
    ]),
  );
}

function graphWriter(g: Graph): Writer {
  const list = <T extends object>(field: number, items: T[], print: (o: T) => string, encode: (o: T, w: Writer) => void) =>
    [field, (w: Writer) => items.forEach((item) => w.message(field, element(item, print, encode)))] as const;
  const originalName = containerFields.get(g)?.find((f) => f.number === GRAPH.name);
  return container(
    g,
    new Map<number, (w: Writer) => void>([
      list(GRAPH.node, g.nodes, nodePrint, encodeNode),
      [GRAPH.name, (w) => (originalName && text(originalName.value) === g.name ? w.raw(originalName.bytes) : g.name && w.string(GRAPH.name, g.name))],
      list(GRAPH.initializer, g.initializers, tensorPrint, encodeTensor),
      list(GRAPH.input, g.inputs, valueInfoPrint, encodeValueInfo),
      list(GRAPH.output, g.outputs, valueInfoPrint, encodeValueInfo),
      list(GRAPH.valueInfo, g.valueInfo, valueInfoPrint, encodeValueInfo),
    ]),
  );
}

function encodeOpset(o: Opset, w: Writer): void {
  if (o.domain) w.string(1, o.domain);
  w.varint(2, o.version);
}

function encodeNode(n: Node, w: Writer): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes) w.message(5, element(a, attributePrint, encodeAttribute));
  if (n.domain) w.string(7, n.domain);
}

function encodeAttribute(a: Attribute, w: Writer): void {
  w.string(1, a.name);
  switch (a.type) {
    case 'float': w.float(2, a.value); break;
    case 'int': w.varint(3, a.value); break;
    case 'string': w.string(4, a.value); break;
    case 'tensor': w.message(5, element(a.value, tensorPrint, encodeTensor)); break;
    case 'graph': w.bytes(6, a.value); break;
    case 'floats': a.value.forEach((v) => w.float(7, v)); break;
    case 'ints': a.value.forEach((v) => w.varint(8, v)); break;
    case 'strings': a.value.forEach((v) => w.string(9, v)); break;
    case 'graphs': a.value.forEach((v) => w.bytes(11, v)); break;
    case 'other': if (!origins.has(a)) throw new Error(`attribute '${a.name}' of type ${a.value} can only be copied from a model, not built`);
  }
  if (a.type !== 'other') w.varint(20, ATTR_CODE[a.type]);
  else if (a.value !== 0) w.varint(20, a.value);
}

function encodeTensor(t: Tensor, w: Writer): void {
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, t.dataType);
  if (t.name) w.string(8, t.name);
  if (t.data && !t.external) w.bytes(9, t.data);
  if (t.external) {
    for (const e of t.external) w.message(13, new Writer().string(1, e.key).string(2, e.value));
    w.varint(14, EXTERNAL);
  }
}

function encodeValueInfo(v: ValueInfo, w: Writer): void {
  w.string(1, v.name);
  if (v.elemType === 0 && v.shape === null) return;
  const tensorType = new Writer();
  if (v.elemType) tensorType.varint(1, v.elemType);
  if (v.shape) {
    const shape = new Writer();
    for (const d of v.shape) {
      const dim = new Writer();
      if (typeof d === 'number') dim.varint(1, d);
      else if (d !== '?') dim.string(2, d);
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  w.message(2, new Writer().message(1, tensorType));
}

// ---- copies -------------------------------------------------------------------------------------

/**
 * A copy whose lists, nodes and attributes can be edited without touching `model`; tensor data
 * is shared (never copied), and the copy keeps the original's unmodelled fields.
 */
export function cloneModel(model: OnnxModel): OnnxModel {
  const g = model.graph;
  const graph: Graph = {
    name: g.name,
    nodes: g.nodes.map(cloneNode),
    inputs: g.inputs.map(cloneValueInfo),
    outputs: g.outputs.map(cloneValueInfo),
    initializers: g.initializers.map((t) => inherit(t, { ...t, dims: [...t.dims], external: t.external && t.external.map((e) => ({ ...e })) })),
    valueInfo: g.valueInfo.map(cloneValueInfo),
  };
  const copy: OnnxModel = { irVersion: model.irVersion, opsets: model.opsets.map((o) => inherit(o, { ...o })), graph };
  inheritFields(g, graph);
  inheritFields(model, copy);
  return copy;
}

export function cloneNode(n: Node): Node {
  const attributes = n.attributes.map((a) => inherit(a, { ...a, value: Array.isArray(a.value) ? [...a.value] : a.value } as Attribute));
  return inherit(n, { ...n, inputs: [...n.inputs], outputs: [...n.outputs], attributes });
}

const cloneValueInfo = (v: ValueInfo): ValueInfo => inherit(v, { ...v, shape: v.shape && [...v.shape] });

function inherit<T extends object>(from: T, to: T): T {
  const o = origins.get(from);
  if (o) origins.set(to, o);
  return to;
}

function inheritFields(from: object, to: object): void {
  const f = containerFields.get(from);
  if (f) containerFields.set(to, f);
}
