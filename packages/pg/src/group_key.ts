/**
 * Group keys: a group is any term the wire codec can carry, and a JS Map compares
 * objects by identity, so every group is turned into a canonical string that is
 * equal exactly when the two groups are equal as terms. That string keys the table.
 *
 * The common case costs nothing: a string group that does not start with U+0000 is
 * its own key (no allocation on a `getMembers` hot path). Every other term is
 * encoded after a U+0000 prefix, so the two kinds can never collide:
 *
 * | term                 | encoding                                                 |
 * |----------------------|----------------------------------------------------------|
 * | undefined, null      | `u`, `n`                                                 |
 * | false, true          | `f`, `t`                                                 |
 * | number               | `d` + `String(n)` (so -0 equals 0 and NaN equals NaN)    |
 * | bigint               | `b` + decimal digits (1n and 1 are different groups)     |
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
 * So groups compare like Erlang terms: by structure, with map/object/set order
 * ignored. A group that arrives from another node is a decoded copy; it encodes to
 * the same key as the original.
 */
import { classCodecOf, Pid, Ref } from '@grove/core';
import { InvalidGroupError } from './errors';

/** The canonical key of `group`; throws {@link InvalidGroupError} for a term that cannot cross the wire. */
export function groupKey(group: unknown): string {
  if (typeof group === 'string' && group.charCodeAt(0) !== 0) return group;
  const out: string[] = ['\u0000'];
  encode(group, out, '$', []);
  return out.join('');
}

function encode(v: unknown, out: string[], path: string, ancestors: object[]): void {
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
      throw new InvalidGroupError(path, `a function (${v.name || 'anonymous'}) cannot be a group`);
    case 'symbol':
      throw new InvalidGroupError(path, 'a symbol cannot be a group');
  }
  if (v === null) {
    out.push('n');
    return;
  }
  const obj = v as object;
  if (obj instanceof Pid) return tagged('p', obj.key, out);
  if (obj instanceof Ref) return tagged('r', `${obj.node}/${obj.creation}/${obj.id}`, out);
  if (obj instanceof Date) {
    out.push('D', String(obj.getTime()), ';');
    return;
  }
  if (obj instanceof Uint8Array) return tagged('B', Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('hex'), out);
  if (ancestors.includes(obj)) throw new InvalidGroupError(path, 'a cyclic structure cannot be a group');
  ancestors.push(obj);
  try {
    container(obj, out, path, ancestors);
  } finally {
    ancestors.pop();
  }
}

function tagged(tag: string, s: string, out: string[]): void {
  out.push(tag, String(s.length), ':', s);
}

function container(obj: object, out: string[], path: string, ancestors: object[]): void {
  if (Array.isArray(obj)) {
    out.push('a[');
    for (let i = 0; i < obj.length; i++) encode(obj[i], out, `${path}[${i}]`, ancestors);
    out.push(']');
    return;
  }
  if (obj instanceof Map) {
    let i = 0;
    const entries: string[] = [];
    for (const [k, val] of obj) {
      const e: string[] = [];
      encode(k, e, `${path}<key ${i}>`, ancestors);
      encode(val, e, `${path}<value ${i++}>`, ancestors);
      entries.push(e.join(''));
    }
    return sorted('m{', entries, out);
  }
  if (obj instanceof Set) {
    let i = 0;
    const items: string[] = [];
    for (const item of obj) items.push(encodeAlone(item, `${path}<item ${i++}>`, ancestors));
    return sorted('S{', items, out);
  }
  if (obj instanceof Error) {
    out.push('E');
    encode(obj.name, out, `${path}.name`, ancestors);
    encode(obj.message, out, `${path}.message`, ancestors);
    encode((obj as { cause?: unknown }).cause, out, `${path}.cause`, ancestors);
    return;
  }
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(obj).sort();
    out.push('o{');
    for (const k of keys) {
      encode(k, out, path, ancestors);
      encode((obj as Record<string, unknown>)[k], out, `${path}.${k}`, ancestors);
    }
    out.push('}');
    return;
  }
  const codec = classCodecOf(obj);
  if (codec === undefined) {
    const cls = (obj.constructor as { name?: string } | undefined)?.name ?? 'anonymous';
    throw new InvalidGroupError(path, `an instance of the unregistered class ${cls} cannot be a group (registerClass it)`);
  }
  out.push('c');
  encode(codec.name, out, path, ancestors);
  encode(codec.toTerm(obj), out, `${path}<${codec.name}>`, ancestors);
}

function encodeAlone(v: unknown, path: string, ancestors: object[]): string {
  const e: string[] = [];
  encode(v, e, path, ancestors);
  return e.join('');
}

function sorted(open: string, items: string[], out: string[]): void {
  items.sort();
  out.push(open, String(items.length), ':');
  for (const item of items) out.push(String(item.length), ':', item);
  out.push('}');
}
