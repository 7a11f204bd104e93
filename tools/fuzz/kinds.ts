// The kinds of input a user hands Brink, each with its mutations and the entry point the CLI and
// the service use for it. A case is a folder of files plus the path to hand to the entry point.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { onnx, type pb } from '../../src-main/engine/onnx/proto.js';
import { importDataset } from '../../src-main/service/dataset-import.js';
import { importModel } from '../../src-main/service/model-import.js';
import { openProjectFile } from '../../src-main/service/open-project.js';
import type { ProjectStore } from '../../src-main/store/project-store.js';
import { concat, HOSTILE_NUMBERS, int, mutateBytes, pick, type Rng } from './mutate.js';
import { CIFAR_NAMES, cifarSeed, idxSeed, imageSeed, npyBytes, npyDict, npySeed, npzBytes, onnxSeeds, sampleLabels, sampleModelPath, type OnnxSeed } from './seeds.js';

export interface Case {
  mutation: string;
  files: Record<string, Uint8Array>;
  /** Relative to the case folder; '' for the folder itself. */
  entry: string;
}

export interface CaseContext {
  store: ProjectStore;
  seeds: Seeds;
}

export interface Kind {
  /** `scratch` is a folder the mutation may write in (SQL mutations of a project need a file). */
  make(rng: Rng, seeds: Seeds, scratch: string): Case;
  /** Hands the case to Brink; resolves with what it added to the project (to remove again), or null. */
  run(context: CaseContext, path: string): Promise<{ model?: string; dataset?: string } | null>;
}

export interface Seeds {
  onnx: OnnxSeed[];
  idx: { images: Uint8Array; labels: Uint8Array };
  cifar: Uint8Array;
  npy: { x: Uint8Array; y: Uint8Array };
  images: Record<string, Uint8Array>;
  labels: string;
  project: Uint8Array;
  /** 256 MiB of zeros, gzipped once (about 250 KiB). */
  gzipBomb: Uint8Array;
}

export async function loadSeeds(project: Uint8Array): Promise<Seeds> {
  return {
    onnx: onnxSeeds(),
    idx: idxSeed(200),
    cifar: cifarSeed(40),
    npy: npySeed(200),
    images: await imageSeed(),
    labels: sampleLabels(),
    project,
    gzipBomb: gzipSync(new Uint8Array(256 << 20), { level: 9 }),
  };
}

const huge = (rng: Rng) => pick(rng, [...HOSTILE_NUMBERS, -1, -(2 ** 31)]);

// ---- ONNX ------------------------------------------------------------------------------------

type ModelMutator = (rng: Rng, m: pb.IModelProto) => void;

const graphOf = (m: pb.IModelProto): pb.IGraphProto => (m.graph ??= {});

