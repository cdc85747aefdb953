/**
 * Global names as table keys. OTP's global names are any term; a JS Map compares
 * objects by identity, so every name is turned into a canonical string that is equal
 * exactly when the two names are equal as terms (a name that arrives from another
 * node is a decoded copy, and must find the same entry).
 *
 * A string name that does not start with U+0000 is its own key, so the common case
 * (`whereisName('db')`) allocates nothing. Other names are encoded after a U+0000
 * prefix: numbers, bigints, booleans, null, undefined, pids, and arrays or plain
 * objects of those (object keys sorted, so key order does not matter).
 *
 * Deliberate difference from OTP: names are limited to these terms (no Map, Set,
 * Date, binary or class instance), which covers atoms (strings) and tuples (arrays).
 */
import { BadArgError, Pid } from '@grove/core';

/** A global name: a string, or a number, boolean, pid, or an array / plain object of those. */
export type GlobalName = unknown;

/** The canonical key of `name`; throws BadArgError for a name outside the supported terms. */
export function nameKey(name: GlobalName): string {
  if (typeof name === 'string' && name.length > 0 && name.charCodeAt(0) !== 0) return name;
  const out: string[] = ['\u0000'];
  encode(name, out, 0);
  return out.join('');
}

/** True when `name` can be a global name. */
export function isGlobalName(name: unknown): boolean {
  try {
    nameKey(name);
    return true;
  } catch {
    return false;
  }
}

const MAX_DEPTH = 32;

function encode(v: unknown, out: string[], depth: number): void {
  switch (typeof v) {
    case 'string':
      out.push('s', String(v.length), ':', v);
      return;
    case 'number':
      out.push('d', String(v), ';');
      return;
    case 'bigint':
      out.push('b', v.toString(), ';');
      return;
    case 'boolean':
      out.push(v ? 't' : 'f');
      return;
    case 'undefined':
      out.push('u');
      return;
  }
  if (v === null) {
    out.push('n');
    return;
  }
  if (depth >= MAX_DEPTH) throw bad(v, `nesting deeper than ${MAX_DEPTH} levels (or a cycle)`);
  if (v instanceof Pid) {
    out.push('p', String(v.key.length), ':', v.key);
    return;
  }
  if (Array.isArray(v)) {
    out.push('a[');
    for (let i = 0; i < v.length; i++) encode(v[i], out, depth + 1);
    out.push(']');
    return;
  }
  const proto = typeof v === 'object' ? (Object.getPrototypeOf(v) as object | null) : undefined;
  if (proto === Object.prototype || proto === null) {
    out.push('o{');
    for (const k of Object.keys(v as object).sort()) {
      encode(k, out, depth + 1);
      encode((v as Record<string, unknown>)[k], out, depth + 1);
    }
    out.push('}');
    return;
  }
  throw bad(v, 'only strings, numbers, bigints, booleans, null, undefined, pids, and arrays or plain objects of those can be global names');
}

function bad(v: unknown, why: string): BadArgError {
  const what = typeof v === 'function' ? 'a function' : typeof v === 'symbol' ? 'a symbol' : typeof v === 'object' ? `an instance of ${(v as object).constructor?.name ?? 'an anonymous class'}` : typeof v;
  return new BadArgError(`not a valid global name (${what}): ${why}`, v);
}
