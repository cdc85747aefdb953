/**
 * The handshake's codec is written by hand against its protobuf schema
 * (`handshakeSchemaJson`): it writes the bytes protobufjs writes from that schema (so
 * nodes of earlier releases, and any protobuf library, read them), reads what
 * protobufjs writes, and refuses anything else with a HandshakeGarbageError.
 */
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { decodeHandshake, encodeHandshake, HandshakeGarbageError, handshakeSchemaJson, HandshakeStatus, type HandshakeMsg } from '@grove/distribution/internal';

const envelope = protobuf.Root.fromJSON(handshakeSchemaJson).lookupType('grove.handshake.Handshake');

/** What protobufjs writes for `msg` (as the codec before this one did). */
function protobufjsBytes(msg: HandshakeMsg): Uint8Array {
  const { kind, ...rest } = msg;
  const body: Record<string, unknown> =
    kind === 'name' ? { name: msg.name, version_min: msg.versionMin, version_max: msg.versionMax, flags: msg.flags, creation: msg.creation, hidden: msg.hidden } : rest;
  return envelope.encode(envelope.fromObject({ [kind]: body })).finish();
}

const u32 = fc.nat({ max: 2 ** 32 - 1 });
const name = fc.oneof(fc.constantFrom('a@h', 'ünï@hôst', 'x'.repeat(300) + '@h'), fc.string({ minLength: 1, maxLength: 40 }), fc.fullUnicodeString({ minLength: 1, maxLength: 20 }));
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));
const anyBytes = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b));
const status = fc.constantFrom(...[1, 2, 3, 4, 5, 6, 7].map((c) => c as HandshakeStatus));

/** Well-formed messages (those decodeHandshake accepts). */
const message: fc.Arbitrary<HandshakeMsg> = fc.oneof(
  fc.record({ kind: fc.constant('name' as const), name, versionMin: u32, versionMax: u32, flags: u32, creation: u32, hidden: fc.boolean() }),
  fc.record({ kind: fc.constant('status' as const), code: status, reason: fc.oneof(fc.constant(''), fc.fullUnicodeString({ maxLength: 1200 })) }),
  fc.record({ kind: fc.constant('alive_answer' as const), proceed: fc.boolean() }),
  fc.record({ kind: fc.constant('challenge' as const), name, version: u32, flags: u32, creation: u32, hidden: fc.boolean(), challenge: bytes32 }),
  fc.record({ kind: fc.constant('reply' as const), challenge: bytes32, digest: bytes32 }),
  fc.record({ kind: fc.constant('ack' as const), digest: bytes32 }),
);

describe('the handshake codec', () => {
  it('writes the bytes protobufjs writes from the schema', () => {
    fc.assert(
      fc.property(message, (msg) => {
        expect(Buffer.from(encodeHandshake(msg))).toEqual(Buffer.from(protobufjsBytes(msg)));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes challenges of any length as protobufjs does (the reader refuses them)', () => {
    fc.assert(
      fc.property(anyBytes, anyBytes, (challenge, digest) => {
        const msg: HandshakeMsg = { kind: 'reply', challenge, digest };
        expect(Buffer.from(encodeHandshake(msg))).toEqual(Buffer.from(protobufjsBytes(msg)));
      }),
    );
  });

  it('reads back what it writes, and what protobufjs writes', () => {
    fc.assert(
      fc.property(message, (msg) => {
        const expected = msg.kind === 'name' || msg.kind === 'challenge' ? { ...msg, name: Buffer.from(msg.name, 'utf8').toString('utf8') } : msg.kind === 'status' ? { ...msg, reason: Buffer.from(msg.reason, 'utf8').toString('utf8') } : msg;
        expect(decodeHandshake(encodeHandshake(msg))).toEqual(expected);
        expect(decodeHandshake(protobufjsBytes(msg))).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('skips fields it does not know, as protobuf says', () => {
    const ack = Buffer.from(encodeHandshake({ kind: 'ack', digest: Buffer.alloc(32, 7) }));
    // Field 9 of the envelope (a varint) before the message, field 15 (bytes) inside it.
    const inner = Buffer.concat([Buffer.from([0x7a, 2, 1, 2]), ack.subarray(2)]);
    const bytes = Buffer.concat([Buffer.from([0x48, 0x96, 0x01, 0x32, inner.length]), inner]);
    expect(decodeHandshake(bytes)).toEqual({ kind: 'ack', digest: Buffer.alloc(32, 7) });
  });

  it.each([
    ['a truncated message', Buffer.from(encodeHandshake({ kind: 'ack', digest: Buffer.alloc(32) })).subarray(0, 20)],
    ['a known field of the wrong wire type', Buffer.from([0x18, 0x01])],
    ['a field of the wrong wire type inside a message', Buffer.from([0x1a, 0x02, 0x0a, 0x00])],
    ['a varint longer than 10 bytes', Buffer.from([0x48, ...Array(11).fill(0xff)])],
    ['a group', Buffer.from([0x4b, 0x4c])],
    ['an unknown field only', Buffer.from([0x48, 0x01])],
    ['a status of an unknown code', Buffer.from(encodeHandshake({ kind: 'status', code: 99 as HandshakeStatus, reason: '' }))],
    ['a name message without a name', Buffer.from([0x0a, 0x02, 0x10, 0x01])],
  ])('refuses %s with a HandshakeGarbageError', (_what, bytes) => {
    expect(() => decodeHandshake(bytes)).toThrow(HandshakeGarbageError);
  });

  it('refuses any other bytes with a HandshakeGarbageError, and nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), message.chain((m) => fc.tuple(fc.constant(Buffer.from(encodeHandshake(m))), fc.nat(), fc.nat({ max: 255 })).map(([b, i, v]) => {
        const c = Buffer.from(b);
        c[i % c.length] = v;
        return c;
      }))), (bytes) => {
        try {
          decodeHandshake(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(HandshakeGarbageError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
