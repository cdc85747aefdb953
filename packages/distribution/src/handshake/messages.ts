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


// ---- the codec, written by hand against `handshakeSchemaJson` ----
//
// The bytes are protobuf's, field by field as protobufjs writes them from that schema
// (every field present, in field-number order), so any protobuf library reads them
// and a node of an earlier release (which used protobufjs) speaks the same protocol.
// Written by hand because protobufjs builds its codec on first use and runs it through
// reflection: 4-5 messages per connection, on the path of every first connection.

/** The envelope's field number of each kind (the `msg` oneof). */
const ENVELOPE_FIELD: Readonly<Record<HandshakeMsg['kind'], number>> = { name: 1, status: 2, alive_answer: 3, challenge: 4, reply: 5, ack: 6 };
const KIND_OF_FIELD: ReadonlyArray<HandshakeMsg['kind'] | undefined> = [undefined, 'name', 'status', 'alive_answer', 'challenge', 'reply', 'ack'];
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** A protobuf writer over a buffer sized for the message (see {@link encodeHandshake}). */
class ProtoOut {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(v: number): void {
    v >>>= 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  uint32(field: number, v: number): void {
    this.varint((field << 3) | VARINT);
    this.varint(v);
  }

  bool(field: number, v: boolean): void {
    this.varint((field << 3) | VARINT);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  string(field: number, v: string): void {
    this.varint((field << 3) | LENGTH_DELIMITED);
    this.varint(Buffer.byteLength(v, 'utf8'));
    this.pos += this.buf.write(v, this.pos, 'utf8');
  }

  bytes(field: number, v: Uint8Array): void {
    this.varint((field << 3) | LENGTH_DELIMITED);
    this.varint(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }
}

/** Bytes of a varint of `v` (a uint32). */
function varintBytes(v: number): number {
  v >>>= 0;
  let n = 1;
  while (v > 0x7f) {
    v >>>= 7;
    n++;
  }
  return n;
}

/** One message as the bytes of one frame. */
export function encodeHandshake(msg: HandshakeMsg): Uint8Array {
  // An upper bound: strings at 3 bytes a UTF-16 unit, every other field at most 16 bytes.
  const strings = msg.kind === 'name' || msg.kind === 'challenge' ? msg.name.length : msg.kind === 'status' ? msg.reason.length : 0;
  const raw = msg.kind === 'challenge' ? msg.challenge.length : msg.kind === 'reply' ? msg.challenge.length + msg.digest.length : msg.kind === 'ack' ? msg.digest.length : 0;
  const bodyMax = 3 * strings + raw + 6 * 16;
  const out = new ProtoOut(Buffer.allocUnsafe(1 + 5 + bodyMax));
  // The body is written after room for the envelope's tag and length, then moved up against them.
  out.pos = 6;
  switch (msg.kind) {
    case 'name':
      out.string(1, String(msg.name));
      out.uint32(2, msg.versionMin);
      out.uint32(3, msg.versionMax);
      out.uint32(4, msg.flags);
      out.uint32(5, msg.creation);
      out.bool(6, Boolean(msg.hidden));
      break;
    case 'status':
      out.uint32(1, msg.code);
      out.string(2, String(msg.reason));
      break;
    case 'alive_answer':
      out.bool(1, Boolean(msg.proceed));
      break;
    case 'challenge':
      out.string(1, String(msg.name));
      out.uint32(2, msg.version);
      out.uint32(3, msg.flags);
      out.uint32(4, msg.creation);
      out.bool(5, Boolean(msg.hidden));
      out.bytes(6, msg.challenge);
      break;
    case 'reply':
      out.bytes(1, msg.challenge);
      out.bytes(2, msg.digest);
      break;
    case 'ack':
      out.bytes(1, msg.digest);
      break;
  }
  const bodyLength = out.pos - 6;
  const start = 6 - 1 - varintBytes(bodyLength);
  const end = out.pos;
  out.pos = start;
  out.varint((ENVELOPE_FIELD[msg.kind] << 3) | LENGTH_DELIMITED);
  out.varint(bodyLength);
  return out.buf.subarray(start, end);
}

/** A protobuf reader of `buf[pos, end)`: every read past `end` or malformed varint throws HandshakeGarbageError. */
class ProtoIn {
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint, as protobufjs reads a uint32: its low 32 bits. */
  varint(): number {
    let v = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new HandshakeGarbageError('not a handshake message (a varint runs past the end)');
      const b = this.buf[this.pos++]!;
      if (i < 5) v = (v | ((b & 0x7f) << (7 * i))) >>> 0;
      if (b < 0x80) return v;
    }
    throw new HandshakeGarbageError('not a handshake message (a varint longer than 10 bytes)');
  }

  /** A length-delimited field's bounds. */
  slice(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new HandshakeGarbageError('not a handshake message (a field runs past the end)');
    this.pos = start + len;
    return [start, start + len];
  }

  /** Skips a field of an unknown number (as protobuf does); groups are not part of this schema. */
  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
      case FIXED32: {
        const n = wireType === FIXED64 ? 8 : 4;
        if (n > this.end - this.pos) throw new HandshakeGarbageError('not a handshake message (a field runs past the end)');
        this.pos += n;
        return;
      }
      case LENGTH_DELIMITED:
        this.slice();
        return;
      default:
        throw new HandshakeGarbageError(`not a handshake message (wire type ${wireType})`);
    }
  }
}

