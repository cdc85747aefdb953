/**
 * A {@link Channel} over an authenticated socket: control messages are encoded
 * into one batch per event-loop turn (`ControlEncoder`, no per-message buffer, built
 * behind its frame's length prefix), the batch goes out as one frame without a copy
 * (`FrameWriter`, never blocking the sender), and incoming frames
 * are decoded batch by batch (`ControlDecoder`) straight into the connection.
 *
 * A frame that does not decode, or a length prefix over the maximum frame size,
 * destroys this socket only: the connection goes down (`nodedown`, `noconnection`)
 * and every other connection carries on. An empty frame is a tick (as Erlang's).
 *
 * Large messages: a message that does not fit a batch under the frame limit is
 * encoded on its own and sent in fragments (`wire/fragment.ts`), a window of them at a
 * time as the socket drains, so batches of other senders go out between them. A
 * sender with a message in fragments queues its next messages behind it (order per
 * sender); so does every sender behind a message with no sender (a call reply).
 *
 * Back-pressure (OTP's `dist_buf_busy_limit`, `busy_port.ts`): past `distBufBusyLimit`
 * bytes pending the channel is busy, and `write`/`send` return false so the connection
 * holds the sending process until {@link SocketChannel.drained}; past
 * `maxSendQueueBytes` messages are dropped and counted (a sender that cannot be held:
 * the node itself, or a process that sends without yielding).
 *
 * Internal to the package, not part of its API.
 */
import type { Socket } from 'node:net';
import { getLogger, type Pid } from '@grove/core';
import type { Channel, ChannelHandler, ChannelStats, Control } from './transport';
import { ControlEncoder } from '../wire/control';
import { ControlDecoder, type ControlFastPath } from '../wire/control_decode';
import { DEFAULT_MAX_MESSAGE_BYTES, FRAGMENT_KEY, FragmentQueue, Reassembly } from '../wire/fragment';
import { FrameWriter } from '../wire/frame_writer';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, readFrames } from '../wire/framing';
import { BATCH_FULL } from '../wire/wire';
import { InAtomCache, OutAtomCache } from '../wire/atom_cache';
import { SlicedDecode } from '../wire/term_slices';
import { busyWaitClock, busyWaitForAnswer } from './busy_wait';
import { BusyPort, DEFAULT_DIST_BUF_BUSY_LIMIT, DEFAULT_MAX_SEND_QUEUE_BYTES } from './busy_port';

/** A batch this large is written at once instead of at the end of the tick (bounds frame size and latency). */
const FLUSH_BYTES = 256 * 1024;
/** Below this a batch always fits a frame: see the constructor. */
const MIN_FRAME_BYTES = 1024;
/** Largest fragment's data (less when a quarter of the frame limit is less). */
const FRAGMENT_BYTES = 256 * 1024;
/** A reassembled message over this size is decoded a slice at a time, the event loop turning between slices. */
const SLICED_DECODE_BYTES = 256 * 1024;
/** One slice: at most this many terms, or a little over this many bytes. */
const SLICE_TERMS = 4096;
const SLICE_BYTES = 256 * 1024;
const TICK: Control = { type: 'tick' };
const log = getLogger('dist');

/** Who is at each end, as the handshake established. */
export interface ChannelIdentity {
  readonly localName: string;
  readonly localCreation: number;
  readonly peer: string;
  readonly peerCreation: number;
  readonly peerHidden: boolean;
}

/** Delivers the frames a channel's decoder held until its connection adopted it; a failure destroys the socket. @internal */
export function startReading(decoder: FrameDecoder, socket: Socket): void {
  try {
    decoder.resume();
  } catch (err) {
    socket.destroy(err as Error);
  }
}

/** The nodedown reason for a channel's socket error (`frame_too_large`, `bad_frame`, `connection_closed`), logged. @internal */
export function closeReason(peer: string, err: Error): string {
  const code = (err as { code?: unknown }).code;
  log.warn(`connection to ${peer} closed: ${err.message}`);
  return code === 'frame_too_large' || code === 'message_too_large' ? code : code === 'decode' ? 'bad_frame' : 'connection_closed';
}

