/**
 * The protobuf wire format, just enough for a lossless ONNX editor: a reader that lists a
 * message's fields with their exact bytes (so fields Brink does not model are re-emitted
 * verbatim), and a writer that assembles messages from chunks without copying large payloads
 * (initializer data) until the single final concatenation.
 */

export const VARINT = 0;
export const FIXED64 = 1;
export const BYTES = 2;
export const FIXED32 = 5;

export class WireError extends Error {}

export interface Field {
  number: number;
  wire: number;
  /** The whole field, tag included: what a writer re-emits to keep it unchanged. */
  bytes: Uint8Array;
  /** The value: the payload of a length-delimited field, else the raw value bytes. */
  value: Uint8Array;
}

/** A message's fields in file order. Throws WireError when the bytes are not a protobuf message. */
export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  const r = new Reader(buf);
  while (!r.done()) {
    const start = r.pos;
    const tag = r.varint();
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number < 1) throw new WireError(`field number 0 at byte ${start}`);
    let valueStart = r.pos;
    if (wire === VARINT) r.varint64();
    else if (wire === FIXED64) r.skip(8);
    else if (wire === FIXED32) r.skip(4);
    else if (wire === BYTES) {
      const length = r.varint();
      valueStart = r.pos;
      r.skip(length);
    } else throw new WireError(`unsupported wire type ${wire} at byte ${start}`);
    fields.push({ number, wire, bytes: buf.subarray(start, r.pos), value: buf.subarray(valueStart, r.pos) });
  }
  return fields;
}

export class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new WireError(`field runs past the end (byte ${this.pos})`);
    this.pos += n;
  }

  /** An unsigned varint that fits a double exactly (lengths, tags, enums, small ints). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.buf.length) throw new WireError('varint runs past the end');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    this.pos -= 7;
    const big = this.varint64();
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError('varint too large');
    return Number(big);
  }

  /** Any varint, as an unsigned 64-bit BigInt. */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError('varint runs past the end');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new WireError('varint longer than 10 bytes');
  }
}

/** The int64 a varint field holds, as a number (clamped to ±2^63 beyond 2^53; exact below). */
export function int64(value: Uint8Array): number {
  return Number(BigInt.asIntN(64, new Reader(value).varint64()));
}

export function int64Big(value: Uint8Array): bigint {
  return BigInt.asIntN(64, new Reader(value).varint64());
}

/** Elements of a repeated varint field, packed (wire 2) or not (wire 0). */
export function varints(field: Field): bigint[] {
  if (field.wire === VARINT) return [BigInt.asIntN(64, new Reader(field.value).varint64())];
  const r = new Reader(field.value);
  const out: bigint[] = [];
  while (!r.done()) out.push(BigInt.asIntN(64, r.varint64()));
  return out;
}

/** Elements of a repeated fixed32 float field, packed or not. */
export function floats32(field: Field): number[] {
  const view = new DataView(field.value.buffer, field.value.byteOffset, field.value.byteLength);
  if (field.value.byteLength % 4 !== 0) throw new WireError('float field length is not a multiple of 4');
  return Array.from({ length: field.value.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

export function floats64(field: Field): number[] {
  const view = new DataView(field.value.buffer, field.value.byteOffset, field.value.byteLength);
  if (field.value.byteLength % 8 !== 0) throw new WireError('double field length is not a multiple of 8');
  return Array.from({ length: field.value.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();
export const text = (value: Uint8Array): string => utf8.decode(value);

/** A message under construction: chunks by reference, concatenated once by `finish`. */
export class Writer {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  raw(bytes: Uint8Array): this {
    if (bytes.length > 0) {
      this.parts.push(bytes);
      this.length += bytes.length;
    }
    return this;
  }

  private head(number: number, wire: number, extra?: number): void {
    const out: number[] = [];
    pushVarint(out, BigInt(number * 8 + wire));
    if (extra !== undefined) pushVarint(out, BigInt(extra));
    this.raw(Uint8Array.from(out));
  }

  /** An int64/int32/enum/bool varint field; negative numbers take ten bytes, as protobuf writes them. */
  varint(number: number, value: number | bigint): this {
    const out: number[] = [];
    pushVarint(out, BigInt(number * 8 + VARINT));
    pushVarint(out, toUint64(value));
    return this.raw(Uint8Array.from(out));
  }

  bytes(number: number, data: Uint8Array): this {
    this.head(number, BYTES, data.length);
    return this.raw(data);
  }

  string(number: number, value: string): this {
    return this.bytes(number, utf8Encoder.encode(value));
  }

  float(number: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.head(number, FIXED32);
    return this.raw(b);
  }

  message(number: number, inner: Writer): this {
    this.head(number, BYTES, inner.length);
    this.parts.push(...inner.parts);
    this.length += inner.length;
    return this;
  }

  packedVarints(number: number, values: readonly (number | bigint)[]): this {
    const out: number[] = [];
    for (const v of values) pushVarint(out, toUint64(v));
    return this.bytes(number, Uint8Array.from(out));
  }

  packedFloats(number: number, values: readonly number[]): this {
    return this.bytes(number, new Uint8Array(Float32Array.from(values).buffer));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function toUint64(value: number | bigint): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (!Number.isFinite(value)) v = value > 0 ? INT64_MAX : INT64_MIN;
  else v = BigInt(Math.trunc(value));
  // A number read from an int64 beyond 2^53 rounds up to 2^63 (INT64_MAX + 1); clamp it back.
  if (v > INT64_MAX) v = INT64_MAX;
  if (v < INT64_MIN) v = INT64_MIN;
  return BigInt.asUintN(64, v);
}

function pushVarint(out: number[], v: bigint): void {
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}
