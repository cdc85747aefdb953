/**
 * A {@link Channel} to a BEAM node: Grove's control messages (`wire/control_message.ts`)
 * translated to and from Erlang's distribution control messages, one 4-byte framed
 * pass-through (`'p'`) message per frame, `131`-prefixed terms (no atom cache, no
 * fragments). The connection above it is the same as for a Grove peer: links,
 * monitors, `noconnection` and node monitors work unchanged.
 *
 * Translations (OTP 25's shapes, `shared/interop/erlang-dist.md` §6):
 * - send → SEND_SENDER (22) when negotiated, else SEND (2); reg_send → REG_SEND (6);
 *   link → LINK (1); unlink → UNLINK_ID (35, with an id of this channel's when Grove
 *   gives 0); unlink_ack → UNLINK_ID_ACK (36); exit → PAYLOAD_EXIT (24) or EXIT (3);
 *   exit2 → PAYLOAD_EXIT2 (26) or EXIT2 (8); monitor/demonitor → MONITOR_P (19) /
 *   DEMONITOR_P (20) by pid or name; monitor_exit → PAYLOAD_MONITOR_P_EXIT (28) or
 *   MONITOR_P_EXIT (21); tick → an empty frame.
 * - Calls: a Grove `GenCall` goes out as `{'$gen_call', {Pid, Tag}, Req}` with a ref
 *   standing for the call's tag; the `{Tag, Reply}` that comes back is the call's
 *   reply. An Erlang `{'$gen_call', {Pid, Tag}, Req}` comes in as a `GenCall` whose
 *   numeric tag this channel maps back to the Erlang tag (kept opaque: `[alias|Ref]`
 *   is echoed as it came) when the reply goes out as `{Tag, Reply}`. `$gen_cast` ↔
 *   `GenCast`.
 * - pg: Grove's and OTP's scope messages (`erlang/pg_bridge.ts`), so scopes of the same
 *   name share groups.
 * - `rpc:call` into Grove: SPAWN_REQUEST for `{erpc, execute_call, 4}` becomes a call
 *   to the local `rex` server (so only exposed functions run); the result goes back as
 *   erpc expects it, as the exit reason of a monitor (`erlang/erpc.ts`).
 * - Grove `rpc.call` to a BEAM node: a call to its `rex` with `{call, M, F, A, user}`.
 *
 * @internal
 */
import type { Socket } from 'node:net';
import { formatTerm, getLogger, GenCall, GenCast, Pid, Ref } from '@grove/core';
import type { Channel, ChannelHandler, ChannelStats, Control } from '../transport/transport';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, readFrames } from '../wire/framing';
import { closeReason, startReading } from '../transport/socket_channel';
import { busyWaitClock, busyWaitForAnswer } from '../transport/busy_wait';
import { DFLAG } from './dist_flags';
import { E } from './etf_format';
import type { ErlangHandshakeResult } from './dist_handshake';
import { WireReader, WireWriter } from '../wire/wire';
import { writeAtomNamed, writePid, writeSmallInteger, writeTerm, writeTupleHeader } from './etf';
import { EtfDecoder } from './etf_decode';
import { exitReasonFromErlang, exitReasonToErlang } from './exit_reason';
import {
  atom,
  callReplyTagAt,
  callTagOf,
  isAtom,
  tuple,
  tupleOf,
  writeCallMessage,
  type DecodeContext,
} from './dist_terms';
import { RpcBridge } from './erpc';
import { pgFromErlang, pgToErlang } from './pg_bridge';

const log = getLogger('dist');
const TICK: Control = { type: 'tick' };
/** A batch this large is written at once rather than at the end of the turn. */
const FLUSH_BYTES = 256 * 1024;
/** Erlang call tags remembered at most (a call never answered is forgotten, oldest first). */
const MAX_PENDING_TAGS = 65536;

/** How a reply to an Erlang caller is shaped. */
const enum ReplyKind {
  PLAIN = 0,
  /** `net_kernel`'s `is_auth`: Grove's `'yes'` is the atom `yes`. */
  ATOM = 1,
}

/** Ops of Erlang's control messages (erl_dist_protocol). */
const enum Op {
  LINK = 1,
  SEND = 2,
  EXIT = 3,
  UNLINK = 4,
  REG_SEND = 6,
  EXIT2 = 8,
  MONITOR_P = 19,
  DEMONITOR_P = 20,
  MONITOR_P_EXIT = 21,
  SEND_SENDER = 22,
  PAYLOAD_EXIT = 24,
  PAYLOAD_EXIT2 = 26,
  PAYLOAD_MONITOR_P_EXIT = 28,
  SPAWN_REQUEST = 29,
  SPAWN_REPLY = 31,
  UNLINK_ID = 35,
  UNLINK_ID_ACK = 36,
}

