/**
 * A {@link Channel} over an authenticated socket: control messages are encoded
 * into one batch per tick (`ControlEncoder`, no per-message buffer), the batch goes
 * out as one frame (`FrameWriter`, never blocking the sender), and incoming frames
 * are decoded batch by batch (`ControlDecoder`) straight into the connection.
 *
 * A frame that does not decode, or a length prefix over the maximum frame size,
 * destroys this socket only: the connection goes down (`nodedown`, `noconnection`)
 * and every other connection carries on. An empty frame is a tick (as Erlang's).
 *
 * Internal to the package, not part of its API.
 */
import type { Socket } from 'node:net';
import { getLogger, type Pid } from '@grove/core';
import type { Channel, ChannelHandler, Control } from './transport';
import { ControlEncoder } from '../wire/control';
import { ControlDecoder, type ControlFastPath } from '../wire/control_decode';
import { FrameWriter } from '../wire/frame_writer';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, readFrames } from '../wire/framing';

/** A batch this large is written at once instead of at the end of the tick (bounds frame size and latency). */
const FLUSH_BYTES = 256 * 1024;
/** Below this a batch always fits a frame: see the constructor. */
const MIN_FRAME_BYTES = 1024;
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
  return code === 'frame_too_large' ? 'frame_too_large' : code === 'decode' ? 'bad_frame' : 'connection_closed';
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

  constructor(
    private readonly socket: Socket,
    id: ChannelIdentity,
    options: {
      maxFrameBytes?: number;
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
    this.flushAt = Math.min(FLUSH_BYTES, Math.floor(maxFrameBytes / 4));
    this.enc = new ControlEncoder({ maxBytes: maxFrameBytes - this.flushAt });
    this.dec = new ControlDecoder({ localNode: id.localName, localCreation: id.localCreation }, this.inbound);
    this.writer = new FrameWriter(socket, { maxFrameBytes });
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

  write(c: Control): void {
    if (this.closed) return;
    if (this.enc.length >= this.flushAt) this.flush();
    this.enc.encode(c);
    this.schedule();
  }

  send(from: Pid | undefined, to: Pid, msg: unknown): void {
    if (this.closed) return;
    if (this.enc.length >= this.flushAt) this.flush();
    this.enc.send(from, to, msg);
    this.schedule();
  }

  regSend(from: Pid | undefined, to: string, msg: unknown): void {
    if (this.closed) return;
    if (this.enc.length >= this.flushAt) this.flush();
    this.enc.regSend(from, to, msg);
    this.schedule();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.reason ??= reason;
    this.flush();
    this.closed = true;
    this.writer.close();
    // Let what was queued go out, then make sure the socket is gone even if the peer never answers the FIN.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(this.flushScheduled);
  }

  private readonly flushScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private flush(): void {
    if (this.enc.count === 0) return;
    try {
      this.writer.write(this.enc.take());
    } catch (err) {
      // Cannot happen by the sizing above; if it did, end this connection, not the OS process.
      this.socket.destroy(err as Error);
    }
  }

  private readonly onFrame = (frame: Buffer): void => {
    const h = this.h;
    if (h === null) return;
    if (frame.length === 0) h.onControl(TICK);
    else this.dec.decode(frame, this.onMessage);
    // Decoding outran dispatch: stop reading (the decoder keeps the rest of the chunk,
    // the kernel the rest of the stream) until the node has caught up.
    if (!this.inputHeld && h.holdInput !== undefined && h.holdInput(this.resumeInput)) {
      this.inputHeld = true;
      this.decoder.pause();
      this.socket.pause();
    }
  };

  private readonly resumeInput = (): void => {
    this.inputHeld = false;
    if (this.closed && this.h === null) return;
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
    const h = this.h;
    this.h = null;
    h?.onClose(this.reason ?? 'connection_closed');
  };
}
