/**
 * Decoding terms (format: `term_format.ts`). Bytes come from a peer, so every length is
 * checked against the bytes left before anything is allocated, nesting is bounded,
 * strings must be valid UTF-8 (no silent U+FFFD), and any problem is a
 * {@link DecodeError}. The decoder knows which node it runs on, so a pid or ref made
 * by this node comes back as the same local value (a local ref keys by number).
 *
 * A budget bounds what a frame can build (an "expansion bomb": a few bytes per empty
 * Map or Error, each costing far more in heap or time): whoever decodes a frame sets
 * {@link TermDecoder.budget} to {@link decodeBudget} of its size, and the terms that
 * cost more than {@link DECODE_BUDGET_PER_BYTE} per byte they take on the wire (Map,
 * Set, Error, Buffer, registered-class instances, calls and casts) are charged their
 * estimated cost; past it the frame is a DecodeError. Everything else builds at most
 * about 32 bytes of heap per byte (a `{}` from 2 bytes, a 1-character string from 2),
 * within the ratio by construction, and is not counted.
 */
import { classCodecNamed, GenCall, GenCast, Pid, Ref } from '@grove/core';
import { CACHED_STRING_MAX, InAtomCache, ShortStringCache } from './atom_cache';
import { DecodeError } from '../errors';
import { DECODE_BUDGET_BASE, DECODE_BUDGET_PER_BYTE, decodeBudget, DEFAULT_MAX_DEPTH, T, TERM_COST, type TermCodecOptions } from './term_format';
import { WireReader, type FastBuffer } from './wire';

/** Who is decoding: pids and refs of this node incarnation decode as local. */
export interface DecodeContext extends TermCodecOptions {
  /** The local node's name. */
  localNode: string;
  /** The local node's creation. */
  localCreation: number;
}

// Module-level copies: @grove/core's CommonJS re-exports are getters, too slow per value.
const PidClass = Pid;
const RefClass = Ref;
const GenCallClass = GenCall;
const GenCastClass = GenCast;
const PID_CACHE_SLOTS = 64;
/** Arrays up to this length are allocated at their size. */
const PREALLOCATED_ARRAY_MAX = 4096;
const codecNamed = classCodecNamed;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const COST = TERM_COST;
// One table for every decoder of the thread: it maps bytes to the string they spell, so
// connections can share it, and a new connection allocates none (its first frames are
// decoded by code that has run only a few times: every allocation shows).
const sharedStrings = new ShortStringCache();

const ERROR_CTORS = new Map<string, new (message: string) => Error>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);

/**
 * Reads terms from a {@link WireReader}. One decoder per incoming connection (it owns
 * that direction's atom cache).
 */
export class TermDecoder {
  /** Names the peer has sent on this connection. */
  readonly atoms: InAtomCache;
  private readonly localNode: string;
  private readonly localCreation: number;
  private readonly maxDepth: number;
  private depth = 0;
  private readonly strings = sharedStrings;
  private readonly pids: (Pid | undefined)[] = new Array<Pid | undefined>(PID_CACHE_SLOTS).fill(undefined);
  /**
   * What the terms decoded since it was set may still cost (see the header); set it
   * before each frame. Unlimited by default (a codec that only reads back what this
   * node encoded: the message copier).
   */
  budget = Infinity;
  /** The budget set for the current frame, for the error message. @internal */
  budgetOf = 0;
  /** Terms decoded ahead (a slice at a time, `term_slices.ts`): where each starts and ends, and its value. */
  private prepared: PreparedTerms | null = null;

  constructor(
    /** Where the bytes come from. */
    readonly reader: WireReader,
    context: DecodeContext & { atoms?: InAtomCache },
  ) {
    this.localNode = context.localNode;
    this.localCreation = context.localCreation;
    this.maxDepth = context.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.atoms = context.atoms ?? new InAtomCache();
  }

  /** Sets the budget for a frame of `bytes` bytes. */
  setBudget(bytes: number): void {
    this.budget = this.budgetOf = decodeBudget(bytes);
  }

  /** Reads one term. */
  read(): unknown {
    if (this.prepared !== null) return this.takePrepared();
    this.depth = 0;
    return this.value();
  }

  /**
   * @internal the terms of `terms`, decoded ahead: {@link read} at one of their
   * starts returns the value and moves past it; null stops.
   */
  prepare(terms: PreparedTerms | null): void {
    this.prepared = terms;
  }

  private takePrepared(): unknown {
    const p = this.prepared!;
    const r: WireReader = this.reader;
    const i = p.starts.indexOf(r.pos);
    if (i < 0) {
      this.depth = 0;
      return this.value();
    }
    r.pos = p.ends[i]!;
    return p.values[i];
  }