export interface ErlangChannelOptions {
  localName: string;
  localCreation: number;
  maxFrameBytes?: number;
  /** Microseconds the event loop keeps polling after a write (`transport/busy_wait.ts`); 0: none. */
  busyWaitUs?: number;
}

export class ErlangChannel implements Channel {
  readonly peer: string;
  readonly peerCreation: number;
  readonly peerHidden: boolean;
  readonly replaces: boolean;
  readonly protocol = 'erlang' as const;
  /** Flags both nodes have. */
  readonly flags: bigint;
  private h: ChannelHandler | null = null;
  private reading = false;
  private closed = false;
  private reason: string | null = null;
  private readonly decoder: FrameDecoder;
  private scheduled = false;
  private readonly ctx: DecodeContext;
  private readonly out: WireWriter;
  private readonly reader = new WireReader();
  private readonly terms: EtfDecoder;
  private readonly sendSender: boolean;
  private readonly exitPayload: boolean;
  /** A pid of this node for REG_SEND from outside any process (OTP demands a pid there). */
  private readonly nobody: Pid;
  /** Erlang call tags by the numeric tag the Grove server replies with. */
  private readonly tags = new Map<number, { tag: unknown; kind: ReplyKind }>();
  private nextTag = 1;
  private nextUnlinkId = 1;
  private lastWriteAt = 0;
  /** This node's name as UTF-8, to find the replies to Grove's calls by their bytes. */
  private readonly localNodeBytes: Buffer;
  /** Where a call reply's value starts ({@link callReplyTagAt}). */
  private readonly replyAt = { pos: 0 };
  readonly rpc: RpcBridge;

  private readonly busyWaitUs: number;
  /** When a frame last came in (`busyWaitClock`): a write polls for the answer only while the peer talks. */
  private lastInAt = busyWaitClock();

  constructor(private readonly socket: Socket, hs: ErlangHandshakeResult, options: ErlangChannelOptions) {
    this.busyWaitUs = options.busyWaitUs ?? 0;
    this.peer = hs.peer;
    this.peerCreation = hs.peerCreation;
    this.peerHidden = hs.peerHidden;
    this.replaces = hs.replaced;
    this.flags = hs.flags;
    this.sendSender = (hs.flags & DFLAG.SEND_SENDER) !== 0n;
    this.exitPayload = (hs.flags & DFLAG.EXIT_PAYLOAD) !== 0n;
    this.ctx = { localNode: options.localName, localCreation: options.localCreation };
    const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    // A message of up to maxFrameBytes fits behind a batch that is not flushed yet.
    this.out = new WireWriter(8192, maxFrameBytes + FLUSH_BYTES);
    this.terms = new EtfDecoder({ localNode: options.localName, localCreation: options.localCreation, maxBytes: maxFrameBytes });
    this.nobody = new Pid(options.localName, 0, 0, options.localCreation);
    this.localNodeBytes = Buffer.from(options.localName, 'utf8');
    this.rpc = new RpcBridge(this.ctx, this);
    this.decoder = new FrameDecoder(this.onFrame, { maxFrameBytes });
    this.decoder.pause();
    socket.on('error', this.onError);
    socket.once('close', this.onSocketClose);
    if (hs.rest.length > 0) this.decoder.push(hs.rest);
    readFrames(socket, this.decoder);
    socket.resume();
  }

  get handler(): ChannelHandler | null {
    return this.h;
  }

  /** Frames are held until the connection adopts the channel, then delivered in order. */
  set handler(h: ChannelHandler | null) {
    this.h = h;
    if (h !== null && !this.reading) {
      this.reading = true;
      startReading(this.decoder, this.socket);
    }
  }

  // ---- out ----

  /**
   * Writes one Erlang control message (and its payload) as a frame: its 4-byte length,
   * `'p'`, then each term with its 131. Frames of one event-loop turn go out in one
   * socket write (encoded in place: no buffer per message).
   */
  emit(control: unknown, payload?: unknown): void {
    if (this.closed) return;
    const w = this.out;
    const start = this.begin();
    try {
      writeTerm(w, control);
      if (payload !== undefined) {
        w.u8(131);
        writeTerm(w, payload);
      }
    } catch (e) {
      // Refused at the sender (a NotCopyableError), with nothing written.
      w.pos = start;
      throw e;
    }
    this.end(start);
  }

