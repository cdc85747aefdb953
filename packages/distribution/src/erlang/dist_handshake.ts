/**
 * Erlang's distribution handshake, protocol version 6 (`dist_util`, "Distribution
 * Handshake" in the ERTS user's guide), both sides, on a plain TCP socket. Packets
 * carry a 2-byte big-endian length. A is the initiator, B the acceptor:
 *
 *   A→B `N` Flags:u64 Creation:u32 Nlen:u16 Name
 *   B→A `s` Status (`ok`, `ok_simultaneous`, `nok`, `not_allowed`, `alive`)
 *   (after `alive`) A→B `s` `true` | `false`
 *   B→A `N` Flags:u64 Challenge:u32 Creation:u32 Nlen:u16 Name
 *   A→B `r` Challenge:u32 Digest:16
 *   B→A `a` Digest:16
 *
 * Digest = MD5(cookie ‖ decimal text of the other side's unsigned 32-bit challenge).
 * After `a`, 4-byte frames follow (whatever arrived behind the handshake is handed to
 * the channel in `rest`). Every failure closes the socket and rejects with a
 * {@link HandshakeError}, logged once (rate-limited) with the reason, as Grove's own
 * handshake does.
 *
 * @internal
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as net from 'node:net';
import type { HandshakeError, HandshakeFailure } from '../errors';
import type { AcceptDecision } from '../handshake/handshake';
import { parseNodeName, type NodeNameKind } from '../node/node_name';
import { socketAddress } from '../transport/tcp';
import { busyWait } from '../transport/busy_wait';
import { peerNameProblem, refusal } from '../handshake/session';
import { DFLAG, missingMandatory, ownFlags } from './dist_flags';

/** Handshake packets are small: a name of at most 255 bytes plus 20. */
const MAX_PACKET = 1024;

/** Erlang's digest of a challenge: MD5 of the cookie followed by the challenge in decimal. */
export function erlangDigest(cookie: string, challenge: number): Buffer {
  return createHash('md5').update(cookie, 'latin1').update(String(challenge >>> 0)).digest();
}

export interface ErlangHandshakeOptions {
  /** This node's full name. */
  name: string;
  creation: number;
  /** The cookie for a peer. */
  cookie: (peer: string) => string;
  hidden: boolean;
  timeoutMs: number;
  /** Microseconds of polling after each handshake message (`transport/busy_wait.ts`). */
  busyWaitUs?: number;
}

export interface ErlangAcceptOptions extends ErlangHandshakeOptions {
  admit(peer: string): AcceptDecision;
}

export interface ErlangInitiateOptions extends ErlangHandshakeOptions {
  /** The node dialled: its challenge must carry this name. */
  peer: string;
}

/** A socket past Erlang's handshake. */
export interface ErlangHandshakeResult {
  socket: net.Socket;
  peer: string;
  peerCreation: number;
  /** The peer's flags. */
  peerFlags: bigint;
  /** Flags both sides have. */
  flags: bigint;
  peerHidden: boolean;
  /** The initiator went through `alive` and proceeded: an older connection is stale. */
  replaced: boolean;
  /** Bytes that arrived behind the handshake (the start of the 4-byte framed stream). */
  rest: Buffer;
}

abstract class ErlangSession {
  protected peer: string | undefined;
  protected readonly kind: NodeNameKind;
  private buf: Buffer = Buffer.alloc(0);
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly address: string;

  constructor(
    protected readonly side: 'initiator' | 'acceptor',
    protected readonly socket: net.Socket,
    protected readonly options: ErlangHandshakeOptions,
    private readonly resolve: (r: ErlangHandshakeResult) => void,
    private readonly reject: (e: HandshakeError) => void,
  ) {
    this.kind = parseNodeName(options.name).kind;
    this.address = socketAddress(socket);
  }

  /** Starts; `first` holds bytes already read from the socket (the acceptor's peek). */
  start(first?: Buffer): void {
    if (this.socket.destroyed) return this.fail('closed', 'the socket was closed before the handshake');
    this.socket.on('data', this.onData);
    this.socket.on('error', this.onError);
    this.socket.on('close', this.onClose);
    this.timer = setTimeout(() => this.fail('timeout', `no handshake within ${this.options.timeoutMs} ms`), this.options.timeoutMs);
    this.begin();
    if (first !== undefined && first.length > 0) this.onData(first);
  }

  protected abstract begin(): void;
  /** One packet (its tag first). */
  protected abstract step(p: Buffer): void;

  protected send(body: Buffer): void {
    const out = Buffer.allocUnsafe(2 + body.length);
    out.writeUInt16BE(body.length, 0);
    body.copy(out, 2);
    this.socket.write(out);
    busyWait(this.options.busyWaitUs ?? 0);
  }

  protected get finished(): boolean {
    return this.settled;
  }

  protected fail(reason: HandshakeFailure, detail: string, status?: string): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    if (status !== undefined && !this.socket.destroyed) {
      this.send(Buffer.from('s' + status, 'latin1'));
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.reject(refusal(this.options.name, `Erlang handshake (${this.side})`, this.peer, this.address, reason, detail));
  }