  /** @internal charges the cost of a term tagged `tag` to the budget. */
  spend(tag: number): void {
    if ((this.budget -= COST[tag]!) < 0) this.overBudget();
  }

  private overBudget(): never {
    return this.reader.fail(
      `the frame would build more than ${this.budgetOf} bytes of terms (${DECODE_BUDGET_PER_BYTE} per byte of it, plus ${DECODE_BUDGET_BASE}): too many Maps, Sets, Errors or Buffers for its size`,
    );
  }

  /** @internal the current nesting depth (a sliced decode sets it before decoding a term inside its own levels). */
  set nesting(depth: number) {
    this.depth = depth;
  }

  /** @internal reads a count (of items, entries, fields) for a container of `what`. */
  count(what: string): number {
    return this.reader.length(what);
  }

  /** @internal the term whose tag byte was just read (the reader backs up over it). */
  term(): unknown {
    this.reader.pos--;
    return this.value();
  }

  private value(): unknown {
    const r: WireReader = this.reader;
    const tag = r.u8();
    if (tag >= T.ASCII) return this.ascii(tag - T.ASCII);
    if (tag >= T.FIXINT) return tag - T.FIXINT;
    switch (tag) {
      case T.UNDEFINED:
        return undefined;
      case T.NULL:
        return null;
      case T.FALSE:
        return false;
      case T.TRUE:
        return true;
      case T.INT:
        return r.zigzag32();
      case T.FLOAT:
        return r.f64();
      case T.BIGINT_POS:
        return this.bigint(false);
      case T.BIGINT_NEG:
        return this.bigint(true);
      case T.UTF8:
        return this.utf8(r.length('string'));
      case T.UTF16:
        return this.utf16();
      case T.DATE:
        return new Date(r.f64());
      case T.BYTES:
        return this.bytes();
      case T.PID:
        return this.pid();
      case T.REF:
        return this.ref();
      case T.REF_WORDS:
        return this.refWords();
      case T.ARRAY:
      case T.OBJECT:
      case T.OBJECT_NULL:
      case T.MAP:
      case T.SET:
      case T.ERROR:
      case T.CLASS:
      case T.GEN_CALL:
      case T.GEN_CAST:
        return this.container(tag);
      default:
        return r.fail(`unknown term tag 0x${tag.toString(16)}`, r.pos - 1);
    }
  }

  /** @internal the nesting limit. */
  get depthLimit(): number {
    return this.maxDepth;
  }

  private container(tag: number): unknown {
    if (++this.depth > this.maxDepth) this.reader.fail(`nesting deeper than ${this.maxDepth} levels`, this.reader.pos - 1);
    // Objects and arrays (the frequent containers) cost less than the budget's ratio: not counted.
    if (tag > T.OBJECT_NULL && (this.budget -= COST[tag]!) < 0) this.overBudget();
    let v: unknown;
    switch (tag) {
      case T.ARRAY:
        v = this.array();
        break;
      case T.OBJECT:
        v = this.fields({});
        break;
      case T.OBJECT_NULL:
        v = this.fields(Object.create(null) as Record<string, unknown>);
        break;
      case T.MAP:
        v = this.map();
        break;
      case T.SET:
        v = this.set();
        break;
      case T.ERROR:
        v = this.error();
        break;
      case T.GEN_CALL: {
        const pid = this.pid();
        const callTag = this.reader.varint();
        v = new GenCallClass({ pid, tag: callTag }, this.value());
        break;
      }
      case T.GEN_CAST:
        v = new GenCastClass(this.value());
        break;
      default:
        v = this.instance();
    }
    this.depth--;
    return v;
  }

  private ascii(n: number): string {
    const r: WireReader = this.reader;
    r.need(n, 'string');
    const buf = r.buf;
    const start = r.pos;
    const end = start + n;
    if (n <= CACHED_STRING_MAX && n > 0) {
      const cached = this.strings.get(buf, start, n);
      if (cached !== undefined) {
        r.pos = end;
        return cached;
      }
    }
    for (let i = start; i < end; i++) if (buf[i]! >= 0x80) r.fail(`non-ASCII byte 0x${buf[i]!.toString(16)} in an ASCII string`, i);
    r.pos = end;
    return (buf as FastBuffer).latin1Slice(start, end);
  }

  private utf8(n: number): string {
    const r: WireReader = this.reader;
    const start = r.pos;
    const s = (r.buf as FastBuffer).utf8Slice(start, start + n);
    // Node replaces bad sequences with U+FFFD; only then pay for a strict check.
    if (s.includes('\uFFFD')) {
      try {
        strictUtf8.decode(r.buf.subarray(start, start + n));
      } catch {
        r.fail('invalid UTF-8 in a string', start);
      }
    }
    r.pos = start + n;
    return s;
  }

