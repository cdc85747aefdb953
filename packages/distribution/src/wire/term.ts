/**
 * The term encoder: writes a message (any copyable term) in the format of
 * `term_format.ts`.
 *
 * Shared (non-cyclic) references are copied, so the receiver gets separate copies.
 * A cycle is found by the depth limit (a cyclic value nests forever); the error then
 * comes from core's `checkTerm`, which names the path, so the sender sees exactly the
 * error a local `checkMessages` send would give.
 *
 * The encoder holds what it writes to the decoder's limits, counted the same way, so
 * that the sender is refused what the receiver would refuse (a refused frame closes
 * the connection): the nesting depth (containers only, as the decoder counts them)
 * and the decoding budget (`term_format.ts`): it adds up the {@link TERM_COST} of what
 * it writes in {@link TermEncoder.cost}, which the control encoder checks per batch.
 */
import { checkTerm, classCodecOf, GenCall, GenCast, NotCopyableError, Pid, Ref } from '@grove/core';
import { OutAtomCache } from './atom_cache';
import { DECODE_BUDGET_BASE, DECODE_BUDGET_PER_BYTE, decodeBudget, DEFAULT_MAX_DEPTH, T, TERM_COST, type TermCodecOptions } from './term_format';
import { BATCH_FULL, fieldText, isUint32, isVarint, WireWriter } from './wire';

const hasOwn = Object.prototype.hasOwnProperty;
// Module-level copies: @grove/core's CommonJS re-exports are getters, too slow per value.
const PID_PROTO = Pid.prototype;
const REF_PROTO = Ref.prototype;
const OBJECT_PROTO = Object.prototype;
const GEN_CALL_PROTO = GenCall.prototype;
const GEN_CAST_PROTO = GenCast.prototype;
const codecOf = classCodecOf;
const ERROR_OWN_FIELDS = new Set(['name', 'message', 'stack', 'cause']);
const COST_MAP = TERM_COST[T.MAP]!;
const COST_SET = TERM_COST[T.SET]!;
const COST_ERROR = TERM_COST[T.ERROR]!;
const COST_BYTES = TERM_COST[T.BYTES]!;
const COST_CLASS = TERM_COST[T.CLASS]!;
const COST_GEN_CALL = TERM_COST[T.GEN_CALL]!;
const COST_GEN_CAST = TERM_COST[T.GEN_CAST]!;

/**
 * Writes terms into a {@link WireWriter}. One encoder per outgoing connection (it
 * owns that direction's atom cache); not re-entrant.
 */
export class TermEncoder {
  /** Names already sent on this connection. */
  readonly atoms: OutAtomCache;
  private readonly maxDepth: number;
  private depth = 0;
  private readonly errorStack: Error[] = [];
  /**
   * What the terms written so far cost the decoder's budget (`TERM_COST`): set to 0 by
   * {@link encode}; a caller that writes several terms into one frame resets it per
   * frame and checks it with {@link overBudget}. @internal
   */
  cost = 0;

  constructor(
    /** Where the bytes go. */
    readonly writer: WireWriter,
    options: TermCodecOptions & { atoms?: OutAtomCache } = {},
  ) {
    this.atoms = options.atoms ?? new OutAtomCache();
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  /**
   * Appends `value`. On failure nothing is left behind (writer and atom cache are
   * rolled back) and a {@link NotCopyableError} naming the path is thrown.
   */
  encode(value: unknown): void {
    const start = this.writer.pos;
    const mark = this.atoms.mark();
    this.cost = 0;
    try {
      this.write(value);
    } catch (e) {
      this.writer.pos = start;
      this.atoms.rollback(mark);
      throw this.explain(e, value);
    }
  }

  /**
   * Appends `value` with no rollback: for callers that roll back a larger unit
   * themselves and then call {@link explain}. @internal
   */
  write(v: unknown): void {
    switch (typeof v) {
      case 'number':
        return this.number(v);
      case 'string':
        return this.string(v);
      case 'object':
        if (v === null) return this.writer.u8(T.NULL);
        return this.object(v);
      case 'boolean':
        return this.writer.u8(v ? T.TRUE : T.FALSE);
      case 'undefined':
        return this.writer.u8(T.UNDEFINED);
      case 'bigint':
        return this.bigint(v);
      case 'function':
        throw new NotCopyableError('$', `a function (${v.name || 'anonymous'}) cannot be sent`);
      default:
        throw new NotCopyableError('$', 'a symbol cannot be sent');
    }
  }

  /**
   * Turns a failure of {@link write} into the error the sender sees, resetting the
   * encoder's state. @internal
   */
  explain(e: unknown, root: unknown): unknown {
    this.depth = 0;
    this.errorStack.length = 0;
    if (!(e instanceof NotCopyableError)) return e;
    try {
      checkTerm(root); // Same rules, and it knows the path.
    } catch (precise) {
      if (precise instanceof NotCopyableError) return precise;
    }
    return e;
  }

  private number(v: number): void {
    const w = this.writer;
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      if (v >= 0 && v < 64) {
        w.u8(T.FIXINT + v);
      } else {
        w.u8(T.INT);
        w.zigzag32(v);
      }
    } else {
      w.u8(T.FLOAT);
      w.f64(v);
    }
  }

