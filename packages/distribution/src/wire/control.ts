/**
 * The encoder of control messages (types and schema: `control_message.ts`), which
 * batches them.
 *
 * Each message is a protobuf `Envelope` written as one `Batch.messages` entry, so a
 * batch of any number of messages is a valid protobuf `Batch` and is built in one
 * reused buffer: the transport calls the encoder's methods during a tick and
 * {@link ControlEncoder.take} once per frame. The encoder writes protobuf by hand (no
 * intermediate objects, no per-message Buffer); the tests check its output against
 * protobufjs.
 *
 * A batch is held to the receiver's decoding budget (`term_format.ts`): a message that
 * would put its batch's terms over `decodeBudget` of the batch's bytes is refused, as
 * the receiver would refuse the frame (and close the connection). With `split` that is
 * `BATCH_FULL` (the transport sends it after the batch, or on its own); a message over
 * the budget on its own is a NotCopyableError to its sender.
 */
import { BadArgError, NotCopyableError, type Pid, type Ref } from '@grove/core';
import { Op, type ControlMessage } from './control_message';
import { checkPid, checkRef, overBudgetError, TermEncoder } from './term';
import { DECODE_BUDGET_BASE, decodeBudget, type TermCodecOptions } from './term_format';
import { BATCH_FULL, DEFAULT_MAX_BYTES, fieldText, isVarint, putVarint, WireWriter } from './wire';
import { FRAME_HEADER_BYTES } from './framing';
import type { OutAtomCache } from './atom_cache';

/** Options of a control encoder or decoder. */
export interface ControlCodecOptions extends TermCodecOptions {
  /** Largest batch the encoder may build, in bytes (default 64 MiB). */
  maxBytes?: number;
  /**
   * A message that would grow the batch past `maxBytes`, or its terms past the
   * decoding budget of its bytes, throws `BATCH_FULL` (and leaves the batch as it was)
   * instead of a NotCopyableError: the transport then sends it after the batch, or on
   * its own, in fragments.
   */
  split?: boolean;
  /** The outgoing atom cache (default: a new one; `new OutAtomCache(0)` for a message that stands alone). */
  atoms?: OutAtomCache;
  /**
   * Build each batch behind a reserved frame length prefix (`framing.ts`), to be taken
   * with {@link ControlEncoder.takeFrame} as a ready frame: no copy to frame it.
   */
  framed?: boolean;
  /**
   * false: batches are not held to the receiver's decoding budget (only for
   * tests that play a hostile peer). Default true.
   */
  budget?: boolean;
}

// Field keys: (field number << 3) | wire type (0 varint, 2 length-delimited).
const LEN = 2;

/**
 * Builds batches of control messages for one outgoing connection (it owns that
 * direction's atom cache, so its batches must be sent in the order they are taken).
 * A message that fails to encode (not copyable) throws at the caller and leaves the
 * batch as it was.
 */
export class ControlEncoder {
  /** The buffer the current batch is built in. */
  readonly writer: WireWriter;
  /** The payload encoder (and the connection's outgoing atom cache). */
  readonly terms: TermEncoder;
  /** Messages in the current batch. */
  count = 0;
  /** Bytes reserved for the frame prefix at the start of the buffer (0 or 4). */
  private readonly prefix: number;
  private start = 0;
  private atomMark = 0;
  private envMark = 0;
  private bodyMark = 0;
  /** The batch's term cost (`TermEncoder.cost`) before the message being written. */
  private costMark = 0;
  private readonly split: boolean;
  /** The budget batches are held to: Infinity when `budget: false`. */
  private readonly budgetBase: number;

  constructor(options: ControlCodecOptions = {}) {
    this.prefix = options.framed === true ? FRAME_HEADER_BYTES : 0;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.writer = new WireWriter(8192, maxBytes + this.prefix, options.split === true);
    this.writer.pos = this.prefix;
    this.split = options.split === true;
    this.budgetBase = options.budget === false ? Infinity : DECODE_BUDGET_BASE;
    this.terms = new TermEncoder(this.writer, options);
  }

  /** Bytes in the current batch. */
  get length(): number {
    return this.writer.pos - this.prefix;
  }

  /** The current batch as a new Buffer (a protobuf `Batch`); starts the next batch. Not for a `framed` encoder. */
  take(): Buffer {
    this.count = 0;
    this.terms.cost = 0;
    return this.writer.take();
  }

