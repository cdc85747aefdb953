/**
 * Decoding batches of control messages from a peer. The bytes must be a protobuf
 * `Batch` as the encoder writes it (`control.ts`; schema: `control_message.ts`):
 * every length is checked, sub-messages may not overrun their length, required
 * fields must be present, unknown fields are skipped (protobuf's rule, so fields can
 * be added), an unknown envelope kind is an error (peers agree on the message set at
 * handshake).
 * Any problem throws a {@link DecodeError}, and the transport closes the connection.
 */
import type { Pid, Ref } from '@grove/core';
import { Op, type ControlMessage } from './control_message';
import { CACHED_STRING_MAX, ShortStringCache, type InAtomCache } from './atom_cache';
import { TermDecoder, type DecodeContext } from './term_decode';
import { WireReader } from './wire';

const enum K {
  PID,
  REF,
  TERM,
  STRING,
  BOOL,
  UINT,
  /** A registered name in full: offered to the atom cache. */
  NAME,
  /** A registered name as its atom-cache index. */
  NAME_INDEX,
}

// Field layouts by field number - 1, as in the schema (control_message.ts); SEND and
// REG_SEND are parsed inline by `send`.
const FROM_TO = [K.PID, K.PID];
const LAYOUT_LIST: [number, readonly K[]][] = [
  [Op.SEND, [K.PID, K.PID, K.TERM]],
  [Op.REG_SEND, [K.PID, K.NAME, K.TERM, K.NAME_INDEX]],
  [Op.REPLY, [K.PID, K.UINT, K.TERM]],
  [Op.LINK, FROM_TO],
  [Op.UNLINK, [K.PID, K.PID, K.UINT]],
  [Op.UNLINK_ACK, [K.PID, K.PID, K.UINT]],
  [Op.EXIT, [K.PID, K.PID, K.TERM]],
  [Op.EXIT2, [K.PID, K.PID, K.TERM]],
  [Op.MONITOR, [K.PID, K.PID, K.NAME, K.REF, K.NAME_INDEX]],
  [Op.DEMONITOR, [K.PID, K.PID, K.NAME, K.REF, K.NAME_INDEX]],
  [Op.MONITOR_EXIT, [K.PID, K.NAME, K.PID, K.REF, K.TERM, K.NAME_INDEX]],
  [Op.SPAWN_REQUEST, [K.REF, K.PID, K.STRING, K.TERM, K.BOOL, K.BOOL, K.TERM]],
  [Op.SPAWN_REPLY, [K.REF, K.PID, K.BOOL, K.BOOL, K.PID, K.TERM]],
  [Op.TICK, []],
];

const NAME_LIST: [number, string][] = [
  [Op.SEND, 'send'], [Op.REG_SEND, 'reg_send'], [Op.REPLY, 'reply'], [Op.LINK, 'link'], [Op.UNLINK, 'unlink'],
  [Op.UNLINK_ACK, 'unlink_ack'], [Op.EXIT, 'exit'], [Op.EXIT2, 'exit2'], [Op.MONITOR, 'monitor'],
  [Op.DEMONITOR, 'demonitor'], [Op.MONITOR_EXIT, 'monitor_exit'], [Op.SPAWN_REQUEST, 'spawn_request'],
  [Op.SPAWN_REPLY, 'spawn_reply'], [Op.TICK, 'tick'],
];

// Arrays indexed by envelope field number: a lookup per message, cheaper than a Map.
const LAYOUTS: (readonly K[] | undefined)[] = new Array<readonly K[] | undefined>(128).fill(undefined);
const NAMES: string[] = new Array<string>(128).fill('');
for (const [op, layout] of LAYOUT_LIST) LAYOUTS[op] = layout;
for (const [op, name] of NAME_LIST) NAMES[op] = name;

/**
 * Direct callbacks for the most frequent messages. With them, a SEND or REG_SEND is
 * handed over as its fields and no message object is allocated for it; every other
 * message still goes to `onMessage`, all in stream order.
 */
export interface ControlFastPath {
  send(from: Pid | undefined, to: Pid, msg: unknown): void;
  regSend(from: Pid | undefined, to: string, msg: unknown): void;
}

