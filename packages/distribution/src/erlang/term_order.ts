/**
 * Erlang's term order on JS values read as Erlang terms (the term mapping of the
 * README): number < atom < reference < fun < port < pid < tuple < map < nil < list <
 * bitstring. The encoder writes map keys in this order, as OTP writes small maps, so
 * a map decoded from Erlang re-encodes to the same bytes; it is also how a map with
 * two keys equal as Erlang terms is found (Erlang refuses such a map).
 */
import { Pid, Ref } from '@grove/core';
import { Atom, Bitstring, ErlangFloat, ErlangFun, ErlangPort, ImproperList, Tuple } from './terms';

const enum K {
  INTEGER = 0,
  FLOAT = 1,
  ATOM = 2,
  REF = 3,
  FUN = 4,
  PORT = 5,
  PID = 6,
  TUPLE = 7,
  MAP = 8,
  NIL = 9,
  LIST = 10,
  BITS = 11,
  OTHER = 12,
}

function kind(v: unknown): K {
  switch (typeof v) {
    case 'number':
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? K.INTEGER : K.FLOAT;
    case 'bigint':
      return K.INTEGER;
    case 'string':
      return K.BITS;
    case 'boolean':
    case 'undefined':
      return K.ATOM;
    case 'object':
      if (v === null || v instanceof Atom) return K.ATOM;
      if (Array.isArray(v)) return v.length === 0 ? K.NIL : K.LIST;
      if (v instanceof Tuple) return K.TUPLE;
      if (v instanceof ErlangFloat) return K.FLOAT;
      if (v instanceof Pid) return K.PID;
      if (v instanceof Ref) return K.REF;
      if (v instanceof Uint8Array || v instanceof Bitstring) return K.BITS;
      if (v instanceof ImproperList) return K.LIST;
      if (v instanceof ErlangPort) return K.PORT;
      if (v instanceof ErlangFun) return K.FUN;
      return K.MAP; // plain objects, Map, and what the encoder turns into maps
    default:
      return K.OTHER;
  }
}

/**
 * Compares two values as Erlang terms: negative, 0 or positive. With `exact` (map
 * key order) every integer sorts before every float, so `1` and `float(1)` differ;
 * without it they compare by value, as Erlang's `<` does.
 */
export function compareTerms(a: unknown, b: unknown, exact = false): number {
  if (a === b) return 0;
  let ka = kind(a);
  let kb = kind(b);
  if (!exact && ka <= K.FLOAT && kb <= K.FLOAT) ka = kb = K.INTEGER;
  if (ka !== kb) return ka - kb;
  switch (ka) {
    case K.INTEGER:
    case K.FLOAT:
      return compareNumbers(a, b);
    case K.ATOM:
      return compareUtf8(atomName(a), atomName(b));
    case K.BITS:
      return compareBits(a, b);
    case K.TUPLE:
      return compareSeq((a as Tuple).elements, (b as Tuple).elements, exact, true);
    case K.LIST:
      return compareLists(a, b, exact);
    case K.PID:
      return comparePids(a as Pid, b as Pid);
    case K.REF:
      return compareRefs(a as Ref, b as Ref);
    case K.PORT:
      return comparePorts(a as ErlangPort, b as ErlangPort);
    case K.FUN:
      return Buffer.compare((a as ErlangFun).bytes, (b as ErlangFun).bytes);
    case K.MAP:
      return compareMaps(a as object, b as object, exact);
    default:
      return 0;
  }
}

/** The name of a value that maps to an atom. */
export function atomName(v: unknown): string {
  if (v instanceof Atom) return v.name;
  return v === true ? 'true' : v === false ? 'false' : v === null ? 'nil' : 'undefined';
}