/** The fields of one message as protobufjs would give them: defaults for those absent, the last of a repeated one. */
type Fields = Record<string, string | number | boolean | Uint8Array>;

/** Field number → [name, type] of each message of the schema. */
const SCHEMA: Readonly<Record<HandshakeMsg['kind'], ReadonlyArray<readonly [string, 'string' | 'uint32' | 'bool' | 'bytes'] | undefined>>> = {
  name: [undefined, ['name', 'string'], ['version_min', 'uint32'], ['version_max', 'uint32'], ['flags', 'uint32'], ['creation', 'uint32'], ['hidden', 'bool']],
  status: [undefined, ['code', 'uint32'], ['reason', 'string']],
  alive_answer: [undefined, ['proceed', 'bool']],
  challenge: [undefined, ['name', 'string'], ['version', 'uint32'], ['flags', 'uint32'], ['creation', 'uint32'], ['hidden', 'bool'], ['challenge', 'bytes']],
  reply: [undefined, ['challenge', 'bytes'], ['digest', 'bytes']],
  ack: [undefined, ['digest', 'bytes']],
};

function readFields(kind: HandshakeMsg['kind'], frame: Uint8Array, start: number, end: number): Fields {
  const schema = SCHEMA[kind];
  const f: Fields = Object.create(null) as Fields;
  const r = new ProtoIn(frame, start, end);
  while (!r.done) {
    const tag = r.varint();
    const wireType = tag & 7;
    const field = schema[tag >>> 3];
    if (field === undefined) {
      r.skip(wireType);
      continue;
    }
    const [key, type] = field;
    const want = type === 'string' || type === 'bytes' ? LENGTH_DELIMITED : VARINT;
    if (wireType !== want) throw new HandshakeGarbageError(`not a handshake message (${kind}.${key} with wire type ${wireType})`);
    if (type === 'uint32') f[key] = r.varint();
    else if (type === 'bool') f[key] = r.varint() !== 0;
    else {
      const [s, e] = r.slice();
      f[key] = type === 'string' ? Buffer.from(frame.buffer, frame.byteOffset + s, e - s).toString('utf8') : new Uint8Array(frame.subarray(s, e));
    }
  }
  return f;
}

/** Decodes and checks one frame. @throws HandshakeGarbageError */
export function decodeHandshake(frame: Uint8Array): HandshakeMsg {
  // The envelope: its oneof holds the field that came last, as protobuf says.
  const r = new ProtoIn(frame, 0, frame.length);
  let kind: HandshakeMsg['kind'] | undefined;
  let start = 0;
  let end = 0;
  while (!r.done) {
    const tag = r.varint();
    const k = KIND_OF_FIELD[tag >>> 3];
    if (k === undefined) {
      r.skip(tag & 7);
      continue;
    }
    if ((tag & 7) !== LENGTH_DELIMITED) throw new HandshakeGarbageError(`not a handshake message (${k} with wire type ${tag & 7})`);
    [start, end] = r.slice();
    kind = k;
  }
  if (kind === undefined) throw new HandshakeGarbageError('a handshake message with no content');
  const f = readFields(kind, frame, start, end);
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

function str(f: Fields, key: string): string {
  const v = f[key];
  if (typeof v !== 'string' || v === '') throw new HandshakeGarbageError(`handshake field ${key} is missing`);
  return v;
}

function num(f: Fields, key: string): number {
  const v = f[key];
  return typeof v === 'number' ? v : 0;
}

function bytes(f: Fields, key: string): Buffer {
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
