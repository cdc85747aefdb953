/**
 * The ETF decoder: Erlang's external term format to JS values (the README's term
 * mapping; `etf.ts` is the inverse, and re-encoding a decoded term gives OTP's bytes
 * back). Bytes come from a peer, so it keeps the Grove decoder's rules: every length
 * is checked against the bytes left before anything is allocated (a list of n
 * elements needs n bytes), nesting is bounded (`maxDepth`, default 1000), a
 * compressed term may not inflate past `maxBytes`, names must be valid UTF-8, and any
 * problem is a DecodeError with the byte offset.
 *
 * Forms Erlang only reads (FLOAT_EXT, latin-1 atoms, PID_EXT, NEW_REFERENCE_EXT,
 * PORT_EXT, compressed terms) decode to the same values as their modern forms, which
 * the encoder writes.
 */
import { isUtf8 } from 'node:buffer';
import { inflateSync } from 'node:zlib';
import { Pid, Ref } from '@grove/core';
import { DecodeError } from '../errors';
import { CACHED_STRING_MAX, ShortStringCache } from '../wire/atom_cache';
import { DEFAULT_MAX_DEPTH } from '../wire/term_format';
import { DEFAULT_MAX_BYTES, WireReader, type FastBuffer } from '../wire/wire';
import { E, VERSION, type EtfDecodeOptions } from './etf_format';
import { fromStruct } from './struct';
import { Atom, Bitstring, ErlangFloat, ErlangFun, ErlangPort, ImproperList, MAX_ATOM_CHARS, Tuple } from './terms';

const TWO_32 = 0x100000000;
// Module-level copies: @grove/core's CommonJS re-exports are getters, too slow per value.
const PidClass = Pid;
const RefClass = Ref;
const hasOwn = Object.prototype.hasOwnProperty;
const sharedStrings = new ShortStringCache();

/**
 * Decodes a whole `term_to_binary` result (leading 131 included); trailing bytes are
 * an error.
 *
 * @example
 * binaryToTerm(Buffer.from([131, 104, 2, 119, 2, 111, 107, 97, 42])); // tuple(atom('ok'), 42)
 */