  /** @internal also used for object keys. */
  string(s: string): void {
    const w = this.writer;
    const n = s.length;
    if (n < 128) {
      // Optimistic ASCII: copy char codes; give up at the first non-ASCII one.
      if (w.pos + 1 + n > w.buf.length) w.ensure(1 + n);
      const buf = w.buf;
      const start = w.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf[start - 1] = T.ASCII + n;
        w.pos = start + n;
        return;
      }
    }
    this.longString(s);
  }

  private longString(s: string): void {
    const w = this.writer;
    const bytes = Buffer.byteLength(s, 'utf8');
    if (bytes !== s.length && !(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      // UTF-8 cannot carry a lone surrogate; UTF-16 keeps the string exactly.
      w.u8(T.UTF16);
      w.varint(s.length);
      w.ensure(s.length * 2);
      w.buf.write(s, w.pos, s.length * 2, 'utf16le');
      w.pos += s.length * 2;
      return;
    }
    w.u8(T.UTF8);
    w.varint(bytes);
    w.ensure(bytes);
    w.utf8(s, bytes);
  }

  private bigint(v: bigint): void {
    const w = this.writer;
    w.u8(v < 0n ? T.BIGINT_NEG : T.BIGINT_POS);
    if (v === 0n) return w.u8(0);
    const hex = (v < 0n ? -v : v).toString(16);
    const n = (hex.length + 1) >> 1;
    w.varint(n);
    w.ensure(n);
    w.buf.write(hex.length & 1 ? '0' + hex : hex, w.pos, n, 'hex');
    w.pos += n;
  }

  /** @internal an atom: index + 1 when cached, else 0 and the name in full. */
  atom(name: string): void {
    const w = this.writer;
    const i = this.atoms.lookup(name);
    if (i >= 0) return w.varint(i + 1);
    const bytes = this.atoms.add(name);
    w.u8(0);
    w.varint(bytes);
    w.ensure(bytes);
    w.utf8(name, bytes);
  }

  /**
   * A container: one level deeper (the decoder's rule: arrays, objects, Maps, Sets,
   * Errors, registered-class instances, calls and casts are levels; pids, refs, dates
   * and buffers are not). Leaving it is `this.depth--`.
   */
  private enter(): void {
    if (++this.depth > this.maxDepth) this.tooDeep();
  }

  private tooDeep(): never {
    throw new NotCopyableError('$', `nesting deeper than ${this.maxDepth} levels (or a cycle)`);
  }

  private object(v: object): void {
    if (Array.isArray(v)) {
      this.enter();
      this.array(v);
      this.depth--;
      return;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto === OBJECT_PROTO) {
      this.enter();
      this.fields(v as Record<string, unknown>, T.OBJECT);
      this.depth--;
    } else if (proto === PID_PROTO) this.pid(v as Pid);
    else if (proto === REF_PROTO) this.ref(v as Ref);
    else if (proto === null) {
      this.enter();
      this.fields(v as Record<string, unknown>, T.OBJECT_NULL);
      this.depth--;
    } else if (proto === GEN_CALL_PROTO) this.genCall(v as GenCall);
    else if (proto === GEN_CAST_PROTO) this.genCast(v as GenCast);
    else this.special(v);
  }

  private array(a: unknown[]): void {
    const w = this.writer;
    const n = a.length;
    w.u8(T.ARRAY);
    w.varint(n);
    for (let i = 0; i < n; i++) {
      const x = a[i];
      if (x === undefined && !(i in a)) w.u8(T.HOLE);
      else this.write(x);
    }
  }

  private fields(o: Record<string, unknown>, tag: T): void {
    const w = this.writer;
    w.u8(tag);
    const mark = w.beginVarint();
    let count = 0;
    for (const k in o) {
      if (!hasOwn.call(o, k)) continue; // Only a polluted Object.prototype gets here.
      this.string(k);
      this.write(o[k]);
      count++;
    }
    w.endVarint(mark, count);
  }

  /**
   * Calls and casts are most of a server's traffic: their own tags skip the class
   * registry and the intermediate `toTerm` array. A GenCall whose `from` is not a
   * pid and an integer tag goes the registered-class way (core's `toTerm`).
   */
  private genCall(c: GenCall): void {
    const from = c.from as { pid?: unknown; tag?: unknown } | null;
    if (!isFrom(from)) return this.special(c);
    this.enter();
    this.cost += COST_GEN_CALL;
    this.writer.u8(T.GEN_CALL);
    this.pidBody(from.pid);
    this.writer.varint(from.tag);
    this.write(c.request);
    this.depth--;
  }

  private genCast(c: GenCast): void {
    this.enter();
    this.cost += COST_GEN_CAST;
    this.writer.u8(T.GEN_CAST);
    this.write(c.request);
    this.depth--;
  }

  private pid(p: Pid): void {
    this.writer.u8(T.PID);
    this.pidBody(p);
  }

  private pidBody(p: Pid): void {
    checkPid(p);
    const w = this.writer;
    this.atom(p.node);
    w.varint(p.id);
    w.varint(p.serial);
    w.varint(p.creation);
  }

  private ref(r: Ref): void {
    if (r.words !== undefined) return this.refWords(r, r.words);
    checkRef(r);
    const w = this.writer;
    w.u8(T.REF);
    this.atom(r.node);
    w.varint(r.creation);
    w.varint(r.id);
  }

  /** A ref an Erlang node made: its words (1 to 5, 32 bits each) in place of a Grove id. */
  private refWords(r: Ref, words: readonly number[]): void {
    if (typeof r.node !== 'string' || !isUint32(r.creation) || !Array.isArray(words) || words.length < 1 || words.length > 5 || !words.every(isUint32)) {
      throw new NotCopyableError('$', `a ref whose fields cannot cross the wire (node ${fieldText(r.node)}, creation ${fieldText(r.creation)}, words of an Erlang ref that are not 1 to 5 32-bit integers)`);
    }
    const w = this.writer;
    w.u8(T.REF_WORDS);
    this.atom(r.node);
    w.varint(r.creation);
    w.varint(words.length);
    for (const x of words) w.varint(x);
  }

  private special(v: object): void {
    const w = this.writer;
    const codec = codecOf(v);
    if (codec !== undefined) {
      this.enter();
      this.cost += COST_CLASS;
      w.u8(T.CLASS);
      this.atom(codec.name);
      this.write(codec.toTerm(v));
      this.depth--;
    } else if (v instanceof Pid) {
      // A subclass of Pid (core's ServerRef) travels as the plain pid it is.
      this.pid(v);
    } else if (v instanceof Date) {
      w.u8(T.DATE);
      w.f64(v.getTime());
    } else if (v instanceof Uint8Array) {
      this.cost += COST_BYTES;
      w.u8(T.BYTES);
      w.varint(v.length);
      w.bytes(v);
    } else if (v instanceof Map) {
      this.enter();
      this.cost += COST_MAP;
      w.u8(T.MAP);
      w.varint(v.size);
      for (const [k, x] of v) {
        this.write(k);
        this.write(x);
      }
      this.depth--;
    } else if (v instanceof Set) {
      this.enter();
      this.cost += COST_SET;
      w.u8(T.SET);
      w.varint(v.size);
      for (const x of v) this.write(x);
      this.depth--;
    } else if (v instanceof Error) {
      this.enter();
      this.cost += COST_ERROR;
      this.error(v);
      this.depth--;
    } else {
      const cls = (v.constructor as { name?: string } | undefined)?.name ?? 'anonymous';
      throw new NotCopyableError('$', `an instance of the unregistered class ${cls} (registerClass it to send it)`);
    }
  }

  /**
   * name, message, stack (string or undefined), 0/1 + cause, then the error's own
   * enumerable fields (`code`, `errno`, a GroveError's `reason`...) as key/value
   * pairs. A field that cannot be copied is left out rather than failing the send:
   * an error is a report, and an exit reason must always be able to travel.
   */
  private error(e: Error): void {
    if (this.errorStack.includes(e)) throw new NotCopyableError('$', 'a cyclic structure cannot be sent');
    this.errorStack.push(e);
    const w = this.writer;
    w.u8(T.ERROR);
    this.string(errorText(e.name));
    this.string(errorText(e.message));
    const stack = e.stack;
    this.write(typeof stack === 'string' ? stack : undefined);
    if (hasOwn.call(e, 'cause')) {
      w.u8(1);
      this.write((e as { cause?: unknown }).cause);
    } else {
      w.u8(0);
    }
    const mark = w.beginVarint();
    let count = 0;
    for (const k of Object.keys(e)) {
      if (ERROR_OWN_FIELDS.has(k)) continue;
      const pos = w.pos;
      const atoms = this.atoms.mark();
      const depth = this.depth;
      const cost = this.cost;
      const errors = this.errorStack.length;
      try {
        this.string(k);
        this.write((e as unknown as Record<string, unknown>)[k]);
        count++;
      } catch (err) {
        w.pos = pos;
        this.atoms.rollback(atoms);
        this.depth = depth;
        this.cost = cost;
        this.errorStack.length = errors;
        if (err === BATCH_FULL) throw err; // the batch is full, not the field uncopyable
      }
    }
    w.endVarint(mark, count);
    this.errorStack.pop();
  }
}

