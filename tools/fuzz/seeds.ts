// The real files each kind mutates: the bundled sample project, the repository's model fixtures,
// and small datasets in each format written here byte by byte (the formats' own layouts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import sharp from 'sharp';
import { classifierGraph, controlFlowModel, encode, externalize, model, tinyModel } from '../../src-main/engine/onnx/fixtures/models.js';
import { samplesDir } from '../../src-main/paths.js';
import { concat } from './mutate.js';

const trapsDir = join(import.meta.dirname, '../../src-main/engine/onnx/fixtures/traps');

export interface OnnxSeed {
  name: string;
  bytes: Uint8Array;
  /** An external data file the model names, written beside it. */
  external?: { location: string; bytes: Uint8Array };
}

export function onnxSeeds(): OnnxSeed[] {
  const traps = readdirSync(trapsDir)
    .filter((name) => name.endsWith('.onnx'))
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(trapsDir, name))) }));
  const external = externalize(model(classifierGraph()), ['fc.weight', 'conv.weight']);
  return [
    { name: 'fmnist-cnn-standard.onnx', bytes: new Uint8Array(readFileSync(join(samplesDir, 'fmnist-cnn-standard.onnx'))) },
    ...traps,
    { name: 'tiny.onnx', bytes: encode(tinyModel()) },
    { name: 'control-flow.onnx', bytes: encode(controlFlowModel()) },
    { name: 'external.onnx', bytes: encode(external.model), external: { location: 'weights.bin', bytes: external.data } },
  ];
}

export const sampleModelPath = join(samplesDir, 'fmnist-cnn-standard.onnx');
export const sampleLabels = (): string => readFileSync(join(samplesDir, 'fmnist-labels.txt'), 'utf8');

/** The sample's IDX pair, first `count` samples, uncompressed (callers gzip as they please). */
export function idxSeed(count: number): { images: Uint8Array; labels: Uint8Array } {
  const images = gunzipSync(readFileSync(join(samplesDir, 'fmnist-test-1000-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(samplesDir, 'fmnist-test-1000-labels-idx1-ubyte.gz')));
  const cut = (bytes: Uint8Array, header: number, each: number) => {
    const out = concat(bytes.subarray(0, header), bytes.subarray(header, header + count * each));
    new DataView(out.buffer).setUint32(4, count, false);
    return out;
  };
  return { images: cut(images, 16, 784), labels: cut(labels, 8, 1) };
}

/** Sample images as CIFAR-10 records: label byte, then 3x32x32 planes. */
export function cifarSeed(count: number): Uint8Array {
  const { images, labels } = idxSeed(count);
  const records = new Uint8Array(count * 3073);
  for (let r = 0; r < count; r++) {
    records[r * 3073] = labels[8 + r];
    for (let p = 0; p < 3072; p++) records[r * 3073 + 1 + p] = images[16 + r * 784 + (p % 784)];
  }
  return records;
}

export const CIFAR_NAMES = 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n';

/** A .npy file as numpy.lib.format version 1 writes it, with the header dict given as text. */
export function npyBytes(dict: string, data: Uint8Array): Uint8Array {
  const padded = dict.padEnd(Math.ceil((10 + dict.length + 1) / 64) * 64 - 11, ' ') + '\n';
  const prefix = new Uint8Array(10);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(prefix.buffer).setUint16(8, Math.min(padded.length, 0xffff), true);
  return concat(prefix, new TextEncoder().encode(padded), data);
}

export const npyDict = (descr: string, shape: string, fortran = false): string =>
  `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;

/** x: the sample images as uint8 [n, 28, 28]; y: their labels as int64 [n]. */
export function npySeed(count: number): { x: Uint8Array; y: Uint8Array } {
  const { images, labels } = idxSeed(count);
  const y = new BigInt64Array(count);
  for (let i = 0; i < count; i++) y[i] = BigInt(labels[8 + i]);
  return {
    x: npyBytes(npyDict('|u1', `(${count}, 28, 28)`), images.subarray(16)),
    y: npyBytes(npyDict('<i8', `(${count},)`), new Uint8Array(y.buffer)),
  };
}

export function npzBytes(entries: Record<string, Uint8Array>, level: 0 | 6 = 6): Uint8Array {
  return zipSync(entries, { level });
}

/** Two class folders of small PNG and JPEG images cut from the sample. */
export async function imageSeed(): Promise<Record<string, Uint8Array>> {
  const { images } = idxSeed(6);
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 6; i++) {
    const raw = sharp(Buffer.from(images.subarray(16 + i * 784, 16 + (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w');
    const png = i % 2 === 0;
    files[`${i < 3 ? 'boot' : 'shirt'}/${i}.${png ? 'png' : 'jpg'}`] = new Uint8Array(await (png ? raw.png() : raw.jpeg()).toBuffer());
  }
  return files;
}
