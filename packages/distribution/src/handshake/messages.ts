/**
 * The handshake's wire messages: one protobuf `oneof` envelope, `grove.handshake.
 * Handshake`, kept apart from the control plane's schema so that either can change
 * without the other. Built from a protobufjs JSON descriptor (no `.proto` file at
 * run time); the equivalent `.proto` text is in the README. Each message is one
 * length-prefixed frame.
 *
 * `decodeHandshake` is the boundary: it turns bytes into a checked, plain message or
 * throws a `HandshakeGarbageError` saying what is wrong, so the protocol code never sees a
 * half-valid message. Internal to the package.
 */
import { HandshakeGarbageError } from '../errors';
import { createHmac } from 'node:crypto';
import * as protobuf from 'protobufjs';

/** The `Status.code` values, as in Erlang's `send_status` (plus `VERSION` and `CERTIFICATE`). */
export enum StatusCode {
  UNSPECIFIED = 0,
  /** Go on. */
  OK = 1,
  /** Go on; the acceptor drops its own attempt to connect to the initiator. */
  OK_SIMULTANEOUS = 2,
  /** Stop: the acceptor's own attempt to connect to the initiator wins. */
  NOK = 3,
  /** Stop: refused (the reason says why). */
  NOT_ALLOWED = 4,
  /** A connection to this name is up; the initiator answers whether to replace it. */
  ALIVE = 5,
  /** Stop: no protocol version in common. */
  VERSION = 6,
  /**
   * Stop: the sender refuses the receiver's TLS certificate (the reason says why).
   * Sent by either side: the initiator sends it instead of its `Name` or its reply.
   */
  CERTIFICATE = 7,
}

const u32 = (id: number) => ({ type: 'uint32', id });

/** The protobufjs JSON descriptor of package `grove.handshake`. */
export const handshakeSchemaJson = {
  nested: {
    grove: {
      nested: {
        handshake: {
          nested: {
            Name: {
              fields: {
                name: { type: 'string', id: 1 },
                version_min: u32(2),
                version_max: u32(3),
                flags: u32(4),
                creation: u32(5),
                hidden: { type: 'bool', id: 6 },
              },
            },
            Status: {
              fields: { code: u32(1), reason: { type: 'string', id: 2 } },
            },
            AliveAnswer: { fields: { proceed: { type: 'bool', id: 1 } } },
            Challenge: {
              fields: {
                name: { type: 'string', id: 1 },
                version: u32(2),
                flags: u32(3),
                creation: u32(4),
                hidden: { type: 'bool', id: 5 },
                challenge: { type: 'bytes', id: 6 },
              },
            },
            ChallengeReply: { fields: { challenge: { type: 'bytes', id: 1 }, digest: { type: 'bytes', id: 2 } } },
            ChallengeAck: { fields: { digest: { type: 'bytes', id: 1 } } },
            Handshake: {
              oneofs: { msg: { oneof: ['name', 'status', 'alive_answer', 'challenge', 'reply', 'ack'] } },
              fields: {
                name: { type: 'Name', id: 1 },
                status: { type: 'Status', id: 2 },
                alive_answer: { type: 'AliveAnswer', id: 3 },
                challenge: { type: 'Challenge', id: 4 },
                reply: { type: 'ChallengeReply', id: 5 },
                ack: { type: 'ChallengeAck', id: 6 },
              },
            },
          },
        },
      },
    },
  },
};

/** Bytes of a challenge and of a digest (HMAC-SHA256). */
export const CHALLENGE_BYTES = 32;
/** The handshake protocol version this code speaks. */
export const HANDSHAKE_VERSION = 1;
/** Default time for the whole handshake (Erlang's `net_setuptime` is 7 s). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 7000;
/** Largest handshake frame accepted; anything bigger is garbage. */
export const HANDSHAKE_MAX_FRAME_BYTES = 4096;

/**
 * A proof of knowing `cookie`: HMAC-SHA256 keyed by the cookie over a role label,
 * both node names and both challenges. The initiator proves with
 * `handshakeDigest(cookie, 'initiator', A, B, ChB, ChA)`, the acceptor with
 * `handshakeDigest(cookie, 'acceptor', A, B, ChA, ChB)`.
 */
export function handshakeDigest(cookie: string, role: 'initiator' | 'acceptor', initiator: string, acceptor: string, first: Uint8Array, second: Uint8Array): Buffer {
  return createHmac('sha256', cookie).update(`grove-handshake-v1 ${role}\0${initiator}\0${acceptor}\0`).update(first).update(second).digest();
}

export interface NameMsg { kind: 'name'; name: string; versionMin: number; versionMax: number; flags: number; creation: number; hidden: boolean }
export interface StatusMsg { kind: 'status'; code: StatusCode; reason: string }
export interface AliveAnswerMsg { kind: 'alive_answer'; proceed: boolean }
export interface ChallengeMsg { kind: 'challenge'; name: string; version: number; flags: number; creation: number; hidden: boolean; challenge: Buffer }
export interface ReplyMsg { kind: 'reply'; challenge: Buffer; digest: Buffer }
export interface AckMsg { kind: 'ack'; digest: Buffer }
export type HandshakeMsg = NameMsg | StatusMsg | AliveAnswerMsg | ChallengeMsg | ReplyMsg | AckMsg;


