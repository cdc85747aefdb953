import { GenCall, GenCast, Pid, Ref, registerClass } from '@grove/core';
import { DecodeError } from '@grove/distribution';
import { decodeTerm, encodeTerm } from '@grove/distribution/internal';
import fc from 'fast-check';
import { decodeError as decodeFailure, termArb, varint } from './term_support';

const here = { localNode: 'a@h', localCreation: 1 };
const bytes = (...b: (number | number[])[]): Buffer => Buffer.from(b.flat());
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const decodeError = (buf: Buffer): DecodeError => decodeFailure(() => decodeTerm(buf, here));

class Fussy {
  constructor(readonly n: number) {}
}
registerClass(Fussy, {
  name: 'test.malformed.Fussy',
  toTerm: (f) => f.n,
  fromTerm: (t) => {
    if (typeof t !== 'number') throw new TypeError('Fussy wants a number');
    return new Fussy(t);
  },
});

class Plain {
  n = 0;
}
registerClass(Plain, { name: 'test.malformed.Plain' });

/** The prototypes a decoded value may have: the term set's, and registered classes'; never one taken from the data. */
const ALLOWED = new Set<unknown>([Object.prototype, null, Array.prototype, Map.prototype, Set.prototype, Date.prototype, Buffer.prototype, Pid.prototype, Ref.prototype, GenCall.prototype, GenCast.prototype, Plain.prototype, Fussy.prototype]);
for (const E of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError]) ALLOWED.add(E.prototype);

/** The first object in `v` (depth first) whose prototype is not one of {@link ALLOWED}. */
function foreignPrototype(v: unknown, seen = new Set<object>()): string | null {
  if (typeof v !== 'object' || v === null || seen.has(v)) return null;
  seen.add(v);
  if (!ALLOWED.has(Object.getPrototypeOf(v))) return `an object whose prototype came from elsewhere: ${Object.keys(v).join(',')}`;
  const children = v instanceof Map ? [...v].flat() : v instanceof Set ? [...v] : Object.getOwnPropertyNames(v).map((k) => Object.getOwnPropertyDescriptor(v, k)!.value as unknown);
  for (const c of children) {
    const bad = foreignPrototype(c, seen);
    if (bad !== null) return bad;
  }
  return null;
}

/** Decodes `buf` and checks the prototypes of what came out; a DecodeError is fine, anything else is not. */
function decodeChecked(buf: Buffer): void {
  let v: unknown;
  try {
    v = decodeTerm(buf, here);
  } catch (e) {
    if (e instanceof DecodeError) return;
    throw e;
  }
  const bad = foreignPrototype(v);
  if (bad !== null) throw new Error(bad);
}

