/**
 * Test support for the wire codec tests: a structural comparison that knows the
 * copyable term set (pids and refs by identity, -0, NaN, holes, invalid dates,
 * prototypes, Error fields), a fast-check arbitrary of copyable terms, and the
 * byte-building and failure helpers of the malformed-input tests.
 */
import { Pid, Ref } from '@grove/core';
import { DecodeError } from '@grove/distribution';
import fc from 'fast-check';

/** The protobuf varint of n (n < 2^53), as bytes. */
export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** The DecodeError `decode` throws; fails the test, showing what was decoded, when it throws none. */
export function decodeError(decode: () => unknown): DecodeError {
  let decoded: unknown;
  try {
    decoded = decode();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error(`decoded without an error: ${String(JSON.stringify(decoded, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))}`);
}

/** Where `a` and `b` differ as terms, or null when they are the same term. */
export function termDiff(a: unknown, b: unknown, path = '$'): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  if (typeof a !== 'object' || a === null || b === null) return `${path}: ${String(a)} vs ${String(b)}`;
  const x = a as object;
  const y = b as object;
  if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return `${path}: different prototypes`;
  if (x instanceof Pid || x instanceof Ref) return x.equals(y) ? null : `${path}: ${String(x)} vs ${String(y)}`;
  if (x instanceof Date) return Object.is(x.getTime(), (y as Date).getTime()) ? null : `${path}: dates differ`;
  if (x instanceof Uint8Array) return Buffer.compare(x, y as Uint8Array) === 0 ? null : `${path}: bytes differ`;
  if (x instanceof Map) return entriesDiff([...x], [...(y as Map<unknown, unknown>)], path);
  if (x instanceof Set) return entriesDiff([...x], [...(y as Set<unknown>)], path);
  if (Array.isArray(x)) {
    const ya = y as unknown[];
    if (x.length !== ya.length) return `${path}: length ${x.length} vs ${ya.length}`;
    for (let i = 0; i < x.length; i++) {
      if (i in x !== i in ya) return `${path}[${i}]: hole vs value`;
      const d = termDiff(x[i], ya[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (x instanceof Error) {
    const ye = y as Error;
    for (const k of ['name', 'message', 'stack'] as const) {
      if (x[k] !== ye[k]) return `${path}.${k}: ${String(x[k])} vs ${String(ye[k])}`;
    }
    if (Object.hasOwn(x, 'cause') !== Object.hasOwn(ye, 'cause')) return `${path}.cause: presence differs`;
    const d = termDiff(x.cause, ye.cause, `${path}.cause`);
    if (d !== null) return d;
  }
  return fieldsDiff(x as Record<string, unknown>, y as Record<string, unknown>, path);
}

function fieldsDiff(x: Record<string, unknown>, y: Record<string, unknown>, path: string): string | null {
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  if (kx.join('\u0000') !== ky.join('\u0000')) return `${path}: keys [${kx.join(',')}] vs [${ky.join(',')}]`;
  for (const k of kx) {
    const d = termDiff(x[k], y[k], `${path}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

function entriesDiff(x: unknown[], y: unknown[], path: string): string | null {
  if (x.length !== y.length) return `${path}: size ${x.length} vs ${y.length}`;
  for (let i = 0; i < x.length; i++) {
    const d = termDiff(x[i], y[i], `${path}<${i}>`);
    if (d !== null) return d;
  }
  return null;
}

/** Strings of any UTF-16 code units, lone surrogates included. */
export const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string(),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }).map((units) => String.fromCharCode(...units)),
);

const nodeName = fc.constantFrom('a@h', 'b@h', 'nonode@nohost', 'ünï@hôst');

/** Pids and refs of a few nodes; refs of `a@h`/1 are built local, as that node's own would be. */
export const pidArb = fc
  .tuple(nodeName, fc.nat(), fc.nat(3), fc.nat(0xffffffff))
  .map(([node, id, serial, creation]) => new Pid(node, id, serial, creation));
export const refArb = fc
  .tuple(nodeName, fc.constantFrom(1, 2, 0xffffffff), fc.nat())
  .map(([node, creation, id]) => new Ref(node, creation, id, node === 'a@h' && creation === 1));

/**
 * Pids from a pool of four, each a new object: a Set or Map of them holds equal pids
 * as distinct entries, which the decoder's pid cache must not merge (ids 5 and 69 share
 * a cache slot).
 */
const pooledPid = fc.tuple(fc.constantFrom('a@h', 'b@h'), fc.constantFrom(5, 69)).map(([node, id]) => new Pid(node, id, 0, 1));

const leaf = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31), 2 ** 31),
  fc.bigInt(),
  fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }),
  anyString,
  fc.date(),
  fc.constant(new Date(NaN)),
  fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)),
  pidArb,
  refArb,
);

/** Any copyable term (no registered classes). */
export const termArb: fc.Arbitrary<unknown> = fc.letrec<{ term: unknown }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('term'), { maxLength: 5 }),
    fc.sparseArray(tie('term'), { maxLength: 6 }),
    fc.dictionary(anyString, tie('term'), { maxKeys: 5 }),
    fc.dictionary(fc.constantFrom('__proto__', 'constructor', '0', 'a'), tie('term'), { maxKeys: 3, noNullPrototype: false }),
    fc.array(fc.tuple(tie('term'), tie('term')), { maxLength: 4 }).map((e) => new Map(e)),
    fc.array(tie('term'), { maxLength: 4 }).map((e) => new Set(e)),
    fc.array(pooledPid, { maxLength: 6 }).map((e) => new Set(e)),
    fc.array(fc.tuple(pooledPid, tie('term')), { maxLength: 6 }).map((e) => new Map(e)),
    fc.tuple(anyString, tie('term')).map(([message, cause]) => new Error(message, { cause })),
  ),
})).term;