  private utf16(): string {
    const r: WireReader = this.reader;
    const at = r.pos;
    const units = r.varint();
    if (units * 2 > r.left) r.fail(`string length ${units} exceeds the ${r.left} bytes left`, at);
    const s = (r.buf as FastBuffer).ucs2Slice(r.pos, r.pos + units * 2);
    r.pos += units * 2;
    return s;
  }

  /** @internal an object key: any string form. */
  key(): string {
    const r: WireReader = this.reader;
    const tag = r.u8();
    if (tag >= T.ASCII) return this.ascii(tag - T.ASCII);
    if (tag === T.UTF8) return this.utf8(r.length('string'));
    if (tag === T.UTF16) return this.utf16();
    return r.fail(`object key must be a string, got tag 0x${tag.toString(16)}`, r.pos - 1);
  }

  /** @internal an atom (see `atom_cache.ts`). */
  atom(): string {
    const r: WireReader = this.reader;
    const at = r.pos;
    const x = r.varint();
    return x === 0 ? this.atomText(r.length('name'), true) : this.atomAt(x - 1, at);
  }

  /** @internal `n` bytes of strict UTF-8; a name written in full is offered to the atom cache. */
  atomText(n: number, intern = false): string {
    const s = this.utf8(n);
    if (intern) this.atoms.add(s, n);
    return s;
  }

  /** @internal the cached name at `index`. */
  atomAt(index: number, at: number): string {
    const name = this.atoms.get(index);
    if (name === undefined) return this.reader.fail(`atom index ${index} was never defined (cache holds ${this.atoms.size})`, at);
    return name;
  }

  private pid(): Pid {
    const r: WireReader = this.reader;
    const node = this.atom();
    const id = r.varint();
    return this.makePid(node, id, r.uint32(), r.uint32());
  }

  /**
   * @internal a pid: the same object as a recent equal one (a pid is immutable, and
   * reusing it saves the allocation and keeps its cached key).
   */
  makePid(node: string, id: number, serial: number, creation: number): Pid {
    const slot = id & (PID_CACHE_SLOTS - 1);
    const p = this.pids[slot];
    if (p !== undefined && p.id === id && p.creation === creation && p.serial === serial && p.node === node) return p;
    return (this.pids[slot] = new PidClass(node, id, serial, creation));
  }

  /** @internal a ref, local when this node incarnation made it (so its key is numeric). */
  makeRef(node: string, creation: number, id: number): Ref {
    return new RefClass(node, creation, id, node === this.localNode && creation === this.localCreation);
  }

  private bigint(negative: boolean): bigint {
    const r: WireReader = this.reader;
    const n = r.length('bigint');
    if (n === 0) return 0n;
    const v = BigInt('0x' + r.buf.toString('hex', r.pos, r.pos + n));
    r.pos += n;
    return negative ? -v : v;
  }

  private bytes(): Buffer {
    const r: WireReader = this.reader;
    if ((this.budget -= COST[T.BYTES]!) < 0) this.overBudget();
    const n = r.length('byte array');
    const out = Buffer.allocUnsafe(n);
    r.buf.copy(out, 0, r.pos, r.pos + n);
    r.pos += n;
    return out;
  }

  private ref(): Ref {
    const r: WireReader = this.reader;
    const node = this.atom();
    const creation = r.uint32();
    return this.makeRef(node, creation, r.varint());
  }

  private refWords(): Ref {
    const r: WireReader = this.reader;
    const node = this.atom();
    const creation = r.uint32();
    const at = r.pos;
    const n = r.varint();
    if (n < 1 || n > 5) r.fail(`an Erlang ref of ${n} words (1 to 5)`, at);
    const words = new Array<number>(n);
    for (let i = 0; i < n; i++) words[i] = r.uint32();
    return new RefClass(node, creation, -1, false, words);
  }

