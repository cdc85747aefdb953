/**
 * How Grove's own values look to Erlang (the README's term mapping), what has no
 * Erlang counterpart and is refused at the sender, exit reasons both ways, and Erlang
 * values crossing Grove-to-Grove connections.
 */
import { Node, NotCopyableError, Pid, Ref, registerClass } from '@grove/core';
import {
  atom,
  Atom,
  binaryToTerm,
  Bitstring,
  charlist,
  charlistToString,
  compareTerms,
  ErlangFloat,
  ErlangFun,
  ErlangPort,
  exitReasonFromErlang,
  exitReasonToErlang,
  float,
  ImproperList,
  isAtom,
  isTuple,
  termToBinary,
  tuple,
} from '@grove/distribution';
import { decodeTerm, encodeTerm } from '@grove/distribution/internal';

const hex = (v: unknown): string => termToBinary(v).toString('hex');
const roundTrip = (v: unknown): unknown => binaryToTerm(termToBinary(v));

describe('Grove values as Erlang terms', () => {
  it('sends strings as UTF-8 binaries (Elixir strings) and arrays as lists', () => {
    expect(hex('hi')).toBe('836d000000026869');
    expect(hex([1, 2, 3])).toBe('836b0003010203'); // a list of bytes: STRING_EXT, as Erlang writes it
    expect(hex([1, 'a'])).toBe('836c0000000261016d00000001616a');
    expect(hex([])).toBe('836a');
  });

  it('sends true/false/undefined/null as the atoms true, false, undefined, nil', () => {
    expect(hex(true)).toBe('83770474727565');
    expect(hex(undefined)).toBe('837709756e646566696e6564');
    expect(hex(null)).toBe('8377036e696c');
    expect(roundTrip(null)).toBeNull();
  });

  it('sends integral numbers as integers, others and float(x) as floats', () => {
    expect(hex(1)).toBe('836101');
    expect(hex(float(1))).toBe('83463ff0000000000000');
    expect(hex(-0)).toBe('83468000000000000000');
    expect(roundTrip(float(1))).toEqual(new ErlangFloat(1));
    expect(roundTrip(2 ** 60)).toBe(2 ** 60); // not a safe integer: sent as the float it is
    expect(roundTrip(2n ** 60n)).toBe(2n ** 60n);
    expect(roundTrip(5n)).toBe(5);
  });

  it('sends plain objects as maps with atom keys, in Erlang key order, and Elixir structs come back as objects', () => {
    expect(hex({ b: 1, a: 2 })).toBe('83740000000277016161027701626101');
    const user = { __struct__: atom('Elixir.User'), name: 'José', age: 42 };
    expect(roundTrip(user)).toStrictEqual(user);
  });

  it('sends a Map as a map with any keys and refuses two keys that are one Erlang term', () => {
    const m = new Map<unknown, unknown>([[tuple(1), 'a'], ['k', 'b'], [1, 'c']]);
    const back = roundTrip(m) as Map<unknown, unknown>;
    expect([...back.values()]).toEqual(['c', 'a', 'b']); // number < tuple < binary
    expect(() => termToBinary(new Map([[tuple(1), 1], [tuple(1), 2]]))).toThrow(/the same Erlang term/);
  });

  it('sends an Error as %Grove.Error{} and reads it back as an Error', () => {
    const e = new TypeError('bad thing');
    const back = roundTrip(e) as Error;
    expect(back).toBeInstanceOf(Error);
    expect([back.name, back.message, back.stack]).toEqual(['TypeError', 'bad thing', e.stack]);
    const map = binaryToTerm(termToBinary(e), { binaries: 'buffer' }) as Record<string, unknown>;
    expect(map).toBeInstanceOf(Error); // binaries as Buffers: still an Error
  });

  it('sends a registered class as a struct named by its registered name, and reads it back as an instance', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    registerClass(Point, { name: 'Elixir.Geo.Point' });
    const back = roundTrip(new Point(1, 2));
    expect(back).toBeInstanceOf(Point);
    expect(back).toEqual(new Point(1, 2));
    expect(binaryToTerm(termToBinary({ __struct__: atom('Elixir.Geo.Point'), x: 3, y: 4 }))).toBeInstanceOf(Point);
  });

  it('keeps pids and refs a Grove node made: a local ref decodes as the local ref', () => {
    const node = new Node({ name: 'grove@127.0.0.1', creation: 7 });
    try {
      const ref = node.makeRef();
      const back = binaryToTerm(termToBinary(ref), { localNode: node.name, localCreation: node.creation }) as Ref;
      expect(back.key).toBe(ref.key);
      expect(back.equals(ref)).toBe(true);
      const pid = new Pid(node.name, 12, 0, 7);
      expect((roundTrip(pid) as Pid).equals(pid)).toBe(true);
    } finally {
      node.halt();
    }
  });

  it.each([
    ['NaN', NaN, /NaN/],
    ['Infinity', Infinity, /infinity/],
    ['a Date', new Date(0), /Date has no Erlang counterpart/],
    ['a Set', new Set([1]), /Set has no Erlang counterpart/],
    ['a function', () => 1, /function/],
    ['a symbol', Symbol('s'), /symbol/],
    ['a lone surrogate', 'a\uD800', /lone surrogate/],
    ['an unregistered class', new (class Foo {})(), /instance of Foo/],
    ['a pid id past 32 bits', new Pid('a@b', 2 ** 32, 0, 1), /does not fit/],
    ['an object key too long for an atom', { ['k'.repeat(256)]: 1 }, /longer than 255/],
  ])('refuses %s at the sender', (_name, value, message) => {
    expect(() => termToBinary(value)).toThrow(message);
    expect(() => termToBinary(value)).toThrow(NotCopyableError);
  });

  it('refuses a cycle with a NotCopyableError', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => termToBinary(a)).toThrow(NotCopyableError);
  });
});

