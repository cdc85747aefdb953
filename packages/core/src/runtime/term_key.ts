/**
 * Canonical keys of terms. A JS Map compares objects by identity, but a global name
 * or a pg group is a term, compared by structure (a name that arrives from another
 * node is a decoded copy and must find the same entry). So the term is turned into a
 * string that is equal exactly when the two terms are equal as terms, and that
 * string keys the table.
 *
 * The common case costs nothing: a string that does not start with U+0000 is its own
 * key. Every other term is encoded after a U+0000 prefix, so the two kinds never
 * collide:
 *
 * | term                 | encoding                                                 |
 * |----------------------|----------------------------------------------------------|
 * | undefined, null      | `u`, `n`                                                 |
 * | false, true          | `f`, `t`                                                 |
 * | number               | `d` + `String(n)` + `;` (-0 equals 0, NaN equals NaN)    |
 * | bigint               | `b` + decimal digits + `;` (1n and 1 differ)             |
 * | string               | `s` + length + `:` + the string                          |
 * | array                | `a[` items `]` (a hole reads as undefined)               |
 * | plain object         | `o{` (key, value) sorted by key `}`; prototype ignored   |
 * | Map                  | `m{` (key, value) sorted by the key's encoding `}`       |
 * | Set                  | `S{` items sorted by encoding `}`                        |
 * | Date                 | `D` + time value                                         |
 * | Uint8Array / Buffer  | `B` + byte length + `:` + hex                            |
 * | Pid, Ref             | `p` / `r` + length + `:` + `node/creation/id(.serial)`   |
 * | Error                | `E` + name + message + cause (stack and props ignored)   |
 * | registered class     | `c` + class wire name + the encoding of `toTerm(value)`  |
 *
 * (A pid's id and serial are in hexadecimal, as in `Pid.key`.)
 *
 * A policy's `plain` restricts keys to strings, numbers, bigints, booleans, null,
 * undefined, pids, and arrays and plain objects of those (global's names).
 */
import { Pid } from './pid';
import { Ref } from './ref';
import { classCodecOf, MAX_TERM_DEPTH } from './term';

/** Who asks for keys: what a refused term is called and which error it gets. */
export interface TermKeyPolicy {
  /** What the term is, for messages: `'a group'`, `'a global name'`. */
  readonly noun: string;
  /** Only strings, numbers, bigints, booleans, null, undefined, pids, and arrays and plain objects of those. */
  readonly plain: boolean;
  /** The error for a term that has no key: `path` locates the bad part (`$.a[0]`), `detail` says why. */
  error(path: string, detail: string, value: unknown): Error;
}

/**
 * The canonical key of `term`: equal for terms that are equal as terms, different
 * otherwise. Throws `policy.error` for a term that cannot cross the wire (a
 * function, a symbol, a cycle, an unregistered class instance), or that the policy
 * does not accept.
 */
export function termKey(term: unknown, policy: TermKeyPolicy): string {
  if (typeof term === 'string' && term.charCodeAt(0) !== 0) return term;
  const out: string[] = ['\u0000'];
  encode(term, out, '$', [], policy);
  return out.join('');
}

