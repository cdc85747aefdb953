/**
 * The ETF encoder: JS values to Erlang's external term format, as OTP 25 writes it
 * with `term_to_binary(T, [{minor_version, 2}])` (the form of the distribution wire).
 * The mapping is the README's ("Erlang and Elixir nodes › Term mapping"); in short:
 *
 * - numbers that are safe integers (not -0) → integers; other finite numbers and
 *   `float(x)` → floats; bigints → integers; NaN and ±Infinity are refused;
 * - strings → UTF-8 binaries (Elixir strings); Uint8Array/Buffer → binaries;
 * - `true`/`false` → atoms, `undefined` → `undefined`, `null` → `nil`, `Atom` → atom;
 * - arrays → lists (a list of bytes as STRING_EXT, as Erlang does); `Tuple` → tuple;
 * - plain objects → maps with atom keys; `Map` → maps with any keys;
 * - Pid, Ref → NEW_PID_EXT, NEWER_REFERENCE_EXT, which Erlang can send back to;
 * - an Error → `%Grove.Error{name, message, stack}`; an instance of a registered
 *   class → a struct named by its registered name;
 * - anything else (a Date, a Set, a function, a cycle) is refused at the sender with a
 *   NotCopyableError that says what and why.
 *
 * Maps are written with their keys in Erlang's term order (OTP does so for maps of up
 * to 32 keys), which also finds two keys that are equal as Erlang terms.
 */
import { classCodecOf, NotCopyableError, Pid, Ref } from '@grove/core';
import { DEFAULT_MAX_DEPTH } from '../wire/term_format';
import { fieldText, WireWriter } from '../wire/wire';
import { E, VERSION } from './etf_format';
import { errorFields, structFields } from './struct';
import { compareTerms, compareUtf8 } from './term_order';
import { Atom, atom, Bitstring, ErlangFloat, ErlangFun, ErlangPort, ImproperList, isWellFormed, Tuple } from './terms';

// Module-level copies: @grove/core's CommonJS re-exports are getters, too slow per value.
const OBJECT_PROTO = Object.prototype;
const PidClass = Pid;
const RefClass = Ref;
const PID_PROTO = Pid.prototype;
const REF_PROTO = Ref.prototype;
const ATOM_PROTO = Atom.prototype;
const TUPLE_PROTO = Tuple.prototype;
const TWO_32 = 0x100000000;
const MAX_STRING_EXT = 0xffff;
/** NEW_PORT_EXT carries 28 significant bits of a port id; OTP writes larger ids as V4_PORT_EXT. */
const NEW_PORT_MAX = 0x10000000;

/** Options of {@link termToBinary} and `writeTerm` (on `@grove/distribution/internal`). */
export interface EtfEncodeOptions {
  /** Deepest nesting of lists, tuples and maps (default 1000). */
  maxDepth?: number;
}

/**
 * Encodes `value` as Erlang's `term_to_binary/1` would (leading 131 included).
 *
 * @example
 * termToBinary(tuple(atom('ok'), 'hi')); // <<131,104,2,119,2,"ok",109,0,0,0,2,"hi">>
 */
export function termToBinary(value: unknown, options: EtfEncodeOptions = {}): Buffer {
  const w = new WireWriter(64);
  w.u8(VERSION);
  writeTerm(w, value, options);
  return w.take();
}

/**
 * Appends `value` in the external term format, without the leading 131 (a
 * connection writes the 131 and frames around it). On failure nothing is left in
 * `w` and a NotCopyableError says which value could not be sent.
 */
export function writeTerm(w: WireWriter, value: unknown, options?: EtfEncodeOptions): void {
  const start = w.pos;
  const enc = encoder;
  const outerWriter = enc.w;
  const outerDepth = enc.maxDepth;
  enc.w = w;
  enc.maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
  try {
    enc.write(value, 0);
  } catch (e) {
    w.pos = start;
    throw e;
  } finally {
    // A registered class's toTerm may itself encode a term: leave the encoder as it was.
    enc.w = outerWriter;
    enc.maxDepth = outerDepth;
  }
}