  /**
   * The current batch as one frame (length prefix, then the `Batch`) in a Buffer of its
   * own, the encoder's buffer itself when the batch fills most of it; starts the next
   * batch. Only for a `framed` encoder.
   */
  takeFrame(): Buffer {
    const w = this.writer;
    w.buf.writeUInt32BE(w.pos - FRAME_HEADER_BYTES, 0);
    this.count = 0;
    this.terms.cost = 0;
    const frame = w.takeOwned();
    w.pos = FRAME_HEADER_BYTES;
    return frame;
  }

  /** Any control message. */
  encode(m: ControlMessage): void {
    switch (m.type) {
      case 'send':
        return this.send(m.from, m.to, m.msg);
      case 'reg_send':
        return this.regSend(m.from, m.to, m.msg);
      case 'reply':
        return this.reply(m.to, m.tag, m.value);
      case 'link':
        return this.link(m.from, m.to);
      case 'unlink':
        return this.unlink(m.from, m.to, m.id);
      case 'unlink_ack':
        return this.unlinkAck(m.from, m.to, m.id);
      case 'exit':
        return this.exit(m.from, m.to, m.reason);
      case 'exit2':
        return this.exit2(m.from, m.to, m.reason);
      case 'monitor':
        return this.monitor(m.from, m.to, m.ref);
      case 'demonitor':
        return this.demonitor(m.from, m.to, m.ref);
      case 'monitor_exit':
        return this.monitorExit(m.from, m.to, m.ref, m.reason);
      case 'spawn_request':
        return this.spawnRequest(m.ref, m.from, m.name, m.args, m.link, m.monitor, m.options);
      case 'spawn_reply':
        return this.spawnResult(m.ref, m.to, m.link, m.monitor, m.pid, m.reason);
      case 'tick':
        return this.tick();
    }
  }

  // SEND and REG_SEND are the hot path: each has its own code (measured: sharing
  // one method with EXIT and EXIT2, whose layout is the same, costs 5-10%).

  /** SEND: `msg` to the pid `to`. */
  send(from: Pid | undefined, to: Pid, msg: unknown): void {
    this.open(Op.SEND);
    try {
      if (from !== undefined) this.pid(1, from);
      this.pid(2, to);
      this.term(3, msg);
    } catch (e) {
      this.abort(e, msg);
    }
    this.close();
  }

  /** REG_SEND: `msg` to the name `to` on the receiving node. */
  regSend(from: Pid | undefined, to: string, msg: unknown): void {
    this.open(Op.REG_SEND);
    try {
      if (from !== undefined) this.pid(1, from);
      this.name(2, 4, to);
      this.term(3, msg);
    } catch (e) {
      this.abort(e, msg);
    }
    this.close();
  }

  /** REPLY: `value` for the call `tag` of `to`. A tag no varint carries throws (a NotCopyableError), writing nothing. */
  reply(to: Pid, tag: number, value: unknown): void {
    if (!isVarint(tag)) throw new NotCopyableError('$', `a reply's tag must be an integer from 0 to 2^53 - 1, got ${fieldText(tag)}`);
    this.open(Op.REPLY);
    try {
      this.pid(1, to);
      this.uint(2, tag);
      this.term(3, value);
    } catch (e) {
      this.abort(e, value);
    }
    this.close();
  }

  link(from: Pid, to: Pid): void {
    this.pair(Op.LINK, from, to);
  }

  unlink(from: Pid, to: Pid, id: number): void {
    this.pair(Op.UNLINK, from, to, id);
  }

  unlinkAck(from: Pid, to: Pid, id: number): void {
    this.pair(Op.UNLINK_ACK, from, to, id);
  }

  /** EXIT: the linked process `from` died with `reason`. */
  exit(from: Pid, to: Pid, reason: unknown): void {
    this.pairTerm(Op.EXIT, from, to, reason);
  }

  /** EXIT2: `from` called `exit(to, reason)`. */
  exit2(from: Pid, to: Pid, reason: unknown): void {
    this.pairTerm(Op.EXIT2, from, to, reason);
  }

  monitor(from: Pid, to: Pid | string, ref: Ref): void {
    this.monitorOp(Op.MONITOR, from, to, ref);
  }

  demonitor(from: Pid, to: Pid | string, ref: Ref): void {
    this.monitorOp(Op.DEMONITOR, from, to, ref);
  }