  // The messages of every call and send are written in place, without a term tree for
  // the control message (and for `$gen_call`/`$gen_cast`): `begin`, the control
  // tuple's pieces, then `end`; the bytes are those `emit` writes for the same tuples.

  /** Starts a frame: room for its length, `'p'`, the control message's 131. Returns where it starts. */
  private begin(): number {
    const w = this.out;
    w.ensure(6);
    const start = w.pos;
    w.pos = start + 4;
    w.buf[w.pos++] = 112;
    w.buf[w.pos++] = 131;
    return start;
  }

  /** Ends the frame `begin` started: its length, then it is queued. */
  private end(start: number): void {
    const w = this.out;
    w.buf.writeUInt32BE(w.pos - start - 4, start);
    this.written();
  }

  /** The payload of a send: its 131, then the message as Erlang expects it (`$gen_call`, `$gen_cast`, pg's scope protocol). */
  private payload(msg: unknown): void {
    const w = this.out;
    w.u8(131);
    if (!writeCallMessage(w, msg, this.ctx)) writeTerm(w, pgToErlang(msg, this.ctx.localNode) ?? msg);
  }

  /** A frame is queued: flush at the end of this turn, or now when the batch is large. */
  private written(): void {
    if (this.out.pos >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      // At the end of the event-loop turn (as FrameWriter's default): what a turn sends
      // (a call's demonitor and the next call's monitor and request) is one write.
      this.scheduled = true;
      setImmediate(this.flushScheduled);
    }
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
    busyWaitForAnswer(this.busyWaitUs, this.lastInAt);
  };

  /** Writes what is queued now (the Channel API's flush; else at the end of the turn). */
  flush(): void {
    if (this.out.pos === 0 || this.socket.destroyed) return;
    this.lastWriteAt = Date.now();
    this.socket.write(this.out.take());
  }

  // The Channel API. A BEAM connection has no busy state of its own (OTP's side
  // suspends its senders; this side writes through), so the channel is never busy.
  send(from: Pid | undefined, to: Pid, msg: unknown): boolean {
    this.sendMessage(from, to, msg);
    return true;
  }

  regSend(from: Pid | undefined, to: string, msg: unknown): boolean {
    this.regSendMessage(from, to, msg);
    return true;
  }

  write(c: Control): boolean {
    this.writeControl(c);
    return true;
  }

  drained(): PromiseLike<void> {
    return Promise.resolve();
  }

  stats(): ChannelStats {
    const pendingBytes = this.out.pos + (this.socket.destroyed ? 0 : this.socket.writableLength);
    return { pendingBytes, busy: false, busyCount: 0, droppedMessages: 0, fragmentedOut: 0, fragmentedIn: 0, reassemblyBytes: 0, bytesIn: this.socket.bytesRead, bytesOut: this.socket.bytesWritten };
  }

  private sendMessage(from: Pid | undefined, to: Pid, msg: unknown): void {
    if (this.closed) return;
    const w = this.out;
    const start = this.begin();
    try {
      writeTupleHeader(w, 3);
      if (this.sendSender && from !== undefined) {
        writeSmallInteger(w, Op.SEND_SENDER);
        writePid(w, from);
      } else {
        writeSmallInteger(w, Op.SEND);
        writeAtomNamed(w, '');
      }
      writePid(w, to);
      this.payload(msg);
    } catch (e) {
      w.pos = start;
      throw e;
    }
    this.end(start);
  }

  private regSendMessage(from: Pid | undefined, to: string, msg: unknown): void {
    const rex = to === 'rex' ? this.rpc.outgoing(msg) : undefined;
    if (rex === null || this.closed) return;
    const w = this.out;
    const start = this.begin();
    try {
      writeTupleHeader(w, 4);
      writeSmallInteger(w, Op.REG_SEND);
      writePid(w, from ?? this.nobody);
      writeAtomNamed(w, '');
      writeAtomNamed(w, to);
      if (rex !== undefined) {
        w.u8(131);
        writeTerm(w, rex);
      } else {
        this.payload(msg);
      }
    } catch (e) {
      w.pos = start;
      throw e;
    }
    this.end(start);
  }

