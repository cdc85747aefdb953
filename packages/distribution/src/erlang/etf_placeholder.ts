/**
 * PLACEHOLDER — NOT THE PROJECT'S ETF CODEC. A tiny External Term Format codec so
 * that the Erlang channel can be written and tested before h-etf's codec (the real
 * one, with the documented term mapping) is merged; `dist_terms.ts` is the only file
 * that imports it, and switches to the real codec then. Covers what the distribution
 * protocol carries in tests; no claim to byte-exactness beyond that.
 *
 * @internal
 */
import { Pid, Ref, registerClass } from '@grove/core';

/** An Erlang atom. Interned: compare with `===`. */
export class Atom {
  private static readonly table = new Map<string, Atom>();
  /** @internal use {@link Atom.of}. */
  constructor(readonly name: string) {}
  static of(name: string): Atom {
    let a = Atom.table.get(name);
    if (a === undefined) Atom.table.set(name, (a = new Atom(name)));
    return a;
  }
  toString(): string {
    return this.name;
  }
}

/** An Erlang tuple. */
export class Tuple {
  readonly elements: readonly unknown[];
  constructor(elements: readonly unknown[]) {
    this.elements = elements;
  }
  get length(): number {
    return this.elements.length;
  }
}

/** A list whose tail is not `[]`. */
export class ImproperList {
  constructor(readonly items: readonly unknown[], readonly tail: unknown) {}
}

/** A term carried opaquely (ports, funs, exports, bitstrings): its encoded bytes without 131. */
export class OpaqueTerm {
  constructor(readonly bytes: Buffer) {}
}

/** An Erlang ref that this node did not make: all its words, kept to be sent back as they came. */
export class ErlangRef extends Ref {
  constructor(node: string, creation: number, readonly words: readonly number[]) {
    super(node, creation, words[0] ?? 0, false);
    (this as { key: number | string }).key = `${node}/${creation}/${words.join('.')}`;
  }
  override equals(other: unknown): boolean {
    return other instanceof ErlangRef && other.key === this.key;
  }
}

registerClass(Atom, { name: 'erlang.atom', toTerm: (a) => a.name, fromTerm: (t) => Atom.of(t as string) });
registerClass(Tuple, { name: 'erlang.tuple', toTerm: (t) => [...t.elements], fromTerm: (t) => new Tuple(t as unknown[]) });
registerClass(ImproperList, { name: 'erlang.improper_list', toTerm: (l) => [[...l.items], l.tail], fromTerm: (t) => new ImproperList((t as [unknown[], unknown])[0], (t as [unknown[], unknown])[1]) });
registerClass(OpaqueTerm, { name: 'erlang.opaque', toTerm: (o) => o.bytes, fromTerm: (t) => new OpaqueTerm(Buffer.from(t as Uint8Array)) });
registerClass(ErlangRef, { name: 'erlang.ref', toTerm: (r) => [r.node, r.creation, [...r.words]], fromTerm: (t) => { const [n, c, w] = t as [string, number, number[]]; return new ErlangRef(n, c, w); } });

export interface DecodeContext {
  /** This node: its own refs decode to core refs with a numeric key. */
  localNode: string;
  localCreation: number;
}

