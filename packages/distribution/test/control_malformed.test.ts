import { Pid, Ref } from '@grove/core';
import { DecodeError } from '@grove/distribution';
import { ControlDecoder, ControlEncoder, encodeTerm } from '@grove/distribution/internal';
import fc from 'fast-check';
import { decodeError as decodeFailure, varint } from './term_support';

const here = { localNode: 'a@h', localCreation: 1 };
const a = new Pid('a@h', 1, 0, 1);

const len = (field: number, body: number[]): number[] => [...varint(field * 8 + 2), ...varint(body.length), ...body];
const ascii = (s: string): number[] => [...Buffer.from(s, 'utf8')];
/** A Pid sub-message body with its node in full. */
const pidBody = (node = 'a@h', id = 1, creation = 1): number[] => [...len(2, ascii(node)), 0x18, ...varint(id), 0x28, ...varint(creation)];
const term = (v: unknown): number[] => [...encodeTerm(v)];
/** One Batch.messages entry holding `op` with `body`. */
const entry = (op: number, body: number[]): number[] => len(1, len(op, body));
const SEND = 2;
const LINK = 1;

function decodeError(bytes: number[]): DecodeError {
  return decodeFailure(() => new ControlDecoder(here).decodeAll(Buffer.from(bytes)));
}

