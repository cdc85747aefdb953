/**
 * Erlang terms that have no JS counterpart, as small immutable classes: atoms, tuples,
 * improper lists, bitstrings, floats with an integral value, ports and funs. The
 * mapping between Erlang terms and JS values (README, "Erlang and Elixir nodes › Term
 * mapping") uses JS's own values where they fit (numbers, bigints, strings, arrays,
 * plain objects, Map, Buffer, Pid, Ref) and these classes for the rest.
 *
 * Every class here is registered with @grove/core's `registerClass`, so a message
 * holding Erlang terms also crosses Grove-to-Grove connections and local
 * `checkMessages` sends unchanged.
 */
import { BadArgError, registerClass } from '@grove/core';

/** Longest atom name Erlang accepts, in characters. */
export const MAX_ATOM_CHARS = 255;

/** True when `s` has no lone surrogate, so it has a UTF-8 form (ES2024's `isWellFormed`). @internal */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}
const PLAIN_ATOM = /^[a-z][a-zA-Z0-9_@]*$/;

/**
 * An Erlang atom. Atoms are interned: `atom('ok') === atom('ok')`, so `===`, `switch`
 * and Map keys work. `true`, `false`, `undefined` and `nil` never appear as `Atom`s:
 * they are JS `true`, `false`, `undefined` and `null`. The table holds atoms weakly:
 * an atom no value refers to any more is forgotten, so a peer that sends many
 * distinct atoms cannot grow it without bound (unlike Erlang's atom table).
 */
export class Atom {
  /** @internal the name in UTF-8, as the encoder writes it. */
  readonly utf8: Buffer;

  private constructor(
    /** The atom's text. */
    readonly name: string,
  ) {
    this.utf8 = Buffer.from(name, 'utf8');
  }

  /** @internal the interned atom for `name` (checked by {@link atom}). */
  static intern(name: string): Atom {
    const known = table.get(name)?.deref();
    if (known !== undefined) return known;
    const a = new Atom(name);
    table.set(name, new WeakRef(a));
    forget.register(a, name);
    return a;
  }

  /** The name, as Erlang prints it: `ok`, `'EXIT'`, `'hello world'`. */
  toString(): string {
    return PLAIN_ATOM.test(this.name) ? this.name : `'${this.name.replace(/[\\']/g, (c) => '\\' + c)}'`;
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

const table = new Map<string, WeakRef<Atom>>();
const forget = new FinalizationRegistry<string>((name) => {
  if (table.get(name)?.deref() === undefined) table.delete(name);
});

/**
 * The atom named `name` (at most 255 characters, no lone surrogate).
 *
 * @example
 * ctx.send(erlangPid, tuple(atom('ok'), 42)); // {ok, 42}
 */
export function atom(name: string): Atom {
  if (typeof name !== 'string') throw new BadArgError('atom: expected a string', name);
  if (name.length > MAX_ATOM_CHARS && [...name].length > MAX_ATOM_CHARS) {
    throw new BadArgError(`atom: a name longer than ${MAX_ATOM_CHARS} characters`, name);
  }
  if (!isWellFormed(name)) throw new BadArgError('atom: a name with a lone surrogate (not valid UTF-8)', name);
  return Atom.intern(name);
}

/** True when `value` is an {@link Atom}, optionally the one named `name`. */
export function isAtom(value: unknown, name?: string): value is Atom {
  return value instanceof Atom && (name === undefined || value.name === name);
}

/**
 * An Erlang tuple, distinct from a list (a JS array). Iterable, so `const [tag, x] = t`
 * destructures it.
 */
export class Tuple implements Iterable<unknown> {
  /** The elements, in order. */
  readonly elements: readonly unknown[];

  constructor(elements: readonly unknown[]) {
    if (!Array.isArray(elements)) throw new BadArgError('Tuple: expected an array of elements', elements);
    this.elements = elements;
  }

  /** Number of elements (Erlang's `tuple_size`). */
  get length(): number {
    return this.elements.length;
  }

  /** The element at `index` (0-based; negative counts from the end). */
  at(index: number): unknown {
    return this.elements.at(index);
  }

  [Symbol.iterator](): Iterator<unknown> {
    return this.elements[Symbol.iterator]();
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `{${this.elements.map((e) => inspect(e, options)).join(', ')}}`;
  }
}

/** The tuple `{...elements}`. */
export function tuple(...elements: unknown[]): Tuple {
  return new Tuple(elements);
}

/** True when `value` is a {@link Tuple}, optionally one whose first element is the atom `tag`. */
export function isTuple(value: unknown, tag?: string): value is Tuple {
  return value instanceof Tuple && (tag === undefined || isAtom(value.elements[0], tag));
}

/**
 * The charlist of `text` (Erlang's `"abc"`, Elixir's `'abc'`): a list of its code
 * points, for Erlang functions that take strings as lists (`io:format/2`).
 */
export function charlist(text: string): number[] {
  if (typeof text !== 'string' || !isWellFormed(text)) throw new BadArgError('charlist: expected a string without lone surrogates', text);
  return Array.from(text, (c) => c.codePointAt(0)!);
}

/** The text of a charlist (a list of code points), the inverse of {@link charlist}. */
export function charlistToString(list: readonly number[]): string {
  if (!Array.isArray(list) || !list.every((c) => Number.isInteger(c) && c >= 0 && c <= 0x10ffff && (c < 0xd800 || c > 0xdfff))) {
    throw new BadArgError('charlistToString: expected a list of Unicode code points', list);
  }
  return String.fromCodePoint(...list);
}

/**
 * An improper list `[a, b | tail]`: at least one item and a tail that is not a list.
 * (OTP's `[alias | Ref]` call tags are one.)
 */
export class ImproperList {
  constructor(
    /** The items before the `|`. */
    readonly items: readonly unknown[],
    /** What follows the `|`: any term but a list. */
    readonly tail: unknown,
  ) {
    if (!Array.isArray(items) || items.length === 0) throw new BadArgError('ImproperList: expected at least one item', items);
    if (Array.isArray(tail) || tail instanceof ImproperList) {
      throw new BadArgError('ImproperList: the tail must not be a list (write the proper or improper list whole)', tail);
    }
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `[${this.items.map((e) => inspect(e, options)).join(', ')} | ${inspect(this.tail, options)}]`;
  }
}

/**
 * A bitstring whose length is not a whole number of bytes (`<<1:3>>`): `bytes` holds
 * the bits, the last byte's `bits` high bits are used (1 to 7), its other bits are 0.
 * Whole-byte bitstrings are binaries (strings or Buffers).
 */
export class Bitstring {
  constructor(
    /** The bits, most significant first; at least one byte. */
    readonly bytes: Uint8Array,
    /** How many high bits of the last byte belong to the bitstring (1 to 7). */
    readonly bits: number,
  ) {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new BadArgError('Bitstring: expected at least one byte', bytes);
    if (!Number.isInteger(bits) || bits < 1 || bits > 7) throw new BadArgError('Bitstring: bits in the last byte must be 1 to 7', bits);
    if ((bytes[bytes.length - 1]! & (0xff >> bits)) !== 0) throw new BadArgError('Bitstring: the unused low bits of the last byte must be 0', bytes);
  }

  /** Length in bits (Erlang's `bit_size`). */
  get bitSize(): number {
    return (this.bytes.length - 1) * 8 + this.bits;
  }
}

/**
 * An Erlang float whose value is an integer (`1.0`, `0.0`, `1.0e300`): a plain JS
 * number with an integral value is sent as an Erlang integer, so `float(1)` is how to
 * send `1.0`. Decoding gives an `ErlangFloat` only for floats with a safe-integer
 * value; every other float is a plain number.
 */
export class ErlangFloat {
  constructor(
    /** The value (finite). */
    readonly value: number,
  ) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadArgError('float: expected a finite number (Erlang has no NaN or infinity)', value);
  }

  valueOf(): number {
    return this.value;
  }

  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return Number.isInteger(this.value) && Math.abs(this.value) < 1e16 ? `${this.value}.0` : String(this.value);
  }
}