describe('the value classes', () => {
  it('interns atoms', () => {
    expect(atom('ok')).toBe(atom('ok'));
    expect(isAtom(atom('ok'), 'ok')).toBe(true);
    expect(String(atom('EXIT'))).toBe("'EXIT'");
    expect(() => atom('x'.repeat(256))).toThrow(/255/);
  });

  it('destructures tuples and tells them from lists', () => {
    const [tag, value] = tuple(atom('ok'), 42);
    expect([tag, value]).toEqual([atom('ok'), 42]);
    expect(isTuple(tuple(atom('ok'), 1), 'ok')).toBe(true);
    expect(isTuple([atom('ok')])).toBe(false);
  });

  it('turns text into charlists and back', () => {
    expect(hex(charlist('hi'))).toBe('836b00026869'); // "hi" in Erlang
    expect(charlist('€😀')).toEqual([0x20ac, 0x1f600]);
    expect(charlistToString(binaryToTerm(termToBinary(charlist('€😀'))) as number[])).toBe('€😀');
    expect(() => charlistToString([0xd800])).toThrow(/code points/);
  });

  it('refuses malformed improper lists and bitstrings', () => {
    expect(() => new ImproperList([], 1)).toThrow(/at least one item/);
    expect(() => new ImproperList([1], [2])).toThrow(/tail must not be a list/);
    expect(() => new Bitstring(Buffer.from([0xff]), 3)).toThrow(/unused low bits/);
    expect(() => float(NaN)).toThrow(/finite/);
  });

  it('orders terms as Erlang does', () => {
    const sorted = ['b', [1], [], new Map([[1, 2]]), tuple(), new Pid('a@b', 1, 0, 1), atom('a'), 2, float(1)].sort((a, b) => compareTerms(a, b));
    expect(sorted.map((v) => hex(v).slice(2, 4))).toEqual(['46', '61', '77', '58', '68', '74', '6a', '6b', '6d']);
  });
});

describe('exit reasons', () => {
  it.each([
    ['normal', atom('normal')],
    ['noconnection', atom('noconnection')],
    [{ shutdown: 'restart' }, tuple(atom('shutdown'), atom('restart'))],
    [{ shutdown: 42 }, tuple(atom('shutdown'), 42)],
    [{ nocatch: 'x' }, tuple(atom('nocatch'), 'x')],
  ])('sends %p to Erlang as %p and reads it back', (grove, erlang) => {
    expect(exitReasonToErlang(grove)).toEqual(erlang);
    expect(exitReasonFromErlang(roundTrip(exitReasonToErlang(grove)))).toEqual(grove);
  });

  it('leaves other Erlang reasons as the term mapping reads them', () => {
    const reason = tuple(atom('badarith'), [tuple(atom('erlang'), atom('+'), [1, atom('a')], [])]);
    expect(exitReasonFromErlang(reason)).toBe(reason);
    expect(exitReasonFromErlang(undefined)).toBe('undefined');
  });
});

describe('Erlang values between Grove nodes', () => {
  const context = { localNode: 'b@127.0.0.1', localCreation: 1 };
  it.each([
    ['an atom', atom('ok')],
    ['a tuple', tuple(atom('ok'), [1, 2])],
    ['an improper list', new ImproperList([atom('alias')], new Ref('e@h', 3, -1, false, [1, 2, 3]))],
    ['a bitstring', new Bitstring(Buffer.from([0xe0]), 3)],
    ['a float', float(2)],
    ['a port', new ErlangPort('e@h', 2n ** 60n, 2)],
    ['a fun', new ErlangFun(Buffer.from('7177056c6973747377036d61706102', 'hex'), { module: 'lists', function: 'map', arity: 2 })],
    ['an Erlang ref', new Ref('e@h', 3, -1, false, [156752, 3400531969, 2698545248])],
  ])("crosses Grove's own wire format: %s", (_name, value) => {
    const back = decodeTerm(encodeTerm(value), context);
    expect(back).toStrictEqual(value);
    if (value instanceof Atom) expect(back).toBe(value);
  });

  it('passes a local checkMessages send', async () => {
    const node = new Node({ name: 'a@127.0.0.1', checkMessages: true });
    try {
      const got = await node.run(async (ctx) => {
        ctx.send(ctx.self, tuple(atom('ok'), new ImproperList([1], 2)));
        return ctx.receive();
      });
      expect(got).toStrictEqual(tuple(atom('ok'), new ImproperList([1], 2)));
    } finally {
      node.halt();
    }
  });
});
