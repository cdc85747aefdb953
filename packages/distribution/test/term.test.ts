import { BadArgError, CallExitError, GenCall, GenCast, GenServer, Node, NotCopyableError, Pid, Ref, registerClass, ServerRef } from '@grove/core';
import { decodeTerm, encodeTerm, TermDecoder, TermEncoder, WireReader, WireWriter } from '@grove/distribution/internal';
import fc from 'fast-check';
import { termArb, termDiff } from './term_support';

const here = { localNode: 'a@h', localCreation: 1 };
const roundTrip = (v: unknown): unknown => decodeTerm(encodeTerm(v), here);

function expectSame(v: unknown): void {
  expect(termDiff(v, roundTrip(v))).toBeNull();
}

const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
const protoKey = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as object;

describe('the term codec', () => {
  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['true', true],
    ['false', false],
    ['a small int', 7],
    ['the largest fixint', 63],
    ['the first int past the fixints', 64],
    ['a negative int', -1],
    ['int32 extremes', [2 ** 31 - 1, -(2 ** 31)]],
    ['integers past int32', [2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53)]],
    ['-0', -0],
    ['NaN', NaN],
    ['infinities', [Infinity, -Infinity]],
    ['a fraction', 0.1],
    ['bigint zero', 0n],
    ['small bigints', [1n, -1n, 255n, 256n, -256n]],
    ['a huge negative bigint', -(2n ** 1000n) + 12345n],
    ['the empty string', ''],
    ['a short ASCII string', 'hello'],
    ['a 127-char ASCII string', 'x'.repeat(127)],
    ['a long ASCII string', 'y'.repeat(1000)],
    ['non-ASCII text', 'héllo wörld ✓ 𝄞'],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate at the end', 'abc\udc00'],
    ['a long string with a lone surrogate', 'z'.repeat(300) + '\ud83d'],
    ['U+FFFD itself', 'bad \uFFFD char'],
    ['a BOM', '\uFEFFtext'],
    ['an empty array', []],
    ['a nested array', [1, [2, [3, []]]]],
    ['a sparse array', sparse],
    ['an array of only holes', new Array(5)],
    ['a long array with holes (past the preallocated length)', Object.assign(new Array(5000), { 0: 'a', 4097: 1, 4999: null })],
    ['an array with a hole at its end', Object.assign(new Array(3), { 0: 1 })],
    ['an array with undefined (not holes)', [undefined, undefined]],
    ['a plain object', { a: 1, b: 'two', c: [3] }],
    ['an empty object', {}],
    ['integer-like keys', { 2: 'b', 1: 'a', x: 0 }],
    ['a null-prototype object', nullProto],
    ['a __proto__ own key', protoKey],
    ['a Map with object keys', new Map<unknown, unknown>([[{ k: 1 }, 'v'], [1, 2], ['s', new Map()]])],
    ['a Set', new Set([1, 'a', null, undefined])],
    ['a Date', new Date(1_700_000_000_123)],
    ['an invalid Date', new Date(NaN)],
    ['a Buffer', Buffer.from([0, 1, 2, 255])],
    ['an empty Buffer', Buffer.alloc(0)],
    ['a large Buffer', Buffer.alloc(100_000, 7)],
    ['a foreign pid', new Pid('b@h', 42, 3, 99)],
    ['a foreign ref', new Ref('b@h', 99, 7, false)],
    ['a ref of an earlier incarnation of this node', new Ref('a@h', 2, 7, false)],
    ['a shared (non-cyclic) reference', ((s: object) => [s, { s }])({ shared: true })],
    ['a deep but acceptable nesting', JSON.parse('['.repeat(900) + ']'.repeat(900)) as unknown],
  ])('round-trips %s', (_name, value) => {
    expectSame(value);
  });

  it('decodes a Uint8Array as a Buffer with the same bytes', () => {
    const out = roundTrip(new Uint8Array([5, 6, 7]));
    expect(Buffer.isBuffer(out)).toBe(true);
    expect([...(out as Buffer)]).toEqual([5, 6, 7]);
  });

  it('keeps the lone surrogates of a string exactly', () => {
    const s = '\ud800\udc00\udc00\ud800';
    const out = roundTrip(s) as string;
    expect([...out].map((c) => c.codePointAt(0))).toEqual([0x10000, 0xdc00, 0xd800]);
    expect(out).toBe(s);
  });

  it('keeps a __proto__ key as an own property without touching the prototype', () => {
    const out = roundTrip(protoKey) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'y']);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('copies shared references rather than sharing them', () => {
    const s = { n: 1 };
    const out = roundTrip([s, s]) as object[];
    expect(out[0]).toEqual(out[1]);
    expect(out[0]).not.toBe(out[1]);
  });

  it('round-trips every generated term', () => {
    fc.assert(
      fc.property(termArb, (v) => {
        const d = termDiff(v, roundTrip(v));
        if (d !== null) throw new Error(d);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips generated terms through one long-lived encoder/decoder pair (atom cache in step)', () => {
    const w = new WireWriter(64);
    const enc = new TermEncoder(w);
    const r = new WireReader();
    const dec = new TermDecoder(r, here);
    fc.assert(
      fc.property(termArb, (v) => {
        w.reset();
        enc.encode(v);
        r.reset(w.buf, 0, w.pos);
        const d = termDiff(v, dec.read());
        if (d !== null) throw new Error(d);
        expect(r.pos).toBe(r.end);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the decoder\'s short-string cache', () => {
  it('returns the right string when thousands of short strings collide in it', () => {
    const w = new WireWriter();
    const enc = new TermEncoder(w);
    const r = new WireReader();
    const dec = new TermDecoder(r, here);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5000; i++) {
        const key = `k${(i * 7919) % 5000}`;
        const value = { [key]: key.padEnd(1 + (i % 24), '.') };
        w.reset();
        enc.encode(value);
        r.reset(w.buf, 0, w.pos);
        expect(dec.read()).toEqual(value);
      }
    }
  });

  it('tells apart strings of up to 4 bytes whose bytes differ only by trailing NULs or length', () => {
    const w = new WireWriter();
    const enc = new TermEncoder(w);
    const r = new WireReader();
    const dec = new TermDecoder(r, here);
    const strings = ['a', 'a\0', 'a\0\0', 'a\0\0\0', '\0', '\0\0', '\0\0\0', '\0\0\0\0', 'ab', 'ab\0', 'msg', 'msg\0', 'type', 'EXIT', '~', '\x7f\x7f\x7f\x7f'];
    for (let round = 0; round < 3; round++) {
      for (const s of [...strings, ...strings.slice().reverse()]) {
        w.reset();
        enc.encode([s, { [s]: s }]);
        r.reset(w.buf, 0, w.pos);
        expect(dec.read()).toEqual([s, { [s]: s }]);
      }
    }
  });

  it('keeps a non-ASCII byte in a short ASCII-tagged string an error', () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const bytes = Buffer.from([0x80 + n, ...Array.from({ length: n }, (_, i) => (i === n - 1 ? 0xc3 : 0x61))]);
      expect(() => decodeTerm(bytes, here)).toThrow(/non-ASCII byte 0xc3/);
    }
  });
});

describe('Sets and Maps', () => {
  // Equal pids, each its own object on the sender, so each its own entry; ids 5 and 69 share a pid-cache slot.
  const equalPids = (): Pid[] => [new Pid('b@h', 5, 0, 2), new Pid('b@h', 5, 0, 2), new Pid('b@h', 69, 0, 2), new Pid('b@h', 5, 0, 2), new Pid('a@h', 5, 0, 1), new Pid('a@h', 5, 0, 1)];

  it('keep every entry when several keys are equal pids, however warm the pid cache is', () => {
    const w = new WireWriter();
    const enc = new TermEncoder(w);
    const r = new WireReader();
    const dec = new TermDecoder(r, here);
    for (let round = 0; round < 3; round++) {
      const set = new Set(equalPids());
      const map = new Map(equalPids().map((p, i) => [p, i]));
      w.reset();
      enc.encode([set, map, equalPids()]);
      r.reset(w.buf, 0, w.pos);
      const [s, m] = dec.read() as [Set<Pid>, Map<Pid, number>];
      expect(s.size).toBe(6);
      expect(m.size).toBe(6);
      expect([...s].map(String)).toEqual([...set].map(String));
      expect([...m.values()]).toEqual([0, 1, 2, 3, 4, 5]);
      expect([...m.keys()].every((p, i) => p.equals(equalPids()[i]))).toBe(true);
    }
  });

  it('keep one entry per pid object sent, even when a set and a map share them', () => {
    const p = new Pid('b@h', 7, 0, 2);
    const q = new Pid('b@h', 7, 0, 2);
    const out = roundTrip({ s: new Set([p, q]), m: new Map([[q, 'q'], [p, 'p']]), l: [p, q] }) as { s: Set<Pid>; m: Map<Pid, string>; l: Pid[] };
    expect(out.s.size).toBe(2);
    expect([...out.m.values()]).toEqual(['q', 'p']);
    expect(out.l.every((x) => x.equals(p))).toBe(true);
  });
});

describe('pids and refs of the local node', () => {
  it('decode as the local node would have made them: a local ref keys by its number', () => {
    const ref = new Ref('a@h', 1, 77, true);
    const out = roundTrip(ref) as Ref;
    expect(out.key).toBe(77);
    expect(out.equals(ref)).toBe(true);
  });

  it('leave refs of other nodes keyed by a string', () => {
    const out = roundTrip(new Ref('b@h', 1, 77, false)) as Ref;
    expect(out.key).toBe('b@h/1/77');
  });

  it('give pids the same key as the original', () => {
    const pid = new Pid('a@h', 5, 0, 1);
    const out = roundTrip(pid) as Pid;
    expect(out).toBeInstanceOf(Pid);
    expect(out.key).toBe(pid.key);
  });

  it('make a ref decoded on another node foreign, and local again back home', () => {
    const mine = new Ref('a@h', 1, 5, true);
    const there = decodeTerm(encodeTerm(mine), { localNode: 'b@h', localCreation: 3 }) as Ref;
    expect(typeof there.key).toBe('string');
    const back = roundTrip(there) as Ref;
    expect(back.key).toBe(5);
  });
});

describe('errors', () => {
  it('keep name, message, stack, cause and own fields', () => {
    const e = Object.assign(new Error('outer', { cause: new TypeError('inner') }), { code: 'E_X', detail: { n: 1 } });
    const out = roundTrip(e) as Error & { code: string; detail: unknown };
    expect(out).toBeInstanceOf(Error);
    expect(out.message).toBe('outer');
    expect(out.stack).toBe(e.stack);
    expect(out.code).toBe('E_X');
    expect(out.detail).toEqual({ n: 1 });
    expect(out.cause).toBeInstanceOf(TypeError);
    expect((out.cause as Error).message).toBe('inner');
    expect(Object.keys(out)).toEqual(['code', 'detail']);
  });

  it('rebuild built-in error classes and keep other names as a plain Error with that name', () => {
    expect(roundTrip(new RangeError('r'))).toBeInstanceOf(RangeError);
    const custom = new CallExitError('srv', 'req', 'noproc');
    const out = roundTrip(custom) as Error & { code: string; reason: unknown };
    expect(Object.getPrototypeOf(out)).toBe(Error.prototype);
    expect(out.name).toBe('CallExitError');
    expect(out.message).toBe(custom.message);
    expect(out.code).toBe('exit');
    expect(out.reason).toBe('noproc');
  });

  it('keep an error without a stack without one', () => {
    const e = new Error('no stack');
    delete (e as { stack?: string }).stack;
    expect((roundTrip(e) as Error).stack).toBeUndefined();
  });

  it('leave out a field that cannot be copied rather than failing the send', () => {
    const e = Object.assign(new Error('with a socket'), { socket: { write: () => {} }, code: 'ECONNRESET' });
    const out = roundTrip(e) as Error & Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['code']);
  });

  it('refuse an error whose cause is itself (a cycle)', () => {
    const e = new Error('loop');
    (e as { cause?: unknown }).cause = e;
    expect(() => encodeTerm(e)).toThrow(NotCopyableError);
  });
});

describe('values that cannot cross', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['a function', { a: [1, function named() {}] }, '$.a[1]', /function \(named\)/],
    ['a symbol', { s: Symbol('x') }, '$.s', /symbol/],
    ['an unregistered class instance', [new (class Widget {})()], '$[0]', /unregistered class Widget/],
    ['a function in a Map value', new Map([['k', () => 1]]), '$<value 0>', /function/],
    ['a function in a Set', new Set([Symbol.iterator]), '$<item 0>', /symbol/],
    ['a WeakMap', { w: new WeakMap() }, '$.w', /WeakMap/],
    ['a typed array other than Uint8Array', { f: new Float64Array(2) }, '$.f', /Float64Array/],
  ])('refuses %s at the sender with the path', (_name, value, path, detail) => {
    let err: unknown;
    try {
      encodeTerm(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotCopyableError);
    expect((err as NotCopyableError).path).toBe(path);
    expect((err as NotCopyableError).message).toMatch(detail);
  });

  it('refuses a cycle and names it', () => {
    const a: Record<string, unknown> = { x: 1 };
    a['self'] = { back: a };
    expect(() => encodeTerm(a)).toThrow(/cyclic/);
    const arr: unknown[] = [];
    arr.push(arr);
    expect(() => encodeTerm(arr)).toThrow(NotCopyableError);
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = JSON.parse('['.repeat(1001) + ']'.repeat(1001)) as unknown;
    expect(() => encodeTerm(deep)).toThrow(/nesting deeper than 1000/);
    expect(encodeTerm(deep, { maxDepth: 2000 }).length).toBeGreaterThan(1000);
  });

  it('refuses a message larger than the writer limit', () => {
    const w = new WireWriter(16, 1024);
    expect(() => new TermEncoder(w).encode(Buffer.alloc(2000))).toThrow(/larger than the limit of 1024 bytes/);
    expect(w.pos).toBe(0);
  });

  it('leaves the writer and atom cache as they were after a refusal', () => {
    const w = new WireWriter();
    const enc = new TermEncoder(w);
    enc.encode(1);
    expect(() => enc.encode([new Pid('new@h', 1, 0, 1), () => 0])).toThrow(NotCopyableError);
    expect(w.pos).toBe(1);
    expect(enc.atoms.size).toBe(0);
  });
});

