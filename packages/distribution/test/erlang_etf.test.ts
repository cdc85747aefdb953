/**
 * The Erlang term codec against the 92 vectors OTP 25 made
 * (`term_to_binary(T, [{minor_version, 2}])`, plus four decode-only forms), and the
 * JS values the term mapping promises for them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pid, Ref } from '@grove/core';
import {
  atom,
  Atom,
  binaryToTerm,
  Bitstring,
  ErlangFloat,
  ErlangFun,
  ErlangPort,
  float,
  ImproperList,
  termToBinary,
  tuple,
  Tuple,
} from '@grove/distribution';

interface Vector {
  erlang: string;
  hex: string;
  note?: string;
}

const vectors = JSON.parse(readFileSync(join(__dirname, 'support', 'etf-vectors.json'), 'utf8')) as Vector[];
const decodeOnly = (v: Vector): boolean => v.note?.includes('decode-only') === true;
const hex = (b: Buffer): string => b.toString('hex');
const fromHex = (h: string): Buffer => Buffer.from(h, 'hex');
const vector = (erlang: string): Buffer => fromHex(vectors.find((v) => v.erlang === erlang && !decodeOnly(v))!.hex);

describe('the OTP 25 vectors', () => {
  it('has all 92 of them', () => {
    expect(vectors).toHaveLength(92);
  });

  it.each(vectors.filter((v) => !decodeOnly(v)).map((v) => [v.erlang.slice(0, 80), v.hex] as const))('decodes and re-encodes %s byte for byte', (_name, h) => {
    expect(hex(termToBinary(binaryToTerm(fromHex(h))))).toBe(h);
  });

  it.each(vectors.filter(decodeOnly).map((v) => [v.erlang, v.hex] as const))('decodes the decode-only form of %s', (_name, h) => {
    expect(() => binaryToTerm(fromHex(h))).not.toThrow();
  });
});

describe('what the vectors decode to', () => {
  it('gives integers as numbers, and as bigints past 2^53', () => {
    expect(binaryToTerm(vector('255'))).toBe(255);
    expect(binaryToTerm(vector('-2147483648'))).toBe(-2147483648);
    expect(binaryToTerm(vector('4294967295'))).toBe(4294967295);
    expect(binaryToTerm(vector('9007199254740993'))).toBe(9007199254740993n);
    expect(binaryToTerm(vector('-(1 bsl 64)'))).toBe(-(1n << 64n));
    expect(binaryToTerm(vector('1 bsl 2040'))).toBe(1n << 2040n);
  });

  it('keeps a float with an integral value a float, and -0.0 as -0', () => {
    expect(binaryToTerm(vector('1.5'))).toBe(1.5);
    expect(binaryToTerm(vector('0.0'))).toEqual(float(0));
    expect(binaryToTerm(vector('0.0'))).toBeInstanceOf(ErlangFloat);
    expect(Object.is(binaryToTerm(vector('-0.0')), -0)).toBe(true);
    expect(binaryToTerm(vector('1.0e300'))).toBe(1e300);
    expect(binaryToTerm(vector('5.0e-324'))).toBe(5e-324);
  });

  it('gives atoms as interned Atoms, and true/false/undefined as JS values', () => {
    expect(binaryToTerm(vector('ok'))).toBe(atom('ok'));
    expect(binaryToTerm(vector('true'))).toBe(true);
    expect(binaryToTerm(vector('false'))).toBe(false);
    expect(binaryToTerm(vector('undefined'))).toBeUndefined();
    expect(binaryToTerm(vector("'\\x{e9}t\\x{e9}'"))).toBe(atom('été'));
    expect(binaryToTerm(vector("'\\x{1F600}'"))).toBe(atom('😀'));
    expect((binaryToTerm(vector('list_to_atom(lists:duplicate(200, 16#e9))')) as Atom).name).toBe('é'.repeat(200));
  });

  it('gives tuples as Tuples, lists as arrays, charlists as arrays of numbers', () => {
    expect(binaryToTerm(vector('{ok, {nested, [1]}}'))).toEqual(tuple(atom('ok'), tuple(atom('nested'), [1])));
    expect(binaryToTerm(vector('[]'))).toEqual([]);
    expect(binaryToTerm(vector('"hello"'))).toEqual([...'hello'].map((c) => c.charCodeAt(0)));
    expect(binaryToTerm(vector('"\\x{20AC}"'))).toEqual([8364]);
    expect(binaryToTerm(vector('[1, a]'))).toEqual([1, atom('a')]);
    expect((binaryToTerm(vector('list_to_tuple(lists:seq(1, 256))')) as Tuple).length).toBe(256);
  });

  it('gives improper lists as ImproperLists', () => {
    expect(binaryToTerm(vector('[a | b]'))).toEqual(new ImproperList([atom('a')], atom('b')));
    expect(binaryToTerm(vector('[1 | 2]'))).toEqual(new ImproperList([1], 2));
  });

  it('gives UTF-8 binaries as strings, other binaries as Buffers, bitstrings as Bitstrings', () => {
    expect(binaryToTerm(vector('<<"hello">>'))).toBe('hello');
    expect(binaryToTerm(vector('<<"\\x{e9}t\\x{e9}"/utf8>>'))).toBe('été');
    expect(binaryToTerm(vector('<<>>'))).toBe('');
    expect(binaryToTerm(vector('<<1, 2, 3>>'))).toBe('\x01\x02\x03');
    expect(binaryToTerm(vector('<<1, 2, 3>>'), { binaries: 'buffer' })).toEqual(Buffer.from([1, 2, 3]));
    expect(binaryToTerm(fromHex('836d00000002ff00'))).toEqual(Buffer.from([255, 0]));
    expect(binaryToTerm(vector('<<1:3>>'))).toEqual(new Bitstring(Buffer.from([0x20]), 3));
    expect((binaryToTerm(vector('<<255, 1:1>>')) as Bitstring).bitSize).toBe(9);
  });

  it('gives atom-keyed maps as plain objects and other maps as Maps', () => {
    expect(binaryToTerm(vector('#{}'))).toEqual({});
    expect(binaryToTerm(vector('#{b => 1, a => 2}'))).toEqual({ a: 2, b: 1 });
    expect(binaryToTerm(vector('#{nested => #{x => [1, 2]}}'))).toEqual({ nested: { x: [1, 2] } });
    const m = binaryToTerm(vector('#{1 => one, a => atom, <<"k">> => bin, "s" => str, {t} => tup}')) as Map<unknown, unknown>;
    expect(m).toBeInstanceOf(Map);
    expect(m.get(1)).toBe(atom('one'));
    expect(m.get(atom('a'))).toBe(atom('atom'));
    expect(m.get('k')).toBe(atom('bin'));
    expect(m.get([...m.keys()].find((k) => Array.isArray(k)))).toBe(atom('str'));
  });

  it("gives pids and refs as core's Pid and Ref, ports and funs opaquely", () => {
    const pid = binaryToTerm(vector('list_to_pid("<0.85.0>")')) as Pid;
    expect(pid).toBeInstanceOf(Pid);
    expect([pid.node, pid.id, pid.serial, pid.creation]).toEqual(['nonode@nohost', 0x55, 0, 0]);
    const ref = binaryToTerm(vector('list_to_ref("#Ref<0.2698545248.3400531969.156752>")')) as Ref;
    expect(ref).toBeInstanceOf(Ref);
    expect(ref.words).toEqual([156752, 3400531969, 2698545248]);
    expect(ref.equals(binaryToTerm(vector('list_to_ref("#Ref<0.2698545248.3400531969.156752>")')))).toBe(true);
    expect(ref.equals(binaryToTerm(vector('list_to_ref("#Ref<0.1.2.3>")')))).toBe(false);
    expect(binaryToTerm(vector('list_to_port("#Port<0.6>")'))).toEqual(new ErlangPort('nonode@nohost', 6, 0));
    const fun = binaryToTerm(vector('fun lists:map/2')) as ErlangFun;
    expect(fun.mfa).toEqual({ module: 'lists', function: 'map', arity: 2 });
  });

  it('reads the decode-only forms as their modern equivalents', () => {
    const only = vectors.filter(decodeOnly);
    expect(binaryToTerm(fromHex(only[0]!.hex))).toBe(1.5);
    expect(binaryToTerm(fromHex(only[1]!.hex))).toBe(atom('a'));
    expect(binaryToTerm(fromHex(only[2]!.hex))).toBe(atom('é'));
    expect(binaryToTerm(fromHex(only[3]!.hex))).toEqual(new Array(100).fill(tuple(atom('a'), atom('b'))));
  });
});