/** The Erlang float `value` (`float(1)` is `1.0`). */
export function float(value: number): ErlangFloat {
  return new ErlangFloat(value);
}

/** An Erlang port (`#Port<0.6>`): carried opaquely, comparable with {@link ErlangPort.equals}. */
export class ErlangPort {
  constructor(
    /** Node the port belongs to. */
    readonly node: string,
    /** Port number (up to 64 bits: a bigint past 2^53). */
    readonly id: number | bigint,
    /** Incarnation of that node. */
    readonly creation: number,
  ) {}

  /** True when `other` names the same port. */
  equals(other: unknown): boolean {
    return other instanceof ErlangPort && other.node === this.node && other.id === this.id && other.creation === this.creation;
  }

  /** `#Port<node.6>` */
  toString(): string {
    return `#Port<${this.node}.${this.id}>`;
  }
}

/**
 * An Erlang fun, carried opaquely: its external-format bytes (tag included) are kept
 * and sent back as they came. Grove cannot call it.
 */
export class ErlangFun {
  constructor(
    /** The fun in the external term format: the tag (112 or 113) and its body. */
    readonly bytes: Buffer,
    /** `fun M:F/A` (from EXPORT_EXT) when known, else undefined for a closure. */
    readonly mfa?: { readonly module: string; readonly function: string; readonly arity: number },
  ) {}

  toString(): string {
    return this.mfa === undefined ? '#Fun<closure>' : `fun ${this.mfa.module}:${this.mfa.function}/${this.mfa.arity}`;
  }
}

// The constructor is private (atoms are interned); the registry only needs the class.
registerClass(Atom as unknown as abstract new () => Atom, { name: 'erlang.atom', toTerm: (a) => a.name, fromTerm: (t) => atom(t as string) });
registerClass(Tuple, { name: 'erlang.tuple', toTerm: (t) => t.elements, fromTerm: (t) => new Tuple(t as unknown[]) });
registerClass(ImproperList, {
  name: 'erlang.improper_list',
  toTerm: (l) => [l.items, l.tail],
  fromTerm: (t) => new ImproperList((t as [unknown[], unknown])[0], (t as [unknown[], unknown])[1]),
});
registerClass(Bitstring, { name: 'erlang.bitstring', toTerm: (b) => [b.bytes, b.bits], fromTerm: (t) => new Bitstring(...(t as [Uint8Array, number])) });
registerClass(ErlangFloat, { name: 'erlang.float', toTerm: (f) => f.value, fromTerm: (t) => new ErlangFloat(t as number) });
registerClass(ErlangPort, {
  name: 'erlang.port',
  toTerm: (p) => [p.node, p.id, p.creation],
  fromTerm: (t) => new ErlangPort(...(t as [string, number | bigint, number])),
});
registerClass(ErlangFun, {
  name: 'erlang.fun',
  toTerm: (f) => (f.mfa === undefined ? [f.bytes] : [f.bytes, f.mfa.module, f.mfa.function, f.mfa.arity]),
  fromTerm: (t) => {
    const [bytes, module, fn, arity] = t as [Buffer, string?, string?, number?];
    return new ErlangFun(Buffer.from(bytes), module === undefined ? undefined : { module, function: fn!, arity: arity! });
  },
});