function refuse(detail: string): NotCopyableError {
  return new NotCopyableError('$', `${detail} (Erlang term mapping)`);
}

/** The one encoder: it holds no state but the writer and the depth limit of the call in progress. */
class Encoder {
  w: WireWriter = new WireWriter(0);
  maxDepth = DEFAULT_MAX_DEPTH;

  write(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'number':
        return this.number(v);
      case 'string':
        return this.binaryString(v);
      case 'boolean':
        return this.atom(v ? 'true' : 'false');
      case 'undefined':
        return this.atom('undefined');
      case 'bigint':
        return this.bigint(v);
      case 'object':
        if (v === null) return this.atom('nil');
        return this.object(v, depth + 1);
      case 'function':
        throw refuse(`a function (${v.name || 'anonymous'}) cannot be sent to Erlang`);
      default:
        throw refuse('a symbol cannot be sent to Erlang');
    }
  }

  private number(n: number): void {
    const w = this.w;
    if (Number.isSafeInteger(n) && (n !== 0 || 1 / n > 0)) {
      if (n >= 0 && n <= 255) {
        w.ensure(2);
        w.buf[w.pos++] = E.SMALL_INTEGER;
        w.buf[w.pos++] = n;
      } else if (n >= -0x80000000 && n <= 0x7fffffff) {
        w.ensure(5);
        w.buf[w.pos++] = E.INTEGER;
        w.buf.writeInt32BE(n, w.pos);
        w.pos += 4;
      } else {
        this.big(BigInt(n));
      }
    } else {
      this.float(n);
    }
  }

  private float(n: number): void {
    if (!Number.isFinite(n)) throw refuse(`${n} cannot be sent to Erlang (it has no NaN or infinity)`);
    const w = this.w;
    w.ensure(9);
    w.buf[w.pos++] = E.NEW_FLOAT;
    w.buf.writeDoubleBE(n, w.pos);
    w.pos += 8;
  }

  private bigint(b: bigint): void {
    if (b >= -0x80000000n && b <= 0x7fffffffn) this.number(Number(b));
    else this.big(b);
  }

  private big(b: bigint): void {
    const negative = b < 0n;
    let hex = (negative ? -b : b).toString(16);
    if (hex.length & 1) hex = '0' + hex;
    const n = hex.length >> 1;
    const w = this.w;
    w.ensure(n + 6);
    if (n <= 255) {
      w.buf[w.pos++] = E.SMALL_BIG;
      w.buf[w.pos++] = n;
    } else {
      w.buf[w.pos++] = E.LARGE_BIG;
      w.buf.writeUInt32BE(n, w.pos);
      w.pos += 4;
    }
    w.buf[w.pos++] = negative ? 1 : 0;
    // Little-endian digits: the big-endian hex, byte by byte from its end.
    for (let i = n - 1; i >= 0; i--) w.buf[w.pos++] = parseInt(hex.substr(i * 2, 2), 16);
  }

  /** An atom named by a string (checked, and its bytes cached, by {@link nameBytes}). */
  private atom(name: string): void {
    this.atomBytes(nameBytes(name));
  }

  /** An atom from its UTF-8 bytes. */
  private atomBytes(b: Buffer): void {
    putAtom(this.w, b);
  }

  private binaryString(s: string): void {
    if (!isWellFormed(s)) throw refuse(`the string ${fieldText(s)} has a lone surrogate, which is not valid UTF-8`);
    const n = Buffer.byteLength(s, 'utf8');
    const w = this.w;
    w.ensure(n + 5);
    w.buf[w.pos++] = E.BINARY;
    w.buf.writeUInt32BE(n, w.pos);
    w.pos += 4;
    w.utf8(s, n);
  }

  private u32(n: number): void {
    const w = this.w;
    w.ensure(4);
    w.buf.writeUInt32BE(n, w.pos);
    w.pos += 4;
  }

  private tagged(tag: number, n: number): void {
    this.w.u8(tag);
    this.u32(n);
  }

  private object(v: object, depth: number): void {
    if (depth > this.maxDepth) throw refuse(`nesting deeper than ${this.maxDepth} levels (or a cycle)`);
    // The common classes by prototype first: one comparison each.
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto === ATOM_PROTO) return this.atomBytes((v as Atom).utf8);
    if (proto === TUPLE_PROTO) return this.tuple((v as Tuple).elements, depth);
    if (proto === OBJECT_PROTO || proto === null) return this.fields(v as Record<string, unknown>, depth);
    if (proto === PID_PROTO) return this.pid(v as Pid);
    if (proto === REF_PROTO) return this.ref(v as Ref);
    if (Array.isArray(v)) return this.list(v, depth);
    if (v instanceof PidClass) return this.pid(v); // core's ServerRef, a subclass
    if (v instanceof RefClass) return this.ref(v);
    if (v instanceof Uint8Array) {
      this.tagged(E.BINARY, v.length);
      return this.w.bytes(v);
    }
    if (v instanceof Map) return this.map(v, depth);
    if (v instanceof ErlangFloat) return this.float(v.value);
    if (v instanceof ImproperList) {
      this.tagged(E.LIST, v.items.length);
      for (const x of v.items) this.write(x, depth);
      return this.write(v.tail, depth);
    }
    if (v instanceof Bitstring) {
      this.tagged(E.BIT_BINARY, v.bytes.length);
      this.w.u8(v.bits);
      return this.w.bytes(v.bytes);
    }
    if (v instanceof ErlangPort) return this.port(v);
    if (v instanceof ErlangFun) return this.w.bytes(v.bytes);
    if (v instanceof Error) return this.fields(errorFields(v), depth);
    const codec = classCodecOf(v);
    if (codec !== undefined) return this.fields(structFields(codec.name, codec.toTerm(v)), depth);
    throw refuse(noCounterpart(v));
  }

  private list(a: readonly unknown[], depth: number): void {
    const n = a.length;
    const w = this.w;
    if (n === 0) return w.u8(E.NIL);
    if (n <= MAX_STRING_EXT && isByteList(a)) {
      w.ensure(n + 3);
      w.buf[w.pos++] = E.STRING;
      w.buf.writeUInt16BE(n, w.pos);
      w.pos += 2;
      for (let i = 0; i < n; i++) w.buf[w.pos++] = a[i] as number;
      return;
    }
    this.tagged(E.LIST, n);
    for (let i = 0; i < n; i++) this.write(a[i], depth);
    w.u8(E.NIL);
  }

  private tuple(elements: readonly unknown[], depth: number): void {
    const n = elements.length;
    if (n < 256) {
      this.w.u8(E.SMALL_TUPLE);
      this.w.u8(n);
    } else {
      this.tagged(E.LARGE_TUPLE, n);
    }
    for (let i = 0; i < n; i++) this.write(elements[i], depth);
  }

  /** A plain object: a map with atom keys, in atom order. */
  private fields(o: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(o);
    if (!isSortedUtf8(keys)) keys.sort(compareUtf8);
    this.tagged(E.MAP, keys.length);
    for (const k of keys) {
      this.atom(k);
      this.write(o[k], depth);
    }
  }

  private map(m: Map<unknown, unknown>, depth: number): void {
    const entries = [...m].sort((x, y) => compareTerms(x[0], y[0], true));
    for (let i = 1; i < entries.length; i++) {
      if (compareTerms(entries[i - 1]![0], entries[i]![0], true) === 0) {
        throw refuse(`a Map whose keys ${fieldText(entries[i - 1]![0])} and ${fieldText(entries[i]![0])} are the same Erlang term`);
      }
    }
    this.tagged(E.MAP, entries.length);
    for (const [k, x] of entries) {
      this.write(k, depth);
      this.write(x, depth);
    }
  }

  private node(name: string): void {
    putNode(this.w, name);
  }

  private pid(p: Pid): void {
    putPid(this.w, p);
  }

  private ref(r: Ref): void {
    const words = r.words;
    const id = r.id;
    if (!isU32(r.creation) || (words === undefined ? !(Number.isSafeInteger(id) && id >= 0) : !isRefWords(words))) {
      throw refuse(`a ref whose creation ${fieldText(r.creation)} or id ${fieldText(r.id)} does not fit Erlang's reference words`);
    }
    const w = this.w;
    w.u8(E.NEWER_REFERENCE);
    w.u8(0);
    w.u8(words === undefined ? 3 : words.length);
    this.node(r.node);
    this.u32(r.creation);
    if (words !== undefined) {
      for (const x of words) this.u32(x);
    } else {
      // A Grove ref: its id as three words (see refWords).
      this.u32(id % TWO_32);
      this.u32(Math.floor(id / TWO_32));
      this.u32(0);
    }
  }

  private port(p: ErlangPort): void {
    const id = BigInt(p.id);
    if (!isU32(p.creation) || id < 0n || id >= 1n << 64n) throw refuse(`a port whose id ${fieldText(p.id)} or creation does not fit Erlang's`);
    const w = this.w;
    if (id < NEW_PORT_MAX) {
      w.u8(E.NEW_PORT);
      this.node(p.node);
      this.u32(Number(id));
    } else {
      w.u8(E.V4_PORT);
      this.node(p.node);
      w.ensure(8);
      w.buf.writeBigUInt64BE(id, w.pos);
      w.pos += 8;
    }
    this.u32(p.creation);
  }
}