/** An error's name or message as a string; one whose conversion throws (`{ toString: 'x' }`) is described instead. */
function errorText(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return String(v);
  } catch {
    return fieldText(v);
  }
}

/**
 * Throws a NotCopyableError unless `p`'s fields fit the wire as a decoder reads them
 * back (node a string, id a varint, serial and creation 32-bit): a pid made by hand
 * can hold anything, and must fail its sender rather than reach a peer. @internal
 */
export function checkPid(p: Pid): void {
  if (!pidFits(p)) {
    throw new NotCopyableError('$', `a pid whose fields cannot cross the wire (node ${fieldText(p.node)}, id ${fieldText(p.id)}, serial ${fieldText(p.serial)}, creation ${fieldText(p.creation)}): send pids a node made`);
  }
}

function pidFits(p: Pid): boolean {
  return typeof p.node === 'string' && isVarint(p.id) && isUint32(p.serial) && isUint32(p.creation);
}

/** True for a Pid (not a look-alike) whose fields fit the wire. @internal */
export function isWirePid(p: unknown): p is Pid {
  return typeof p === 'object' && p !== null && Object.getPrototypeOf(p) === PID_PROTO && pidFits(p as Pid);
}

/** {@link checkPid} for a ref (node a string, creation 32-bit, id a varint). @internal */
export function checkRef(r: Ref): void {
  if (typeof r.node !== 'string' || !isUint32(r.creation) || !isVarint(r.id)) {
    throw new NotCopyableError('$', `a ref whose fields cannot cross the wire (node ${fieldText(r.node)}, creation ${fieldText(r.creation)}, id ${fieldText(r.id)}): send refs a node made`);
  }
}