  protected succeed(r: Omit<ErlangHandshakeResult, 'socket' | 'rest'>): void {
    this.settled = true;
    this.detach();
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    // Nothing may be lost between here and the channel taking over: hold the socket.
    this.socket.pause();
    this.resolve({ ...r, socket: this.socket, rest });
  }

  protected checkPeerName(name: string): string | undefined {
    if (name === this.options.name) return `the peer claims this node's own name ${name}`;
    return peerNameProblem(name, this.options.name, this.kind);
  }

  private detach(): void {
    clearTimeout(this.timer);
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (!this.settled && this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (len === 0 || len > MAX_PACKET) return this.fail('garbage', `a handshake packet of ${len} bytes`);
      if (this.buf.length < 2 + len) return;
      const p = this.buf.subarray(2, 2 + len);
      this.buf = this.buf.subarray(2 + len);
      try {
        this.step(p);
      } catch (e) {
        return this.fail('garbage', `a malformed handshake packet (${(e as Error).message})`);
      }
    }
  };

  private readonly onError = (): void => undefined;

  private readonly onClose = (): void => {
    this.fail('closed', 'the connection closed during the handshake (a refused cookie, or the peer refused the connection)');
  };
}

/** Decodes an `N` packet body after the tag: flags, [challenge], creation, name. */
function readN(p: Buffer, withChallenge: boolean): { flags: bigint; challenge: number; creation: number; name: string } {
  let o = 1;
  const flags = p.readBigUInt64BE(o);
  o += 8;
  let challenge = 0;
  if (withChallenge) {
    challenge = p.readUInt32BE(o);
    o += 4;
  }
  const creation = p.readUInt32BE(o);
  o += 4;
  const nlen = p.readUInt16BE(o);
  o += 2;
  if (o + nlen > p.length) throw new Error('name past the end of the packet');
  return { flags, challenge, creation, name: p.toString('utf8', o, o + nlen) };
}

function writeN(flags: bigint, challenge: number | undefined, creation: number, name: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const out = Buffer.alloc(1 + 8 + (challenge === undefined ? 0 : 4) + 4 + 2 + nameBytes.length);
  let o = out.writeUInt8(0x4e, 0);
  o = out.writeBigUInt64BE(flags, o);
  if (challenge !== undefined) o = out.writeUInt32BE(challenge >>> 0, o);
  o = out.writeUInt32BE(creation >>> 0, o);
  o = out.writeUInt16BE(nameBytes.length, o);
  nameBytes.copy(out, o);
  return out;
}

function sameDigest(got: Buffer, want: Buffer): boolean {
  return got.length === want.length && timingSafeEqual(got, want);
}

class Acceptor extends ErlangSession {
  private state: 'name' | 'alive' | 'reply' = 'name';
  private challenge = 0;
  private peerInfo: { flags: bigint; creation: number } = { flags: 0n, creation: 0 };
  private replaced = false;

  constructor(socket: net.Socket, private readonly opts: ErlangAcceptOptions, resolve: (r: ErlangHandshakeResult) => void, reject: (e: HandshakeError) => void) {
    super('acceptor', socket, opts, resolve, reject);
  }

  protected begin(): void {}

  protected step(p: Buffer): void {
    const tag = p[0];
    if (this.state === 'name' && tag === 0x4e) return this.onName(p);
    if (this.state === 'alive' && tag === 0x73) {
      if (p.toString('latin1', 1) !== 'true') return this.fail('name_clash', 'the peer has a live connection to this node under that name');
      this.replaced = true;
      return this.challengePeer();
    }
    if (this.state === 'reply' && tag === 0x72) return this.onReply(p);
    if (this.state === 'name' && tag === 0x6e) return this.fail('version', "the peer sent the old 'n' name message: only protocol version 6 (OTP 23 and later) is spoken", 'not_allowed');
    this.fail('garbage', `unexpected packet ${tag} while waiting for ${this.state}`);
  }

  private onName(p: Buffer): void {
    const n = readN(p, false);
    this.peer = n.name;
    const bad = this.checkPeerName(n.name);
    if (bad !== undefined) return this.fail('not_allowed', bad, 'not_allowed');
    const missing = missingMandatory(n.flags);
    if (missing.length > 0) return this.fail('version', `the peer cannot handle ${missing.join(', ')}`, 'not_allowed');
    this.peerInfo = { flags: n.flags, creation: n.creation };
    const d = this.opts.admit(n.name);
    if (typeof d === 'object') return this.fail('not_allowed', d.refuse, 'not_allowed');
    if (d === 'not_allowed') return this.fail('not_allowed', 'not allowed', 'not_allowed');
    if (d === 'nok') return this.fail('simultaneous', 'simultaneous connect: this node keeps its own attempt', 'nok');
    this.send(Buffer.from('s' + d, 'latin1'));
    if (d === 'alive') {
      this.state = 'alive';
      return;
    }
    this.challengePeer();
  }

  private challengePeer(): void {
    this.challenge = randomBytes(4).readUInt32BE(0);
    this.send(writeN(ownFlags(this.opts.hidden), this.challenge, this.opts.creation, this.opts.name));
    this.state = 'reply';
  }