const onnxMutators: Record<string, ModelMutator> = {
  'huge input dims': (rng, m) => {
    const dims = graphOf(m).input?.[0]?.type?.tensorType?.shape?.dim ?? [];
    if (dims.length) dims[int(rng, dims.length)] = { dimValue: huge(rng) };
  },
  'huge initializer dims': (rng, m) => {
    const inits = graphOf(m).initializer ?? [];
    if (inits.length) {
      const t = pick(rng, inits);
      t.dims = [...(t.dims ?? [1])];
      t.dims[int(rng, t.dims.length || 1)] = huge(rng);
    }
  },
  'wrong element type': (rng, m) => {
    const g = graphOf(m);
    const type = pick(rng, [0, 2, 8, 13, 16, 23, 999, -1]);
    if (rng() < 0.5 && g.initializer?.length) pick(rng, g.initializer).dataType = type;
    else if (g.input?.[0]?.type?.tensorType) g.input[0].type.tensorType.elemType = type;
  },
  'duplicated names': (rng, m) => {
    const g = graphOf(m);
    const nodes = g.node ?? [];
    if (rng() < 0.5 && nodes.length > 1) nodes[int(rng, nodes.length)].output = [...(nodes[0].output ?? [])];
    else if (g.initializer?.length) g.initializer.push({ ...pick(rng, g.initializer) });
    else g.input = [...(g.input ?? []), ...(g.input ?? [])];
  },
  'dangling names': (rng, m) => {
    const g = graphOf(m);
    const nodes = g.node ?? [];
    if (rng() < 0.5 && nodes.length) {
      const n = pick(rng, nodes);
      n.input = [...(n.input ?? []), 'nowhere'];
    } else if (g.output?.length) g.output[0] = { ...g.output[0], name: 'nowhere' };
  },
  'external data escaping the folder': (rng, m) => {
    // A model without weights gets one, unused: its location is checked all the same.
    const inits = (graphOf(m).initializer ??= []);
    if (!inits.length) inits.push({ name: 'unused', dims: [1], dataType: 1 });
    const t = pick(rng, inits);
    const location = pick(rng, ['../../../../etc/passwd', '/etc/passwd', '..\\..\\secret.bin', 'sub/../../x.bin', 'weights.bin\0.txt', '', 'C:\\Windows\\win.ini', 'weights.bin']);
    t.dataLocation = 1;
    t.rawData = new Uint8Array(0);
    t.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(pick(rng, [0, 8, 2 ** 40, -1])) },
      { key: 'length', value: String(pick(rng, [4, 2 ** 31, 2 ** 53, -5])) },
    ];
  },
  'opset and IR version': (rng, m) => {
    if (rng() < 0.5) m.opsetImport = rng() < 0.5 ? [] : [{ domain: '', version: huge(rng) }];
    else m.irVersion = huge(rng);
  },
  'hostile attributes': (rng, m) => {
    const nodes = (graphOf(m).node ?? []).filter((n) => n.attribute?.length);
    if (!nodes.length) return;
    const a = pick(rng, pick(rng, nodes).attribute!);
    a.ints = [huge(rng), huge(rng)];
    a.i = huge(rng);
  },
  'no graph outputs': (_rng, m) => {
    graphOf(m).output = [];
  },
};

// Protobuf, written by hand for the one mutation protobufjs cannot encode: it recurses per level.
const varint = (n: number): Uint8Array => {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  return Uint8Array.from([...out, n]);
};
const field = (tag: number[], body: Uint8Array) => concat(Uint8Array.from(tag), varint(body.length), body);
const text = (s: string) => new TextEncoder().encode(s);

/**
 * If nodes nested `depth` deep (then_branch holds the next level), appended to the model as a
 * second `graph` field: protobuf merges it into the first, so its nodes join the main graph.
 * Built inside out as header and trailer pieces around the innermost graph, so that a deep
 * nesting costs one copy rather than one per level.
 */
function nestedIfs(depth: number): Uint8Array {
  const leaf = concat(field([0x0a], concat(field([0x0a], text('c')), field([0x12], text('leaf')), field([0x22], text('Identity')))), field([0x62], field([0x0a], text('leaf'))));
  const elseBranch = field([0x2a], concat(field([0x0a], text('else_branch')), field([0x32], leaf), Uint8Array.from([0xa0, 0x01, 5])));
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let length = leaf.length;
  for (let d = 0; d < depth; d++) {
    // attribute then_branch { name, g: <inner graph>, type: GRAPH }
    const attrHead = concat(field([0x0a], text('then_branch')), Uint8Array.from([0x32]), varint(length));
    const attrTail = Uint8Array.from([0xa0, 0x01, 5]);
    const attrLength = attrHead.length + length + attrTail.length;
    const nodeHead = concat(field([0x0a], text('c')), field([0x12], text(`o${d}`)), field([0x22], text('If')), Uint8Array.from([0x2a]), varint(attrLength));
    const nodeLength = nodeHead.length + attrLength + attrTail.length - attrTail.length + elseBranch.length;
    const graphHead = concat(Uint8Array.from([0x0a]), varint(nodeLength), nodeHead, attrHead);
    const graphTail = concat(attrTail, elseBranch, field([0x62], field([0x0a], text(`o${d}`))));
    heads.push(graphHead);
    tails.push(graphTail);
    length += graphHead.length + graphTail.length;
  }
  return concat(Uint8Array.from([0x3a]), varint(length), ...heads.reverse(), leaf, ...tails);
}

