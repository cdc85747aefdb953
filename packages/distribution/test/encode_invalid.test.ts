/**
 * What the encoders do with values that fit no field of the wire: a pid or a ref made
 * by hand with a negative, fractional or infinite number, a call's reply tag that is
 * not an integer. Each fails its sender with a NotCopyableError, ends (no endless
 * varint loop), and leaves the batch exactly as it was, so nothing invalid ever
 * reaches a peer.
 */
import { GenCall, NotCopyableError, Pid, Ref } from '@grove/core';
import { ControlDecoder, ControlEncoder, decodeTerm, encodeTerm, TermEncoder, WireWriter } from '@grove/distribution/internal';
import fc from 'fast-check';
import { termDiff } from './term_support';

const here = { localNode: 'a@h', localCreation: 1 };
const a = new Pid('a@h', 10, 0, 1);
const b = new Pid('b@h', 20, 0, 7);
const ref = new Ref('a@h', 1, 99, true);

/** Numbers no varint field carries. */
const BAD_NUMBERS: unknown[] = [Infinity, -Infinity, NaN, -1, -0.5, 1.5, 2 ** 53, 2 ** 64, '7', undefined, null, {}];
/** Numbers no 32-bit field (serial, creation) carries. */
const BAD_UINT32: unknown[] = [...BAD_NUMBERS, 2 ** 32, 2 ** 40];

const pidWith = (fields: Partial<Record<'node' | 'id' | 'serial' | 'creation', unknown>>): Pid =>
  Object.assign(Object.create(Pid.prototype) as Pid, { node: 'b@h', id: 1, serial: 0, creation: 7 }, fields);
const refWith = (fields: Partial<Record<'node' | 'creation' | 'id', unknown>>): Ref =>
  Object.assign(Object.create(Ref.prototype) as Ref, { node: 'b@h', creation: 7, id: 1 }, fields);

/** Runs `bad` on a fresh encoder holding one good message, then checks nothing changed and a good message still follows. */
function refusedBy(bad: (enc: ControlEncoder) => void): NotCopyableError {
  const enc = new ControlEncoder();
  enc.send(a, b, 'before');
  const length = enc.length;
  const atoms = enc.terms.atoms.size;
  let err: unknown;
  try {
    bad(enc);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NotCopyableError);
  expect(enc.length).toBe(length);
  expect(enc.count).toBe(1);
  expect(enc.terms.atoms.size).toBe(atoms);
  enc.send(a, b, 'after');
  const out = new ControlDecoder(here).decodeAll(enc.take());
  expect(out.map((m) => (m as { msg: unknown }).msg)).toEqual(['before', 'after']);
  return err as NotCopyableError;
}

