/**
 * Structs: how Grove's Errors and registered classes look to Erlang and Elixir, and
 * back. An Error is `%Grove.Error{name, message, stack}` (`__exception__` set, so
 * Elixir treats it as an exception struct); an instance of a class registered with
 * core's `registerClass(C, { name })` is a struct named by that name, so registering
 * a class as `'Elixir.MyApp.User'` maps `%MyApp.User{}` to it.
 */
import { classCodecNamed } from '@grove/core';
import { DecodeError } from '../errors';
import { ERROR_STRUCT } from './etf_format';
import { Atom, atom } from './terms';

const OBJECT_PROTO = Object.prototype;
const hasOwn = Object.prototype.hasOwnProperty;

/** An Error as `%Grove.Error{}`: name, message, stack (when a string), cause (when set), own fields. */
export function errorFields(e: Error): Record<string, unknown> {
  const o: Record<string, unknown> = { ...e };
  o.__struct__ = atom(ERROR_STRUCT);
  o.__exception__ = true;
  o.name = e.name;
  o.message = e.message;
  if (typeof e.stack === 'string') o.stack = e.stack;
  if ('cause' in e) o.cause = e.cause;
  return o;
}

/** An instance of a registered class: its fields with `__struct__`, or `__term__` when its term is not a plain object. */
export function structFields(name: string, term: unknown): Record<string, unknown> {
  const plain = typeof term === 'object' && term !== null && Object.getPrototypeOf(term) === OBJECT_PROTO;
  return plain ? { ...(term as Record<string, unknown>), __struct__: atom(name) } : { __struct__: atom(name), __term__: term };
}

/**
 * A decoded map with a `__struct__` that names a Grove error or a registered class, as
 * that; any other map as it is. A `fromTerm` that throws is a DecodeError at `at`.
 */
export function fromStruct(o: Record<string, unknown>, at: number): unknown {
  const name = o.__struct__;
  if (!(name instanceof Atom)) return o;
  if (name.name === ERROR_STRUCT) return toError(o);
  const codec = classCodecNamed(name.name);
  if (codec === undefined) return o;
  let term: unknown;
  if (Object.keys(o).length === 2 && hasOwn.call(o, '__term__')) {
    term = o.__term__;
  } else {
    const fields: Record<string, unknown> = { ...o };
    delete fields.__struct__;
    term = fields;
  }
  try {
    return codec.fromTerm(term);
  } catch (e) {
    throw new DecodeError(`fromTerm of the registered class ${JSON.stringify(name.name)} threw: ${String(e)}`, at, { cause: e });
  }
}

/** A binary field as text, whichever way binaries decode. */
function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : v instanceof Buffer ? v.toString('utf8') : undefined;
}

/** `%Grove.Error{}` back into an Error (the inverse of the encoder's `errorFields`). */
function toError(o: Record<string, unknown>): unknown {
  const { __struct__: _s, __exception__: _x, cause, ...rest } = o;
  const name = text(o.name);
  const message = text(o.message);
  const stack = text(o.stack);
  if (message === undefined || name === undefined || _x !== true || (o.stack !== undefined && stack === undefined)) return o;
  delete rest.name;
  delete rest.message;
  delete rest.stack;
  const e = new Error(message);
  const hidden = { writable: true, enumerable: false, configurable: true };
  if (name !== 'Error') Object.defineProperty(e, 'name', { value: name, ...hidden });
  if (stack === undefined) delete (e as { stack?: string }).stack;
  else Object.defineProperty(e, 'stack', { value: stack, ...hidden });
  if ('cause' in o) Object.defineProperty(e, 'cause', { value: cause, ...hidden });
  for (const k of Object.keys(rest)) Object.defineProperty(e, k, { value: rest[k], enumerable: true, writable: true, configurable: true });
  return e;
}