export const onnxKind: Kind = {
  make(rng, seeds) {
    const seed = pick(rng, seeds.onnx);
    const files: Record<string, Uint8Array> = {};
    if (seed.external) files[seed.external.location] = seed.external.bytes;
    let mutation: string;
    let bytes = seed.bytes;
    if (rng() < 0.1) {
      const depth = pick(rng, [8, 64, 512, 4096, 50_000]);
      bytes = concat(seed.bytes, nestedIfs(depth));
      mutation = `If nodes nested ${depth} deep`;
    } else if (rng() < 0.6) {
      const name = pick(rng, Object.keys(onnxMutators));
      const m = onnx.ModelProto.decode(seed.bytes);
      onnxMutators[name](rng, m);
      bytes = onnx.ModelProto.encode(m).finish();
      mutation = name;
      if (rng() < 0.2) {
        const extra = mutateBytes(rng, bytes);
        bytes = extra.bytes;
        mutation += ` + ${extra.name}`;
      }
    } else if (seed.external && rng() < 0.3) {
      const extra = mutateBytes(rng, seed.external.bytes);
      files[seed.external.location] = extra.bytes;
      mutation = `external data: ${extra.name}`;
    } else {
      const extra = mutateBytes(rng, bytes);
      bytes = extra.bytes;
      mutation = extra.name;
    }
    files[seed.name] = bytes;
    return { mutation: `${seed.name}: ${mutation}`, files, entry: seed.name };
  },
  async run({ store }, path) {
    return { model: (await importModel(store, path, { allowDuplicate: true })).id };
  },
};

// ---- Labels ----------------------------------------------------------------------------------

const labelMutators: Record<string, (rng: Rng, text: string) => string> = {
  'a line removed': (rng, text) => {
    const lines = text.split('\n');
    lines.splice(int(rng, lines.length), 1);
    return lines.join('\n');
  },
  'duplicated labels': (_rng, text) => text.replace(/^.*$/m, (first) => `${first}\n${first}`).split('\n').slice(0, 10).join('\n'),
  'a hundred thousand lines': (_rng, text) => text + 'x\n'.repeat(100_000),
  'one very long line': (rng, text) => text.replace(/^.*$/m, 'x'.repeat(pick(rng, [1000, 1 << 20]))),
  'NUL and control bytes': (rng, text) => text.replace(/a/g, pick(rng, ['\0', '\x1b[31m', '\u202e', '\r'])),
  'JSON forms': (rng, text) => {
    const names = text.trim().split('\n');
    return pick(rng, [JSON.stringify(names), JSON.stringify(Object.fromEntries(names.map((n, i) => [i * 7, n]))), '[' + '['.repeat(100_000), '{"0": {"0": 1}}', JSON.stringify(names.map(() => 1))]);
  },
  'byte order mark and CRLF': (_rng, text) => '\uFEFF' + text.replace(/\n/g, '\r\n'),
  empty: (rng) => pick(rng, ['', '\n\n\n', '   ']),
};

export const labelsKind: Kind = {
  make(rng, seeds) {
    let bytes: Uint8Array;
    let mutation: string;
    if (rng() < 0.5) {
      mutation = pick(rng, Object.keys(labelMutators));
      bytes = new TextEncoder().encode(labelMutators[mutation](rng, seeds.labels));
    } else {
      const m = mutateBytes(rng, new TextEncoder().encode(seeds.labels));
      ({ bytes } = m);
      mutation = m.name;
    }
    return { mutation, files: { 'labels.txt': bytes }, entry: 'labels.txt' };
  },
  async run({ store }, path) {
    return { model: (await importModel(store, sampleModelPath, { allowDuplicate: true, labelsPath: path })).id };
  },
};

// ---- Datasets --------------------------------------------------------------------------------

const datasetRun: Kind['run'] = async ({ store }, path) => ({ dataset: (await importDataset(store, path, { allowDuplicate: true })).id });

function setU32(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const out = bytes.slice();
  if (at + 4 <= out.length) new DataView(out.buffer).setUint32(at, value >>> 0, false);
  return out;
}

