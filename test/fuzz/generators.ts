/**
 * Seeded generators for the decoder fuzz suite: a case's input depends only on the
 * run's seed and the case's index, so any failure replays alone
 * (`npm run fuzz -- --target term --seed S --from I --cases 1`).
 *
 * Terms lean hostile: ±Infinity, NaN, -0 and out-of-range integers where tags and ids
 * go, `__proto__`/`constructor` keys, Errors with odd fields, Sets and Maps of equal
 * but distinct pids, shared subtrees that expand when encoded, deep nesting.
 */
import { GenCall, GenCast, Pid, Ref } from '@grove/core';
import { seededRandom } from '@grove/testing';
import { varint } from '../../packages/distribution/test/term_support';

export interface Rng {
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  bytes(n: number): Buffer;
}

/** The generator of case `index` of a run seeded `seed`. */
export function caseRng(seed: number, index: number): Rng {
  const next = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: (items) => items[int(items.length)]!,
    chance: (p) => next() < p,
    bytes: (n) => {
      const b = Buffer.allocUnsafe(n);
      let i = 0;
      for (; i + 4 <= n; i += 4) b.writeUInt32LE((next() * 4294967296) >>> 0, i);
      for (; i < n; i++) b[i] = int(256);
      return b;
    },
  };
}

/** Numbers that break naive code: where a tag, id, length or creation is expected. */
export const HOSTILE_NUMBERS: readonly number[] = [0, -0, -1, 1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 0xffffffff];
/** Keys that reach prototypes or shadow Object's methods. */
export const HOSTILE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', '0', '', 'then'];
const STRINGS: readonly string[] = ['', 'a', 'hello', 'ünïcødé', '\u{1f600}', '\ud800', 'a\udc00b', 'x'.repeat(300), 'normal', 'shutdown', 'noconnection', 'killed'];
const NODES: readonly string[] = ['a@h', 'b@h', 'nonode@nohost', 'ünï@hôst'];

function str(r: Rng): string {
  return r.chance(0.2) ? r.bytes(r.int(12)).toString('latin1') : r.pick(STRINGS);
}

/** A pid from a pool of four: equal pids come as distinct objects (a Set must keep them apart). */
export function pooledPid(r: Rng): Pid {
  return new Pid(r.pick(['a@h', 'b@h']), r.pick([5, 69]), 0, 1);
}

export function pid(r: Rng): Pid {
  if (r.chance(0.5)) return pooledPid(r);
  return new Pid(r.pick(NODES), r.pick([0, 1, 2 ** 31 - 1, r.int(1000)]), r.int(4), r.pick([1, 2, 0xffffffff]));
}

export function ref(r: Rng): Ref {
  const node = r.pick(NODES);
  const creation = r.pick([1, 2, 0xffffffff]);
  return new Ref(node, creation, r.int(1_000_000), node === 'a@h' && creation === 1);
}

function leaf(r: Rng): unknown {
  switch (r.int(14)) {
    case 0: return undefined;
    case 1: return null;
    case 2: return r.chance(0.5);
    case 3: return r.int(2000) - 1000;
    case 4: return r.pick(HOSTILE_NUMBERS);
    case 5: return (r.chance(0.5) ? -1n : 1n) * (1n << BigInt(r.int(300)));
    case 6: return str(r);
    case 7: return new Date(r.chance(0.2) ? NaN : r.int(2 ** 40));
    case 8: return r.bytes(r.int(20));
    case 9: return pid(r);
    case 10: return ref(r);
    case 11: return r.pick(HOSTILE_NUMBERS) * (r.chance(0.5) ? 1 : -1);
    case 12: return r.next() * 1e6;
    default: return r.pick(STRINGS);
  }
}

/** An object with own hostile keys (`__proto__` as an own property, not a prototype). */
function hostileObject(r: Rng, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = r.int(4); i >= 0; i--) Object.defineProperty(o, r.pick(HOSTILE_KEYS), { value: term(r, depth + 1), enumerable: true, writable: true, configurable: true });
  return o;
}

/** A hostile exit reason: what a peer may put in an EXIT, a DOWN or a spawn reply. */
export function reason(r: Rng): unknown {
  switch (r.int(8)) {
    case 0: return r.pick(['normal', 'shutdown', 'killed', 'noproc', 'noconnection']);
    case 1: return { shutdown: term(r, 2) };
    case 2: return { nocatch: term(r, 2) };
    case 3: {
      const e = new Error(str(r), r.chance(0.5) ? { cause: term(r, 3) } : undefined);
      // Not enumerable, as Error's own name is: an own enumerable `name` arrives as a
      // non-enumerable one, and a built-in name ('TypeError') as that class (see the README).
      Object.defineProperty(e, 'name', { value: r.pick(['Error', '__proto__', 'constructor', '', 'x'.repeat(300)]), enumerable: false, writable: true, configurable: true });
      if (r.chance(0.5)) e.stack = str(r);
      return e;
    }
    case 4: return hostileObject(r, 2);
    default: return term(r, 1);
  }
}