const encoder = new Encoder();

/** An atom from its UTF-8 bytes. */
function putAtom(w: WireWriter, b: Buffer): void {
  const n = b.length;
  w.ensure(n + 3);
  const buf = w.buf;
  if (n < 256) {
    buf[w.pos++] = E.SMALL_ATOM_UTF8;
    buf[w.pos++] = n;
  } else {
    buf[w.pos++] = E.ATOM_UTF8;
    buf.writeUInt16BE(n, w.pos);
    w.pos += 2;
  }
  if (n < 32) {
    // Cheaper than a native copy for the short names most atoms have.
    let pos = w.pos;
    for (let i = 0; i < n; i++) buf[pos++] = b[i]!;
    w.pos = pos;
  } else {
    buf.set(b, w.pos);
    w.pos += n;
  }
}

function putNode(w: WireWriter, name: string): void {
  if (typeof name !== 'string') throw refuse(`a node name ${fieldText(name)} that is not an atom`);
  putAtom(w, nameBytes(name));
}

function putU32(w: WireWriter, n: number): void {
  w.ensure(4);
  w.buf.writeUInt32BE(n, w.pos);
  w.pos += 4;
}

function putPid(w: WireWriter, p: Pid): void {
  if (!isU32(p.id) || !isU32(p.serial) || !isU32(p.creation)) {
    throw refuse(`a pid whose id ${fieldText(p.id)}, serial ${fieldText(p.serial)} or creation ${fieldText(p.creation)} does not fit Erlang's 32 bits`);
  }
  w.u8(E.NEW_PID);
  putNode(w, p.node);
  putU32(w, p.id);
  putU32(w, p.serial);
  putU32(w, p.creation);
}