export const idxKind: Kind = {
  make(rng, seeds) {
    let { images, labels } = seeds.idx;
    let mutation: string;
    const choice = int(rng, 6);
    if (choice === 0) {
      const at = pick(rng, [4, 8, 12]);
      images = setU32(images, at, huge(rng));
      mutation = `images header dim at ${at} inflated`;
    } else if (choice === 1) {
      images = images.slice();
      images[pick(rng, [2, 3])] = pick(rng, [0, 1, 9, 0x0b, 0x0c, 0x0d, 0x0e, 0xff]);
      mutation = 'images type code or rank';
    } else if (choice === 2) {
      labels = rng() < 0.5 ? setU32(labels, 4, huge(rng)) : labels.map((v, i) => (i >= 8 && rng() < 0.05 ? 255 : v));
      mutation = 'labels count or values';
    } else if (choice === 3) {
      // A gzip bomb: a valid header declaring what 256 MiB of zeros would fill.
      const header = setU32(setU32(setU32(images.subarray(0, 16), 4, Math.floor((256 << 20) / 784)), 8, 28), 12, 28);
      const body = concat(gzipSync(header), seeds.gzipBomb);
      return { mutation: 'gzip bomb', files: { 'x-images-idx3-ubyte.gz': body, 'x-labels-idx1-ubyte.gz': gzipSync(labels) }, entry: '' };
    } else {
      const target = rng() < 0.7 ? 'images' : 'labels';
      const m = mutateBytes(rng, target === 'images' ? images : labels);
      if (target === 'images') images = m.bytes;
      else labels = m.bytes;
      mutation = `${target}: ${m.name}`;
    }
    const zip = rng() < 0.5;
    const gz = (b: Uint8Array) => (zip ? gzipSync(b) : b);
    const suffix = zip ? '.gz' : '';
    return { mutation, files: { [`x-images-idx3-ubyte${suffix}`]: gz(images), [`x-labels-idx1-ubyte${suffix}`]: gz(labels) }, entry: '' };
  },
  run: datasetRun,
};

