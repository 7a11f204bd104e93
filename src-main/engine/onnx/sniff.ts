import { oneLine } from './errors.js';

interface Signature {
  /** What the file is, as it reads after "this is ". */
  what: string;
  /** Extra advice appended to the message. */
  hint?: string;
  matches: (b: Uint8Array) => boolean;
}

const at = (b: Uint8Array, offset: number, bytes: number[] | string): boolean => {
  const expected = typeof bytes === 'string' ? Array.from(bytes, (c) => c.charCodeAt(0)) : bytes;
  if (b.length < offset + expected.length) return false;
  return expected.every((x, i) => b[offset + i] === x);
};

// Every ONNX writer starts with field 1 (ir_version, byte 0x08); none of these signatures can
// begin a ModelProto that a real exporter wrote, so they are checked before decoding.
const DISTINCTIVE: Signature[] = [
  { what: 'a PNG image', matches: (b) => at(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { what: 'a JPEG image', matches: (b) => at(b, 0, [0xff, 0xd8, 0xff]) },
  { what: 'a GIF image', matches: (b) => at(b, 0, 'GIF87a') || at(b, 0, 'GIF89a') },
  { what: 'a WebP image', matches: (b) => at(b, 0, 'RIFF') && at(b, 8, 'WEBP') },
  {
    what: 'a ZIP archive',
    hint: 'PyTorch .pt/.pth checkpoints and .npz files are ZIP archives; export the model with torch.onnx.export',
    matches: (b) => at(b, 0, 'PK') && (at(b, 2, [3, 4]) || at(b, 2, [5, 6]) || at(b, 2, [7, 8])),
  },
  { what: 'a gzip archive', hint: 'decompress it first', matches: (b) => at(b, 0, [0x1f, 0x8b]) },
  { what: 'an xz archive', hint: 'decompress it first', matches: (b) => at(b, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) },
  { what: 'a 7-Zip archive', hint: 'extract it first', matches: (b) => at(b, 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) },
  { what: 'a Zstandard archive', hint: 'decompress it first', matches: (b) => at(b, 0, [0x28, 0xb5, 0x2f, 0xfd]) },
  { what: 'a PDF document', matches: (b) => at(b, 0, '%PDF-') },
  { what: 'a NumPy array file', matches: (b) => at(b, 0, [0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0))]) },
  { what: 'an HDF5 file', hint: 'Keras .h5 models must be converted to ONNX first', matches: (b) => at(b, 0, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { what: 'a TensorFlow Lite model', hint: 'convert it to ONNX first (tf2onnx)', matches: (b) => at(b, 4, 'TFL3') },
  { what: 'an ONNX Runtime .ort model', hint: 'Brink needs the original .onnx file', matches: (b) => at(b, 4, 'ORTM') },
  {
    what: 'a Git LFS pointer, not the model itself',
    hint: 'fetch the real file with `git lfs pull`',
    matches: (b) => at(b, 0, 'version https://git-lfs.github.com/spec/'),
  },
];

// Short signatures that a ModelProto could in principle start with (e.g. "BM" is field 8 with
// length 77); used only to explain a file that already failed to decode.
const AMBIGUOUS: Signature[] = [
  { what: 'a BMP image', matches: (b) => at(b, 0, 'BM') && b.length >= 26 },
  { what: 'a TIFF image', matches: (b) => at(b, 0, [0x49, 0x49, 0x2a, 0x00]) || at(b, 0, [0x4d, 0x4d, 0x00, 0x2a]) },
  { what: 'a bzip2 archive', hint: 'decompress it first', matches: (b) => at(b, 0, 'BZh') },
  {
    what: 'a Python pickle',
    hint: 'old PyTorch .pt checkpoints are pickles; export the model with torch.onnx.export',
    matches: (b) => b[0] === 0x80 && b[1] >= 2 && b[1] <= 5,
  },
];

const describe = (s: Signature): string => `this is ${s.what}${s.what.includes(', not') ? '' : ', not an ONNX model'}${s.hint ? ` (${s.hint})` : ''}`;

/** A message for a file whose first bytes show it is some other well-known format, else null. */
export function distinctiveForeignFormat(bytes: Uint8Array): string | null {
  const found = DISTINCTIVE.find((s) => s.matches(bytes));
  return found ? describe(found) : null;
}

/** Explains a file that did not decode as ONNX, when it looks like another format or like text. */
export function likelyForeignFormat(bytes: Uint8Array): string | null {
  const found = AMBIGUOUS.find((s) => s.matches(bytes));
  if (found) return describe(found);
  const firstLine = textStart(bytes);
  return firstLine === null ? null : `this is a text file, not an ONNX model (it starts with "${oneLine(firstLine, 40)}")`;
}

/** The first line of the file when its first bytes read as text, else null. */
function textStart(bytes: Uint8Array): string | null {
  const head = bytes.subarray(0, 512);
  let text: string;
  try {
    // stream: a multi-byte character cut at byte 512 is left pending instead of failing.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  if (text.length === 0 || /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) return null;
  const line = text.trimStart().split(/\r?\n/)[0].trim();
  return line.length > 0 ? line : null;
}