describe('decoding malformed control batches', () => {
  const goodSend = entry(SEND, [...len(2, pidBody()), ...len(3, term('hi'))]);

  it('accepts the well-formed batch these cases are built from', () => {
    const out = new ControlDecoder(here).decodeAll(Buffer.from(goodSend));
    expect(out).toHaveLength(1);
    expect((out[0] as { msg: unknown }).msg).toBe('hi');
  });

  it.each<[string, number[], RegExp]>([
    ['a batch entry with another key', [0x12, 0x00], /expected a Batch.messages entry \(key 0x0a\), got 0x12/],
    ['an envelope longer than the batch', [0x0a, 0x10, 0x12], /envelope length 16 exceeds the 1 bytes left/],
    ['an absurd envelope length', [0x0a, ...varint(2 ** 50)], /envelope length \d+ exceeds/],
    ['an empty envelope', [0x0a, 0x00], /empty envelope/],
    ['an unknown control message', entry(50, []), /unknown control message \(envelope field 50\)/],
    ['a control message with a varint wire type', [0x0a, 0x02, 0x10, 0x01], /send has wire type 0, expected 2/],
    ['an envelope with two control messages', [0x0a, 6, ...len(101, []), ...len(101, [])], /more than one control message/],
    ['a send without a destination', entry(SEND, len(3, term(1))), /send without to/],
    ['a send without a payload', entry(SEND, len(2, pidBody())), /send without payload/],
    ['a link without from', entry(LINK, len(2, pidBody())), /link without from/],
    ['a reply without a tag', entry(100, [...len(1, pidBody()), ...len(3, term(1))]), /reply without tag/],
    ['a pid without a node', entry(LINK, [...len(1, [0x18, 1]), ...len(2, pidBody())]), /pid without a node/],
    ['a pid naming an atom never defined', entry(LINK, [...len(1, [0x08, 3, 0x18, 1]), ...len(2, pidBody())]), /atom index 3 was never defined/],
    ['a pid field with the wrong wire type', entry(LINK, [...len(1, [...pidBody(), 0x1a, 0]), ...len(2, pidBody())]), /bad field key 0x1a in a pid/],
    ['a ref without a node', entry(19, [...len(1, pidBody()), ...len(3, ascii('n')), ...len(4, [0x18, 1])]), /ref without a node/],
    ['a message field with the wrong wire type', entry(LINK, [0x08, 0x01]), /field 1 of link has wire type 0, expected 2/],
    ['field number 0', entry(LINK, [0x02, 0x00]), /field number 0/],
    ['an unsupported wire type for an unknown field', entry(LINK, [0x7b]), /unsupported protobuf wire type 3/],
    ['a truncated unknown fixed64 field', entry(LINK, [0x79, 1, 2]), /truncated fixed64 field/],
    ['a payload with trailing bytes', entry(SEND, [...len(2, pidBody()), ...len(3, [0x41, 0x41])]), /1 unread bytes at the end of a field of send/],
    ['a bad term in a payload', entry(SEND, [...len(2, pidBody()), ...len(3, [0x18])]), /unknown term tag 0x18/],
    ['an empty payload', entry(SEND, [...len(2, pidBody()), ...len(3, [])]), /truncated/],
    ['a node name with invalid UTF-8', entry(LINK, [...len(1, [...len(2, [0xff]), 0x18, 1]), ...len(2, pidBody())]), /invalid UTF-8/],
    ['a registered name with invalid UTF-8', entry(6, [...len(2, [0xc3, 0x28]), ...len(3, term(1))]), /invalid UTF-8/],
    ['a registered name index never defined', entry(6, [0x20, 9, ...len(3, term(1))]), /atom index 9 was never defined/],
    ['a monitor name index never defined', entry(19, [...len(1, pidBody()), 0x28, 4, ...len(4, pidBody())]), /atom index 4 was never defined/],
    ['a reg_send without a name', entry(6, len(3, term(1))), /reg_send without to/],
    ['a monitor with both a pid and a name', entry(19, [...len(1, pidBody()), ...len(2, pidBody()), ...len(3, ascii('n')), ...len(4, pidBody())]), /monitor needs exactly one target/],
    ['a monitor with no target', entry(19, [...len(1, pidBody()), ...len(4, pidBody())]), /monitor needs exactly one target/],
    ['a spawn request whose args are not an array', entry(29, [...len(1, pidBody()), ...len(2, pidBody()), ...len(3, ascii('w')), ...len(4, term('x'))]), /args must be an array/],
    ['a spawn reply with neither pid nor error', entry(31, [...len(1, pidBody()), ...len(2, pidBody())]), /spawn_reply needs exactly one result/],
    ['a sub-message length past its parent', entry(LINK, [...varint(10), 40, ...pidBody()]), /field length 40 exceeds/],
    ['a tag past 2^53', entry(100, [...len(1, pidBody()), 0x10, ...new Array(8).fill(0xff), 0x7f, ...len(3, term(1))]), /varint/],
  ])('rejects %s with a DecodeError', (_name, bytes, detail) => {
    expect(decodeError(bytes).message).toMatch(detail);
  });

  it('delivers the messages before a bad one, then throws', () => {
    const seen: string[] = [];
    const bytes = Buffer.from([...goodSend, ...goodSend, 0x0a, 0x00]);
    expect(() => new ControlDecoder(here).decode(bytes, (m) => seen.push(m.type))).toThrow(DecodeError);
    expect(seen).toEqual(['send', 'send']);
  });

  it('rejects every truncation of a valid batch with a DecodeError', () => {
    const enc = new ControlEncoder();
    enc.send(a, new Pid('b@h', 2, 0, 2), { msg: [1, 2, 3], big: 'z'.repeat(200) });
    enc.monitorExit('name', a, new Ref('a@h', 1, 3, true), 'noproc');
    enc.tick();
    const full = enc.take();
    expect(new ControlDecoder(here).decode(full, () => {})).toBe(3);
    // Cuts that fall exactly between two messages are valid shorter batches.
    const ends = new Set<number>();
    for (let pos = 0; pos < full.length; ) {
      let length = 0;
      let p = pos + 1;
      for (let shift = 1; ; shift *= 128) {
        const byte = full[p++]!;
        length += (byte & 0x7f) * shift;
        if (byte < 0x80) break;
      }
      pos = p + length;
      ends.add(pos);
    }
    expect(ends.size).toBe(3);
    for (let n = 1; n < full.length; n++) {
      if (ends.has(n)) continue;
      expect(() => new ControlDecoder(here).decode(full.subarray(0, n), () => {})).toThrow(DecodeError);
    }
  });

  it('answers random bytes with messages or a DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (u) => {
        try {
          new ControlDecoder(here).decode(Buffer.from(u), () => {});
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('answers a corrupted valid batch with messages or a DecodeError, nothing else', () => {
    const enc = new ControlEncoder();
    enc.send(a, a, { m: 1 });
    enc.spawnRequest(new Ref('a@h', 1, 3, true), a, 'w', [1], true, true, { o: 1 });
    enc.reply(a, 3, [null]);
    const full = enc.take();
    fc.assert(
      fc.property(fc.nat(full.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const buf = Buffer.from(full);
        buf[at] = byte;
        try {
          new ControlDecoder(here).decode(buf, () => {});
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
