/**
 * The two sides of the handshake described in `handshake.ts`: a `Session` base that
 * takes frames one at a time and owns the timeout, failure and success paths, and
 * the `Initiator` and `Acceptor` state machines. Internal to the package.
 */
import { randomFillSync, timingSafeEqual } from 'node:crypto';
import type * as net from 'node:net';
import { TLSSocket } from 'node:tls';
import { getLogger } from '@grove/core';
import { HandshakeError, HandshakeGarbageError, type HandshakeFailure } from '../errors';
import { FrameWriter } from '../wire/frame_writer';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, readFrames } from '../wire/framing';
import type { AcceptOptions, CookiePair, CookieSpec, HandshakeOptions, HandshakeResult, InitiateOptions } from './handshake';
import {
  CHALLENGE_BYTES,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  HANDSHAKE_MAX_FRAME_BYTES,
  HANDSHAKE_VERSION,
  StatusCode,
  decodeHandshake,
  foreignProtocol,
  encodeHandshake,
  handshakeDigest,
  type HandshakeMsg,
} from './messages';
import { parseNodeName, type NodeNameKind } from '../node/node_name';
import { peerCertificateProblem, tlsFailureCause } from './tls_identity';
import { socketAddress } from '../transport/tcp';
import { busyWait } from '../transport/busy_wait';
import { refusals } from '../transport/warn_limit';

function cookies(spec: CookieSpec, peer: string): CookiePair {
  const c = typeof spec === 'string' ? spec : spec(peer);
  return typeof c === 'string' ? { in: c, out: c } : c;
}

const digest = handshakeDigest;

// Challenges are cut from random bytes drawn 32 challenges at a time: one call into the
// system's generator per 32 handshakes instead of one per handshake, each byte used once.
const challengePool = Buffer.alloc(CHALLENGE_BYTES * 32);
let challengeAt = challengePool.length;

/** A fresh challenge: CHALLENGE_BYTES random bytes, never handed out before. */
function newChallenge(): Buffer {
  if (challengeAt === challengePool.length) {
    randomFillSync(challengePool);
    challengeAt = 0;
  }
  const c = Buffer.allocUnsafe(CHALLENGE_BYTES);
  challengePool.copy(c, 0, challengeAt, challengeAt + CHALLENGE_BYTES);
  challengePool.fill(0, challengeAt, challengeAt + CHALLENGE_BYTES);
  challengeAt += CHALLENGE_BYTES;
  return c;
}

/** A reason the peer sent, fit for a log line: no control characters. */
function printable(reason: string): string {
  return reason.replace(/[\u0000-\u001f\u007f]/g, '?');
}