// Bytes to string, so every connection of the thread can share it (see term_decode.ts).
const sharedNames = new ShortStringCache();

/** The last pid decoded in one kind of field, and its bytes when it can be matched by them. */
class PidMemo {
  pid: Pid | null = null;
  readonly bytes = new Uint8Array(32);
  /** Length of `bytes`, or -1 when the last pid must not be matched by its bytes. */
  length = -1;
}

/**
 * Decodes batches for one incoming connection (it owns that direction's atom
 * cache, so batches must be decoded in the order they arrived). Not re-entrant.
 */
export class ControlDecoder {
  /** The cursor over the batch being decoded. */
  readonly reader = new WireReader();
  /** The payload decoder (and the connection's incoming atom cache). */
  readonly terms: TermDecoder;
  // Field values of the message being decoded, by field number; `seen` has bit n for field n.
  private readonly slots: unknown[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  private seen = 0;
  private op = 0;
  /** The pid decoded last in a `from` field, and in any other pid field (see `pid`). */
  private readonly fromPid = new PidMemo();
  private readonly otherPid = new PidMemo();
  /** REG_SEND names (and other control strings): the same few names, every message; one table for the thread. */
  private readonly names = sharedNames;

  // The SEND / REG_SEND being decoded (see `send`).
  private sendFrom: Pid | undefined = undefined;
  private sendTo: Pid | string | undefined = undefined;
  private sendMsg: unknown = undefined;

  constructor(
    context: DecodeContext & { atoms?: InAtomCache },
    /** Optional direct delivery of SEND and REG_SEND. */
    private readonly fast: ControlFastPath | null = null,
  ) {
    this.terms = new TermDecoder(this.reader, context);
  }

  /**
   * Decodes the batch in `buf[start, end)` and calls `onMessage` with each message in
   * order. Returns the number of messages. Throws a DecodeError on malformed input
   * (messages before the bad one have been delivered).
   */
  decode(buf: Uint8Array, onMessage: (m: ControlMessage) => void, start = 0, end = buf.length): number {
    const r: WireReader = this.reader;
    r.reset(buf, start, end);
    this.terms.setBudget(end - start);
    let count = 0;
    while (r.pos < end) {
      if (r.buf[r.pos] !== 0x0a) r.fail(`expected a Batch.messages entry (key 0x0a), got 0x${r.buf[r.pos]!.toString(16)}`);
      r.pos++;
      const len = r.length('envelope');
      const envEnd = r.pos + len;
      r.end = envEnd;
      const m = this.envelope();
      r.end = end;
      if (m !== null) onMessage(m);
      count++;
    }
    return count;
  }

  /**
   * Where the payload terms of the batch in `buf` are (`[start, end)` pairs, in
   * order): a light scan of the envelopes that decodes nothing, so that the terms can
   * be decoded ahead, a slice at a time (`term_slices.ts`). Only for a batch encoded
   * to stand alone (no atom cache): its terms never refer to names in the envelopes.
   */
  payloads(buf: Uint8Array): number[] {
    const r: WireReader = this.reader;
    r.reset(buf);
    const out: number[] = [];
    while (r.pos < r.end) {
      if (r.u8() !== 0x0a) r.fail('expected a Batch.messages entry (key 0x0a)', r.pos - 1);
      const envLength = r.length('envelope');
      const envEnd = r.pos + envLength;
      const key = r.uint32();
      const layout = LAYOUTS[key >>> 3];
      if (layout === undefined || (key & 7) !== 2) r.fail(`unknown control message (envelope field ${key >>> 3})`);
      const bodyLength = r.length('control message');
      const end = r.pos + bodyLength;
      while (r.pos < end) {
        const fieldKey = r.uint32();
        if ((fieldKey & 7) === 2 && layout![(fieldKey >>> 3) - 1] === K.TERM) {
          const n = r.length('term');
          out.push(r.pos, r.pos + n);
          r.pos += n;
        } else {
          r.skipField(fieldKey & 7);
        }
      }
      if (r.pos !== envEnd) r.fail('envelope carries more than one control message');
    }
    return out;
  }

  /** Decodes a whole batch into an array. */
  decodeAll(buf: Uint8Array, start = 0, end = buf.length): ControlMessage[] {
    const out: ControlMessage[] = [];
    this.decode(buf, (m) => out.push(m), start, end);
    return out;
  }

  /** One envelope; null when it went to the fast path. */
  private envelope(): ControlMessage | null {
    const r: WireReader = this.reader;
    if (r.pos >= r.end) r.fail('empty envelope: no control message');
    const at = r.pos;
    const key = r.uint32();
    const op = key >>> 3;
    const layout = op < LAYOUTS.length ? LAYOUTS[op] : undefined;
    if (layout === undefined) return r.fail(`unknown control message (envelope field ${op})`, at);
    if ((key & 7) !== 2) r.fail(`control message ${NAMES[op]} has wire type ${key & 7}, expected 2`, at);
    const envEnd = r.end;
    const bodyLength = r.length('control message');
    r.end = r.pos + bodyLength;
    this.op = op;
    if (op === Op.SEND || op === Op.REG_SEND) {
      const reg = op === Op.REG_SEND;
      this.send(reg);
      r.end = envEnd;
      if (r.pos !== envEnd) r.fail('envelope carries more than one control message');
      const from = this.sendFrom;
      const to = this.sendTo;
      const msg = this.sendMsg;
      this.sendFrom = this.sendTo = this.sendMsg = undefined; // hold nothing between messages
      const fast = this.fast;
      if (fast !== null) {
        if (reg) fast.regSend(from, to as string, msg);
        else fast.send(from, to as Pid, msg);
        return null;
      }
      return reg ? { type: 'reg_send', from, to: to as string, msg } : { type: 'send', from, to: to as Pid, msg };
    }
    this.fields(layout);
    const m = this.build(op);
    r.end = envEnd;
    if (r.pos !== envEnd) r.fail('envelope carries more than one control message');
    return m;
  }

  /**
   * SEND and REG_SEND (`reg`: `to` is a name), the most frequent messages, parsed
   * inline: no generic field slots, no layout lookup.
   */
  private send(reg: boolean): void {
    const r: WireReader = this.reader;
    let from: Pid | undefined;
    let to: Pid | string | undefined;
    let msg: unknown;
    let hasMsg = false;
    while (r.pos < r.end) {
      const at = r.pos;
      const key = r.uint32();
      if (key === 0x1a) {
        const outer = this.enter();
        msg = this.terms.read();
        this.leave(outer);
        hasMsg = true;
      } else if (key === 0x12) {
        if (reg) {
          to = this.value(K.NAME) as string;
        } else {
          const outer = this.enter();
          to = this.pid(this.otherPid);
          this.leave(outer);
        }
      } else if (key === 0x0a) {
        const outer = this.enter();
        from = this.pid(this.fromPid);
        this.leave(outer);
      } else if (key === 0x20 && reg) {
        to = this.terms.atomAt(r.varint(), at);
      } else {
        const field = key >>> 3;
        if (field === 0) r.fail('protobuf field number 0', at);
        if (field <= (reg ? 4 : 3)) r.fail(`field ${field} of ${reg ? 'reg_send' : 'send'} has wire type ${key & 7}, expected 2`, at);
        r.skipField(key & 7);
      }
    }
    if (to === undefined) return r.fail(`${reg ? 'reg_send' : 'send'} without to`);
    if (!hasMsg) r.fail(`${reg ? 'reg_send' : 'send'} without payload`);
    this.sendFrom = from;
    this.sendTo = to;
    this.sendMsg = msg;
  }

  private fields(layout: readonly K[]): void {
    const r: WireReader = this.reader;
    const s = this.slots;
    for (let i = 0; i < 8; i++) s[i] = undefined;
    this.seen = 0;
    while (r.pos < r.end) {
      const at = r.pos;
      const key = r.uint32();
      const field = key >>> 3;
      const wire = key & 7;
      if (field === 0) r.fail('protobuf field number 0', at);
      const kind = layout[field - 1];
      if (kind === undefined) {
        r.skipField(wire);
        continue;
      }
      const want = kind === K.BOOL || kind === K.UINT || kind === K.NAME_INDEX ? 0 : 2;
      if (wire !== want) r.fail(`field ${field} of ${NAMES[this.op]} has wire type ${wire}, expected ${want}`, at);
      s[field] = this.value(kind);
      this.seen |= 1 << field;
    }
  }

  private value(kind: K): unknown {
    const r: WireReader = this.reader;
    switch (kind) {
      case K.PID: {
        const outer = this.enter();
        const v = this.pid(this.otherPid);
        this.leave(outer);
        return v;
      }
      case K.REF: {
        const outer = this.enter();
        const v = this.ref();
        this.leave(outer);
        return v;
      }
      case K.TERM: {
        const outer = this.enter();
        const v = this.terms.read();
        this.leave(outer);
        return v;
      }
      case K.STRING: {
        const n = r.length('string');
        if (n > 0 && n <= CACHED_STRING_MAX) {
          const cached = this.names.get(r.buf, r.pos, n);
          if (cached !== undefined) {
            r.pos += n;
            return cached;
          }
        }
        return this.terms.atomText(n);
      }
      case K.NAME:
        return this.terms.atomText(r.length('name'), true);
      case K.NAME_INDEX: {
        const at = r.pos;
        return this.terms.atomAt(r.varint(), at);
      }
      case K.BOOL:
        return r.varint() !== 0;
      case K.UINT:
        return r.varint();
    }
  }

  /** Narrows the reader to the length-delimited field that starts here; returns the outer end. */
  private enter(): number {
    const r: WireReader = this.reader;
    const n = r.length('field');
    const outer = r.end;
    r.end = r.pos + n;
    return outer;
  }

  /** Checks the field was consumed exactly and widens the reader back to `outer`. */
  private leave(outer: number): void {
    const r: WireReader = this.reader;
    if (r.pos !== r.end) r.fail(`${r.end - r.pos} unread bytes at the end of a field of ${NAMES[this.op]}`);
    r.end = outer;
  }

  /** A Pid sub-message; `memo` holds the last one decoded in that kind of field. */
  private pid(memo: PidMemo): Pid {
    const r: WireReader = this.reader;
    const buf = r.buf;
    const start = r.pos;
    const n = r.end - start;
    // A stream of sends repeats the same sender: the very bytes of the last pid (with
    // its node as an atom-cache index, which never changes meaning on a connection)
    // give the same Pid (immutable) again, without parsing.
    const lastBytes = memo.bytes;
    if (n === memo.length) {
      let i = 0;
      while (i < n && buf[start + i] === lastBytes[i]) i++;
      if (i === n) {
        r.pos = r.end;
        return memo.pid!;
      }
    }
    let node: string | undefined;
    let id = 0;
    let serial = 0;
    let creation = 0;
    let nodeInFull = false;
    while (r.pos < r.end) {
      const at = r.pos;
      const key = r.uint32();
      if (key === 0x08) node = this.terms.atomAt(r.varint(), at);
      else if (key === 0x12) {
        node = this.terms.atomText(r.length('node name'), true);
        nodeInFull = true;
      } else if (key === 0x18) id = r.varint();
      else if (key === 0x20) serial = r.uint32();
      else if (key === 0x28) creation = r.uint32();
      else if (key >>> 3 > 5 && key >>> 3 !== 0) r.skipField(key & 7);
      else r.fail(`bad field key 0x${key.toString(16)} in a pid`, at);
    }
    if (node === undefined) r.fail('pid without a node');
    const p = this.terms.makePid(node, id, serial, creation);
    memo.pid = p;
    // A node name in full also adds to the atom cache: such bytes must be parsed every time.
    if (!nodeInFull && n <= lastBytes.length) {
      lastBytes.set(buf.subarray(start, start + n));
      memo.length = n;
    } else {
      memo.length = -1;
    }
    return p;
  }

  private ref(): Ref {
    const r: WireReader = this.reader;
    let node: string | undefined;
    let creation = 0;
    let id = 0;
    while (r.pos < r.end) {
      const at = r.pos;
      const key = r.uint32();
      if (key === 0x08) node = this.terms.atomAt(r.varint(), at);
      else if (key === 0x12) node = this.terms.atomText(r.length('node name'), true);
      else if (key === 0x18) creation = r.uint32();
      else if (key === 0x20) id = r.varint();
      else if (key >>> 3 > 4 && key >>> 3 !== 0) r.skipField(key & 7);
      else r.fail(`bad field key 0x${key.toString(16)} in a ref`, at);
    }
    if (node === undefined) r.fail('ref without a node');
    return this.terms.makeRef(node, creation, id);
  }

  /** Field `n`, which the message must have. */
  private need<V>(n: number, what: string): V {
    if ((this.seen & (1 << n)) === 0) this.reader.fail(`${NAMES[this.op]} without ${what}`);
    return this.slots[n] as V;
  }

  /** Exactly one of the fields whose bits are set in `mask` (a protobuf oneof). */
  private oneOf<V>(mask: number, what: string): V {
    const present = this.seen & mask;
    if (present === 0 || (present & (present - 1)) !== 0) this.reader.fail(`${NAMES[this.op]} needs exactly one ${what}`);
    return this.slots[31 - Math.clz32(present)] as V;
  }

  /** Exactly one of fields `a` and `b` (a protobuf oneof). */
  private either<V>(a: number, b: number, what: string): V {
    const has = (this.seen >> a) & 1 ? ((this.seen >> b) & 1 ? 2 : 1) : (this.seen >> b) & 1;
    if (has !== 1) this.reader.fail(`${NAMES[this.op]} needs exactly one ${what}`);
    return this.slots[(this.seen >> a) & 1 ? a : b] as V;
  }

  /** The message from the fields just read (SEND and REG_SEND never get here: see `send`). */
  private build(op: number): ControlMessage {
    const s = this.slots;
    switch (op) {
      case Op.REPLY:
        return { type: 'reply', to: this.need<Pid>(1, 'to'), tag: this.need<number>(2, 'tag'), value: this.need(3, 'value') };
      case Op.LINK:
        return { type: 'link', from: this.need<Pid>(1, 'from'), to: this.need<Pid>(2, 'to') };
      case Op.UNLINK:
      case Op.UNLINK_ACK:
        return { type: op === Op.UNLINK ? 'unlink' : 'unlink_ack', from: this.need<Pid>(1, 'from'), to: this.need<Pid>(2, 'to'), id: (s[3] as number | undefined) ?? 0 };
      case Op.EXIT:
      case Op.EXIT2:
        return { type: op === Op.EXIT ? 'exit' : 'exit2', from: this.need<Pid>(1, 'from'), to: this.need<Pid>(2, 'to'), reason: this.need(3, 'reason') };
      case Op.MONITOR:
      case Op.DEMONITOR:
        return { type: op === Op.MONITOR ? 'monitor' : 'demonitor', from: this.need<Pid>(1, 'from'), to: this.oneOf<Pid | string>((1 << 2) | (1 << 3) | (1 << 5), 'target'), ref: this.need<Ref>(4, 'ref') };
      case Op.MONITOR_EXIT:
        return { type: 'monitor_exit', from: this.oneOf<Pid | string>((1 << 1) | (1 << 2) | (1 << 6), 'source'), to: this.need<Pid>(3, 'to'), ref: this.need<Ref>(4, 'ref'), reason: this.need(5, 'reason') };
      case Op.SPAWN_REQUEST: {
        const args = this.need<unknown>(4, 'args');
        if (!Array.isArray(args)) return this.reader.fail('spawn_request args must be an array');
        return { type: 'spawn_request', ref: this.need<Ref>(1, 'ref'), from: this.need(2, 'from'), name: this.need<string>(3, 'name'), args, link: s[5] === true, monitor: s[6] === true, options: s[7] };
      }
      case Op.SPAWN_REPLY: {
        const ok = ((this.seen >> 5) & 1) === 1;
        this.either(5, 6, 'result');
        return { type: 'spawn_reply', ref: this.need<Ref>(1, 'ref'), to: this.need<Pid>(2, 'to'), link: s[3] === true, monitor: s[4] === true, pid: ok ? (s[5] as Pid) : undefined, reason: ok ? undefined : s[6] };
      }
      default:
        return { type: 'tick' };
    }
  }
}