// Pieces of fixed shapes, for the distribution channel's control messages and calls:
// written in place, with no term tree (`dist_channel.ts`). Each refuses what
// `writeTerm` refuses, with the same NotCopyableError; the caller undoes a partial write.

/** A tuple's header, for `n` (below 256) elements to follow. @internal */
export function writeTupleHeader(w: WireWriter, n: number): void {
  w.ensure(2);
  w.buf[w.pos++] = E.SMALL_TUPLE;
  w.buf[w.pos++] = n;
}

/** An integer 0..255. @internal */
export function writeSmallInteger(w: WireWriter, n: number): void {
  w.ensure(2);
  w.buf[w.pos++] = E.SMALL_INTEGER;
  w.buf[w.pos++] = n;
}

/** The atom `name` (its bytes checked once, then cached). @internal */
export function writeAtomNamed(w: WireWriter, name: string): void {
  if (name.length === 0) {
    // The empty atom of SEND and REG_SEND: no lookup.
    w.ensure(2);
    w.buf[w.pos++] = E.SMALL_ATOM_UTF8;
    w.buf[w.pos++] = 0;
    return;
  }
  putAtom(w, nameBytes(name));
}

// The last two pids `writePid` wrote, with their bytes: a connection writes the same
// few pids again and again (a sender's, a server's). Pids are immutable.
let pid0: Pid | null = null;
let pidBytes0: Buffer = Buffer.alloc(0);
let pid1: Pid | null = null;
let pidBytes1: Buffer = Buffer.alloc(0);