function sameDigest(got: Buffer, want: Buffer): boolean {
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Logs a refused handshake once (a simultaneous connect at debug; others rate-limited,
 * so a peer that retries in a loop gets a few lines a minute, `warn_limit.ts`) and
 * returns the error to reject with. Shared with Erlang's handshake (`erlang/`). @internal
 */
export function refusal(node: string, what: string, peer: string | undefined, address: string, reason: HandshakeFailure, detail: string): HandshakeError {
  const who = peer !== undefined ? `${peer} (${address})` : address;
  const message = `${what} with ${who} refused: ${detail}`;
  if (reason === 'simultaneous') getLogger('dist').debug(`${node}: ${message}`);
  else refusals.warn(`${node} ${address.replace(/:\d+$/, '')} ${reason}`, `${node}: ${message}`);
  return new HandshakeError(reason, message, peer, address);
}

/** Why `name` cannot be a peer of the node `own` (of naming kind `kind`): not a node name, or of the other kind. @internal */
export function peerNameProblem(name: string, own: string, kind: NodeNameKind): string | undefined {
  let peerKind: NodeNameKind;
  try {
    peerKind = parseNodeName(name).kind;
  } catch (e) {
    return (e as Error).message;
  }
  if (peerKind !== kind) return `${name} has a ${peerKind} name and ${own} a ${kind} one; short and long names do not mix`;
  return undefined;
}

/** What both sides share: frames in one at a time, timeout, failure and success. */
abstract class Session {
  protected readonly decoder: FrameDecoder;
  protected readonly writer: FrameWriter;
  protected readonly kind: NodeNameKind;
  protected readonly versions: { min: number; max: number };
  protected peer: string | undefined;
  /** The peer's address, `host:port`, read while the socket is open (a closed one has none). */
  protected readonly address: string;
  private frame: Buffer | null = null;
  private firstChunk: Buffer | null = null;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private socketError: string | undefined;

  constructor(
    protected readonly side: 'initiator' | 'acceptor',
    protected readonly socket: net.Socket,
    protected readonly options: HandshakeOptions,
    private readonly resolve: (r: HandshakeResult) => void,
    private readonly reject: (e: HandshakeError) => void,
  ) {
    this.kind = parseNodeName(options.name).kind;
    this.address = socketAddress(socket);
    this.versions = options.versions ?? { min: HANDSHAKE_VERSION, max: HANDSHAKE_VERSION };
    this.decoder = new FrameDecoder((f) => {
      this.frame = f;
      this.decoder.pause(); // one message at a time; the rest waits in the decoder
    }, { maxFrameBytes: HANDSHAKE_MAX_FRAME_BYTES });
    this.writer = new FrameWriter(socket, { maxFrameBytes: HANDSHAKE_MAX_FRAME_BYTES });
  }

  /** Starts; `first`: bytes already read from the socket, handled at once. */
  start(first?: Buffer): void {
    if (this.socket.destroyed) return this.fail('closed', 'the socket was closed before the handshake');
    this.socket.on('data', this.onData);
    this.socket.on('error', this.onError);
    this.socket.on('close', this.onClose);
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.timer = setTimeout(() => this.fail('timeout', `no handshake within ${timeoutMs} ms (${this.waitingFor()})`), timeoutMs);
    const signal = this.options.signal;
    if (signal?.aborted === true) return this.onAbort();
    signal?.addEventListener('abort', this.onAbort);
    this.begin();
    if (first !== undefined && !this.settled) this.onData(first);
  }

  private readonly onAbort = (): void => {
    this.fail('simultaneous', 'dropped by this node: another connection with the peer won the simultaneous connect');
  };

  /** Sends the first message, if this side speaks first. */
  protected abstract begin(): void;
  /** Handles one message. */
  protected abstract step(msg: HandshakeMsg): void;
  /** What this side waits for now (for error messages). */
  protected abstract waitingFor(): string;

  /**
   * Writes `msg` at once (the peer waits for it: not at the end of the turn, behind
   * whatever else runs); `more`: another message of this step follows, written with it.
   */
  protected send(msg: HandshakeMsg, more = false): void {
    this.writer.write(encodeHandshake(msg));
    if (more) return;
    this.writer.flush();
    busyWait(this.options.busyWaitUs ?? 0);
  }

  /** True when the peer sent more than it may before hearing from us (and fails then). */
  protected early(after: string): boolean {
    if (this.decoder.bufferedBytes === 0) return false;
    this.fail('early_frame', `${this.decoder.bufferedBytes} bytes arrived after ${after}, before the handshake allowed them`);
    return true;
  }

  protected get finished(): boolean {
    return this.settled;
  }

  /** Refuses the connection. With `status`, sends it first and closes gracefully. */
  protected fail(reason: HandshakeFailure, detail: string, status?: { code: StatusCode; reason: string }): void {
    if (this.settled) return;
    this.settled = true;
    this.detach();
    if (status !== undefined) {
      this.send({ kind: 'status', code: status.code, reason: status.reason.length > 1000 ? `${status.reason.slice(0, 1000)}…` : status.reason });
      this.writer.flush();
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else if (reason === 'name_clash') {
      this.writer.flush(); // our AliveAnswer(false)
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.reject(refusal(this.options.name, `handshake (${this.side})`, this.peer, this.address, reason, detail));
  }

  protected succeed(result: Omit<HandshakeResult, 'side' | 'socket' | 'decoder'>): void {
    this.settled = true;
    this.detach();
    this.writer.flush(); // the last handshake message leaves before any connection frame
    this.decoder.maxFrameBytes = this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    // The socket keeps feeding the paused decoder, so nothing that arrives before the
    // connection takes over (however late) is lost.
    readFrames(this.socket, this.decoder);
    this.resolve({ ...result, side: this.side, socket: this.socket, decoder: this.decoder });
  }

  private detach(): void {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.firstChunk ??= chunk;
    try {
      this.decoder.push(chunk);
    } catch (e) {
      // The first bytes of another protocol read as a huge frame length: say which protocol.
      const foreign = this.firstChunk === chunk ? foreignProtocol(chunk) : undefined;
      return this.fail('garbage', foreign ?? (e as Error).message);
    }
    while (this.frame !== null && !this.settled) {
      const frame = this.frame;
      this.frame = null;
      try {
        this.step(decodeHandshake(frame));
      } catch (e) {
        if (e instanceof HandshakeGarbageError) return this.fail('garbage', `${e.message} (${this.waitingFor()})`);
        return this.fail('not_allowed', `the handshake failed: ${(e as Error).message}`);
      }
      if (!this.settled) this.decoder.resume();
    }
  };

  private readonly onError = (err: Error): void => {
    this.socketError = this.socket instanceof TLSSocket ? tlsFailureCause(err) : err.message;
  };

  private readonly onClose = (): void => {
    const why = this.socketError !== undefined ? ` (${this.socketError})` : '';
    this.fail('closed', `the connection closed${why} ${this.closedHint()}`);
  };

  /**
   * Checks the certificate `name` presented (a TLS socket only): undefined when it
   * proves `name`; else refuses the connection, telling the peer why, and returns true.
   */
  protected refuseCertificate(name: string): boolean {
    if (!(this.socket instanceof TLSSocket)) return false;
    const problem = peerCertificateProblem(this.socket, name, this.options.name, this.options.tlsIdentity ?? 'node');
    if (problem === undefined) return false;
    this.peer ??= name;
    this.fail('bad_certificate', problem, { code: StatusCode.CERTIFICATE, reason: problem });
    return true;
  }

  /** The peer refused us with a `Status`: fail with its reason. */
  protected refusedBy(code: StatusCode, peerReason: string): void {
    const who = this.peer ?? 'the peer';
    const reason = printable(peerReason);
    if (code === StatusCode.CERTIFICATE) return this.fail('bad_certificate', `${who} refused this node's TLS certificate: ${reason}`);
    return this.fail('not_allowed', `not allowed: ${reason || 'no reason given'}`);
  }

  /** What a close at this point most likely means. */
  protected abstract closedHint(): string;

  protected checkPeerName(name: string): string | undefined {
    return peerNameProblem(name, this.options.name, this.kind);
  }
}

/** @internal */
export class Initiator extends Session {
  private state: 'status' | 'challenge' | 'ack' = 'status';
  private simultaneous = false;
  private replaced = false;
  private certificateChecked = false;
  private chA: Buffer = Buffer.alloc(0);
  private chB: Buffer = Buffer.alloc(0);
  private wantAck: Buffer = Buffer.alloc(0);
  private hello: Omit<HandshakeResult, 'side' | 'socket' | 'decoder'> | undefined;

  constructor(socket: net.Socket, private readonly opts: InitiateOptions, resolve: (r: HandshakeResult) => void, reject: (e: HandshakeError) => void) {
    super('initiator', socket, opts, resolve, reject);
    this.peer = opts.peer;
  }

  protected begin(): void {
    const o = this.opts;
    // Whom we dialled is known: check its certificate before telling it anything.
    if (o.peer !== undefined && this.refuseCertificate(o.peer)) return;
    this.certificateChecked = o.peer !== undefined;
    this.send({ kind: 'name', name: o.name, versionMin: this.versions.min, versionMax: this.versions.max, flags: o.flags ?? 0, creation: o.creation, hidden: o.hidden === true });
    // Drawn while the acceptor answers, not after.
    this.chA = newChallenge();
  }

  protected waitingFor(): string {
    return `waiting for the acceptor's ${this.state}`;
  }

  protected closedHint(): string {
    return this.state === 'ack'
      ? 'after our challenge reply: the peer refused our cookie (or stopped)'
      : `while ${this.waitingFor()}: the peer refused the connection (or is not a Grove node)`;
  }

  protected step(msg: HandshakeMsg): void {
    if (this.state === 'status' && msg.kind === 'status') return this.onStatus(msg.code, msg.reason);
    if (this.state === 'challenge' && msg.kind === 'challenge') return this.onChallenge(msg);
    if (this.state === 'ack' && msg.kind === 'ack') return this.onAck(msg.digest);
    throw new HandshakeGarbageError(`unexpected ${msg.kind} message`);
  }

  private onStatus(code: StatusCode, reason: string): void {
    switch (code) {
      case StatusCode.OK:
        this.state = 'challenge';
        return;
      case StatusCode.OK_SIMULTANEOUS:
        this.simultaneous = true;
        this.state = 'challenge';
        return;
      case StatusCode.NOK:
        return this.fail('simultaneous', 'the peer is connecting to us at the same time, and its attempt wins');
      case StatusCode.ALIVE: {
        const proceed = this.opts.onAlive?.(this.peer) === true;
        this.send({ kind: 'alive_answer', proceed });
        if (!proceed) return this.fail('name_clash', 'the peer already has a connection to a node with our name');
        this.replaced = true;
        this.state = 'challenge';
        return;
      }
      case StatusCode.VERSION:
        return this.fail('version', `no protocol version in common: ${printable(reason)}`);
      default:
        return this.refusedBy(code, reason);
    }
  }

  private onChallenge(msg: Extract<HandshakeMsg, { kind: 'challenge' }>): void {
    const bad = this.checkPeerName(msg.name);
    if (bad !== undefined) return this.fail('not_allowed', bad);
    if (this.opts.peer !== undefined && msg.name !== this.opts.peer) {
      return this.fail('wrong_node', `we meant to reach ${this.opts.peer} but ${msg.name} answered`);
    }
    this.peer = msg.name;
    if (!this.certificateChecked && this.refuseCertificate(msg.name)) return;
    if (msg.version < this.versions.min || msg.version > this.versions.max) {
      return this.fail('version', `the peer chose version ${msg.version}; we speak ${this.versions.min}..${this.versions.max}`);
    }
    const flags = this.opts.flags ?? 0;
    this.hello = {
      peer: msg.name, peerCreation: msg.creation, peerHidden: msg.hidden, peerFlags: msg.flags, flags: (flags & msg.flags) >>> 0,
      version: msg.version, simultaneous: this.simultaneous, replaced: this.replaced,
    };
    this.chB = msg.challenge;
    const pair = cookies(this.opts.cookie, msg.name);
    this.send({ kind: 'reply', challenge: this.chA, digest: digest(pair.out, 'initiator', this.opts.name, msg.name, this.chB, this.chA) });
    this.state = 'ack';
    // The digest the ack must carry, worked out while the acceptor checks ours.
    this.wantAck = digest(pair.in, 'acceptor', this.opts.name, msg.name, this.chA, this.chB);
  }

  private onAck(got: Buffer): void {
    const peer = this.hello!.peer;
    if (!sameDigest(got, this.wantAck)) return this.fail('bad_cookie', `${peer} answered our challenge with a wrong digest: the cookies differ`);
    this.succeed(this.hello!);
  }
}

/** @internal */
export class Acceptor extends Session {
  private state: 'name' | 'alive_answer' | 'reply' = 'name';
  private hello: Omit<HandshakeResult, 'side' | 'socket' | 'decoder'> | undefined;
  private chB: Buffer = Buffer.alloc(0);

  constructor(socket: net.Socket, private readonly opts: AcceptOptions, resolve: (r: HandshakeResult) => void, reject: (e: HandshakeError) => void) {
    super('acceptor', socket, opts, resolve, reject);
  }

  protected begin(): void {}

  protected waitingFor(): string {
    return `waiting for the initiator's ${this.state}`;
  }

  protected closedHint(): string {
    return this.state === 'reply' ? 'after our challenge (the peer gave up)' : `while ${this.waitingFor()}`;
  }

  protected step(msg: HandshakeMsg): void {
    // The initiator refuses us (our certificate) in place of its next message.
    if (msg.kind === 'status') return this.refusedBy(msg.code, msg.reason);
    if (this.state === 'name' && msg.kind === 'name') return this.onName(msg);
    if (this.state === 'alive_answer' && msg.kind === 'alive_answer') return this.onAliveAnswer(msg.proceed);
    if (this.state === 'reply' && msg.kind === 'reply') return this.onReply(msg.challenge, msg.digest);
    throw new HandshakeGarbageError(`unexpected ${msg.kind} message`);
  }

  private onName(msg: Extract<HandshakeMsg, { kind: 'name' }>): void {
    const refuse = (reason: HandshakeFailure, code: StatusCode, why: string): void => this.fail(reason, why, { code, reason: why });
    const bad = this.checkPeerName(msg.name);
    if (bad !== undefined) return refuse('not_allowed', StatusCode.NOT_ALLOWED, bad);
    this.peer = msg.name;
    if (this.refuseCertificate(msg.name)) return;
    if (msg.name === this.opts.name) return refuse('name_clash', StatusCode.NOT_ALLOWED, `${msg.name} is this node's own name`);
    const version = Math.min(msg.versionMax, this.versions.max);
    if (version < Math.max(msg.versionMin, this.versions.min)) {
      return refuse('version', StatusCode.VERSION, `the peer speaks ${msg.versionMin}..${msg.versionMax}, this node ${this.versions.min}..${this.versions.max}`);
    }
    if (this.early('the name message')) return;
    const flags = this.opts.flags ?? 0;
    this.hello = {
      peer: msg.name, peerCreation: msg.creation, peerHidden: msg.hidden, peerFlags: msg.flags, flags: (flags & msg.flags) >>> 0,
      version, simultaneous: false, replaced: false,
    };
    const decision = this.opts.admit?.({ name: msg.name, creation: msg.creation, hidden: msg.hidden, flags: msg.flags }) ?? 'ok';
    switch (decision) {
      case 'ok':
      case 'ok_simultaneous':
        this.hello.simultaneous = decision === 'ok_simultaneous';
        this.send({ kind: 'status', code: decision === 'ok' ? StatusCode.OK : StatusCode.OK_SIMULTANEOUS, reason: '' }, true);
        return this.sendChallenge();
      case 'nok':
        return refuse('simultaneous', StatusCode.NOK, 'simultaneous connect: our own attempt to reach the peer wins');
      case 'alive':
        this.send({ kind: 'status', code: StatusCode.ALIVE, reason: '' });
        this.state = 'alive_answer';
        return;
      case 'not_allowed':
        return refuse('not_allowed', StatusCode.NOT_ALLOWED, 'the connection manager refused it');
      default:
        return refuse('not_allowed', StatusCode.NOT_ALLOWED, decision.refuse);
    }
  }

  private onAliveAnswer(proceed: boolean): void {
    if (!proceed) return this.fail('name_clash', 'a node with that name is already connected');
    if (this.early('the alive answer')) return;
    this.hello!.replaced = true;
    this.sendChallenge();
  }

  private sendChallenge(): void {
    const o = this.opts;
    this.chB = newChallenge();
    this.send({ kind: 'challenge', name: o.name, version: this.hello!.version, flags: o.flags ?? 0, creation: o.creation, hidden: o.hidden === true, challenge: this.chB });
    this.state = 'reply';
  }

  private onReply(chA: Buffer, got: Buffer): void {
    const peer = this.hello!.peer;
    const pair = cookies(this.opts.cookie, peer);
    if (!sameDigest(got, digest(pair.in, 'initiator', peer, this.opts.name, this.chB, chA))) {
      return this.fail('bad_cookie', `${peer} failed the cookie challenge: the cookies differ`);
    }
    if (this.early('the challenge reply')) return;
    this.send({ kind: 'ack', digest: digest(pair.out, 'acceptor', peer, this.opts.name, chA, this.chB) });
    this.succeed(this.hello!);
  }
}
