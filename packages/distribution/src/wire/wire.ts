/**
 * Byte-level primitives shared by the term codec and the control codec: a growable,
 * reusable output buffer and a bounds-checked input cursor. Both speak protobuf's
 * wire primitives (base-128 varints, zigzag, little-endian doubles, length-delimited
 * fields) so the control envelope is plain protobuf and the term codec uses the same
 * integer encoding.
 *
 * A writer is reused across messages and batches: nothing is allocated per message
 * unless the buffer has to grow. A length-delimited field whose length is unknown
 * until its content is written reserves one length byte and, in the rare case the
 * content reaches 128 bytes, moves the content right to make room for a longer varint
 * (cheaper than sizing every message twice).
 *
 * Internal to the package, not part of its API.
 */
import { NotCopyableError } from '@grove/core';
import { DecodeError } from '../errors';

/** Default ceiling for one encoded batch: a bound on what a runaway message can allocate. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Buffer's own fast paths (Node defines them on Buffer.prototype and uses them inside
 * `write` and `toString`); calling them directly skips the encoding-name dispatch.
 */
export interface FastBuffer extends Buffer {
  utf8Write(s: string, offset: number, length: number): number;
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
}

/**
 * True for what a varint field carries: an integer 0 ≤ n ≤ 2^53 - 1, the range the
 * decoder accepts. Anything else (negative, fractional, NaN, ±Infinity, not a number)
 * would never end the varint loop or would write bytes no decoder reads back.
 */
export function isVarint(n: unknown): n is number {
  return (n as number) >>> 0 === n || (Number.isSafeInteger(n) && (n as number) > 0);
}

/** True for an integer 0 ≤ n < 2^32 (a pid's serial and creation, a ref's creation). */
export function isUint32(n: unknown): n is number {
  return (n as number) >>> 0 === n;
}

/** A field's value in an error message, without calling anything the value defines. */
export function fieldText(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? v.slice(0, 64) + '…' : v);
  return v === null ? 'null' : v === undefined ? 'undefined' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The error for a value no varint can carry: the sender sees it, nothing is written. */
export function badVarint(n: unknown): NotCopyableError {
  return new NotCopyableError('$', `${fieldText(n)} cannot be encoded as an unsigned varint (an integer from 0 to 2^53 - 1)`);
}

/** Number of bytes the varint of `n` (0 ≤ n ≤ 2^53) takes. */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 5;
  for (n = Math.floor(n / 0x800000000); n > 0; n = Math.floor(n / 0x80)) size++;
  return size;
}

/**
 * Writes the varint of `n` at `pos` (the caller made room for 8 bytes) and returns
 * the position after it. The caller checked `n` with {@link isVarint}. Small enough to
 * inline: one byte here, the rest in {@link putLongVarint}.
 */
export function putVarint(buf: Uint8Array, pos: number, n: number): number {
  if (n < 0x80) {
    buf[pos] = n;
    return pos + 1;
  }
  return putLongVarint(buf, pos, n);
}

