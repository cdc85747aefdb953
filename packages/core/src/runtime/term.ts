/**
 * Which values can travel in a message, and the registry of application classes
 * that may travel too.
 *
 * Copyable terms: undefined, null, booleans, numbers (NaN, ±Infinity, -0 included),
 * bigints, strings, arrays, plain objects, Map, Set, Date, Uint8Array (Buffer),
 * Error, Pid, Ref, and instances of classes registered with {@link registerClass}.
 * Anything else (a function, a symbol, an instance of an unregistered class, a cycle)
 * is refused at the sender with a {@link NotCopyableError} naming the path.
 *
 * Local sends pass messages by reference; with the node option `checkMessages`
 * (on by default under jest) every local send is checked as if it crossed the wire,
 * so code that works on one node does not break when its peer moves away. The
 * distribution layer encodes exactly this set.
 */
import { BadArgError, NotCopyableError } from '../errors';
import { Pid } from './pid';
import { Ref } from './ref';

/** How a registered class crosses the wire. */
/**
 * How deep a term may nest: the wire codec's default limit, and term_key's. A deeper
 * term is refused rather than overflowing the stack.
 */
export const MAX_TERM_DEPTH = 1000;

export interface ClassCodec<T extends object = object> {
  /** The class. */
  readonly ctor: abstract new (...args: never[]) => T;
  /** Wire name; must be the same on every node. */
  readonly name: string;
  /** Turns an instance into a copyable term (default: its own enumerable fields). */
  readonly toTerm: (value: T) => unknown;
  /** Rebuilds an instance from that term (default: fields assigned onto the prototype). */
  readonly fromTerm: (term: unknown) => T;
}

const byCtor = new Map<unknown, ClassCodec>();
const byName = new Map<string, ClassCodec>();

/**
 * Lets instances of `ctor` travel in messages. Register the same name on every node.
 *
 * @example
 * class Point { constructor(public x: number, public y: number) {} }
 * registerClass(Point, { name: 'geo.Point' });
 */
export function registerClass<T extends object>(
  ctor: abstract new (...args: never[]) => T,
  options: { name?: string; toTerm?: (value: T) => unknown; fromTerm?: (term: unknown) => T } = {},
): void {
  const name = options.name ?? ctor.name;
  if (typeof ctor !== 'function') throw new BadArgError('registerClass: expected a class', ctor);
  if (!name) throw new BadArgError('registerClass: an anonymous class needs options.name', ctor);
  const existing = byName.get(name);
  if (existing !== undefined && existing.ctor !== ctor) {
    throw new BadArgError(`registerClass: the name ${JSON.stringify(name)} is already used by another class`, name);
  }
  const proto = ctor.prototype as object;
  const codec: ClassCodec<T> = {
    ctor,
    name,
    toTerm: options.toTerm ?? ((v: T) => ({ ...v })),
    fromTerm: options.fromTerm ?? ((t: unknown) => assignFields(Object.create(proto) as T, t)),
  };
  byCtor.set(ctor, codec as unknown as ClassCodec);
  byName.set(name, codec as unknown as ClassCodec);
}

/**
 * The default `fromTerm`'s copy: `t`'s own enumerable fields onto the new instance. A
 * `__proto__` key (a term from another node may hold one) stays a field, where
 * Object.assign would set the instance's prototype from the data.
 */
function assignFields<T extends object>(target: T, t: unknown): T {
  if (typeof t !== 'object' || t === null) return target;
  for (const k of Object.keys(t)) {
    const v = (t as Record<string, unknown>)[k];
    if (k === '__proto__') Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
    else (target as Record<string, unknown>)[k] = v;
  }
  return target;
}

/**
 * The codec for the class of `value`, if registered: the class its prototype names, so
 * an own `constructor` field (data from another node may hold one) changes nothing.
 * For codecs (@grove/distribution's wire format).
 */
export function classCodecOf(value: object): ClassCodec | undefined {
  return byCtor.get((Object.getPrototypeOf(value) as { constructor?: unknown } | null)?.constructor);
}

/** The codec registered under `name` (for codecs, as {@link classCodecOf}). */
export function classCodecNamed(name: string): ClassCodec | undefined {
  return byName.get(name);
}

/**
 * Throws a {@link NotCopyableError} unless `value` can be carried in a message.
 */
export function checkTerm(value: unknown): void {
  check(value, '$', []);
}

function check(value: unknown, path: string, ancestors: object[]): void {
  switch (typeof value) {
    case 'undefined':
    case 'boolean':
    case 'number':
    case 'bigint':
    case 'string':
      return;
    case 'function':
      throw new NotCopyableError(path, `a function (${(value as { name?: string }).name || 'anonymous'}) cannot be sent`);
    case 'symbol':
      throw new NotCopyableError(path, 'a symbol cannot be sent');
  }
  if (value === null) return;
  const obj = value as object;
  if (obj instanceof Pid || obj instanceof Ref || obj instanceof Date || obj instanceof Uint8Array) return;
  if (ancestors.includes(obj)) throw new NotCopyableError(path, 'a cyclic structure cannot be sent');
  ancestors.push(obj);
  try {
    checkContainer(obj, path, ancestors);
  } finally {
    ancestors.pop();
  }
}

function checkContainer(obj: object, path: string, ancestors: object[]): void {
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) check(obj[i], `${path}[${i}]`, ancestors);
    return;
  }
  if (obj instanceof Map) {
    let i = 0;
    for (const [k, v] of obj) {
      check(k, `${path}<key ${i}>`, ancestors);
      check(v, `${path}<value ${i++}>`, ancestors);
    }
    return;
  }
  if (obj instanceof Set) {
    let i = 0;
    for (const v of obj) check(v, `${path}<item ${i++}>`, ancestors);
    return;
  }
  if (obj instanceof Error) {
    const cause = (obj as { cause?: unknown }).cause;
    if (cause !== undefined) check(cause, `${path}.cause`, ancestors);
    return;
  }
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto === Object.prototype || proto === null) {
    for (const k of Object.keys(obj)) check((obj as Record<string, unknown>)[k], `${path}.${k}`, ancestors);
    return;
  }
  const codec = classCodecOf(obj);
  if (codec === undefined) {
    const cls = (obj.constructor as { name?: string } | undefined)?.name ?? 'anonymous';
    throw new NotCopyableError(path, `an instance of the unregistered class ${cls} (registerClass it to send it)`);
  }
  check(codec.toTerm(obj), `${path}<${codec.name}>`, ancestors);
}
