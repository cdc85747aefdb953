/**
 * Generated terms through a real `erl`: Grove encodes them, erl decodes each one and
 * encodes it again (`term_to_binary(T, [{minor_version, 2}])`), and Grove decodes
 * that to an equal value. erl's bytes must also be Grove's bytes: the encoder writes
 * what OTP writes. One erl process for the whole batch.
 */
import fc from 'fast-check';
import { Pid, Ref, registerClass } from '@grove/core';
import { atom, binaryToTerm, Bitstring, ErlangPort, exitReasonToErlang, float, ImproperList, termToBinary, Tuple } from '@grove/distribution';
import { erlRoundTrip, haveErl } from './support/erl_terms';

const BATCH = 500;
const seed = Number(process.env.GROVE_ETF_SEED ?? Date.now() % 2 ** 31);

const u32 = fc.integer({ min: 0, max: 0xffffffff });
// Not 'nonode@nohost' with creation 0: that is the erl peer itself, whose own pids have narrower limits.
const node = fc.constantFrom('grove@127.0.0.1', 'erl@localhost', 'é@host');
const text = fc.string({ unit: 'binary', maxLength: 12 });
const atomText = text.filter((s) => !['true', 'false', 'undefined', 'nil'].includes(s));
const keyText = atomText.filter((s) => s !== '__proto__' && s !== '__struct__');
const bigOutsideSafe = fc.oneof(fc.bigInt({ min: 2n ** 53n, max: 2n ** 2100n }), fc.bigInt({ min: -(2n ** 2100n), max: -(2n ** 53n) }));

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.integer(),
  fc.maxSafeInteger(),
  bigOutsideSafe,
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isSafeInteger(x) || Object.is(x, -0)),
  fc.maxSafeInteger().map(float),
  text,
  fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.concat([Buffer.from([0xff]), b])), // never UTF-8: stays a Buffer
  atomText.map(atom),
  fc.constantFrom(true, false, undefined, null),
  fc.tuple(node, u32, u32, u32).map(([n, id, serial, creation]) => new Pid(n, id, serial, creation)),
  fc.tuple(node, u32, fc.maxSafeNat()).map(([n, creation, id]) => new Ref(n, creation, id, false)),
  fc
    .tuple(node, u32, fc.array(u32, { minLength: 1, maxLength: 5 }))
    .filter(([, , w]) => !(w.length === 3 && w[2] === 0 && w[1]! < 2 ** 21)) // else it reads as a Grove ref
    .map(([n, creation, words]) => new Ref(n, creation, -1, false, words)),
  fc.tuple(node, fc.oneof(u32, fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n })), u32).map(([n, id, c]) => new ErlangPort(n, id, c)),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 7 }))
    .map(([b, bits]) => {
      const bytes = Buffer.from(b);
      bytes[bytes.length - 1]! &= 0xff << (8 - bits);
      return new Bitstring(bytes, bits);
    }),
);

const mapKey: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  text,
  atomText.map(atom),
  fc.maxSafeInteger().map(float),
  fc.array(fc.integer({ min: -3, max: 300 }), { maxLength: 3 }).map((a) => new Tuple(a)),
  fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 3 }),
);

const { term } = fc.letrec<{ term: unknown }>((tie) => ({
  term: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, leaf, tie('list'), tie('tuple'), tie('object'), tie('map'), tie('improper')),
  list: fc.array(tie('term'), { maxLength: 5 }),
  tuple: fc.array(tie('term'), { maxLength: 5 }).map((a) => new Tuple(a)),
  object: fc.dictionary(keyText, tie('term'), { maxKeys: 5 }).map((o) => ({ ...o })),
  map: fc
    .uniqueArray(fc.tuple(mapKey, tie('term')), { minLength: 1, maxLength: 5, selector: (e) => termToBinary(e[0]).toString('hex') })
    .filter((entries) => entries.some(([k]) => !(k instanceof Object && k.constructor.name === 'Atom')))
    .map((entries) => new Map(entries)),
  improper: fc.tuple(fc.array(tie('term'), { minLength: 1, maxLength: 3 }), leaf).map(([items, tail]) => new ImproperList(items, tail)),
}));

(haveErl ? describe : describe.skip)(`terms through a real erl (seed ${seed}; rerun with GROVE_ETF_SEED=${seed})`, () => {
  it(`round-trips ${BATCH} generated terms: erl reads them, writes Grove's bytes back, Grove reads an equal value`, async () => {
    const values = fc.sample(term, { numRuns: BATCH, seed });
    const encoded = values.map((v) => termToBinary(v));
    const results = await erlRoundTrip(encoded);
    expect(results).toHaveLength(BATCH);
    const failures: string[] = [];
    results.forEach((r, i) => {
      if (!r.ok) return void failures.push(`#${i}: erl could not read ${encoded[i]!.toString('hex')}: ${r.error}`);
      if (!r.bytes.equals(encoded[i]!)) failures.push(`#${i}: erl wrote ${r.bytes.toString('hex')}, Grove ${encoded[i]!.toString('hex')}`);
      try {
        expect(binaryToTerm(r.bytes)).toStrictEqual(values[i]);
      } catch (e) {
        failures.push(`#${i}: decoded differently: ${(e as Error).message.slice(0, 2000)}`);
      }
    });
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it("reads Grove's own values (an Error, a registered class, exit reasons) and writes them back unchanged", async () => {
    class Money {
      constructor(
        readonly amount: number,
        readonly currency: string,
      ) {}
    }
    registerClass(Money, { name: 'Elixir.Shop.Money' });
    const error = Object.assign(new RangeError('out of range'), { code: 'E_RANGE' });
    const values = [error, new Money(3, 'EUR'), exitReasonToErlang({ shutdown: 'restart' }), exitReasonToErlang('noconnection')];
    const encoded = values.map((v) => termToBinary(v));
    const results = await erlRoundTrip(encoded);
    results.forEach((r, i) => {
      expect(r).toEqual({ ok: true, bytes: encoded[i] });
    });
    const back = binaryToTerm(encoded[0]!) as RangeError & { code: string };
    expect([back.name, back.message, back.stack, back.code]).toEqual(['RangeError', 'out of range', error.stack, 'E_RANGE']);
    expect(binaryToTerm(encoded[1]!)).toEqual(new Money(3, 'EUR'));
  });
});