describe('registered classes', () => {
  class Point {
    constructor(readonly x: number, readonly y: number) {}
    norm(): number {
      return Math.hypot(this.x, this.y);
    }
  }
  registerClass(Point, { name: 'test.term.Point' });

  class Money {
    constructor(readonly cents: bigint, readonly currency: string) {}
  }
  registerClass(Money, {
    name: 'test.term.Money',
    toTerm: (m) => `${m.cents}:${m.currency}`,
    fromTerm: (t) => {
      const [c, cur] = String(t).split(':');
      return new Money(BigInt(c!), cur!);
    },
  });

  it('round-trip with the default toTerm/fromTerm, keeping the prototype', () => {
    const out = roundTrip({ p: new Point(3, 4) }) as { p: Point };
    expect(out.p).toBeInstanceOf(Point);
    expect(out.p.norm()).toBe(5);
  });

  it('never take a prototype from the data: a __proto__ field stays a field of the class instance', () => {
    const evil = { norm: 'not a method', hacked: true };
    const crafted = Object.assign(Object.create(Point.prototype) as Point, { x: 3, y: 4 });
    Object.defineProperty(crafted, '__proto__', { value: evil, enumerable: true, writable: true, configurable: true });
    const out = roundTrip(crafted) as Point & { hacked?: unknown };
    expect(Object.getPrototypeOf(out)).toBe(Point.prototype);
    expect(out.norm()).toBe(5);
    expect(out.hacked).toBeUndefined();
    expect(Object.keys(out)).toEqual(['x', 'y', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.value).toEqual(evil);
  });

  it('build a registered class from any fields (__proto__, constructor...) with its own prototype', () => {
    const key = fc.constantFrom('__proto__', 'constructor', 'prototype', 'x', 'norm', 'toString', 'hasOwnProperty');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, termArb), { maxLength: 5 }), (fields) => {
        const crafted = Object.create(Point.prototype) as Record<string, unknown>;
        for (const [k, v] of fields) Object.defineProperty(crafted, k, { value: v, enumerable: true, writable: true, configurable: true });
        const out = roundTrip(crafted) as Record<string, unknown>;
        expect(Object.getPrototypeOf(out)).toBe(Point.prototype);
        expect(Object.keys(out)).toEqual(Object.keys(crafted));
        expect(Object.getPrototypeOf({})).toBe(Object.prototype);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trip with a custom toTerm/fromTerm', () => {
    const out = roundTrip([new Money(-1999n, 'EUR')]) as Money[];
    expect(out[0]).toBeInstanceOf(Money);
    expect(out[0]).toEqual(new Money(-1999n, 'EUR'));
  });

  it('include GenCall and GenCast', () => {
    const from = { pid: new Pid('a@h', 3, 0, 1), tag: 12 };
    const call = roundTrip(new GenCall(from, ['get', 'k'])) as GenCall;
    expect(call).toBeInstanceOf(GenCall);
    expect(call.from.pid.equals(from.pid)).toBe(true);
    expect(call.from.tag).toBe(12);
    expect(call.request).toEqual(['get', 'k']);
    const cast = roundTrip(new GenCast({ put: 1 })) as GenCast;
    expect(cast).toBeInstanceOf(GenCast);
    expect(cast.request).toEqual({ put: 1 });
  });

  it('carry only the pid and tag of a GenCall\'s from, as core\'s own codec does', () => {
    const odd = new GenCall({ pid: new Pid('a@h', 3, 0, 1), tag: 1, extra: 'dropped' } as never, 'req');
    const out = roundTrip(odd) as GenCall;
    expect(out).toBeInstanceOf(GenCall);
    expect(Object.keys(out.from)).toEqual(['pid', 'tag']);
    expect(out.from.pid.equals(odd.from.pid)).toBe(true);
    // A tag that is not a non-negative integer goes through core's registered codec.
    const noTag = roundTrip(new GenCall({ pid: new Pid('a@h', 3, 0, 1), tag: 1.5 }, 'req')) as GenCall;
    expect(noTag.from.tag).toBe(1.5);
  });

  it('send the class name once per encoder, then by index', () => {
    const w = new WireWriter();
    const enc = new TermEncoder(w);
    enc.encode(new Point(1, 2));
    const first = w.pos;
    w.reset();
    enc.encode(new Point(1, 2));
    expect(w.pos).toBe(first - 'test.term.Point'.length - 1);
  });

  it('refuse a class whose toTerm gives something that cannot be copied', () => {
    class Bad {}
    registerClass(Bad, { name: 'test.term.Bad', toTerm: () => ({ f: () => 1 }) });
    expect(() => encodeTerm(new Bad())).toThrow(NotCopyableError);
  });
});

describe('names with lone surrogates', () => {
  it('are refused at the sender (a node name must survive UTF-8)', () => {
    expect(() => encodeTerm(new Pid('bad\ud800@h', 1, 0, 1))).toThrow(NotCopyableError);
  });

  it('are not confused with BadArgError', () => {
    expect(() => encodeTerm(new Pid('bad\ud800@h', 1, 0, 1))).not.toThrow(BadArgError);
  });
});

describe('a typed server reference', () => {
  it('travels as the plain pid it is', async () => {
    class Idle extends GenServer {}
    const node = new Node();
    try {
      const ref = await Idle.start(node);
      expect(ref).toBeInstanceOf(ServerRef);
      const back = roundTrip({ who: ref }) as { who: Pid };
      expect(Object.getPrototypeOf(back.who)).toBe(Pid.prototype);
      expect(back.who.equals(ref)).toBe(true);
    } finally {
      node.halt();
    }
  });
});
