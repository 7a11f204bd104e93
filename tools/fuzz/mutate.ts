// Byte-level mutations, each driven by the case's own seeded generator so that a case replays alone.

export type Rng = () => number;

export const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)];

/** Values that break length and count fields: zero, sign bits, the edges of 16, 31, 32 and 53 bits. */
export const HOSTILE_NUMBERS = [0, 1, 0x7f, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 40, 2 ** 53 - 1] as const;

export interface Mutation {
  name: string;
  bytes: Uint8Array;
}

type ByteMutator = (rng: Rng, bytes: Uint8Array) => Uint8Array;

const byteMutators: Record<string, ByteMutator> = {
  'bit flips': (rng, bytes) => {
    const out = bytes.slice();
    for (let k = 1 + int(rng, 8); k > 0 && out.length > 0; k--) out[int(rng, out.length)] ^= 1 << int(rng, 8);
    return out;
  },
  truncation: (rng, bytes) => bytes.slice(0, int(rng, bytes.length)),
  'inflated length': (rng, bytes) => {
    // A 32-bit field near the start is where formats keep lengths, counts and dims.
    const out = bytes.slice();
    if (out.length < 4) return out;
    const at = int(rng, Math.min(out.length - 3, 64));
    new DataView(out.buffer).setUint32(at, pick(rng, HOSTILE_NUMBERS) >>> 0, rng() < 0.5);
    return out;
  },
  'byte run': (rng, bytes) => {
    const out = bytes.slice();
    const at = int(rng, out.length + 1);
    out.fill(pick(rng, [0, 0xff, 0x80]), at, at + 1 + int(rng, 64));
    return out;
  },
  'duplicated range': (rng, bytes) => {
    const from = int(rng, bytes.length + 1);
    const to = Math.min(bytes.length, from + 1 + int(rng, 256));
    const at = int(rng, bytes.length + 1);
    return concat(bytes.subarray(0, at), bytes.subarray(from, to), bytes.subarray(at));
  },
  'removed range': (rng, bytes) => {
    const from = int(rng, bytes.length + 1);
    return concat(bytes.subarray(0, from), bytes.subarray(Math.min(bytes.length, from + 1 + int(rng, 256))));
  },
  'appended garbage': (rng, bytes) => concat(bytes, Uint8Array.from({ length: 1 + int(rng, 512) }, () => int(rng, 256))),
};

export function mutateBytes(rng: Rng, bytes: Uint8Array): Mutation {
  const name = pick(rng, Object.keys(byteMutators));
  // A plain copy: protobufjs hands out Buffers, whose fill() and slice() differ from Uint8Array's.
  return { name, bytes: byteMutators[name](rng, new Uint8Array(bytes)) };
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

/** A generator per (seed, kind, case): FNV-1a of the three into mulberry32's state. */
export function caseSeed(seed: number, kind: string, index: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}/${kind}/${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}