/**
 * A `From` as core's own GenCall codec reads it: a pid and a non-negative integer tag
 * (other fields are not part of a From; a local call passes its pending-call object).
 */
function isFrom(from: { pid?: unknown; tag?: unknown } | null): from is { pid: Pid; tag: number } {
  if (typeof from !== 'object' || from === null) return false;
  const pid = from.pid;
  const tag = from.tag;
  return typeof pid === 'object' && pid !== null && Object.getPrototypeOf(pid) === PID_PROTO && isVarint(tag);
}

/**
 * The error for terms that would cost more than the decoding budget of the `bytes`
 * bytes they take (see `term_format.ts`): the receiver would refuse them. @internal
 */
export function overBudgetError(cost: number, bytes: number, what: string): NotCopyableError {
  return new NotCopyableError(
    '$',
    `${what} would build about ${cost} bytes of Maps, Sets, Errors, Buffers and class instances in ${bytes} bytes, over the receiver's decoding budget of ${decodeBudget(bytes)} (${DECODE_BUDGET_PER_BYTE} per byte, plus ${DECODE_BUDGET_BASE}): the receiver would refuse it`,
  );
}

/**
 * Encodes one term into a new Buffer (a convenience; connections reuse an encoder).
 * A term that `decodeTerm` would refuse for its decoding budget throws a
 * NotCopyableError.
 */
export function encodeTerm(value: unknown, options: TermCodecOptions = {}): Buffer {
  const w = new WireWriter(256);
  const enc = new TermEncoder(w, options);
  enc.encode(value);
  if (enc.cost > DECODE_BUDGET_BASE && enc.cost > decodeBudget(w.pos)) throw overBudgetError(enc.cost, w.pos, 'the term');
  return w.take();
}