/** The limits of one channel (`startDistributed` options of the same names). */
export interface ChannelLimits {
  maxFrameBytes?: number;
  maxMessageBytes?: number;
  distBufBusyLimit?: number;
  maxSendQueueBytes?: number;
  /** Microseconds the event loop keeps polling after a write (`busy_wait.ts`); 0: none. */
  busyWaitUs?: number;
}

export class SocketChannel implements Channel {
  private h: ChannelHandler | null = null;
  private reading = false;
  private readonly decoder: FrameDecoder;
  readonly peer: string;
  readonly peerCreation: number;
  readonly peerHidden: boolean;
  private readonly enc: ControlEncoder;
  private readonly dec: ControlDecoder;
  private readonly writer: FrameWriter;
  private scheduled = false;
  private readonly flushAt: number;
  private closed = false;
  /** Reading is paused until the node's scheduler catches up (see `onFrame`). */
  private inputHeld = false;
  private reason: string | null = null;
  private readonly context: { localNode: string; localCreation: number };
  private readonly maxMessageBytes: number;
  private readonly fragmentBytes: number;
  /** Messages going in fragments; null when none (the fast path's one check). */
  private out: FragmentQueue | null = null;
  private readonly spare = new FragmentQueue();
  private pumpArmed = false;
  private readonly reassembly: Reassembly;
  /** A large message being decoded a slice at a time (input is paused meanwhile). */
  private slicing: SlicedDecode | null = null;
  private readonly port: BusyPort;
  private fragmentedOut = 0;
  private fragmentedIn = 0;
  private readonly busyWaitUs: number;
  /** When a frame last came in (`busyWaitClock`): a write polls for the answer only while the peer talks. */
  private lastInAt = busyWaitClock();