  private array(): unknown[] {
    const r: WireReader = this.reader;
    const n = r.length('array');
    if (n > PREALLOCATED_ARRAY_MAX) return this.longArray(n);
    // Allocated at its size (measured: half the cost of growing one by push, and no
    // spare capacity for the collector); an index never assigned stays a hole.
    const a = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      // The most frequent items (a tuple's tag and small numbers) without a call to `value`.
      const tag = r.pos < r.end ? r.buf[r.pos]! : -1;
      if (tag >= T.ASCII) {
        r.pos++;
        a[i] = this.ascii(tag - T.ASCII);
      } else if (tag >= T.FIXINT) {
        r.pos++;
        a[i] = tag - T.FIXINT;
      } else if (tag === T.HOLE) {
        r.pos++;
      } else {
        a[i] = this.value();
      }
    }
    return a;
  }

  /** An array too long to allocate at its size (V8 would make it a slow dictionary). */
  private longArray(n: number): unknown[] {
    const r: WireReader = this.reader;
    const a: unknown[] = [];
    for (let i = 0; i < n; i++) {
      if (r.pos < r.end && r.buf[r.pos] === T.HOLE) {
        r.pos++;
        a.length = i + 1; // Leaves index i a hole, as it was.
      } else {
        a.push(this.value());
      }
    }
    return a;
  }

  private fields(o: Record<string, unknown>): Record<string, unknown> {
    const n = this.reader.length('object');
    for (let i = 0; i < n; i++) {
      const k = this.key();
      setField(o, k, this.value());
    }
    return o;
  }

  // A Map or Set keeps every entry it was sent with: two equal pids that were distinct
  // keys on the sender may come out of the pid cache as one object, so a key that
  // collapses onto an earlier one is rebuilt as a pid of its own.

  private map(): Map<unknown, unknown> {
    const n = this.reader.length('map');
    const m = new Map<unknown, unknown>();
    for (let i = 0; i < n; i++) {
      const k = this.value();
      mapSet(m, k, this.value());
    }
    return m;
  }

  private set(): Set<unknown> {
    const n = this.reader.length('set');
    const s = new Set<unknown>();
    for (let i = 0; i < n; i++) setAdd(s, this.value());
    return s;
  }

  private error(): Error {
    const r: WireReader = this.reader;
    const name = this.key();
    const message = this.key();
    const at = r.pos;
    const stack = this.value();
    if (stack !== undefined && typeof stack !== 'string') r.fail('error stack must be a string or undefined', at);
    const flag = r.u8();
    if (flag > 1) r.fail(`bad error cause flag ${flag}`, r.pos - 1);
    const cause = flag === 1 ? this.value() : undefined;
    const Ctor = ERROR_CTORS.get(name) ?? Error;
    // The stack is the sender's (or none): capturing one here would cost ten times the rest.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const e = new Ctor(message);
    Error.stackTraceLimit = limit;
    const hidden = { writable: true, enumerable: false, configurable: true };
    if (name !== Ctor.prototype.name) Object.defineProperty(e, 'name', { value: name, ...hidden });
    if (stack === undefined) delete (e as { stack?: string }).stack;
    else Object.defineProperty(e, 'stack', { value: stack, ...hidden });
    if (flag === 1) Object.defineProperty(e, 'cause', { value: cause, ...hidden });
    this.fields(e as unknown as Record<string, unknown>);
    return e;
  }

  private instance(): unknown {
    const r: WireReader = this.reader;
    const at = r.pos;
    const name = this.className(at);
    return this.instanceOf(name, this.value(), at);
  }

  /** @internal a registered class's name, which must be known here. */
  className(at: number): string {
    const name = this.atom();
    if (codecNamed(name) === undefined) return this.reader.fail(`unknown registered class ${JSON.stringify(name)} (registerClass it on this node too)`, at);
    return name;
  }

  /** @internal the instance of the registered class `name` from its term. */
  instanceOf(name: string, term: unknown, at: number): unknown {
    try {
      return codecNamed(name)!.fromTerm(term);
    } catch (e) {
      throw new DecodeError(`fromTerm of the registered class ${JSON.stringify(name)} threw: ${String(e)}`, at, { cause: e });
    }
  }

  /** @internal a pid in a term (a call's). */
  termPid(): Pid {
    return this.pid();
  }
}

/** Terms decoded ahead of their batch (see {@link TermDecoder.prepare}). */
export interface PreparedTerms {
  readonly starts: number[];
  readonly ends: number[];
  readonly values: unknown[];
}

/** @internal sets an object's field; a `__proto__` key is a field, never the prototype. */
export function setField(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** @internal a Map entry; a key the pid cache collapsed onto an earlier one becomes its own pid. */
export function mapSet(m: Map<unknown, unknown>, k: unknown, v: unknown): void {
  m.set(m.has(k) ? uncached(k) : k, v);
}

/** @internal a Set item, likewise. */
export function setAdd(s: Set<unknown>, x: unknown): void {
  const size = s.size;
  if (s.add(x).size === size) s.add(uncached(x));
}

/** A pid the cache handed out, as an object of its own (anything else as it is). */
function uncached(v: unknown): unknown {
  return v instanceof PidClass ? new PidClass(v.node, v.id, v.serial, v.creation) : v;
}

/** Decodes one term from `bytes` (a convenience; connections reuse a decoder). */
export function decodeTerm(bytes: Uint8Array, context: DecodeContext): unknown {
  const r = new WireReader();
  r.reset(bytes);
  const d = new TermDecoder(r, context);
  d.setBudget(bytes.length);
  const v = d.read();
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing bytes after the term`);
  return v;
}
