/**
 * Messages larger than a frame, sent in fragments (OTP's `DFLAG_FRAGMENTS`, on Grove's
 * own wire): the sender encodes such a message on its own (a batch of one, with a
 * fresh atom cache, so that it may be sent later than batches encoded after it), and
 * sends its bytes in fragment frames interleaved with the connection's ordinary
 * batches; the receiver copies the fragments into one buffer and decodes it as a batch
 * once the last one arrives.
 *
 * A fragment frame is a protobuf `Batch` whose only field is field 2 (an ordinary
 * batch starts with field 1, key 0x0a):
 *
 * ```proto
 * message Fragment { uint64 total = 1; bool last = 2; bytes data = 3; }
 * message Batch { repeated Envelope messages = 1; Fragment fragment = 2; }
 * ```
 *
 * `total` (the message's size) is on the first fragment only, so the receiver refuses
 * a message over its `maxMessageBytes` before buffering any of it. Fragments of one
 * message are sent one message at a time, in order: a message's fragments never
 * interleave with another's.
 *
 * @internal
 */
import { MessageTooLargeError } from '../errors';
import { putVarint, varintSize, WireReader } from './wire';

/** The first byte of a fragment frame (Batch field 2, length-delimited). */
export const FRAGMENT_KEY = 0x12;
/** Default largest message, in bytes, once reassembled (and largest one a node sends): 128 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

/** The key of a message's sender, for per-sender order; messages with no sender share one. */
const ANONYMOUS = '';

/** One message waiting to be sent in fragments. */
interface Pending {
  readonly sender: string;
  readonly data: Buffer;
  off: number;
}

/**
 * The messages of one connection that go in fragments, in the order they were
 * queued, and which senders have one queued (their next messages must queue behind).
 */
export class FragmentQueue {
  private readonly items: Pending[] = [];
  private head = 0;
  private readonly senders = new Map<string, number>();
  /** Bytes not yet handed out as fragments. */
  bytes = 0;

  get empty(): boolean {
    return this.head === this.items.length;
  }

  /**
   * True when a message from `sender` (a pid's key, or undefined) must queue here to
   * keep its order: that sender, or a message with no sender (which may be any
   * process's: a call reply), has one queued.
   */
  holds(sender: string | undefined): boolean {
    return this.senders.has(sender ?? ANONYMOUS) || this.senders.has(ANONYMOUS);
  }

  /** Queues a message's bytes (an encoded batch). */
  push(sender: string | undefined, data: Buffer): void {
    const key = sender ?? ANONYMOUS;
    this.items.push({ sender: key, data, off: 0 });
    this.senders.set(key, (this.senders.get(key) ?? 0) + 1);
    this.bytes += data.length;
  }

  /** The body of the next fragment frame (at most `maxData` bytes of data), or null when empty. */
  next(maxData: number): Buffer | null {
    if (this.empty) return null;
    const item = this.items[this.head]!;
    const first = item.off === 0;
    const n = Math.min(maxData, item.data.length - item.off);
    const last = item.off + n === item.data.length;
    const body = fragmentFrame(first ? item.data.length : 0, last, item.data, item.off, n);
    item.off += n;
    this.bytes -= n;
    if (last) this.done(item);
    return body;
  }

  /** Forgets everything (the connection is going). */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
    this.senders.clear();
    this.bytes = 0;
  }

  private done(item: Pending): void {
    this.items[this.head++] = undefined as unknown as Pending;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    const left = this.senders.get(item.sender)! - 1;
    if (left === 0) this.senders.delete(item.sender);
    else this.senders.set(item.sender, left);
  }
}

/** A fragment frame's body: `n` bytes of `data` from `off`; `total` > 0 on the first one. */
export function fragmentFrame(total: number, last: boolean, data: Uint8Array, off: number, n: number): Buffer {
  const inner = (total > 0 ? 1 + varintSize(total) : 0) + (last ? 2 : 0) + 1 + varintSize(n) + n;
  const out = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
  let pos = 0;
  out[pos++] = FRAGMENT_KEY;
  pos = putVarint(out, pos, inner);
  if (total > 0) {
    out[pos++] = 0x08;
    pos = putVarint(out, pos, total);
  }
  if (last) {
    out[pos++] = 0x10;
    out[pos++] = 1;
  }
  out[pos++] = 0x1a;
  pos = putVarint(out, pos, n);
  out.set(data.subarray(off, off + n), pos);
  return out;
}

/**
 * The receiving side: fragments in, whole messages out. At most one message is being
 * reassembled at a time; its size, announced by its first fragment, must be within
 * `maxBytes`, and its fragments must add up to exactly that size.
 */
export class Reassembly {
  private buf: Buffer | null = null;
  private filled = 0;
  private readonly reader = new WireReader();

  constructor(readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes of the message being reassembled (its announced size), 0 when none. */
  get bytes(): number {
    return this.buf === null ? 0 : this.buf.length;
  }

  /**
   * Takes one fragment frame; returns the whole message once its last fragment is in.
   *
   * @throws DecodeError on a malformed fragment or one out of sequence;
   *   MessageTooLargeError when the announced size is over `maxBytes`.
   */
  add(frame: Buffer): Buffer | null {
    const r = this.reader;
    r.reset(frame);
    if (r.u8() !== FRAGMENT_KEY) r.fail('not a fragment frame', 0);
    const len = r.length('fragment');
    if (r.pos + len !== r.end) r.fail('a fragment frame holds one fragment and nothing else');
    let total = 0;
    let last = false;
    let dataStart = -1;
    let dataLength = 0;
    while (r.pos < r.end) {
      const at = r.pos;
      const key = r.uint32();
      if (key === 0x08) total = r.varint();
      else if (key === 0x10) last = r.varint() !== 0;
      else if (key === 0x1a) {
        dataLength = r.length('fragment data');
        dataStart = r.pos;
        r.pos += dataLength;
      } else if (key >>> 3 > 3) r.skipField(key & 7);
      else r.fail(`bad field key 0x${key.toString(16)} in a fragment`, at);
    }
    if (dataStart < 0) r.fail('fragment without data');
    if (this.buf === null) {
      if (total === 0) r.fail('a message\'s first fragment must carry its size (a continuation arrived with no message begun)');
      if (total > this.maxBytes) throw new MessageTooLargeError(total, this.maxBytes);
      this.buf = Buffer.allocUnsafe(total);
      this.filled = 0;
    } else if (total !== 0) {
      r.fail(`a new message began before the last one (${this.filled} of ${this.buf.length} bytes) ended`);
    }
    const buf = this.buf;
    if (this.filled + dataLength > buf.length) r.fail(`fragments add up to more than the ${buf.length} bytes announced`);
    frame.copy(buf, this.filled, dataStart, dataStart + dataLength);
    this.filled += dataLength;
    if (!last) return null;
    if (this.filled !== buf.length) r.fail(`the last fragment ends the message at ${this.filled} of the ${buf.length} bytes announced`);
    this.buf = null;
    this.filled = 0;
    return buf;
  }
}