  constructor(
    /** @internal */
    readonly socket: Socket,
    id: ChannelIdentity,
    options: ChannelLimits & {
      /** The handshake's decoder (paused, maybe holding frames that came right behind it). */
      decoder?: FrameDecoder;
    } = {},
  ) {
    this.peer = id.peer;
    this.peerCreation = id.peerCreation;
    this.peerHidden = id.peerHidden;
    const maxFrameBytes = Math.max(MIN_FRAME_BYTES, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    // A batch is flushed before a message is added once it holds flushAt bytes, and the
    // encoder refuses (at the sender) to grow past maxFrameBytes - flushAt: so a batch
    // never makes a frame over the maximum, and a message of up to half of it always fits.
    // A larger message goes in fragments (see `overflow`).
    this.flushAt = Math.min(FLUSH_BYTES, Math.floor(maxFrameBytes / 4));
    this.fragmentBytes = Math.min(FRAGMENT_BYTES, Math.floor(maxFrameBytes / 4));
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.busyWaitUs = options.busyWaitUs ?? 0;
    const busyLimit = options.distBufBusyLimit ?? DEFAULT_DIST_BUF_BUSY_LIMIT;
    this.port = new BusyPort(this, busyLimit, options.maxSendQueueBytes ?? DEFAULT_MAX_SEND_QUEUE_BYTES);
    this.enc = new ControlEncoder({ maxBytes: maxFrameBytes - this.flushAt, split: true, framed: true });
    this.context = { localNode: id.localName, localCreation: id.localCreation };
    this.dec = new ControlDecoder(this.context, this.inbound);
    this.reassembly = new Reassembly(this.maxMessageBytes);
    this.writer = new FrameWriter(socket, { maxFrameBytes, highWaterMark: busyLimit });
    socket.on('error', this.onError);
    socket.once('close', this.onSocketClose);
    if (options.decoder !== undefined) {
      this.decoder = options.decoder;
      this.decoder.pause();
      this.decoder.onFrame = this.onFrame;
    } else {
      this.decoder = new FrameDecoder(this.onFrame, { maxFrameBytes });
      this.decoder.pause();
    }
    readFrames(socket, this.decoder);
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

  write(c: Control): boolean {
    if (this.closed) return true;
    if (this.port.busy && this.port.drops(c)) return false;
    if (this.out !== null && this.out.holds(senderOf(c))) return this.detach(c);
    if (this.enc.length >= this.flushAt) this.handOver();
    try {
      this.enc.encode(c);
    } catch (e) {
      if (e !== BATCH_FULL) throw e;
      return this.overflow(c);
    }
    this.schedule();
    return !this.port.busy;
  }

  send(from: Pid | undefined, to: Pid, msg: unknown): boolean {
    if (this.closed) return true;
    if ((this.out !== null && this.out.holds(from?.key)) || this.port.busy) return this.write({ type: 'send', from, to, msg });
    if (this.enc.length >= this.flushAt) this.handOver();
    try {
      this.enc.send(from, to, msg);
    } catch (e) {
      if (e !== BATCH_FULL) throw e;
      return this.overflow({ type: 'send', from, to, msg });
    }
    this.schedule();
    return !this.port.busy;
  }

  regSend(from: Pid | undefined, to: string, msg: unknown): boolean {
    if (this.closed) return true;
    if ((this.out !== null && this.out.holds(from?.key)) || this.port.busy) return this.write({ type: 'reg_send', from, to, msg });
    if (this.enc.length >= this.flushAt) this.handOver();
    try {
      this.enc.regSend(from, to, msg);
    } catch (e) {
      if (e !== BATCH_FULL) throw e;
      return this.overflow({ type: 'reg_send', from, to, msg });
    }
    this.schedule();
    return !this.port.busy;
  }

  drained(): PromiseLike<void> {
    return this.port.drained();
  }

  stats(): ChannelStats {
    return {
      pendingBytes: this.pendingBytes(),
      busy: this.port.busy,
      busyCount: this.port.busyCount,
      droppedMessages: this.port.dropped,
      fragmentedOut: this.fragmentedOut,
      fragmentedIn: this.fragmentedIn,
      reassemblyBytes: this.reassembly.bytes || (this.slicing?.size ?? 0),
      bytesIn: this.socket.bytesRead,
      bytesOut: this.socket.bytesWritten,
    };
  }

  /** The batch being built, frames queued, the socket's buffer and fragments not sent yet. @internal */
  pendingBytes(): number {
    return this.enc.length + this.writer.pendingBytes + (this.out?.bytes ?? 0);
  }

  /** A message that does not fit the batch: after the batch if it fits an empty one, else in fragments. */
  private overflow(c: Control): boolean {
    if (this.enc.count > 0) {
      this.handOver();
      try {
        this.enc.encode(c);
        this.schedule();
        return !this.port.busy;
      } catch (e) {
        if (e !== BATCH_FULL) throw e;
      }
    }
    return this.detach(c);
  }

  /**
   * Encodes `c` on its own (a fresh atom cache: it may go out after batches encoded
   * later) and queues it to go in fragments, after what was batched so far.
   */
  private detach(c: Control): boolean {
    const enc = new ControlEncoder({ maxBytes: this.maxMessageBytes, atoms: new OutAtomCache(0) });
    enc.encode(c);
    const data = enc.writer.view(); // the encoder is dropped: its buffer is the message's, no copy
    this.handOver();
    const out = (this.out ??= this.spare);
    out.push(senderOf(c), data);
    this.fragmentedOut++;
    if (!this.pumpArmed) this.pump();
    return !this.port.busy;
  }

  /** Hands fragments to the writer while it holds less than a window of bytes, then waits for the socket. */
  private readonly pump = (): void => {
    this.pumpArmed = false;
    const out = this.out;
    if (out === null || this.closed) return;
    const window = 2 * this.fragmentBytes;
    while (!out.empty && this.writer.pendingBytes < window) this.writer.write(out.next(this.fragmentBytes)!);
    this.writer.flush();
    if (out.empty) this.out = null;
    else {
      this.pumpArmed = true;
      if (this.writer.pendingBytes >= window) this.socket.once('drain', this.pump);
      else setImmediate(this.pump);
    }
    this.port.update();
  };

  close(reason: string): void {
    if (this.closed) return;
    this.reason ??= reason;
    this.handOver();
    this.closed = true;
    this.writer.close();
    this.out?.clear();
    this.out = null;
    this.port.close();
    // Let what was queued go out, then make sure the socket is gone even if the peer never answers the FIN.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /**
   * One hop per batch: what this event-loop turn sends goes out at its end (the
   * check phase, after the I/O callbacks of the turn), the batch handed to the socket
   * as the frame it was built as (no copy, no second hop through the writer's own
   * schedule). A turn's sends share one write.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushScheduled);
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.handOver(true);
    // The answer, if one comes, is read without a wake-up (BEAM's scheduler busy wait).
    busyWaitForAnswer(this.busyWaitUs, this.lastInAt);
  };

  /** Writes the batch now, rather than at the end of the event-loop turn. */
  flush(): void {
    this.handOver(true);
  }

  /** Hands the batch to the writer; `now`: written at once, else at the writer's end of turn. */
  private handOver(now = false): void {
    if (this.enc.count === 0) return;
    if (!this.writer.writeFrames(this.enc.takeFrame(), 1, now) && !this.port.busy) this.port.update();
  }

  private readonly onFrame = (frame: Buffer): void => {
    const h = this.h;
    if (h === null) return;
    this.lastInAt = busyWaitClock();
    if (frame.length === 0) h.onControl(TICK);
    else if (frame[0] === FRAGMENT_KEY) this.fragment(frame);
    else this.dec.decode(frame, this.onMessage);
    // Decoding outran dispatch: stop reading (the decoder keeps the rest of the chunk,
    // the kernel the rest of the stream) until the node has caught up.
    if (!this.inputHeld && h.holdInput !== undefined && h.holdInput(this.resumeInput)) {
      this.inputHeld = true;
      this.decoder.pause();
      this.socket.pause();
    }
  };

  /**
   * A fragment. Once a message's last one is in, it is decoded as it was encoded: with
   * no atom cache; a large one a slice at a time, reading nothing more meanwhile (the
   * messages behind it wait their turn).
   */
  private fragment(frame: Buffer): void {
    const whole = this.reassembly.add(frame);
    if (whole === null) return;
    this.fragmentedIn++;
    const dec = new ControlDecoder({ ...this.context, atoms: new InAtomCache(0) }, this.inbound);
    if (whole.length <= SLICED_DECODE_BYTES) {
      dec.decode(whole, this.onMessage);
      return;
    }
    this.slicing = new SlicedDecode(dec, whole);
    this.decoder.pause();
    this.socket.pause();
    setImmediate(this.decodeSlice);
  }

  private readonly decodeSlice = (): void => {
    const job = this.slicing;
    if (job === null || this.h === null) return;
    try {
      if (!job.step(SLICE_TERMS, SLICE_BYTES)) {
        setImmediate(this.decodeSlice);
        return;
      }
      this.slicing = null;
      job.finish(this.onMessage);
    } catch (err) {
      this.slicing = null;
      this.socket.destroy(err as Error);
      return;
    }
    if (!this.inputHeld) this.resumeInput();
  };

  private readonly resumeInput = (): void => {
    this.inputHeld = false;
    if ((this.closed && this.h === null) || this.slicing !== null) return;
    this.socket.resume();
    this.decoder.resume();
  };

  private readonly onMessage = (m: Control): void => {
    this.h?.onControl(m);
  };

  /** SEND and REG_SEND go from the decoder to the handler as fields: no message object each. */
  private readonly inbound: ControlFastPath = {
    send: (from, to, msg) => this.h?.onSend(from, to, msg),
    regSend: (from, to, msg) => this.h?.onRegSend(from, to, msg),
  };

  private readonly onError = (err: Error): void => {
    this.reason ??= closeReason(this.peer, err);
  };

  private readonly onSocketClose = (): void => {
    this.closed = true;
    this.writer.drop();
    this.out?.clear();
    this.out = null;
    this.port.close();
    const h = this.h;
    this.h = null;
    h?.onClose(this.reason ?? 'connection_closed');
  };
}

/** The sending process of a control message, by key (undefined: none, as a call reply). */
function senderOf(c: Control): string | undefined {
  switch (c.type) {
    case 'send':
    case 'reg_send':
    case 'spawn_request':
    case 'link':
    case 'unlink':
    case 'unlink_ack':
    case 'exit':
    case 'exit2':
    case 'monitor':
    case 'demonitor':
      return c.from?.key;
    case 'monitor_exit':
      return typeof c.from === 'string' ? undefined : c.from.key;
    default:
      return undefined;
  }
}
