// Helpers for the dataset-reader tests: every fixture is written byte by byte into a fresh temp folder.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterEach, beforeEach } from 'vitest';

/** A fresh temp folder per test, removed afterwards; call at the top of a describe block. */
export function useTempDir(): () => string {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brink-data-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

export async function put(path: string, bytes: Uint8Array | string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

export function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes);
}

/** 0..count-1 wrapped into bytes: a recognisable, position-dependent pattern. */
export function ramp(count: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => (start + i) % 256);
}

export function idxFile(dims: number[], body: Uint8Array, typeCode = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((size, i) => view.setUint32(4 + 4 * i, size, false));
  return concat(header, body);
}

/** CIFAR records: labels (1 byte, or coarse+fine for CIFAR-100) then 3072 pixel bytes from `pixel(record, offset)`. */
export function cifarFile(labels: number[][], pixel: (record: number, offset: number) => number): Uint8Array {
  const parts = labels.map((label, r) =>
    concat(
      Uint8Array.from(label),
      Uint8Array.from({ length: 3072 }, (_, o) => pixel(r, o)),
    ),
  );
  return concat(...parts);
}

export interface NpyOptions {
  fortranOrder?: boolean;
  version?: 1 | 2 | 3;
}

/** A .npy file as numpy.lib.format writes it: header dict padded with spaces so the data starts on a 64-byte boundary. */
export function npyFile(descr: string, shape: number[], data: Uint8Array, options: NpyOptions = {}): Uint8Array {
  const version = options.version ?? 1;
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${options.fortranOrder ? 'True' : 'False'}, 'shape': ${tuple}, }`;
  const prefixSize = version === 1 ? 10 : 12;
  const padded = dict.padEnd(Math.ceil((prefixSize + dict.length + 1) / 64) * 64 - prefixSize - 1, ' ') + '\n';
  const prefix = new Uint8Array(prefixSize);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(prefix.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  return concat(prefix, new TextEncoder().encode(padded), data);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Writes an image from interleaved 8-bit pixels; channels 1 stays greyscale in the file. */
export async function putImage(
  path: string,
  format: 'png' | 'jpeg',
  [width, height, channels]: [number, number, 1 | 2 | 3 | 4],
  pixels: Uint8Array,
): Promise<string> {
  let image = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  if (channels <= 2) image = image.toColourspace('b-w');
  const bytes = format === 'png' ? await image.png().toBuffer() : await image.jpeg({ quality: 100 }).toBuffer();
  return put(path, bytes);
}