export const cifarKind: Kind = {
  make(rng, seeds) {
    let batch = seeds.cifar;
    let names = CIFAR_NAMES;
    let mutation: string;
    const choice = int(rng, 5);
    if (choice === 0) {
      batch = batch.map((v, i) => (i % 3073 === 0 && rng() < 0.2 ? pick(rng, [10, 99, 255]) : v));
      mutation = 'labels out of range';
    } else if (choice === 1) {
      names = pick(rng, ['', 'a\n', 'x\n'.repeat(100_000), '\0'.repeat(64), 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n']);
      mutation = 'class names file';
    } else {
      const m = mutateBytes(rng, batch);
      batch = m.bytes;
      mutation = m.name;
    }
    return { mutation, files: { 'data_batch_1.bin': batch, 'batches.meta.txt': new TextEncoder().encode(names) }, entry: '' };
  },
  run: datasetRun,
};

const npyShapes = ['(4611686018427387904, 28, 28)', '(18446744073709551616, 28, 28)', '(-1, 28, 28)', '(200, 28)', '()', `(200${', 1'.repeat(64)})`, '[200, 28, 28]', "'abc'", '(200.5, 28, 28)', '(0, 28, 28)', '(200, 0, 28)', '(200, 100000, 100000)'];
const npyDescrs = ['|u1', '<f4', '>f4', '<f8', '|b1', '<U8', '|O', '<c8', '<i8', '<f2', 'V8', '|S4', 'garbage', "[('a', '<f4')]"];

function mutateNpyHeader(rng: Rng, count: number, data: Uint8Array): { name: string; bytes: Uint8Array } {
  const choice = int(rng, 6);
  if (choice === 0) return { name: 'huge or odd shape', bytes: npyBytes(npyDict('|u1', pick(rng, npyShapes)), data) };
  if (choice === 1) return { name: 'wrong dtype', bytes: npyBytes(npyDict(pick(rng, npyDescrs), `(${count}, 28, 28)`), data) };
  if (choice === 2) return { name: 'fortran order', bytes: npyBytes(npyDict('|u1', `(${count}, 28, 28)`, true), data) };
  if (choice === 3) {
    const depth = pick(rng, [100, 10_000, 60_000]);
    return { name: `nested tuples ${depth} deep`, bytes: npyBytes(`{'descr': '|u1', 'fortran_order': False, 'shape': ${'('.repeat(depth)}${')'.repeat(depth)}, }`, data) };
  }
  if (choice === 4) return { name: 'duplicated and missing keys', bytes: npyBytes(pick(rng, ["{'descr': '|u1', 'descr': '<f8', 'fortran_order': False, 'shape': (200, 28, 28), }", "{'descr': '|u1', 'shape': (200, 28, 28)}", '{}', "{'descr': '|u1', 'fortran_order': False, 'shape': (200, 28, 28), 'extra': [1, 2, {3: 4}]}"]), data) };
  const header = npyBytes(npyDict('|u1', `(${count}, 28, 28)`), data);
  const out = header.slice();
  new DataView(out.buffer).setUint16(8, pick(rng, [0, 1, 0xffff]), true);
  return { name: 'header length field', bytes: out };
}

function npyMutation(rng: Rng, seeds: Seeds): { mutation: string; x: Uint8Array; y: Uint8Array } {
  let { x, y } = seeds.npy;
  const target = rng() < 0.7 ? 'x' : 'y';
  const source = target === 'x' ? x : y;
  const m = rng() < 0.5 ? mutateNpyHeader(rng, 200, source.subarray(128)) : mutateBytes(rng, source);
  if (target === 'x') x = m.bytes;
  else y = m.bytes;
  return { mutation: `${target}.npy: ${m.name}`, x, y };
}

export const npyKind: Kind = {
  make(rng, seeds) {
    const { mutation, x, y } = npyMutation(rng, seeds);
    return { mutation, files: { 'x.npy': x, 'y.npy': y }, entry: '' };
  },
  run: datasetRun,
};

/** Renames the last entry of a zip to `name` (same length) in its local and central headers: two entries, one name. */
function renameLastEntry(zip: Uint8Array, from: string, to: string): Uint8Array {
  const out = zip.slice();
  const text = Buffer.from(out.buffer).toString('latin1');
  for (let at = text.indexOf(from); at >= 0; at = text.indexOf(from, at + 1)) out.set(Buffer.from(to, 'latin1'), at);
  return out;
}

export const npzKind: Kind = {
  make(rng, seeds) {
    const choice = int(rng, 6);
    const { x, y } = seeds.npy;
    if (choice === 0) {
      const m = npyMutation(rng, seeds);
      return { mutation: m.mutation, files: { 'data.npz': npzBytes({ 'x.npy': m.x, 'y.npy': m.y }) }, entry: 'data.npz' };
    }
    if (choice === 1) return { mutation: 'zip bomb', files: { 'data.npz': zipBomb(y) }, entry: 'data.npz' };
    if (choice === 2) {
      const dup = renameLastEntry(npzBytes({ 'x.npy': x, 'y.npy': y, 'z.npy': x }), 'z.npy', pick(rng, ['x.npy', 'y.npy']));
      return { mutation: 'duplicated entry names', files: { 'data.npz': dup }, entry: 'data.npz' };
    }
    if (choice === 3) {
      const names = pick(rng, [['../x.npy', 'y.npy'], ['/x.npy', '/y.npy'], ['a/x.npy', 'a/y.npy'], ['x.npy'], ['x.npy', 'y.npy', ...Array.from({ length: 2000 }, (_, i) => `f${i}.npy`)]]);
      // Past the first two, each entry is a few bytes: two thousand copies of x would take longer to zip than a case may run.
      const entries = Object.fromEntries(names.map((n, i) => [n, i > 1 ? Uint8Array.of(i % 256) : i % 2 ? y : x]));
      return { mutation: `entry names ${names.slice(0, 2).join(', ')}${names.length > 2 ? ` +${names.length - 2}` : ''}`, files: { 'data.npz': npzBytes(entries) }, entry: 'data.npz' };
    }
    if (choice === 4) {
      // The central directory's uncompressed size, inflated: a declared length larger than the archive.
      const zip = npzBytes({ 'x.npy': x, 'y.npy': y });
      const out = zip.slice();
      const view = new DataView(out.buffer);
      for (let at = out.length - 22; at >= 0; at--) {
        if (view.getUint32(at, true) === 0x02014b50) {
          view.setUint32(at + 24, pick(rng, [0xffffffff, 0x7fffffff, 1 << 30]), true);
          break;
        }
      }
      return { mutation: 'declared entry size inflated', files: { 'data.npz': out }, entry: 'data.npz' };
    }
    const m = mutateBytes(rng, npzBytes({ 'x.npy': x, 'y.npy': y }, rng() < 0.5 ? 0 : 6));
    return { mutation: m.name, files: { 'data.npz': m.bytes }, entry: 'data.npz' };
  },
  run: datasetRun,
};

/**
 * An x.npy entry declaring and holding 256 MiB of zeros, deflated to about 250 KiB, beside the
 * sample's y.npy. Written by hand with zlib's native deflate: fflate, in JavaScript, took longer
 * than a case's time limit on a loaded machine.
 */
let zipped: Uint8Array | null = null;
function zipBomb(y: Uint8Array): Uint8Array {
  const count = Math.floor((256 << 20) / 784);
  const x = () => concat(npyBytes(npyDict('|u1', `(${count}, 28, 28)`), new Uint8Array(0)), new Uint8Array(count * 784));
  zipped ??= zipOf([
    { name: 'x.npy', data: x(), deflate: true },
    { name: 'y.npy', data: y, deflate: false },
  ]);
  return zipped;
}

/** A zip archive (no ZIP64: every size below 4 GiB), the way numpy.savez_compressed lays one out. */
function zipOf(entries: { name: string; data: Uint8Array; deflate: boolean }[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = text(entry.name);
    const body = entry.deflate ? new Uint8Array(deflateRawSync(entry.data, { level: 9 })) : entry.data;
    const fields = (header: DataView, at: number) => {
      header.setUint16(at, 20, true); // version needed
      header.setUint16(at + 4, entry.deflate ? 8 : 0, true);
      header.setUint32(at + 10, crc32(entry.data), true);
      header.setUint32(at + 14, body.length, true);
      header.setUint32(at + 18, entry.data.length, true);
      header.setUint16(at + 22, name.length, true);
    };
    const local = new Uint8Array(30);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    fields(lv, 4);
    const central = new Uint8Array(46);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    fields(cv, 6);
    cv.setUint32(42, offset, true);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = concat(...centrals);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, directory.length, true);
  ev.setUint32(16, offset, true);
  return concat(...locals, directory, end);
}

/** A PNG's IHDR width and height set, with the chunk's CRC fixed so the header reads as valid. */
function pngWithSize(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = png.slice();
  const view = new DataView(out.buffer);
  view.setUint32(16, width >>> 0, false);
  view.setUint32(20, height >>> 0, false);
  view.setUint32(29, crc32(out.subarray(12, 29)), false);
  return out;
}

export const imagesKind: Kind = {
  make(rng, seeds) {
    const files = { ...seeds.images };
    const names = Object.keys(files);
    const victim = pick(rng, names);
    const choice = int(rng, 5);
    let mutation: string;
    if (choice === 0 && victim.endsWith('.png')) {
      const [w, h] = pick(rng, [[65535, 65535], [0x7fffffff, 1], [1, 0x7fffffff], [0, 0], [100000, 100000]]);
      files[victim] = pngWithSize(files[victim], w, h);
      mutation = `${victim}: declares ${w}x${h}`;
    } else if (choice === 1) {
      files[victim] = pick(rng, [new Uint8Array(0), new TextEncoder().encode('not an image'), seeds.gzipBomb.subarray(0, 4096)]);
      mutation = `${victim}: not an image`;
    } else if (choice === 2) {
      // A decompression bomb: a real PNG of 256 MiB of zeros would be big to write; an IDAT of
      // zlib'd zeros under a 16384x16384 header is the same thing to a decoder.
      files[victim.replace(/\.\w+$/, '.png')] = pngBomb();
      delete files[victim];
      mutation = `${victim}: decompression bomb`;
    } else {
      const m = mutateBytes(rng, files[victim]);
      files[victim] = m.bytes;
      mutation = `${victim}: ${m.name}`;
    }
    return { mutation, files, entry: '' };
  },
  run: datasetRun,
};

let bomb: Uint8Array | null = null;
function pngBomb(): Uint8Array {
  if (bomb) return bomb;
  const side = 16384;
  const chunk = (type: string, data: Uint8Array) => {
    const body = concat(new TextEncoder().encode(type), data);
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length, false);
    out.set(body, 4);
    view.setUint32(8 + data.length, crc32(body), false);
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, side, false);
  new DataView(ihdr.buffer).setUint32(4, side, false);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const rows = new Uint8Array((side + 1) * side);
  bomb = concat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', new Uint8Array(0)));
  return bomb;
}

// ---- Projects --------------------------------------------------------------------------------

const hostileValues: unknown[] = ['{', '[]', 'null', '1e999', '-1', 'x'.repeat(100_000), Buffer.from([0, 0xff, 0xfe]), -1, 9e18, null, 3.5];

/** Rewrites the project with SQL as another program (or a damaged disk) could: wrong types, missing rows, a newer schema. */
function mutateProjectSql(rng: Rng, bytes: Uint8Array, dir: string): { name: string; bytes: Uint8Array } {
  const path = join(dir, 'sql-mutation.brink');
  writeFileSync(path, bytes);
  const db = new Database(path);
  let name: string;
  try {
    db.pragma('foreign_keys = OFF');
    db.pragma('ignore_check_constraints = ON');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
    const choice = int(rng, 4);
    if (choice === 0) {
      const table = pick(rng, tables);
      const columns = (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name);
      const column = pick(rng, columns);
      const value = pick(rng, hostileValues);
      db.prepare(`UPDATE "${table}" SET "${column}" = ?`).run(value as never);
      name = `${table}.${column} = ${String(value).slice(0, 20)}`;
    } else if (choice === 1) {
      const table = pick(rng, tables);
      db.exec(rng() < 0.5 ? `DELETE FROM "${table}"` : `DROP TABLE "${table}"`);
      name = `table ${table} emptied or dropped`;
    } else if (choice === 2) {
      const pragma = pick(rng, ['user_version = 9999', 'user_version = -1', 'user_version = 0', 'application_id = 0']);
      db.pragma(pragma);
      name = pragma;
    } else {
      const table = pick(rng, tables);
      db.exec(`CREATE TABLE IF NOT EXISTS "${table}_shadow" AS SELECT * FROM "${table}"; DROP TABLE "${table}"; CREATE TABLE "${table}" (x); `);
      name = `table ${table} replaced by one of another shape`;
    }
  } finally {
    db.close();
  }
  return { name, bytes: new Uint8Array(readFileSync(path)) };
}

export const projectKind: Kind = {
  make(rng, seeds, scratch) {
    let m: { name: string; bytes: Uint8Array };
    try {
      m = rng() < 0.35 ? mutateProjectSql(rng, seeds.project, scratch) : mutateBytes(rng, seeds.project);
    } catch {
      // STRICT tables refuse a value of the wrong type, as they should: mutate the bytes instead.
      m = mutateBytes(rng, seeds.project);
    }
    return { mutation: m.name, files: { 'mutated.brink': m.bytes }, entry: 'mutated.brink' };
  },
  async run(_context, path) {
    const store = openProjectFile(path);
    try {
      store.info();
      for (const m of store.models.list()) store.models.get(m.id);
      for (const d of store.datasets.list()) store.datasets.get(d.id);
      for (const r of store.runs.list()) store.runs.get(r.id);
    } finally {
      store.close();
    }
    return null;
  },
};

export const kinds = { onnx: onnxKind, idx: idxKind, cifar: cifarKind, npy: npyKind, npz: npzKind, images: imagesKind, labels: labelsKind, project: projectKind } as const;
export type KindName = keyof typeof kinds;
export const kindNames = Object.keys(kinds) as KindName[];