let envelope: protobuf.Type | null = null;

/** The envelope type (built on first use). */
export function handshakeType(): protobuf.Type {
  return (envelope ??= protobuf.Root.fromJSON(handshakeSchemaJson).lookupType('grove.handshake.Handshake'));
}

/** One message as the bytes of one frame. */
export function encodeHandshake(msg: HandshakeMsg): Uint8Array {
  const T = handshakeType();
  let body: Record<string, unknown>;
  switch (msg.kind) {
    case 'name':
      body = { name: msg.name, version_min: msg.versionMin, version_max: msg.versionMax, flags: msg.flags, creation: msg.creation, hidden: msg.hidden };
      break;
    case 'challenge':
      body = { name: msg.name, version: msg.version, flags: msg.flags, creation: msg.creation, hidden: msg.hidden, challenge: msg.challenge };
      break;
    default: {
      const { kind: _k, ...rest } = msg;
      body = rest;
    }
  }
  return T.encode(T.fromObject({ [msg.kind]: body })).finish();
}

/** Decodes and checks one frame. @throws HandshakeGarbageError */
export function decodeHandshake(frame: Uint8Array): HandshakeMsg {
  let m: protobuf.Message & Record<string, unknown>;
  try {
    m = handshakeType().decode(frame) as protobuf.Message & Record<string, unknown>;
  } catch (e) {
    throw new HandshakeGarbageError(`not a handshake message (${(e as Error).message})`);
  }
  const kind = m['msg'] as HandshakeMsg['kind'] | undefined;
  const f = (kind !== undefined ? m[kind] : undefined) as Record<string, unknown> | undefined;
  if (kind === undefined || f === undefined) throw new HandshakeGarbageError('a handshake message with no content');
  switch (kind) {
    case 'name':
      return { kind, name: str(f, 'name'), versionMin: num(f, 'version_min'), versionMax: num(f, 'version_max'), flags: num(f, 'flags'), creation: num(f, 'creation'), hidden: f['hidden'] === true };
    case 'status': {
      const code = num(f, 'code');
      if (!(code in StatusCode) || code === StatusCode.UNSPECIFIED) throw new HandshakeGarbageError(`unknown status code ${code}`);
      return { kind, code, reason: typeof f['reason'] === 'string' ? f['reason'] : '' };
    }
    case 'alive_answer':
      return { kind, proceed: f['proceed'] === true };
    case 'challenge':
      return { kind, name: str(f, 'name'), version: num(f, 'version'), flags: num(f, 'flags'), creation: num(f, 'creation'), hidden: f['hidden'] === true, challenge: bytes(f, 'challenge') };
    case 'reply':
      return { kind, challenge: bytes(f, 'challenge'), digest: bytes(f, 'digest') };
    case 'ack':
      return { kind, digest: bytes(f, 'digest') };
  }
}

function str(f: Record<string, unknown>, key: string): string {
  const v = f[key];
  if (typeof v !== 'string' || v === '') throw new HandshakeGarbageError(`handshake field ${key} is missing`);
  return v;
}

function num(f: Record<string, unknown>, key: string): number {
  const v = f[key];
  return typeof v === 'number' ? v : 0;
}

function bytes(f: Record<string, unknown>, key: string): Buffer {
  const v = f[key];
  if (!(v instanceof Uint8Array) || v.length !== CHALLENGE_BYTES) {
    throw new HandshakeGarbageError(`handshake field ${key} must be ${CHALLENGE_BYTES} bytes`);
  }
  return Buffer.from(v.buffer, v.byteOffset, v.length);
}

/**
 * What the first bytes of a connection are when they are not Grove's handshake (whose
 * first frame starts with a 4-byte length under {@link HANDSHAKE_MAX_FRAME_BYTES}, so
 * its first two bytes are zero), in words for the refusal; undefined when unknown.
 *
 * - Erlang's handshake starts with a 2-byte length and `N` (send_name, OTP 23+) or `n`
 *   (the older one): read as a 4-byte length that is over a megabyte.
 * - TLS starts with a record of type 22 (a ClientHello) or 21 (an alert), version 3.x.
 * - HTTP starts with a method name.
 */
export function foreignProtocol(first: Uint8Array): string | undefined {
  if (first.length < 3) return undefined;
  const tag = first[2];
  if ((first[0]! !== 0 || first[1]! !== 0) && (tag === 0x4e || tag === 0x6e)) {
    return "an Erlang node tried to connect; this node speaks Grove's protocol (Erlang distribution is not supported)";
  }
  // A TLS record (22 handshake, 21 alert) of version 3.x.
  if ((first[0] === 0x16 || first[0] === 0x15) && first[1] === 0x03) return 'the peer speaks TLS and this node does not: give every node the same tls options';
  if (/^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|CONNECT) /.test(Buffer.from(first.subarray(0, 8)).toString('latin1'))) {
    return "an HTTP client connected; this port is a Grove node's distribution port";
  }
  return undefined;
}