  /** MONITOR_P / DEMONITOR_P: `{Op, FromPid, ToPidOrName, Ref}`. */
  private monitorMessage(op: Op, from: Pid, to: Pid | string, ref: Ref): void {
    if (this.closed) return;
    const w = this.out;
    const start = this.begin();
    try {
      writeTupleHeader(w, 4);
      writeSmallInteger(w, op);
      writePid(w, from);
      if (typeof to === 'string') writeAtomNamed(w, to);
      else writePid(w, to);
      writeTerm(w, ref);
    } catch (e) {
      w.pos = start;
      throw e;
    }
    this.end(start);
  }

  private writeControl(c: Control): void {
    switch (c.type) {
      case 'send':
        return this.sendMessage(c.from, c.to, c.msg);
      case 'reg_send':
        return this.regSendMessage(c.from, c.to, c.msg);
      case 'link':
        return this.emit(tuple(Op.LINK, c.from, c.to));
      case 'unlink':
        return this.emit(tuple(Op.UNLINK_ID, c.id !== 0 ? c.id : this.nextUnlinkId++, c.from, c.to));
      case 'unlink_ack':
        return this.emit(tuple(Op.UNLINK_ID_ACK, c.id, c.from, c.to));
      case 'exit':
        if (this.exitPayload) return this.emit(tuple(Op.PAYLOAD_EXIT, c.from, c.to), exitReasonToErlang(c.reason));
        return this.emit(tuple(Op.EXIT, c.from, c.to, exitReasonToErlang(c.reason)));
      case 'exit2':
        if (this.exitPayload) return this.emit(tuple(Op.PAYLOAD_EXIT2, c.from, c.to), exitReasonToErlang(c.reason));
        return this.emit(tuple(Op.EXIT2, c.from, c.to, exitReasonToErlang(c.reason)));
      case 'monitor':
        return this.monitorMessage(Op.MONITOR_P, c.from, c.to, c.ref);
      case 'demonitor':
        return this.monitorMessage(Op.DEMONITOR_P, c.from, c.to, c.ref);
      case 'monitor_exit': {
        if (this.rpc.monitorExit(c)) return;
        const from = typeof c.from === 'string' ? atom(c.from) : c.from;
        if (this.exitPayload) return this.emit(tuple(Op.PAYLOAD_MONITOR_P_EXIT, from, c.to, c.ref), exitReasonToErlang(c.reason));
        return this.emit(tuple(Op.MONITOR_P_EXIT, from, c.to, c.ref, exitReasonToErlang(c.reason)));
      }
      case 'reply':
        return this.reply(c.to, c.tag, c.value);
      case 'tick':
        if (this.closed) return;
        this.out.ensure(4);
        this.out.buf.writeUInt32BE(0, this.out.pos);
        this.out.pos += 4;
        this.written();
        return;
      case 'spawn_request': {
        // Grove spawns by registered spawnable; a BEAM node has none: refuse, as OTP answers notsup.
        const reply: Control = { type: 'spawn_reply', ref: c.ref, to: c.from, link: false, monitor: false, pid: undefined, reason: { error: 'notsup', detail: `${this.peer} is a BEAM node: it has no Grove spawnables` } };
        queueMicrotask(() => this.h?.onControl(reply));
        return;
      }
      case 'spawn_reply':
        return;
    }
  }

  private reply(to: Pid, tag: number, value: unknown): void {
    if (this.rpc.reply(to, tag, value)) return;
    const t = this.tags.get(tag);
    if (t === undefined) return;
    this.tags.delete(tag);
    const v = t.kind === ReplyKind.ATOM && typeof value === 'string' ? atom(value) : value;
    if (this.closed) return;
    // `{Tag, Reply}` to the caller's pid, in place.
    const w = this.out;
    const start = this.begin();
    try {
      writeTupleHeader(w, 3);
      writeSmallInteger(w, Op.SEND);
      writeAtomNamed(w, '');
      writePid(w, to);
      w.u8(131);
      writeTupleHeader(w, 2);
      writeTerm(w, t.tag);
      writeTerm(w, v);
    } catch (e) {
      w.pos = start;
      throw e;
    }
    this.end(start);
  }

  /** A numeric call tag no other call on this channel has. */
  newTag(): number {
    return this.nextTag++;
  }