describe('decoding malformed terms', () => {
  it.each<[string, Buffer, RegExp]>([
    ['an empty buffer', bytes(), /truncated/],
    ['an unknown tag', bytes(0x18), /unknown term tag 0x18/],
    ['a tag from the reserved range', bytes(0x3f), /unknown term tag 0x3f/],
    ['a truncated float64', bytes(0x05, 1, 2, 3), /truncated float64/],
    ['a truncated varint', bytes(0x04, 0x80), /truncated varint/],
    ['a varint longer than 8 bytes', bytes(0x04, new Array(9).fill(0xff), 0x01), /longer than 8 bytes/],
    ['an int32 whose varint is past 32 bits', bytes(0x04, varint(2 ** 33)), /does not fit in 32 bits/],
    ['a truncated ASCII string', bytes(0x85, ascii('ab')), /truncated string/],
    ['a non-ASCII byte in a short ASCII string', bytes(0x82, 0x61, 0xe9), /non-ASCII byte 0xe9/],
    ['a non-ASCII byte in a longer ASCII string', bytes(0x80 + 20, new Array(19).fill(0x61), 0xff), /non-ASCII byte 0xff/],
    ['an absurd UTF-8 string length', bytes(0x08, varint(2 ** 40)), /string length \d+ exceeds the 0 bytes left/],
    ['invalid UTF-8', bytes(0x08, 2, 0xc3, 0x28), /invalid UTF-8/],
    ['a truncated UTF-8 sequence', bytes(0x08, 2, 0x61, 0xe2), /invalid UTF-8/],
    ['an overlong UTF-8 encoding', bytes(0x08, 2, 0xc0, 0xaf), /invalid UTF-8/],
    ['an encoded surrogate in UTF-8', bytes(0x08, 3, 0xed, 0xa0, 0x80), /invalid UTF-8/],
    ['an absurd UTF-16 string length', bytes(0x09, varint(1e9)), /string length 1000000000 exceeds/],
    ['an absurd array length', bytes(0x0a, varint(1e12)), /array length 1000000000000 exceeds/],
    ['an array whose last item is cut', bytes(0x0a, 2, 0x41, 0x05, 1, 2, 3), /truncated float64/],
    ['an array whose ASCII item is cut', bytes(0x0a, 2, 0x41, 0x83, 0x61), /truncated string/],
    ['an array whose ASCII item has a non-ASCII byte', bytes(0x0a, 1, 0x82, 0x61, 0xe9), /non-ASCII byte 0xe9/],
    ['an array with fewer items than its length', bytes(0x0a, 3, 0x41, 0x82, 0x6f, 0x6b), /truncated/],
    ['an absurd object size', bytes(0x0c, varint(2 ** 31)), /object length \d+ exceeds/],
    ['an object key that is not a string', bytes(0x0c, 1, 0x41, 0x41), /object key must be a string, got tag 0x41/],
    ['an absurd map size', bytes(0x0e, varint(5000)), /map length 5000 exceeds/],
    ['an absurd set size', bytes(0x0f, 100), /set length 100 exceeds/],
    ['an absurd byte array length', bytes(0x11, varint(2 ** 50)), /byte array length \d+ exceeds/],
    ['an absurd bigint length', bytes(0x06, varint(1e15)), /bigint length \d+ exceeds/],
    ['a pid naming an atom that was never defined', bytes(0x13, 6, 1, 0, 1), /atom index 5 was never defined/],
    ['a pid with a truncated node name', bytes(0x13, 0, 10, ascii('a@h')), /name length 10 exceeds/],
    ['a pid creation past 32 bits', bytes(0x13, 0, 3, ascii('a@h'), 1, 0, varint(2 ** 32)), /does not fit in 32 bits/],
    ['a truncated ref', bytes(0x14, 0, 3, ascii('a@h'), 1), /truncated varint/],
    ['an unknown registered class', bytes(0x15, 0, 5, ascii('No.Cl'), 0x41), /unknown registered class "No.Cl"/],
    ['an error whose stack is not a string', bytes(0x12, 0x81, 0x45, 0x80, 0x41, 0, 0), /error stack must be a string/],
    ['an error with a bad cause flag', bytes(0x12, 0x81, 0x45, 0x80, 0x00, 7, 0), /bad error cause flag 7/],
    ['an error whose name is not a string', bytes(0x12, 0x41, 0x80, 0x00, 0, 0), /object key must be a string/],
    ['trailing bytes after the term', bytes(0x41, 0x42), /1 trailing bytes/],
  ])('rejects %s with a DecodeError', (_name, buf, detail) => {
    expect(decodeError(buf).message).toMatch(detail);
  });

  it('rejects nesting deeper than the limit (and does not overflow the stack)', () => {
    const deep = bytes(new Array(100_000).fill([0x0a, 1]).flat(), 0x00);
    expect(decodeError(deep).message).toMatch(/nesting deeper than 1000 levels/);
  });

  it('rejects a registered class whose fromTerm throws, keeping the cause', () => {
    const buf = Buffer.concat([bytes(0x15, 0, 20), Buffer.from('test.malformed.Fussy'), bytes(0x81, 0x61)]);
    const e = decodeError(buf);
    expect(e.message).toMatch(/fromTerm of the registered class "test.malformed.Fussy" threw: TypeError: Fussy wants a number/);
    expect(e.cause).toBeInstanceOf(TypeError);
  });

  it('says where the problem is', () => {
    const e = decodeError(bytes(0x0a, 2, 0x41, 0x18));
    expect(e.offset).toBe(3);
    expect(e.code).toBe('decode');
  });

  it('rejects every truncation of a valid term with a DecodeError', () => {
    fc.assert(
      fc.property(termArb, (v) => {
        const full = encodeTerm(v);
        // Every cut of a small term; 200 spread-out cuts of a big one (an Error's stack is long).
        const step = Math.max(1, Math.floor(full.length / 200));
        for (let n = 0; n < full.length; n += step) {
          try {
            decodeTerm(full.subarray(0, n), here);
          } catch (e) {
            if (e instanceof DecodeError) continue;
            throw e;
          }
          throw new Error(`a ${n}-byte prefix of a ${full.length}-byte term decoded`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('answers random bytes with a value (no prototype from the data) or a DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (u) => decodeChecked(Buffer.from(u))),
      { numRuns: 3000 },
    );
  });

  it('answers a corrupted valid term with a value (no prototype from the data) or a DecodeError, nothing else', () => {
    fc.assert(
      fc.property(termArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (v, at, byte) => {
        const buf = Buffer.from(encodeTerm(v));
        buf[at % buf.length] = byte;
        decodeChecked(buf);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('decoding well-formed terms a hostile peer writes', () => {
  const key = (k: string): number[] => [0x80 + k.length, ...ascii(k)];
  const atom = (name: string, first: boolean): number[] => (first ? [0, name.length, ...ascii(name)] : [1]);
  const pid = (first: boolean): number[] => [0x13, ...atom('b@h', first), 5, 0, 2];
  /** An object body `{ __proto__: { hacked: true }, n: 1 }`. */
  const protoFields = [2, ...key('__proto__'), 0x0c, 1, ...key('hacked'), 0x03, ...key('n'), 0x41];

  it.each<[string, Buffer, (v: unknown) => void]>([
    ['a plain object with a __proto__ key', bytes(0x0c, protoFields), (v) => expect(Object.getPrototypeOf(v)).toBe(Object.prototype)],
    ['a null-prototype object with a __proto__ key', bytes(0x0d, protoFields), (v) => expect(Object.getPrototypeOf(v)).toBeNull()],
    ['an error with a __proto__ field', bytes(0x12, key('Error'), key('m'), 0x00, 0, protoFields), (v) => expect(Object.getPrototypeOf(v)).toBe(Error.prototype)],
    ['a registered class whose fields hold __proto__', bytes(0x15, atom('test.malformed.Plain', true), 0x0c, protoFields), (v) => expect(Object.getPrototypeOf(v)).toBe(Plain.prototype)],
  ])('never takes a prototype from %s: the key stays an own field', (_name, buf, proto) => {
    const v = decodeTerm(buf, here) as Record<string, unknown>;
    proto(v);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ hacked: true });
    expect(v['hacked']).toBeUndefined();
    expect(foreignPrototype(v)).toBeNull();
  });

  it('keeps every entry of a Set or Map that names the same pid more than once', () => {
    const set = decodeTerm(bytes(0x0f, 3, pid(true), pid(false), pid(false)), here) as Set<Pid>;
    expect(set.size).toBe(3);
    expect([...set].every((p) => p.equals(new Pid('b@h', 5, 0, 2)))).toBe(true);
    const map = decodeTerm(bytes(0x0e, 2, pid(true), 0x41, pid(false), 0x42), here) as Map<Pid, number>;
    expect([...map.values()]).toEqual([1, 2]);
  });

  it('decodes a call whose reply address is no caller\'s as data (the server that would answer drops the reply)', () => {
    for (const tag of [-1, 1.5, NaN, Infinity]) {
      const call = decodeTerm(Buffer.concat([bytes(0x15, atom('grove.$gen_call', true)), encodeTerm([{ pid: new Pid('b@h', 5, 0, 2), tag }, 'req'])]), here) as GenCall;
      expect(call).toBeInstanceOf(GenCall);
      expect(call.from.tag).toBe(tag);
    }
  });
});