function encode(v: unknown, out: string[], path: string, ancestors: object[], policy: TermKeyPolicy): void {
  switch (typeof v) {
    case 'undefined':
      out.push('u');
      return;
    case 'boolean':
      out.push(v ? 't' : 'f');
      return;
    case 'number':
      out.push('d', String(v), ';');
      return;
    case 'bigint':
      out.push('b', v.toString(), ';');
      return;
    case 'string':
      out.push('s', String(v.length), ':', v);
      return;
    case 'function':
      throw refuse(policy, path, `a function (${v.name || 'anonymous'})`, v);
    case 'symbol':
      throw refuse(policy, path, 'a symbol', v);
  }
  if (v === null) {
    out.push('n');
    return;
  }
  const obj = v as object;
  if (obj instanceof Pid) return tagged('p', obj.key, out);
  const proto = Object.getPrototypeOf(obj) as object | null;
  const plainObject = proto === Object.prototype || proto === null;
  if (policy.plain && !plainObject && !Array.isArray(obj)) {
    throw refuse(policy, path, `an instance of ${(obj.constructor as { name?: string } | undefined)?.name ?? 'an anonymous class'}`, obj);
  }
  if (obj instanceof Ref) return tagged('r', obj.words === undefined ? `${obj.node}/${obj.creation}/${obj.id}` : obj.key as string, out);
  if (obj instanceof Date) {
    out.push('D', String(obj.getTime()), ';');
    return;
  }
  if (obj instanceof Uint8Array) return tagged('B', Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('hex'), out);
  if (ancestors.includes(obj)) throw refuse(policy, path, 'a cyclic structure', obj);
  if (ancestors.length >= MAX_TERM_DEPTH) throw refuse(policy, path, `nesting deeper than ${MAX_TERM_DEPTH} levels`, obj);
  ancestors.push(obj);
  try {
    if (plainObject) fields(obj as Record<string, unknown>, out, path, ancestors, policy);
    else container(obj, out, path, ancestors, policy);
  } finally {
    ancestors.pop();
  }
}

function refuse(policy: TermKeyPolicy, path: string, what: string, value: unknown): Error {
  return policy.error(path, `${what} cannot be ${policy.noun}`, value);
}

function tagged(tag: string, s: string, out: string[]): void {
  out.push(tag, String(s.length), ':', s);
}

function fields(obj: Record<string, unknown>, out: string[], path: string, ancestors: object[], policy: TermKeyPolicy): void {
  out.push('o{');
  for (const k of Object.keys(obj).sort()) {
    encode(k, out, path, ancestors, policy);
    encode(obj[k], out, `${path}.${k}`, ancestors, policy);
  }
  out.push('}');
}

function container(obj: object, out: string[], path: string, ancestors: object[], policy: TermKeyPolicy): void {
  if (Array.isArray(obj)) {
    out.push('a[');
    for (let i = 0; i < obj.length; i++) encode(obj[i], out, `${path}[${i}]`, ancestors, policy);
    out.push(']');
    return;
  }
  if (obj instanceof Map) {
    let i = 0;
    const entries: string[] = [];
    for (const [k, val] of obj) {
      const e: string[] = [];
      encode(k, e, `${path}<key ${i}>`, ancestors, policy);
      encode(val, e, `${path}<value ${i++}>`, ancestors, policy);
      entries.push(e.join(''));
    }
    return sorted('m{', entries, out);
  }
  if (obj instanceof Set) {
    let i = 0;
    const items: string[] = [];
    for (const item of obj) {
      const e: string[] = [];
      encode(item, e, `${path}<item ${i++}>`, ancestors, policy);
      items.push(e.join(''));
    }
    return sorted('S{', items, out);
  }
  if (obj instanceof Error) {
    out.push('E');
    encode(obj.name, out, `${path}.name`, ancestors, policy);
    encode(obj.message, out, `${path}.message`, ancestors, policy);
    encode((obj as { cause?: unknown }).cause, out, `${path}.cause`, ancestors, policy);
    return;
  }
  const codec = classCodecOf(obj);
  if (codec === undefined) {
    const cls = (obj.constructor as { name?: string } | undefined)?.name ?? 'anonymous';
    throw policy.error(path, `an instance of the unregistered class ${cls} cannot be ${policy.noun} (registerClass it)`, obj);
  }
  out.push('c');
  encode(codec.name, out, path, ancestors, policy);
  encode(codec.toTerm(obj), out, `${path}<${codec.name}>`, ancestors, policy);
}

function sorted(open: string, items: string[], out: string[]): void {
  items.sort();
  out.push(open, String(items.length), ':');
  for (const item of items) out.push(String(item.length), ':', item);
  out.push('}');
}