class Writer {
  buf = Buffer.allocUnsafe(256);
  n = 0;
  need(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  u8(v: number): void {
    this.need(1);
    this.buf[this.n++] = v;
  }
  u16(v: number): void {
    this.need(2);
    this.n = this.buf.writeUInt16BE(v, this.n);
  }
  u32(v: number): void {
    this.need(4);
    this.n = this.buf.writeUInt32BE(v >>> 0, this.n);
  }
  i32(v: number): void {
    this.need(4);
    this.n = this.buf.writeInt32BE(v, this.n);
  }
  bytes(b: Uint8Array): void {
    this.need(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
}

function writeAtom(w: Writer, name: string): void {
  const b = Buffer.from(name, 'utf8');
  if (b.length < 256) {
    w.u8(119);
    w.u8(b.length);
  } else {
    w.u8(118);
    w.u16(b.length);
  }
  w.bytes(b);
}

function writeBig(w: Writer, v: bigint): void {
  const neg = v < 0n;
  let m = neg ? -v : v;
  const digits: number[] = [];
  while (m > 0n) {
    digits.push(Number(m & 0xffn));
    m >>= 8n;
  }
  if (digits.length < 256) {
    w.u8(110);
    w.u8(digits.length);
  } else {
    w.u8(111);
    w.u32(digits.length);
  }
  w.u8(neg ? 1 : 0);
  w.bytes(Uint8Array.from(digits));
}

function writeTerm(w: Writer, t: unknown): void {
  if (t instanceof Atom) return writeAtom(w, t.name);
  if (typeof t === 'boolean') return writeAtom(w, t ? 'true' : 'false');
  if (t === undefined || t === null) return writeAtom(w, 'undefined');
  if (typeof t === 'number') {
    if (Number.isInteger(t)) {
      if (t >= 0 && t <= 255) return (w.u8(97), w.u8(t));
      if (t >= -0x80000000 && t <= 0x7fffffff) return (w.u8(98), w.i32(t));
      return writeBig(w, BigInt(t));
    }
    w.u8(70);
    w.need(8);
    w.n = w.buf.writeDoubleBE(t, w.n);
    return;
  }
  if (typeof t === 'bigint') {
    if (t >= -0x80000000n && t <= 0x7fffffffn) return writeTerm(w, Number(t));
    return writeBig(w, t);
  }
  if (typeof t === 'string') {
    const b = Buffer.from(t, 'utf8');
    w.u8(109);
    w.u32(b.length);
    return w.bytes(b);
  }
  if (t instanceof Uint8Array) {
    w.u8(109);
    w.u32(t.length);
    return w.bytes(t);
  }
  if (t instanceof Tuple) {
    const n = t.elements.length;
    if (n < 256) {
      w.u8(104);
      w.u8(n);
    } else {
      w.u8(105);
      w.u32(n);
    }
    for (const e of t.elements) writeTerm(w, e);
    return;
  }
  if (Array.isArray(t) || t instanceof ImproperList) {
    const items = Array.isArray(t) ? t : t.items;
    if (items.length === 0 && Array.isArray(t)) return w.u8(106);
    w.u8(108);
    w.u32(items.length);
    for (const e of items) writeTerm(w, e);
    if (Array.isArray(t)) w.u8(106);
    else writeTerm(w, t.tail);
    return;
  }
  if (t instanceof ErlangRef) {
    w.u8(90);
    w.u16(t.words.length);
    writeAtom(w, t.node);
    w.u32(t.creation);
    for (const x of t.words) w.u32(x);
    return;
  }
  if (t instanceof Ref) {
    w.u8(90);
    w.u16(3);
    writeAtom(w, t.node);
    w.u32(t.creation);
    w.u32(t.id % 0x100000000);
    w.u32(Math.floor(t.id / 0x100000000));
    w.u32(0);
    return;
  }
  if (t instanceof Pid) {
    w.u8(88);
    writeAtom(w, t.node);
    w.u32(t.id);
    w.u32(t.serial);
    w.u32(t.creation);
    return;
  }
  if (t instanceof OpaqueTerm) return w.bytes(t.bytes);
  if (t instanceof Map) {
    w.u8(116);
    w.u32(t.size);
    for (const [k, v] of t) {
      writeTerm(w, k);
      writeTerm(w, v);
    }
    return;
  }
  if (t instanceof Error) return writeTerm(w, new Tuple([Atom.of('error'), t.message]));
  if (typeof t === 'object') {
    const keys = Object.keys(t);
    w.u8(116);
    w.u32(keys.length);
    for (const k of keys) {
      writeAtom(w, k);
      writeTerm(w, (t as Record<string, unknown>)[k]);
    }
    return;
  }
  throw new Error(`cannot encode ${typeof t} as an Erlang term`);
}

/** `131` then the term. */
export function encodeTerm(t: unknown): Buffer {
  const w = new Writer();
  w.u8(131);
  writeTerm(w, t);
  return w.buf.subarray(0, w.n);
}

/** Appends `131` then the term to `parts`. */
export function encodeTerms(terms: readonly unknown[]): Buffer {
  const w = new Writer();
  for (const t of terms) {
    w.u8(131);
    writeTerm(w, t);
  }
  return w.buf.subarray(0, w.n);
}

class Reader {
  constructor(readonly b: Buffer, public o: number, readonly ctx: DecodeContext) {}
  u8(): number {
    return this.b.readUInt8(this.o++);
  }
  u16(): number {
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  u32(): number {
    const v = this.b.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }
  take(n: number): Buffer {
    if (this.o + n > this.b.length) throw new RangeError('term past the end of the frame');
    const s = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return s;
  }
}

function atomValue(name: string): unknown {
  if (name === 'true') return true;
  if (name === 'false') return false;
  return Atom.of(name);
}

function readAtomName(r: Reader): string {
  const tag = r.u8();
  switch (tag) {
    case 119:
      return r.take(r.u8()).toString('utf8');
    case 118:
      return r.take(r.u16()).toString('utf8');
    case 115:
      return r.take(r.u8()).toString('latin1');
    case 100:
      return r.take(r.u16()).toString('latin1');
    default:
      throw new Error(`expected an atom, got tag ${tag}`);
  }
}

function readTerm(r: Reader, depth: number): unknown {
  if (depth > 1000) throw new Error('term too deep');
  const start = r.o;
  const tag = r.u8();
  switch (tag) {
    case 97:
      return r.u8();
    case 98: {
      const v = r.b.readInt32BE(r.o);
      r.o += 4;
      return v;
    }
    case 110:
    case 111: {
      const n = tag === 110 ? r.u8() : r.u32();
      const neg = r.u8() === 1;
      const d = r.take(n);
      let v = 0n;
      for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(d[i]!);
      if (neg) v = -v;
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case 70: {
      const v = r.b.readDoubleBE(r.o);
      r.o += 8;
      return v;
    }
    case 99:
      return Number.parseFloat(r.take(31).toString('latin1'));
    case 119:
    case 118:
    case 115:
    case 100:
      r.o = start;
      return atomValue(readAtomName(r));
    case 104:
    case 105: {
      const n = tag === 104 ? r.u8() : r.u32();
      const els: unknown[] = [];
      for (let i = 0; i < n; i++) els.push(readTerm(r, depth + 1));
      return new Tuple(els);
    }
    case 106:
      return [];
    case 107:
      return [...r.take(r.u16())];
    case 108: {
      const n = r.u32();
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) items.push(readTerm(r, depth + 1));
      const tail = readTerm(r, depth + 1);
      return Array.isArray(tail) && tail.length === 0 ? items : new ImproperList(items, tail);
    }
    case 109:
      return Buffer.from(r.take(r.u32()));
    case 116: {
      const n = r.u32();
      const m = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) m.set(readTerm(r, depth + 1), readTerm(r, depth + 1));
      return m;
    }
    case 88: {
      const node = readAtomName(r);
      return new Pid(node, r.u32(), r.u32(), r.u32());
    }
    case 90: {
      const n = r.u16();
      const node = readAtomName(r);
      const creation = r.u32();
      const words: number[] = [];
      for (let i = 0; i < n; i++) words.push(r.u32());
      if (node === r.ctx.localNode && creation === r.ctx.localCreation && n === 3 && words[2] === 0) {
        return new Ref(node, creation, words[0]! + words[1]! * 0x100000000, true);
      }
      return new ErlangRef(node, creation, words);
    }
    case 89: {
      readAtomName(r);
      r.take(8);
      return new OpaqueTerm(Buffer.from(r.b.subarray(start, r.o)));
    }
    case 120: {
      readAtomName(r);
      r.take(12);
      return new OpaqueTerm(Buffer.from(r.b.subarray(start, r.o)));
    }
    case 113: {
      readTerm(r, depth + 1);
      readTerm(r, depth + 1);
      readTerm(r, depth + 1);
      return new OpaqueTerm(Buffer.from(r.b.subarray(start, r.o)));
    }
    case 112: {
      const size = r.u32();
      r.take(size - 4);
      return new OpaqueTerm(Buffer.from(r.b.subarray(start, r.o)));
    }
    case 77: {
      const n = r.u32();
      r.take(1 + n);
      return new OpaqueTerm(Buffer.from(r.b.subarray(start, r.o)));
    }
    default:
      throw new Error(`unsupported term tag ${tag}`);
  }
}

/** Decodes `131` then a term at `offset`; returns the term and where it ended. */
export function decodeTerm(buf: Buffer, offset: number, ctx: DecodeContext): { value: unknown; end: number } {
  if (buf[offset] !== 131) throw new Error(`a term must start with 131, got ${buf[offset]}`);
  const r = new Reader(buf, offset + 1, ctx);
  const value = readTerm(r, 0);
  return { value, end: r.o };
}