function compareNumbers(a: unknown, b: unknown): number {
  const x = a instanceof ErlangFloat ? a.value : (a as number | bigint);
  const y = b instanceof ErlangFloat ? b.value : (b as number | bigint);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Byte order of the UTF-8 forms: code-point order, which differs from `<` only past U+D7FF. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function bitsOf(v: unknown): [Uint8Array, number] {
  if (typeof v === 'string') return [Buffer.from(v, 'utf8'), 8];
  if (v instanceof Bitstring) return [v.bytes, v.bits];
  return [v as Uint8Array, 8];
}

function compareBits(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b);
  const [x, xb] = bitsOf(a);
  const [y, yb] = bitsOf(b);
  const c = Buffer.compare(x, y);
  return c !== 0 ? c : xb - yb;
}

function compareSeq(a: readonly unknown[], b: readonly unknown[], exact: boolean, sizeFirst: boolean): number {
  if (sizeFirst && a.length !== b.length) return a.length - b.length;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareTerms(a[i], b[i], exact);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function compareLists(a: unknown, b: unknown, exact: boolean): number {
  const [ai, at] = a instanceof ImproperList ? [a.items, a.tail] : [a as unknown[], []];
  const [bi, bt] = b instanceof ImproperList ? [b.items, b.tail] : [b as unknown[], []];
  const n = Math.min(ai.length, bi.length);
  for (let i = 0; i < n; i++) {
    const c = compareTerms(ai[i], bi[i], exact);
    if (c !== 0) return c;
  }
  // What follows the common items: the rest of the longer list, or a tail.
  const restA = ai.length > n ? rest(ai, n, at) : at;
  const restB = bi.length > n ? rest(bi, n, bt) : bt;
  return compareTerms(restA, restB, exact);
}

function rest(items: readonly unknown[], from: number, tail: unknown): unknown {
  const more = items.slice(from);
  return Array.isArray(tail) ? more : new ImproperList(more, tail);
}

function compareNodes(a: string, b: string, ca: number, cb: number): number {
  const c = compareUtf8(a, b);
  return c !== 0 ? c : ca - cb;
}

function comparePids(a: Pid, b: Pid): number {
  return compareNodes(a.node, b.node, a.creation, b.creation) || a.serial - b.serial || a.id - b.id;
}

function compareRefs(a: Ref, b: Ref): number {
  const c = compareNodes(a.node, b.node, a.creation, b.creation);
  if (c !== 0) return c;
  const x = refWords(a);
  const y = refWords(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = x.length - 1; i >= 0; i--) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

function comparePorts(a: ErlangPort, b: ErlangPort): number {
  const c = compareNodes(a.node, b.node, a.creation, b.creation);
  return c !== 0 ? c : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A ref's words on the wire: the words of a ref an Erlang node made, else the Grove
 * id as three words (low 32 bits, high bits, 0).
 */
export function refWords(r: Ref): readonly number[] {
  if (r.words !== undefined) return r.words;
  return [r.id % 0x100000000, Math.floor(r.id / 0x100000000), 0];
}

/** A map-like value's entries, sorted by key in map key order. */
export function sortedEntries(m: object): [unknown, unknown][] {
  const entries: [unknown, unknown][] = m instanceof Map ? [...m] : Object.keys(m).map((k) => [k, (m as Record<string, unknown>)[k]]);
  if (!(m instanceof Map)) {
    // Keys of a plain object are atoms.
    return entries.sort((x, y) => compareUtf8(x[0] as string, y[0] as string));
  }
  return entries.sort((x, y) => compareTerms(x[0], y[0], true));
}

function compareMaps(a: object, b: object, exact: boolean): number {
  const x = sortedEntries(a);
  const y = sortedEntries(b);
  if (x.length !== y.length) return x.length - y.length;
  const keysA = x.map((e) => (a instanceof Map ? e[0] : atomKey(e[0] as string)));
  const keysB = y.map((e) => (b instanceof Map ? e[0] : atomKey(e[0] as string)));
  return (
    compareSeq(keysA, keysB, true, true) ||
    compareSeq(
      x.map((e) => e[1]),
      y.map((e) => e[1]),
      exact,
      true,
    )
  );
}

function atomKey(k: string): unknown {
  return Atom.intern(k);
}