  /** MONITOR_EXIT: what `to` monitored (a pid, or a name of this node) is gone. */
  monitorExit(from: Pid | string, to: Pid, ref: Ref, reason: unknown): void {
    this.open(Op.MONITOR_EXIT);
    try {
      if (typeof from === 'string') this.name(2, 6, from);
      else this.pid(1, from);
      this.pid(3, to);
      this.ref(4, ref);
      this.term(5, reason);
    } catch (e) {
      this.abort(e, reason);
    }
    this.close();
  }

  spawnRequest(ref: Ref, from: Pid, name: string, args: readonly unknown[], link: boolean, monitor: boolean, options?: unknown): void {
    this.open(Op.SPAWN_REQUEST);
    try {
      this.ref(1, ref);
      this.pid(2, from);
      this.string(3, name);
      this.term(4, args);
      this.bool(5, link);
      this.bool(6, monitor);
      if (options !== undefined) this.term(7, options);
    } catch (e) {
      this.abort(e, [args, options]);
    }
    this.close();
  }

  /** SPAWN_REPLY for a spawn that succeeded. */
  spawnReply(ref: Ref, to: Pid, link: boolean, monitor: boolean, pid: Pid): void {
    this.spawnResult(ref, to, link, monitor, pid, undefined);
  }

  /** SPAWN_REPLY for a spawn that failed with `reason`. */
  spawnReplyError(ref: Ref, to: Pid, link: boolean, monitor: boolean, reason: unknown): void {
    this.spawnResult(ref, to, link, monitor, undefined, reason);
  }

  tick(): void {
    this.open(Op.TICK);
    this.close();
  }

  // ---- building blocks ----

  private open(op: Op): void {
    const w = this.writer;
    if (w.pos + 8 > w.buf.length) w.ensure(8);
    const buf = w.buf;
    let pos = w.pos;
    this.start = pos;
    this.atomMark = this.terms.atoms.mark();
    this.costMark = this.terms.cost;
    buf[pos++] = 0x0a; // Batch.messages
    this.envMark = pos++;
    const key = op * 8 + LEN; // below 2^14: one or two bytes
    if (key < 0x80) buf[pos++] = key;
    else {
      buf[pos++] = (key & 0x7f) | 0x80;
      buf[pos++] = key >>> 7;
    }
    this.bodyMark = pos++;
    w.pos = pos;
  }

  private close(): void {
    const w = this.writer;
    const body = w.pos - this.bodyMark - 1;
    const envelope = w.pos - this.envMark - 1;
    // Most messages are short: both lengths fit their one reserved byte.
    if (envelope < 0x80) {
      w.buf[this.bodyMark] = body;
      w.buf[this.envMark] = envelope;
    } else {
      w.endLength(this.bodyMark);
      w.endLength(this.envMark);
    }
    // Under the budget's base nothing can be over it: one comparison per message.
    const cost = this.terms.cost;
    if (cost > this.budgetBase && cost > decodeBudget(this.length)) this.overBudget(cost);
    this.count++;
  }

  /** The message just written would make the receiver refuse the batch: undone, and refused. */
  private overBudget(cost: number): never {
    const bytes = this.length;
    this.undo();
    if (this.split) throw BATCH_FULL;
    throw overBudgetError(cost, bytes, this.count === 0 ? 'the message' : `the batch with this message (after ${this.count} others)`);
  }

  private undo(): void {
    this.writer.pos = this.start;
    this.terms.atoms.rollback(this.atomMark);
    this.terms.cost = this.costMark;
  }

  private abort(e: unknown, root: unknown): never {
    this.undo();
    throw this.terms.explain(e, root);
  }

  /** LINK, UNLINK, UNLINK_ACK: `from` (1), `to` (2), the unlink's `id` (3). */
  private pair(op: Op, from: Pid, to: Pid, id?: number): void {
    this.open(op);
    try {
      this.pid(1, from);
      this.pid(2, to);
      if (id !== undefined) this.uint(3, id);
    } catch (e) {
      this.abort(e, undefined);
    }
    this.close();
  }

  /** EXIT and EXIT2: `from` (1), `to` (2), `reason` (3). */
  private pairTerm(op: Op, from: Pid, to: Pid, reason: unknown): void {
    this.open(op);
    try {
      this.pid(1, from);
      this.pid(2, to);
      this.term(3, reason);
    } catch (e) {
      this.abort(e, reason);
    }
    this.close();
  }