/** A pid, as `writeTerm` writes it. @internal */
export function writePid(w: WireWriter, p: Pid): void {
  if (p === pid0) return putBytes(w, pidBytes0);
  if (p === pid1) return putBytes(w, pidBytes1);
  const start = w.pos;
  putPid(w, p);
  pid1 = pid0;
  pidBytes1 = pidBytes0;
  pid0 = p;
  pidBytes0 = Buffer.from(w.buf.subarray(start, w.pos));
}

function putBytes(w: WireWriter, b: Buffer): void {
  const n = b.length;
  w.ensure(n);
  const buf = w.buf;
  let pos = w.pos;
  for (let i = 0; i < n; i++) buf[pos++] = b[i]!;
  w.pos = pos;
}

/** A reference of three words (`NEWER_REFERENCE_EXT`), from its parts: no Ref needed. @internal */
export function writeRefWords(w: WireWriter, node: string, creation: number, w0: number, w1: number, w2: number): void {
  w.ensure(3);
  w.buf[w.pos++] = E.NEWER_REFERENCE;
  w.buf[w.pos++] = 0;
  w.buf[w.pos++] = 3;
  putNode(w, node);
  putU32(w, creation);
  putU32(w, w0);
  putU32(w, w1);
  putU32(w, w2);
}

function isU32(n: unknown): n is number {
  return (n as number) >>> 0 === n;
}

/** True for a list Erlang writes as STRING_EXT: every element an integer 0..255. */
function isByteList(a: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || (x & 0xff) !== x || (x === 0 && 1 / x < 0)) return false;
  }
  return true;
}

const NAME_CACHE_MAX = 4096;
const names = new Map<string, Buffer>();

/**
 * The UTF-8 bytes of an atom named by a string (an object key, a node name, `true`):
 * checked once, then cached (a bounded table, emptied when full).
 */
function nameBytes(name: string): Buffer {
  const known = names.get(name);
  if (known !== undefined) return known;
  let bytes: Buffer;
  try {
    bytes = atom(name).utf8;
  } catch (e) {
    throw refuse(`${fieldText(name)} cannot be an atom (an object key or a node name): ${(e as Error).message}`);
  }
  if (names.size >= NAME_CACHE_MAX) names.clear();
  names.set(name, bytes);
  return bytes;
}

function isRefWords(words: readonly number[]): boolean {
  return Array.isArray(words) && words.length >= 1 && words.length <= 5 && words.every(isU32);
}

function isSortedUtf8(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareUtf8(keys[i - 1]!, keys[i]!) > 0) return false;
  return true;
}

function noCounterpart(v: object): string {
  if (v instanceof Date) return 'a Date has no Erlang counterpart: send its getTime() or toISOString()';
  if (v instanceof Set) return 'a Set has no Erlang counterpart: send [...set] (a list) or a Map';
  const name = (v.constructor as { name?: string } | undefined)?.name ?? 'an anonymous class';
  return `an instance of ${name} cannot be sent to Erlang: registerClass it (it then travels as a struct) or send a plain object`;
}