export function binaryToTerm(bytes: Uint8Array, options: EtfDecodeOptions = {}): unknown {
  const r = new WireReader();
  r.reset(bytes);
  const v = new EtfDecoder(options).read(r);
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the term`);
  return v;
}

/**
 * Reads terms in the external term format. One decoder serves a connection: it holds
 * only its options, and {@link EtfDecoder.read} allocates nothing but the values.
 */
export class EtfDecoder {
  private readonly maxDepth: number;
  private readonly maxBytes: number;
  private readonly auto: boolean;
  private readonly localNode: string | undefined;
  private readonly localCreation: number | undefined;
  private r: WireReader = new WireReader();
  /** Short ASCII atom names and strings seen before (one table for every decoder: a lookup never calls out). */
  private readonly strings = sharedStrings;
  /**
   * The last two NEW_PID_EXT pids read, with their node names' bytes: a connection
   * reads the same few pids again and again (a caller's, a server's). A pid read again
   * is the same Pid (its key already computed; pids are immutable), and a new pid of a
   * node met before costs no string.
   */
  private pidSlot0: PidSlot | null = null;
  private pidSlot1: PidSlot | null = null;

  constructor(options: EtfDecodeOptions = {}) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.auto = options.binaries !== 'buffer';
    this.localNode = options.localNode;
    this.localCreation = options.localCreation;
  }

  /** Reads one term at `r.pos` (its 131 first) and leaves `r` after it. */
  read(r: WireReader): unknown {
    const version = r.u8();
    if (version !== VERSION) r.fail(`not an external term: version byte ${version}, expected ${VERSION}`, r.pos - 1);
    const outer = this.r;
    this.r = r;
    try {
      if (r.pos < r.end && r.buf[r.pos] === E.COMPRESSED) return this.compressed();
      return this.value(0);
    } finally {
      this.r = outer;
    }
  }

  /** Reads one term without the 131 (a term inside a frame that has none). */
  readBare(r: WireReader): unknown {
    const outer = this.r;
    this.r = r;
    try {
      return this.value(0);
    } finally {
      this.r = outer;
    }
  }

  private compressed(): unknown {
    const r = this.r;
    const at = r.pos++;
    const size = this.u32();
    if (size > this.maxBytes) r.fail(`compressed term of ${size} bytes is over the limit of ${this.maxBytes}`, at);
    let out: Buffer;
    let used: number;
    try {
      const res = inflateSync(r.buf.subarray(r.pos, r.end), { info: true, maxOutputLength: Math.max(size, 1) }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      out = res.buffer;
      used = res.engine.bytesWritten;
    } catch (e) {
      throw new DecodeError(`bad compressed term: ${(e as Error).message}`, at, { cause: e });
    }
    if (out.length !== size) r.fail(`compressed term inflates to ${out.length} bytes, not the ${size} it declares`, at);
    r.pos += used;
    const inner = new WireReader();
    inner.reset(out);
    this.r = inner;
    const v = this.value(0);
    if (inner.pos !== inner.end) inner.fail(`${inner.end - inner.pos} trailing bytes inside a compressed term`);
    return v;
  }

  private u32(): number {
    const r = this.r;
    r.need(4, 'integer');
    const v = r.buf.readUInt32BE(r.pos);
    r.pos += 4;
    return v;
  }

  private u16(): number {
    const r = this.r;
    r.need(2, 'length');
    const v = r.buf.readUInt16BE(r.pos);
    r.pos += 2;
    return v;
  }

  /** A count of items that each take at least `min` bytes: more than the bytes left is an error. */
  private count(n: number, min: number, what: string, at: number): number {
    if (n * min > this.r.left) this.r.fail(`${what} of ${n} elements exceeds the ${this.r.left} bytes left`, at);
    return n;
  }

  private value(depth: number): unknown {
    const r = this.r;
    const at = r.pos;
    const tag = r.u8();
    switch (tag) {
      case E.SMALL_INTEGER:
        return r.u8();
      case E.INTEGER: {
        r.need(4, 'integer');
        const v = r.buf.readInt32BE(r.pos);
        r.pos += 4;
        return v;
      }
      case E.SMALL_BIG:
        return this.big(r.u8());
      case E.LARGE_BIG:
        return this.big(this.u32());
      case E.NEW_FLOAT: {
        r.need(8, 'float');
        const v = r.buf.readDoubleBE(r.pos);
        r.pos += 8;
        return floatValue(v);
      }
      case E.FLOAT:
        return this.oldFloat();
      case E.SMALL_ATOM_UTF8:
      case E.ATOM_UTF8:
      case E.ATOM:
      case E.SMALL_ATOM:
        return atomValue(this.atomBody(tag, at));
      case E.BINARY:
        return this.binary();
      case E.NIL:
        return [];
      case E.STRING:
        return this.byteList();
      case E.NEW_PID:
      case E.PID:
        return this.pid(tag);
      case E.NEWER_REFERENCE:
      case E.NEW_REFERENCE:
      case E.REFERENCE:
        return this.ref(tag, at);
      case E.NEW_PORT:
      case E.PORT:
      case E.V4_PORT:
        return this.port(tag);
      case E.BIT_BINARY:
        return this.bitBinary(at);
      case E.NEW_FUN:
        return this.newFun(at);
      case E.EXPORT:
        return this.exportFun(at);
      case E.SMALL_TUPLE:
      case E.LARGE_TUPLE:
      case E.LIST:
      case E.MAP:
        if (depth >= this.maxDepth) r.fail(`nesting deeper than ${this.maxDepth} levels`, at);
        return tag === E.MAP ? this.map(depth + 1, at) : tag === E.LIST ? this.list(depth + 1, at) : this.tuple(tag, depth + 1, at);
      case E.COMPRESSED:
        return r.fail('a compressed term inside a term (only a whole term may be compressed)', at);
      case E.ATOM_CACHE_REF:
        return r.fail('an atom cache reference, but no distribution header with an atom cache was negotiated', at);
      default:
        return r.fail(`unknown external term tag ${tag}`, at);
    }
  }

  private big(n: number): number | bigint {
    const r = this.r;
    const at = r.pos;
    const sign = r.u8();
    if (sign > 1) r.fail(`bad bignum sign byte ${sign}`, at);
    r.need(n, 'bignum');
    const digits = Buffer.from(r.buf.subarray(r.pos, r.pos + n)).reverse();
    r.pos += n;
    const magnitude = n === 0 ? 0n : BigInt('0x' + digits.toString('hex'));
    const v = sign === 1 ? -magnitude : magnitude;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private oldFloat(): number | ErlangFloat {
    const r = this.r;
    r.need(31, 'FLOAT_EXT');
    const text = r.buf.toString('latin1', r.pos, r.pos + 31).replace(/\0+$/, '');
    const at = r.pos;
    r.pos += 31;
    const v = Number(text);
    if (!/^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/.test(text) || !Number.isFinite(v)) r.fail(`bad FLOAT_EXT text ${JSON.stringify(text)}`, at);
    return floatValue(v);
  }

  /** An atom's text after its tag. */
  private atomBody(tag: number, at: number): string {
    const r = this.r;
    const n = tag === E.SMALL_ATOM_UTF8 || tag === E.SMALL_ATOM ? r.u8() : this.u16();
    r.need(n, 'atom');
    const start = r.pos;
    let name: string;
    const cached = n <= CACHED_STRING_MAX && n > 0 ? this.strings.get(r.buf, start, n) : undefined;
    if (cached !== undefined) {
      name = cached; // ASCII: the same in every encoding
    } else if (tag === E.ATOM || tag === E.SMALL_ATOM) {
      name = (r.buf as FastBuffer).latin1Slice(start, start + n);
    } else {
      name = (r.buf as FastBuffer).utf8Slice(start, start + n);
      // Node replaces bad sequences with U+FFFD; only then pay for a check.
      if (name.includes('\uFFFD') && !isUtf8(r.buf.subarray(start, start + n))) r.fail('invalid UTF-8 in an atom', start);
    }
    r.pos = start + n;
    if (name.length > MAX_ATOM_CHARS && [...name].length > MAX_ATOM_CHARS) r.fail(`atom longer than ${MAX_ATOM_CHARS} characters`, at);
    return name;
  }

  /** An atom where the format requires one (a node name, a module): its text. */
  private atomText(what: string): string {
    const r = this.r;
    const at = r.pos;
    const tag = r.u8();
    if (tag !== E.SMALL_ATOM_UTF8 && tag !== E.ATOM_UTF8 && tag !== E.ATOM && tag !== E.SMALL_ATOM) {
      return r.fail(`${what} must be an atom, got tag ${tag}`, at);
    }
    return this.atomBody(tag, at);
  }

  private binary(): string | Buffer {
    const r = this.r;
    const n = this.u32();
    r.need(n, 'binary');
    const start = r.pos;
    r.pos += n;
    if (this.auto) {
      const cached = n <= CACHED_STRING_MAX && n > 0 ? this.strings.get(r.buf, start, n) : undefined;
      if (cached !== undefined) return cached;
      if (n === 0 || isUtf8(r.buf.subarray(start, start + n))) return (r.buf as FastBuffer).utf8Slice(start, start + n);
    }
    return Buffer.from(r.buf.subarray(start, start + n));
  }

  private bitBinary(at: number): Bitstring | string | Buffer {
    const r = this.r;
    const n = this.u32();
    const bits = r.u8();
    r.need(n, 'bitstring');
    if (n === 0 ? bits !== 0 : bits < 1 || bits > 8) r.fail(`bad bitstring: ${n} bytes with ${bits} bits in the last one`, at);
    const bytes = Buffer.from(r.buf.subarray(r.pos, r.pos + n));
    r.pos += n;
    if (bits === 8 || n === 0) return this.auto && isUtf8(bytes) ? bytes.toString('utf8') : bytes;
    bytes[n - 1] = bytes[n - 1]! & (0xff << (8 - bits));
    return new Bitstring(bytes, bits);
  }

  private byteList(): number[] {
    const r = this.r;
    const n = this.u16();
    r.need(n, 'string');
    const a = new Array<number>(n);
    for (let i = 0; i < n; i++) a[i] = r.buf[r.pos + i]!;
    r.pos += n;
    return a;
  }

  private tuple(tag: number, depth: number, at: number): Tuple {
    const n = this.count(tag === E.SMALL_TUPLE ? this.r.u8() : this.u32(), 1, 'tuple', at);
    const a = new Array<unknown>(n);
    for (let i = 0; i < n; i++) a[i] = this.value(depth);
    return new Tuple(a);
  }

  private list(depth: number, at: number): unknown {
    const n = this.count(this.u32(), 1, 'list', at);
    const a = new Array<unknown>(n);
    for (let i = 0; i < n; i++) a[i] = this.value(depth);
    const tail = this.value(depth);
    if (Array.isArray(tail)) return tail.length === 0 ? a : a.concat(tail);
    if (n === 0) return tail; // `[] ++ T` written oddly: just T.
    if (tail instanceof ImproperList) return new ImproperList(a.concat(tail.items), tail.tail);
    return new ImproperList(a, tail);
  }

  private map(depth: number, at: number): unknown {
    const r = this.r;
    const n = this.count(this.u32(), 2, 'map', at);
    let o: Record<string, unknown> | null = {};
    let m: Map<unknown, unknown> | null = null;
    for (let i = 0; i < n; i++) {
      const keyAt = r.pos;
      const k = this.value(depth);
      const v = this.value(depth);
      if (o !== null && isAtomLike(k)) {
        const name = k instanceof Atom ? k.name : k === true ? 'true' : k === false ? 'false' : k === null ? 'nil' : 'undefined';
        if (hasOwn.call(o, name)) r.fail(`map key ${name} appears twice`, keyAt);
        if (name === '__proto__') Object.defineProperty(o, name, { value: v, enumerable: true, writable: true, configurable: true });
        else o[name] = v;
        continue;
      }
      if (m === null) {
        m = new Map();
        for (const name of Object.keys(o!)) m.set(atomValue(name), o![name]);
        o = null;
      }
      if (m.has(k)) r.fail('a map key appears twice', keyAt);
      m.set(k, v);
    }
    return o !== null ? fromStruct(o, at) : m;
  }

  private pid(tag: number): Pid {
    const r = this.r;
    const start = r.pos;
    if (tag !== E.NEW_PID || start + 1 >= r.end || r.buf[start] !== E.SMALL_ATOM_UTF8) return this.readPid(tag);
    const n = r.buf[start + 1]!;
    const at = start + 2 + n;
    if (at + 12 > r.end) return this.readPid(tag);
    const slot = sameNode(this.pidSlot0, r.buf, start + 2, n) ? this.pidSlot0! : sameNode(this.pidSlot1, r.buf, start + 2, n) ? this.pidSlot1! : null;
    if (slot === null) {
      const p = this.readPid(tag);
      // The newer slot is 0: the older one makes room.
      this.pidSlot1 = this.pidSlot0;
      this.pidSlot0 = { nodeBytes: Buffer.from(r.buf.subarray(start + 2, start + 2 + n)), pid: p };
      return p;
    }
    const buf = r.buf;
    const id = buf.readUInt32BE(at);
    const serial = buf.readUInt32BE(at + 4);
    const creation = buf.readUInt32BE(at + 8);
    r.pos = at + 12;
    const last = slot.pid;
    if (last.id === id && last.serial === serial && last.creation === creation) return last;
    const p = new PidClass(last.node, id, serial, creation);
    slot.pid = p;
    return p;
  }

  private readPid(tag: number): Pid {
    const node = this.atomText('a pid node');
    const id = this.u32();
    const serial = this.u32();
    const creation = tag === E.NEW_PID ? this.u32() : this.r.u8();
    return new PidClass(node, id, serial, creation);
  }

  private ref(tag: number, at: number): Ref {
    const r = this.r;
    if (tag === E.REFERENCE) {
      const node = this.atomText('a ref node');
      const id = this.u32();
      return this.makeRef(node, r.u8(), [id]);
    }
    const len = this.u16();
    if (len < 1 || len > 5) r.fail(`a reference of ${len} words (1 to 5)`, at);
    const node = this.atomText('a ref node');
    const creation = tag === E.NEWER_REFERENCE ? this.u32() : r.u8();
    const words = new Array<number>(len);
    for (let i = 0; i < len; i++) words[i] = this.u32();
    return this.makeRef(node, creation, words);
  }

  /** A ref a Grove node made (three words: low id, high id, 0) keeps its id; others keep their words. */
  private makeRef(node: string, creation: number, words: number[]): Ref {
    if (words.length === 3 && words[2] === 0 && words[1]! < 0x200000) {
      const local = node === this.localNode && creation === this.localCreation;
      return new RefClass(node, creation, words[0]! + words[1]! * TWO_32, local);
    }
    return new RefClass(node, creation, -1, false, words);
  }

  private port(tag: number): ErlangPort {
    const r = this.r;
    const node = this.atomText('a port node');
    let id: number | bigint;
    if (tag === E.V4_PORT) {
      r.need(8, 'port id');
      const big = r.buf.readBigUInt64BE(r.pos);
      r.pos += 8;
      id = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    } else {
      id = this.u32();
    }
    return new ErlangPort(node, id, tag === E.PORT ? r.u8() : this.u32());
  }

  private newFun(at: number): ErlangFun {
    const r = this.r;
    const size = this.u32();
    if (size < 4) r.fail(`fun of size ${size}`, at);
    r.need(size - 4, 'fun');
    r.pos += size - 4;
    return new ErlangFun(Buffer.from(r.buf.subarray(at, r.pos)));
  }

  private exportFun(at: number): ErlangFun {
    const r = this.r;
    const module = this.atomText('a fun module');
    const fn = this.atomText('a fun name');
    const arityAt = r.pos;
    if (r.u8() !== E.SMALL_INTEGER) r.fail('a fun arity must be a small integer', arityAt);
    const arity = r.u8();
    return new ErlangFun(Buffer.from(r.buf.subarray(at, r.pos)), { module, function: fn, arity });
  }
}

/** A node whose pids were read: its name's bytes and the last of its pids. */
interface PidSlot {
  readonly nodeBytes: Buffer;
  pid: Pid;
}

/** True when `slot`'s node name is the `n` bytes of `buf` at `at`. */
function sameNode(slot: PidSlot | null, buf: Uint8Array, at: number, n: number): boolean {
  if (slot === null) return false;
  const b = slot.nodeBytes;
  if (b.length !== n) return false;
  for (let i = 0; i < n; i++) if (b[i] !== buf[at + i]) return false;
  return true;
}

function isAtomLike(k: unknown): boolean {
  return k instanceof Atom || k === true || k === false || k === undefined || k === null;
}

/** The JS value of the atom `name`: booleans, `undefined`, `null` (nil), else the Atom. */
export function atomValue(name: string): unknown {
  switch (name) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'undefined':
      return undefined;
    case 'nil':
      return null;
    default:
      return Atom.intern(name);
  }
}

/** A float: a plain number, or an ErlangFloat when its value would read as an integer. */
function floatValue(v: number): number | ErlangFloat {
  return Number.isSafeInteger(v) && !Object.is(v, -0) ? new ErlangFloat(v) : v;
}