describe('encoding what no field of the wire carries', () => {
  it.each(BAD_NUMBERS.map((t) => [String(typeof t === 'object' ? JSON.stringify(t) : t), t]))('refuses a reply whose tag is %s, writing nothing', (_name, tag) => {
    const e = refusedBy((enc) => enc.reply(b, tag as number, 'pong'));
    expect(e.message).toMatch(/reply's tag must be an integer from 0 to 2\^53 - 1/);
  });

  it.each(BAD_NUMBERS.map((v) => [String(typeof v === 'object' ? JSON.stringify(v) : v), v]))('refuses a pid whose id is %s, in every place a pid goes', (_name, id) => {
    const p = pidWith({ id });
    expect(refusedBy((enc) => enc.send(a, p, 'hi')).message).toMatch(/a pid whose fields cannot cross the wire/);
    refusedBy((enc) => enc.send(p, b, 'hi'));
    refusedBy((enc) => enc.link(a, p));
    refusedBy((enc) => enc.monitor(a, p, ref));
    refusedBy((enc) => enc.reply(p, 1, 'pong'));
    refusedBy((enc) => enc.send(a, b, { nested: [p] }));
    refusedBy((enc) => enc.regSend(a, 'srv', new GenCall({ pid: p, tag: 1 }, 'req')));
    expect(() => encodeTerm(p)).toThrow(NotCopyableError);
  });

  it.each(BAD_UINT32.map((v) => [String(typeof v === 'object' ? JSON.stringify(v) : v), v]))('refuses a pid whose serial or creation is %s', (_name, v) => {
    refusedBy((enc) => enc.send(a, pidWith({ serial: v }), 'hi'));
    refusedBy((enc) => enc.send(a, pidWith({ creation: v }), 'hi'));
    refusedBy((enc) => enc.send(a, b, [pidWith({ creation: v })]));
  });

  it('refuses a pid whose node is not a string', () => {
    refusedBy((enc) => enc.send(a, pidWith({ node: 42 }), 'hi'));
    refusedBy((enc) => enc.send(a, b, pidWith({ node: { toString: 'x' } })));
  });

  it.each(BAD_UINT32.map((v) => [String(typeof v === 'object' ? JSON.stringify(v) : v), v]))('refuses a ref whose creation or id is %s', (_name, v) => {
    refusedBy((enc) => enc.monitor(a, b, refWith({ creation: v })));
    if (!(typeof v === 'number' && v >= 2 ** 32 && v < 2 ** 53)) refusedBy((enc) => enc.demonitor(a, b, refWith({ id: v })));
    refusedBy((enc) => enc.send(a, b, { r: refWith({ creation: v }) }));
  });

  it('refuses a varint out of range at the writer, the last guard', () => {
    for (const n of BAD_NUMBERS) {
      const w = new WireWriter(16);
      w.u8(1);
      expect(() => w.varint(n as number)).toThrow(NotCopyableError);
      expect(w.pos).toBe(1);
    }
  });

  it('still encodes the extremes that do fit, and they decode equal', () => {
    const p = new Pid('b@h', 2 ** 53 - 1, 0xffffffff, 0xffffffff);
    const r = new Ref('b@h', 0xffffffff, 2 ** 53 - 1, false);
    const enc = new ControlEncoder();
    enc.reply(p, 2 ** 53 - 1, [p, r]);
    const [out] = new ControlDecoder(here).decodeAll(enc.take());
    expect(termDiff({ type: 'reply', to: p, tag: 2 ** 53 - 1, value: [p, r] }, out)).toBeNull();
  });

  it('encodes a call whose reply address is not a pid and a tag as data (the server decides what to do with it)', () => {
    const call = new GenCall({ pid: b, tag: -1 }, 'req');
    const back = decodeTerm(encodeTerm(call), here) as GenCall;
    expect(back).toBeInstanceOf(GenCall);
    expect(back.from.tag).toBe(-1);
  });

  it('encodes any number in a pid, a ref or a reply tag, or refuses it and leaves the batch as it was', () => {
    const anyNumber = fc.oneof(fc.double(), fc.integer(), fc.nat(), fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 32 - 1, 2 ** 32, -0));
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, anyNumber, (id, serial, creation, tag) => {
        const p = pidWith({ id, serial, creation });
        const r = refWith({ creation: serial, id });
        const enc = new ControlEncoder();
        const terms = new TermEncoder(new WireWriter(64));
        let ok = true;
        try {
          enc.reply(p, tag, { p, r });
          terms.encode([p, r]);
        } catch (e) {
          if (!(e instanceof NotCopyableError)) throw e;
          ok = false;
        }
        if (!ok) {
          enc.tick();
          const out = new ControlDecoder(here).decodeAll(enc.take());
          return out.length === 1 && out[0]!.type === 'tick';
        }
        const [out] = new ControlDecoder(here).decodeAll(enc.take());
        return termDiff({ type: 'reply', to: p, tag: tag === 0 ? 0 : tag, value: { p, r } }, out) === null; // -0 goes as 0
      }),
      { numRuns: 2000 },
    );
  });
});