  /** Remembers an Erlang call tag; returns the numeric tag Grove's server replies with. */
  rememberTag(tag: unknown, kind: ReplyKind = ReplyKind.PLAIN): number {
    const n = this.nextTag++;
    this.tags.set(n, { tag, kind });
    if (this.tags.size > MAX_PENDING_TAGS) this.tags.delete(this.tags.keys().next().value!);
    return n;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.reason ??= reason;
    this.closed = true;
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  // ---- in ----

  private readonly onFrame = (frame: Buffer): void => {
    const h = this.h;
    if (h === null) return;
    this.lastInAt = busyWaitClock();
    if (frame.length === 0) {
      // Erlang ticks only when idle; answer so a peer with a short net_ticktime hears from us.
      if (Date.now() - this.lastWriteAt > 1000) this.write(TICK);
      h.onControl(TICK);
      return;
    }
    if (frame[0] !== 112) throw Object.assign(new Error(`a frame from ${this.peer} that is not a pass-through message (first byte ${frame[0]})`), { code: 'decode' });
    let control: unknown;
    let payload: unknown;
    let replyTag = -1;
    try {
      const r = this.reader;
      r.reset(frame, 1);
      control = this.terms.read(r);
      if (r.pos < r.end) {
        // A reply to a Grove call (`{TagRef, Reply}` sent to a pid) is found by its bytes:
        // only the reply is decoded, the tag read in place.
        replyTag = isSend(frame) ? callReplyTagAt(frame, r.pos, r.end, this.localNodeBytes, this.ctx.localCreation, this.replyAt) : -1;
        if (replyTag >= 0) {
          r.pos = this.replyAt.pos;
          payload = this.terms.readBare(r);
        } else {
          payload = this.terms.read(r);
        }
      }
      if (r.pos < r.end) throw new Error(`${r.end - r.pos} bytes after the payload`);
    } catch (err) {
      throw Object.assign(new Error(`a malformed message from ${this.peer}: ${(err as Error).message}`), { code: 'decode' });
    }
    if (replyTag >= 0) {
      const to = tupleOf(control, 3)?.[2];
      if (to instanceof Pid) return h.onControl({ type: 'reply', to, tag: replyTag, value: this.rpc.incomingReply(replyTag, payload) });
      return this.ignore(control);
    }
    this.dispatch(h, control, payload);
  };

  private dispatch(h: ChannelHandler, control: unknown, payload: unknown): void {
    const t = tupleOf(control);
    const op = t?.[0];
    if (t === undefined || typeof op !== 'number') return this.ignore(control);
    const pid = (i: number): Pid | undefined => (t[i] instanceof Pid ? (t[i] as Pid) : undefined);
    switch (op) {
      case Op.SEND:
      case Op.SEND_SENDER: {
        const to = pid(2);
        if (to === undefined || payload === undefined) return this.ignore(control);
        return this.deliver(h, op === Op.SEND_SENDER ? pid(1) : undefined, to, payload);
      }
      case Op.REG_SEND: {
        const name = t[3];
        if (!isAtom(name) || payload === undefined) return this.ignore(control);
        return this.deliverNamed(h, pid(1), name.name, payload);
      }
      case Op.LINK: {
        const from = pid(1);
        const to = pid(2);
        if (from === undefined || to === undefined) return this.ignore(control);
        return h.onControl({ type: 'link', from, to });
      }
      case Op.UNLINK:
      case Op.UNLINK_ID:
      case Op.UNLINK_ID_ACK: {
        const base = op === Op.UNLINK ? 1 : 2;
        const from = pid(base);
        const to = pid(base + 1);
        if (from === undefined || to === undefined) return this.ignore(control);
        if (op === Op.UNLINK_ID_ACK) return h.onControl({ type: 'unlink_ack', from, to, id: t[1] as number });
        return h.onControl({ type: 'unlink', from, to, id: op === Op.UNLINK ? 0 : (t[1] as number) });
      }
      case Op.EXIT:
      case Op.EXIT2:
      case Op.PAYLOAD_EXIT:
      case Op.PAYLOAD_EXIT2: {
        const from = pid(1);
        const to = pid(2);
        if (from === undefined || to === undefined) return this.ignore(control);
        const reason = exitReasonFromErlang(op === Op.EXIT || op === Op.EXIT2 ? t[3] : payload);
        return h.onControl({ type: op === Op.EXIT || op === Op.PAYLOAD_EXIT ? 'exit' : 'exit2', from, to, reason });
      }
      case Op.MONITOR_P:
      case Op.DEMONITOR_P: {
        const from = pid(1);
        const target = t[2];
        const ref = t[3];
        if (from === undefined || !(ref instanceof Ref)) return this.ignore(control);
        const to = target instanceof Pid ? target : isAtom(target) ? target.name : undefined;
        if (to === undefined) return this.ignore(control);
        return h.onControl({ type: op === Op.MONITOR_P ? 'monitor' : 'demonitor', from, to, ref });
      }
      case Op.MONITOR_P_EXIT:
      case Op.PAYLOAD_MONITOR_P_EXIT: {
        const source = t[1];
        const to = pid(2);
        const ref = t[3];
        if (to === undefined || !(ref instanceof Ref)) return this.ignore(control);
        const from = source instanceof Pid ? source : isAtom(source) ? source.name : undefined;
        if (from === undefined) return this.ignore(control);
        const reason = exitReasonFromErlang(op === Op.MONITOR_P_EXIT ? t[4] : payload);
        return h.onControl({ type: 'monitor_exit', from, to, ref, reason });
      }
      case Op.SPAWN_REQUEST:
        return this.rpc.spawnRequest(h, t, payload);
      default:
        // SPAWN_REPLY (Grove spawns nothing there), NODE_LINK, GROUP_LEADER, ALIAS_SEND
        // (not negotiated), seq-trace variants: nothing to do.
        return this.ignore(control);
    }
  }

  /** A message for a pid: a reply to a Grove call, a `$gen_call`/`$gen_cast`, or a plain message. */
  private deliver(h: ChannelHandler, from: Pid | undefined, to: Pid, msg: unknown): void {
    const two = tupleOf(msg, 2);
    if (two !== undefined) {
      const tag = callTagOf(two[0], this.ctx);
      if (tag !== undefined) {
        const value = this.rpc.incomingReply(tag, two[1]);
        return h.onControl({ type: 'reply', to, tag, value });
      }
    }
    h.onSend(from, to, this.incoming(msg, undefined));
  }

  private deliverNamed(h: ChannelHandler, from: Pid | undefined, name: string, msg: unknown): void {
    // A BEAM node's erpc asks every visible node for its features; Grove's rex speaks
    // another protocol, so that is dropped here, unread (OTP 25 carries on without an
    // answer). OTP global's messages go to the name server (erlang/global_bridge.ts).
    if (name === 'rex' && isAtom(tupleOf(msg, 2)?.[1], 'features_request')) return h.onControl(TICK);
    h.onRegSend(from, name, this.incoming(msg, name));
  }

  /** An Erlang message as Grove expects it: `$gen_call` → GenCall, `$gen_cast` → GenCast. */
  private incoming(msg: unknown, toName: string | undefined): unknown {
    const t = tupleOf(msg);
    if (t === undefined) return msg;
    const pg = pgFromErlang(msg, this.peer);
    if (pg !== undefined) return pg;
    if (t.length === 3 && isAtom(t[0], '$gen_call')) {
      const from = tupleOf(t[1], 2);
      if (from === undefined || !(from[0] instanceof Pid)) return msg;
      const req = t[2];
      const auth = tupleOf(req, 2);
      if (toName === 'net_kernel' && auth !== undefined && isAtom(auth[0], 'is_auth')) {
        const node = isAtom(auth[1]) ? auth[1].name : String(auth[1]);
        return new GenCall({ pid: from[0], tag: this.rememberTag(from[1], ReplyKind.ATOM) }, { type: 'is_auth', node });
      }
      return new GenCall({ pid: from[0], tag: this.rememberTag(from[1]) }, req);
    }
    if (t.length === 2 && isAtom(t[0], '$gen_cast')) return new GenCast(t[1]);
    return msg;
  }

  /** A control message this node has no use for (or cannot read): it still counts as traffic. */
  private ignore(control: unknown): void {
    log.debug(`${this.ctx.localNode}: ignored a control message from ${this.peer}: ${formatTerm(control)}`);
    this.h?.onControl(TICK);
  }

  private readonly onError = (err: Error): void => {
    this.reason ??= closeReason(this.peer, err);
  };

  private readonly onSocketClose = (): void => {
    this.closed = true;
    this.out.reset();
    const h = this.h;
    this.h = null;
    h?.onClose(this.reason ?? 'connection_closed');
  };
}

/** True when a frame's control message starts `{2, ` or `{22, ` (SEND, SEND_SENDER): `'p', 131, SMALL_TUPLE 3, SMALL_INTEGER op`. */
function isSend(frame: Buffer): boolean {
  return frame.length > 6 && frame[2] === E.SMALL_TUPLE && frame[3] === 3 && frame[4] === E.SMALL_INTEGER && (frame[5] === Op.SEND || frame[5] === Op.SEND_SENDER);
}

export { ReplyKind };
