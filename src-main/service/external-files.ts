import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { OnnxFormatError, oneLine } from '../engine/onnx/errors.js';
import { externalReferences, type ExternalReference } from '../engine/onnx/external.js';
import { onnx } from '../engine/onnx/proto.js';
import type { ExternalDataFolder } from '../engine/runtime/external-data.js';
import type { NewExternalFile } from '../store/model-repo.js';

/** A model's external data files, checked and held open: what import stores and `brink grad` runs with. */
export interface OpenedExternalData extends ExternalDataFolder {
  /** One entry per file, in the order the model first names them. */
  files: NewExternalFile[];
}

/**
 * Finds the files a model's external data references name, in the model's folder (DESIGN.md
 * section 7): each location must stay inside the folder, after links are followed, and each
 * file must be a regular file long enough for every tensor it holds. Throws OnnxFormatError
 * (one line, naming the model, tensor and file) otherwise. remove() closes the files.
 */
export async function openExternalData(modelPath: string, modelBytes: Uint8Array, fileName: string): Promise<OpenedExternalData> {
  const refs = externalReferences(onnx.ModelProto.decode(modelBytes), fileName);
  const dir = await realpath(dirname(resolve(modelPath)));
  // Per file: the first tensor that names it (for "not found") and the one reaching furthest.
  const needs = new Map<string, { first: ExternalReference; furthest: ExternalReference }>();
  for (const ref of refs) {
    const known = needs.get(ref.path);
    if (!known) needs.set(ref.path, { first: ref, furthest: ref });
    else if (ref.offset + ref.length > known.furthest.offset + known.furthest.length) known.furthest = ref;
  }
  const fds = new Map<string, number>();
  const files: NewExternalFile[] = [];
  const close = () => {
    for (const fd of fds.values()) closeSync(fd);
    fds.clear();
  };
  try {
    for (const [path, need] of needs) {
      const { fd, size } = await openInside(dir, need, fileName);
      fds.set(path, fd);
      files.push({ path, size, chunks: (chunkBytes) => readChunks(fd, size, chunkBytes, path) });
    }
  } catch (error) {
    close();
    throw error;
  }
  const read = (ref: ExternalReference): Uint8Array => {
    const fd = fds.get(ref.path);
    if (fd === undefined) throw new Error(`external data file '${ref.path}' is not open`);
    const out = new Uint8Array(ref.length);
    readFully(fd, out, ref.offset, ref.path);
    return out;
  };
  return { dir, files, read, remove: close };
}

async function openInside(dir: string, need: { first: ExternalReference; furthest: ExternalReference }, fileName: string): Promise<{ fd: number; size: number }> {
  const { first, furthest: ref } = need;
  const named = `external data file '${oneLine(ref.path)}'`;
  const real = await realpath(join(dir, ...ref.path.split('/'))).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      throw new OnnxFormatError(`tensor '${oneLine(first.tensor)}' keeps its data in '${oneLine(first.location)}', which is not in the model's folder`, fileName);
    }
    throw new OnnxFormatError(`${named} cannot be read (${error.code ?? error.message})`, fileName);
  });
  if (!real.startsWith(dir + sep)) throw new OnnxFormatError(`${named} is a link that leads outside the model's folder`, fileName);
  // O_NOFOLLOW: the checked path is not swapped for a link between realpath and open.
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    throw new OnnxFormatError(`${named} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, fileName);
  }
  const info = fstatSync(fd);
  const end = ref.offset + ref.length;
  const problem = !info.isFile() ? `${named} is not a regular file` : info.size < end ? `${named} holds ${info.size} bytes, but tensor '${oneLine(ref.tensor)}' needs ${end}` : null;
  if (problem) {
    closeSync(fd);
    throw new OnnxFormatError(problem, fileName);
  }
  return { fd, size: info.size };
}

function* readChunks(fd: number, size: number, chunkBytes: number, path: string): Generator<Uint8Array> {
  for (let position = 0; position < size; position += chunkBytes) {
    const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, size - position));
    readFully(fd, chunk, position, path);
    yield chunk;
  }
}

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  for (let at = 0; at < into.byteLength; ) {
    const n = readSync(fd, into, at, into.byteLength - at, position + at);
    if (n === 0) throw new OnnxFormatError(`external data file '${oneLine(path)}' became shorter while it was read`);
    at += n;
  }
}