function putLongVarint(buf: Uint8Array, pos: number, n: number): number {
  if (n > 0xffffffff) {
    // Low 28 bits with bit operations, the rest with arithmetic.
    let hi = Math.floor(n / 0x10000000);
    let lo = n - hi * 0x10000000;
    for (let i = 0; i < 4; i++, lo >>>= 7) buf[pos++] = (lo & 0x7f) | 0x80;
    while (hi > 0x7f) {
      buf[pos++] = (hi & 0x7f) | 0x80;
      hi = Math.floor(hi / 0x80);
    }
    buf[pos++] = hi;
    return pos;
  }
  while (n > 0x7f) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

/**
 * What a writer made with `split` throws instead of growing past its maximum: not an
 * error (no stack is captured), a signal to its owner that the message goes another
 * way (a batch's transport sends it in fragments). The encoders let it through as it is.
 */
export const BATCH_FULL: { readonly batchFull: true } = Object.freeze({ batchFull: true as const });

/** A growable output buffer, reused across messages. */
export class WireWriter {
  /** The bytes; valid from 0 to {@link pos}. Replaced when the writer grows. */
  buf: Buffer;
  /** Next byte to write. */
  pos = 0;

  constructor(
    initialSize = 8192,
    /** Growing past this many bytes throws a NotCopyableError at the sender. */
    readonly maxBytes = DEFAULT_MAX_BYTES,
    /** Throw {@link BATCH_FULL} rather than a NotCopyableError past `maxBytes`. */
    private readonly split = false,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const need = this.pos + n;
    if (need > this.maxBytes) {
      if (this.split) throw BATCH_FULL;
      throw new NotCopyableError('$', `the encoded message is larger than the limit of ${this.maxBytes} bytes`);
    }
    const next = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Forgets the content; keeps the buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** A copy of the content, safe to hand to a socket; then resets. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }

  /**
   * The content as a Buffer of its own, safe to hand to a socket; then resets. Content
   * that fills at least half the buffer is handed over with it (no copy) and a new
   * buffer takes its place; less is copied, so a small batch never pins a large buffer.
   */
  takeOwned(): Buffer {
    const n = this.pos;
    const buf = this.buf;
    this.pos = 0;
    if (n * 2 < buf.length) {
      const out = Buffer.allocUnsafe(n);
      buf.copy(out, 0, 0, n);
      return out;
    }
    this.buf = Buffer.allocUnsafe(buf.length);
    return buf.subarray(0, n);
  }

  /** A view of the content (valid until the next write or reset). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  u8(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  /**
   * An unsigned varint, 0 ≤ n ≤ 2^53 - 1. Anything else throws (a NotCopyableError)
   * and writes nothing: the last guard that keeps a stream valid whatever the caller
   * passes.
   */
  varint(n: number): void {
    if (n >>> 0 !== n && !isVarint(n)) throw badVarint(n);
    if (this.pos + 10 > this.buf.length) this.grow(10);
    // One or two bytes (counts, lengths, small ints) inline; the rest in putVarint.
    if (n < 0x80) this.buf[this.pos++] = n;
    else if (n < 0x4000) {
      const buf = this.buf;
      buf[this.pos++] = (n & 0x7f) | 0x80;
      buf[this.pos++] = n >>> 7;
    } else this.pos = putVarint(this.buf, this.pos, n);
  }

  /** Zigzag varint of a 32-bit signed integer (protobuf `sint32`). */
  zigzag32(n: number): void {
    this.varint(((n << 1) ^ (n >> 31)) >>> 0);
  }

  f64(v: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Writes `s` as UTF-8 (the caller knows its byte length and made room). */
  utf8(s: string, byteLength: number): void {
    (this.buf as FastBuffer).utf8Write(s, this.pos, byteLength);
    this.pos += byteLength;
  }

  /** Reserves one byte for a varint written later with {@link endVarint}. */
  beginVarint(): number {
    if (this.pos >= this.buf.length) this.grow(1);
    return this.pos++;
  }

  /**
   * Writes `value` into the byte reserved at `mark`, moving everything after it
   * right when the varint needs more than one byte.
   */
  endVarint(mark: number, value: number): void {
    if (value < 0x80) {
      this.buf[mark] = value;
      return;
    }
    const extra = varintSize(value) - 1;
    this.ensure(extra);
    this.buf.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    const end = this.pos + extra;
    this.pos = mark;
    this.varint(value);
    this.pos = end;
  }

  /** Reserves a length prefix for the content that follows. */
  beginLength(): number {
    return this.beginVarint();
  }

  /** Fills the length prefix reserved at `mark` with the size of what was written since. */
  endLength(mark: number): void {
    this.endVarint(mark, this.pos - mark - 1);
  }
}

/** A bounds-checked cursor over bytes from a peer. Every read throws a DecodeError past `end`. */
export class WireReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;

  /** Points the reader at `buf[start, end)`. */
  reset(buf: Uint8Array, start = 0, end = buf.length): void {
    this.buf = buf instanceof Buffer ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    if (!(start >= 0 && end <= this.buf.length && start <= end)) {
      throw new DecodeError(`bad range [${start}, ${end}) for a buffer of ${this.buf.length} bytes`, start);
    }
    this.pos = start;
    this.end = end;
  }

  /** Bytes left before `end`. */
  get left(): number {
    return this.end - this.pos;
  }

  fail(detail: string, at = this.pos): never {
    throw new DecodeError(detail, at);
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) this.fail(`truncated ${what}: needs ${n} bytes, ${this.end - this.pos} left`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('truncated: expected one more byte');
    return this.buf[this.pos++]!;
  }

  /** An unsigned varint up to 2^53 - 1; longer or larger is an error. */
  varint(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b; // Most varints (lengths, counts, small ids) are one byte.
      }
    }
    return this.longVarint();
  }

  private longVarint(): number {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let result = 0;
    // Up to 4 bytes with bit operations, the rest with multiplication (safe to 2^53).
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) this.fail('truncated varint');
      const b = buf[pos++]!;
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result >>> 0;
      }
    }
    let value = result >>> 0;
    let scale = 0x10000000;
    for (let i = 4; i < 8; i++, scale *= 0x80) {
      if (pos >= end) this.fail('truncated varint');
      const b = buf[pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) this.fail('varint larger than 2^53 - 1', this.pos);
        this.pos = pos;
        return value;
      }
    }
    return this.fail('varint longer than 8 bytes (above 2^53)', this.pos);
  }

  /** A varint that must fit in 32 bits. */
  uint32(): number {
    const at = this.pos;
    const v = this.varint();
    if (v > 0xffffffff) this.fail(`value ${v} does not fit in 32 bits`, at);
    return v;
  }

  /** A zigzag varint of a 32-bit signed integer. */
  zigzag32(): number {
    const at = this.pos;
    const v = this.varint();
    if (v > 0xffffffff) this.fail(`value ${v} does not fit in 32 bits`, at);
    return (v >>> 1) ^ -(v & 1);
  }

  f64(): number {
    if (this.end - this.pos < 8) this.fail('truncated float64');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A length that must fit in what is left (so a hostile length allocates nothing). */
  length(what: string): number {
    const at = this.pos;
    const n = this.varint();
    if (n > this.end - this.pos) this.tooLong(what, n, at);
    return n;
  }

  private tooLong(what: string, n: number, at: number): never {
    this.fail(`${what} length ${n} exceeds the ${this.end - this.pos} bytes left`, at);
  }

  /** Skips a protobuf field of `wireType` whose key was just read. */
  skipField(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.need(8, 'fixed64 field');
        this.pos += 8;
        return;
      case 2: {
        // Not `this.pos += this.length(...)`: that adds to the position read before the length.
        const n = this.length('field');
        this.pos += n;
        return;
      }
      case 5:
        this.need(4, 'fixed32 field');
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported protobuf wire type ${wireType}`);
    }
  }
}
