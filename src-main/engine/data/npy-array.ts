// The .npy format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
import { DatasetFormatError } from './errors.js';
import { parsePythonLiteral, type PyValue } from './python-literal.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Magic, version and the widest header-length field: enough to know where the data starts. */
export const NPY_PREFIX_SIZE = 12;

export interface NpyDtype {
  descr: string;
  /** numpy's kind letter: u unsigned, i signed, f float, b bool, ... */
  kind: string;
  itemSize: number;
}

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the array data from the start of the .npy bytes. */
  dataOffset: number;
  /** Bytes the whole array needs. */
  dataSize: number;
}

export function hasNpyMagic(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((byte, i) => head[i] === byte);
}

/** `where` names the array in messages: the file name, or the archive and its entry. */
export function npyDataOffset(prefix: Uint8Array, where: string): number {
  if (!hasNpyMagic(prefix)) {
    const hex = Array.from(prefix.subarray(0, 6), (byte) => byte.toString(16).padStart(2, '0')).join('');
    throw new DatasetFormatError(`${where}: not a .npy array (magic 0x${hex}, expected \\x93NUMPY)`);
  }
  const major = prefix[6];
  const lengthSize = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) throw new DatasetFormatError(`${where}: unsupported .npy version ${major}.${prefix[7]}`);
  if (prefix.length < 8 + lengthSize) throw new DatasetFormatError(`${where}: truncated .npy header`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  return 8 + lengthSize + (major === 1 ? view.getUint16(8, true) : view.getUint32(8, true));
}

/** Parses the header; `bytes` must hold at least the first npyDataOffset() bytes. */
export function parseNpyHeader(bytes: Uint8Array, where: string): NpyHeader {
  const fail = (problem: string): never => {
    throw new DatasetFormatError(`${where}: ${problem}`);
  };
  const dataOffset = npyDataOffset(bytes, where);
  if (bytes.length < dataOffset) fail('truncated .npy header');
  // Version 3 exists only to allow UTF-8 field names; versions 1 and 2 are latin1.
  const encoding = bytes[6] === 3 ? 'utf-8' : 'latin1';
  const text = new TextDecoder(encoding).decode(bytes.subarray(bytes[6] === 1 ? 10 : 12, dataOffset));
  let dict: PyValue;
  try {
    dict = parsePythonLiteral(text);
  } catch (error) {
    return fail(`malformed .npy header (${(error as Error).message})`);
  }
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) return fail('malformed .npy header (not a dictionary)');
  const { descr, fortran_order: fortranOrder, shape } = dict;
  if (typeof descr !== 'string') return fail('structured arrays (record dtypes) are not supported');
  if (fortranOrder === true) return fail('arrays saved with fortran_order=True are not supported (save np.ascontiguousarray(a))');
  if (fortranOrder !== false) fail("malformed .npy header (no 'fortran_order')");
  if (!Array.isArray(shape) || !shape.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
    return fail("malformed .npy header (no valid 'shape')");
  }
  const dtype = parseDescr(descr, fail);
  const dims = shape as number[];
  return { dtype, shape: dims, dataOffset, dataSize: dims.reduce((a, b) => a * b, 1) * dtype.itemSize };
}

function parseDescr(descr: string, fail: (problem: string) => never): NpyDtype {
  const found = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  if (found === null) return fail(`unsupported dtype '${descr}'`);
  const [, order, kind, size] = found;
  const itemSize = Number(size);
  if (order === '>' && itemSize > 1) fail(`big-endian data (${descr}) is not supported (save with a.astype('<${kind}${size}'))`);
  return { descr, kind, itemSize };
}

export function checkComplete(header: NpyHeader, available: number, where: string): void {
  if (available < header.dataSize) {
    const what = `shape ${pythonShape(header.shape)} of ${header.dtype.descr} needs ${header.dataSize} bytes`;
    throw new DatasetFormatError(`${where}: truncated data: ${what}, found ${Math.max(0, available)}`);
  }
}

export function pythonShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}