  private onReply(p: Buffer): void {
    if (p.length < 21) throw new Error('short challenge reply');
    const theirs = p.readUInt32BE(1);
    const cookie = this.opts.cookie(this.peer!);
    if (!sameDigest(p.subarray(5, 21), erlangDigest(cookie, this.challenge))) {
      return this.fail('bad_cookie', 'invalid challenge reply: the cookies differ');
    }
    this.send(Buffer.concat([Buffer.from([0x61]), erlangDigest(cookie, theirs)]));
    this.succeed({
      peer: this.peer!,
      peerCreation: this.peerInfo.creation,
      peerFlags: this.peerInfo.flags,
      flags: this.peerInfo.flags & ownFlags(this.opts.hidden),
      peerHidden: (this.peerInfo.flags & DFLAG.PUBLISHED) === 0n,
      replaced: this.replaced,
    });
  }
}

class Initiator extends ErlangSession {
  private state: 'status' | 'challenge' | 'ack' = 'status';
  private challenge = 0;
  private replaced = false;
  private peerInfo: { flags: bigint; creation: number } = { flags: 0n, creation: 0 };

  constructor(socket: net.Socket, private readonly opts: ErlangInitiateOptions, resolve: (r: ErlangHandshakeResult) => void, reject: (e: HandshakeError) => void) {
    super('initiator', socket, opts, resolve, reject);
    this.peer = opts.peer;
  }

  protected begin(): void {
    this.send(writeN(ownFlags(this.opts.hidden), undefined, this.opts.creation, this.opts.name));
  }

  protected step(p: Buffer): void {
    const tag = p[0];
    if (this.state === 'status' && tag === 0x73) return this.onStatus(p.toString('latin1', 1));
    if (this.state === 'challenge' && tag === 0x4e) return this.onChallenge(p);
    if (this.state === 'ack' && tag === 0x61) return this.onAck(p);
    this.fail('garbage', `unexpected packet ${tag} while waiting for ${this.state}`);
  }

  private onStatus(status: string): void {
    if (status === 'ok' || status === 'ok_simultaneous') {
      this.state = 'challenge';
      return;
    }
    if (status === 'alive') {
      // A dial only runs for a pending connection: a connection the peer still has to us is stale.
      this.send(Buffer.from('strue', 'latin1'));
      this.replaced = true;
      this.state = 'challenge';
      return;
    }
    if (status === 'nok') return this.fail('simultaneous', 'simultaneous connect: the peer keeps its own attempt');
    this.fail('not_allowed', `the peer answered ${JSON.stringify(status.slice(0, 100))}`);
  }

  private onChallenge(p: Buffer): void {
    const n = readN(p, true);
    if (n.name !== this.opts.peer) return this.fail('wrong_node', `dialled ${this.opts.peer} but reached ${n.name}`);
    const missing = missingMandatory(n.flags);
    if (missing.length > 0) return this.fail('version', `the peer cannot handle ${missing.join(', ')}`);
    this.peerInfo = { flags: n.flags, creation: n.creation };
    this.challenge = randomBytes(4).readUInt32BE(0);
    const out = Buffer.alloc(21);
    out[0] = 0x72;
    out.writeUInt32BE(this.challenge, 1);
    erlangDigest(this.opts.cookie(n.name), n.challenge).copy(out, 5);
    this.send(out);
    this.state = 'ack';
  }

  private onAck(p: Buffer): void {
    if (!sameDigest(p.subarray(1), erlangDigest(this.opts.cookie(this.opts.peer), this.challenge))) {
      return this.fail('bad_cookie', 'the peer does not know the cookie');
    }
    this.succeed({
      peer: this.opts.peer,
      peerCreation: this.peerInfo.creation,
      peerFlags: this.peerInfo.flags,
      flags: this.peerInfo.flags & ownFlags(this.opts.hidden),
      peerHidden: (this.peerInfo.flags & DFLAG.PUBLISHED) === 0n,
      replaced: this.replaced,
    });
  }
}

/** Runs the acceptor's side; `first` holds the bytes already read (the protocol peek). */
export function acceptErlangHandshake(socket: net.Socket, options: ErlangAcceptOptions, first?: Buffer): Promise<ErlangHandshakeResult> {
  return new Promise((resolve, reject) => new Acceptor(socket, options, resolve, reject).start(first));
}

/** Runs the initiator's side on a freshly connected socket. */
export function initiateErlangHandshake(socket: net.Socket, options: ErlangInitiateOptions): Promise<ErlangHandshakeResult> {
  return new Promise((resolve, reject) => new Initiator(socket, options, resolve, reject).start());
}

/**
 * True when the first bytes of an incoming connection are Erlang's (a 2-byte length,
 * then `N` or `n`), false when they are Grove's (a 4-byte length whose first two
 * bytes are zero), undefined while fewer than 3 bytes are known.
 */
export function isErlangHello(first: Buffer): boolean | undefined {
  if (first.length < 3) return undefined;
  return (first[0] !== 0 || first[1] !== 0) && (first[2] === 0x4e || first[2] === 0x6e);
}