/** Any term, leaning hostile; `depth` counts from the root (composites stop at 5). */
export function term(r: Rng, depth = 0): unknown {
  if (depth >= 5 || r.chance(0.35)) return leaf(r);
  const n = r.int(6);
  switch (r.int(11)) {
    case 0: return Array.from({ length: n }, () => term(r, depth + 1));
    case 1: {
      const a: unknown[] = new Array(n + 2);
      a[r.int(n + 2)] = term(r, depth + 1);
      return a;
    }
    case 2: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) o[str(r)] = term(r, depth + 1);
      return o;
    }
    case 3: return hostileObject(r, depth);
    case 4: return new Map(Array.from({ length: n }, () => [r.chance(0.6) ? pooledPid(r) : term(r, depth + 1), term(r, depth + 1)] as [unknown, unknown]));
    case 5: return new Set(Array.from({ length: n }, () => (r.chance(0.7) ? pooledPid(r) : term(r, depth + 1))));
    case 6: return reason(r);
    // A call tag of -0 arrives as 0 (the same tag to ===): not generated.
    case 7: return new GenCall({ pid: pid(r), tag: r.chance(0.5) ? r.pick(HOSTILE_NUMBERS.filter((x) => !Object.is(x, -0))) : r.int(1000) } as never, term(r, depth + 1));
    case 8: return new GenCast(term(r, depth + 1));
    case 9: {
      // An expansion bomb: one subtree shared `fan` times at each of `levels` levels
      // (at most 512 copies, and only near the root, so bombs do not nest).
      if (depth > 1) return leaf(r);
      let t: unknown = term(r, 4);
      const fan = 2 + r.int(7);
      for (let level = 1 + r.int(3); level > 0; level--) t = new Array(fan).fill(t);
      return t;
    }
    default: return Object.assign(Object.create(null) as object, { [str(r)]: term(r, depth + 1) });
  }
}

/**
 * Term bytes no encoder makes: a length far over the bytes left (array, string,
 * Map, Set, bytes, bigint), nesting much deeper than the depth limit, a varint
 * longer than 64 bits.
 */
export function termBomb(r: Rng): Buffer {
  switch (r.int(4)) {
    case 0: return Buffer.from([r.pick([0x06, 0x08, 0x09, 0x0a, 0x0c, 0x0e, 0x0f, 0x11]), ...varint(r.pick([2 ** 31, 2 ** 40, 2 ** 52, 1e9])), ...r.bytes(r.int(16))]);
    case 1: {
      const depth = 1000 + r.int(50_000);
      const tag = r.pick([0x0a, 0x0f, 0x0e, 0x17]);
      const head = tag === 0x17 ? [0x17] : tag === 0x0e ? [0x0e, 0x01, 0x40] : [tag, 0x01];
      return Buffer.concat([Buffer.alloc(depth * head.length, Buffer.from(head)), Buffer.of(0x40)]);
    }
    case 2: return Buffer.from([r.pick([0x04, 0x0a, 0x08]), ...new Array(10 + r.int(10)).fill(0xff), 0x01]);
    default: {
      // Many small items claimed, few present: each must not allocate ahead of the bytes.
      return Buffer.from([0x0a, ...varint(1e7), ...new Array(r.int(100)).fill(0x40)]);
    }
  }
}

/** A mutation of `b`: flipped bits, odd bytes, a cut, an insertion, a huge varint, a splice. */
export function mutate(r: Rng, b: Buffer, other?: Buffer): Buffer {
  let out = Buffer.from(b);
  for (let k = 1 + r.int(3); k > 0; k--) {
    const at = r.int(out.length + 1);
    switch (r.int(7)) {
      case 0:
        if (out.length > 0) out[at % out.length]! ^= 1 << r.int(8);
        break;
      case 1:
        if (out.length > 0) out[at % out.length] = r.pick([0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x0c, 0x13, 0x15]);
        break;
      case 2:
        out = out.subarray(0, at);
        break;
      case 3:
        out = Buffer.concat([out.subarray(0, at), r.bytes(1 + r.int(8)), out.subarray(at)]);
        break;
      case 4:
        out = Buffer.concat([out.subarray(0, at), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), out.subarray(at)]);
        break;
      case 5: {
        const len = r.int(Math.max(1, out.length - at) + 1);
        out = Buffer.concat([out.subarray(0, at + len), out.subarray(at, at + len), out.subarray(at + len)]);
        break;
      }
      default:
        if (other !== undefined && other.length > 0) {
          const from = r.int(other.length);
          out = Buffer.concat([out.subarray(0, at), other.subarray(from, from + 1 + r.int(32))]);
        }
    }
  }
  return out;
}