  /** MONITOR, DEMONITOR: `from` (1), `to` (a pid in 2, or a name in 3 or 5), `ref` (4). */
  private monitorOp(op: Op, from: Pid, to: Pid | string, ref: Ref): void {
    this.open(op);
    try {
      this.pid(1, from);
      if (typeof to === 'string') this.name(3, 5, to);
      else this.pid(2, to);
      this.ref(4, ref);
    } catch (e) {
      this.abort(e, undefined);
    }
    this.close();
  }

  /** SPAWN_REPLY: the spawned `pid` (5), or the `reason` (6) it failed. */
  private spawnResult(ref: Ref, to: Pid, link: boolean, monitor: boolean, pid: Pid | undefined, reason: unknown): void {
    this.open(Op.SPAWN_REPLY);
    try {
      this.ref(1, ref);
      this.pid(2, to);
      this.bool(3, link);
      this.bool(4, monitor);
      if (pid !== undefined) this.pid(5, pid);
      else this.term(6, reason);
    } catch (e) {
      this.abort(e, reason);
    }
    this.close();
  }

  /** A `Pid` sub-message: node (index or name), id, serial (when not 0), creation. */
  private pid(field: number, p: Pid): void {
    checkPid(p);
    const w = this.writer;
    const i = this.terms.atoms.lookup(p.node);
    if (i >= 0) {
      // The common case, written in place (the fields were checked): at most
      // 2 + 1 + 2 + 1 + 8 + 2 * 6 bytes, so the length prefix is one byte.
      if (w.pos + 36 > w.buf.length) w.ensure(36);
      const buf = w.buf;
      let pos = w.pos;
      buf[pos++] = (field << 3) | LEN;
      const m = pos++;
      buf[pos++] = 0x08;
      pos = putVarint(buf, pos, i);
      buf[pos++] = 0x18;
      pos = putVarint(buf, pos, p.id);
      if (p.serial !== 0) {
        buf[pos++] = 0x20;
        pos = putVarint(buf, pos, p.serial);
      }
      buf[pos++] = 0x28;
      pos = putVarint(buf, pos, p.creation);
      buf[m] = pos - m - 1;
      w.pos = pos;
      return;
    }
    w.u8((field << 3) | LEN);
    const m = w.beginLength();
    this.name(2, 1, p.node); // node_name (2) or node_index (1)
    w.u8(0x18);
    w.varint(p.id);
    if (p.serial !== 0) {
      w.u8(0x20);
      w.varint(p.serial);
    }
    w.u8(0x28);
    w.varint(p.creation);
    w.endLength(m);
  }

  /** A `Ref` sub-message: node (index or name), creation, id. */
  private ref(field: number, r: Ref): void {
    checkRef(r);
    const w = this.writer;
    w.u8((field << 3) | LEN);
    const m = w.beginLength();
    this.name(2, 1, r.node);
    w.u8(0x18);
    w.varint(r.creation);
    w.u8(0x20);
    w.varint(r.id);
    w.endLength(m);
  }

  private term(field: number, v: unknown): void {
    const w = this.writer;
    w.u8((field << 3) | LEN);
    const m = w.beginLength();
    this.terms.write(v);
    w.endLength(m);
  }

  /** A string field (only SPAWN_REQUEST's name: rare, so no ASCII fast path). */
  private string(field: number, s: string): void {
    if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) {
      throw new BadArgError(`the name ${JSON.stringify(s)} contains a lone surrogate and cannot be sent`, s);
    }
    const w = this.writer;
    const n = Buffer.byteLength(s, 'utf8');
    w.u8((field << 3) | LEN);
    w.varint(n);
    w.ensure(n);
    w.utf8(s, n);
  }

  /** A name (registered, or a node's): its atom-cache index in `indexField`, or in full in `field` (then cached). */
  private name(field: number, indexField: number, s: string): void {
    const w = this.writer;
    const i = this.terms.atoms.lookup(s);
    if (i >= 0) {
      w.u8(indexField << 3);
      w.varint(i);
      return;
    }
    const n = this.terms.atoms.add(s);
    w.u8((field << 3) | LEN);
    w.varint(n);
    w.ensure(n);
    w.utf8(s, n);
  }

  private uint(field: number, n: number): void {
    this.writer.u8(field << 3);
    this.writer.varint(n);
  }

  private bool(field: number, b: boolean): void {
    if (!b) return;
    this.writer.u8(field << 3);
    this.writer.u8(1);
  }
}
