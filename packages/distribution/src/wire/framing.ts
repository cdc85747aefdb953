/**
 * Length-prefixed frames: a 4-byte big-endian length, then that many bytes.
 *
 * Erlang's distribution uses the same framing once connected (`{packet, 4}`); a frame
 * of length 0 is its heartbeat tick, and here too an empty frame is delivered as an
 * empty buffer so the connection manager can use it as a tick.
 *
 * Reading ({@link FrameDecoder}): frames that sit whole in one chunk are delivered as
 * views of that chunk (no copy); a frame split across chunks is copied once, when its
 * last byte arrives. A length prefix over the maximum frame size fails before anything
 * is allocated for it. Writing: `frame_writer.ts`.
 */
import type { Duplex } from 'node:stream';
import { FrameTooLargeError } from '../errors';

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;
/**
 * Default maximum frame size: 1 MiB. A message larger than a frame goes in fragments
 * (`fragment.ts`), so the limit bounds what one frame costs to buffer and decode (with
 * the decoder's budget, `term_decode.ts`: at most about 64 bytes of heap per byte),
 * not what a message may be.
 */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** The frame `payload` as one buffer: length prefix then bytes. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Called with each whole frame's payload. */
export type FrameHandler = (frame: Buffer) => void;

export interface FrameDecoderOptions {
  /** Largest frame accepted, in bytes. Default {@link DEFAULT_MAX_FRAME_BYTES}. */
  maxFrameBytes?: number;
}

/**
 * A streaming frame decoder: `push` socket chunks in, whole frames come out through
 * `onFrame`, in order. A frame buffer stays valid after `onFrame` returns (it may be a
 * view of the socket chunk, so it keeps that chunk alive while it is held).
 *
 * `pause()` (even from inside `onFrame`) stops delivery; the rest is kept, and
 * `resume()` delivers it. That lets a handshake hand the stream over to the
 * connection without losing a frame that arrived in the same chunk.
 *
 * A length prefix over `maxFrameBytes` throws {@link FrameTooLargeError} from `push`,
 * and the decoder stays failed: close the connection.
 */
export class FrameDecoder {
  private max = DEFAULT_MAX_FRAME_BYTES;
  /** Where frames go; may be replaced at any time (a handshake hands over by doing so). */
  onFrame: FrameHandler;
  /**
   * Where a failure met by `resume()` goes (an oversized frame that was held while
   * paused); `readFrames` sets it to destroy the socket. Unset, `resume()` throws it.
   */
  onError: ((err: Error) => void) | undefined;
  /** The socket `readFrames` feeds this decoder from, and how to stop. @internal */
  source: { socket: Duplex; detach: () => void } | undefined;
  private pausedFlag = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Length of the frame being assembled from parts, or -1. */
  private want = -1;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  private failure: Error | null = null;

  constructor(onFrame: FrameHandler, options: FrameDecoderOptions = {}) {
    this.onFrame = onFrame;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Largest frame accepted; may change between frames (a handshake raises it at handover). */
  get maxFrameBytes(): number {
    return this.max;
  }

  set maxFrameBytes(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`maxFrameBytes must be an integer from 0 to 2^32-1, got ${value}`);
    }
    this.max = value;
  }

  /** True while paused. */
  get paused(): boolean {
    return this.pausedFlag;
  }

  /** Bytes received but not yet delivered as frames. */
  get bufferedBytes(): number {
    return this.heldBytes + this.headerFilled + this.partsBytes;
  }

  /** The error that failed this decoder, if any. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Stops delivering frames; what arrives meanwhile is kept. */
  pause(): void {
    this.pausedFlag = true;
  }

  /** Delivers what was kept while paused, then carries on. */
  resume(): void {
    this.pausedFlag = false;
    try {
      while (this.held.length > 0 && !this.pausedFlag) {
        const chunk = this.held.shift()!;
        this.heldBytes -= chunk.length;
        this.push(chunk);
      }
    } catch (err) {
      if (this.onError === undefined) throw err;
      this.onError(err as Error);
    }
  }

  /**
   * Feeds one chunk. Frames complete in it are delivered before `push` returns.
   *
   * @throws FrameTooLargeError on an oversized length prefix (and on every push after).
   */
  push(chunk: Buffer): void {
    if (this.failure !== null) throw this.failure;
    if (this.pausedFlag) return this.hold(chunk);
    const n = chunk.length;
    let off = 0;
    if (this.want >= 0) {
      off = this.fillParts(chunk);
      if (this.want >= 0 || this.pausedFlag) return this.hold(chunk.subarray(off));
    }
    if (this.headerFilled > 0) {
      const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, n - off);
      chunk.copy(this.header, this.headerFilled, off, off + take);
      this.headerFilled += take;
      off += take;
      if (this.headerFilled < FRAME_HEADER_BYTES) return;
      this.headerFilled = 0;
      off = this.startFrame(this.header.readUInt32BE(0), chunk, off);
      if (this.pausedFlag) return this.hold(chunk.subarray(off));
    }
    // The fast path: whole frames read straight out of the chunk.
    while (off < n) {
      if (n - off < FRAME_HEADER_BYTES) {
        chunk.copy(this.header, 0, off, n);
        this.headerFilled = n - off;
        return;
      }
      off = this.startFrame(chunk.readUInt32BE(off), chunk, off + FRAME_HEADER_BYTES);
      if (this.pausedFlag) return this.hold(chunk.subarray(off));
    }
  }

  /** Starts a frame of `len` bytes whose body begins at `off`; returns the new offset. */
  private startFrame(len: number, chunk: Buffer, off: number): number {
    if (len > this.max) {
      this.failure = new FrameTooLargeError(len, this.max);
      this.parts = [];
      this.partsBytes = 0;
      throw this.failure;
    }
    if (chunk.length - off >= len) {
      this.onFrame(len === 0 ? EMPTY : chunk.subarray(off, off + len));
      return off + len;
    }
    this.want = len;
    return this.fillParts(chunk.subarray(off)) + off;
  }

  /** Adds bytes of `chunk` to the frame being assembled; returns how many were used. */
  private fillParts(chunk: Buffer): number {
    const take = Math.min(this.want - this.partsBytes, chunk.length);
    if (take > 0) {
      this.parts.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      this.partsBytes += take;
    }
    if (this.partsBytes === this.want) {
      const frame = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.want);
      this.parts = [];
      this.partsBytes = 0;
      this.want = -1;
      this.onFrame(frame);
    }
    return take;
  }

  private hold(rest: Buffer): void {
    if (rest.length === 0) return;
    this.held.push(rest);
    this.heldBytes += rest.length;
  }
}

/**
 * Feeds `socket`'s data into `decoder`. A decoding failure (an oversized frame, or
 * a handler that throws) destroys the socket with that error, so its `error` and
 * `close` events report it. Returns a function that detaches the decoder again.
 * Calling it again for the same socket and decoder changes nothing (a handshake
 * result's decoder is already attached).
 */
export function readFrames(socket: Duplex, decoder: FrameDecoder): () => void {
  if (decoder.source?.socket === socket) return decoder.source.detach;
  decoder.source?.detach();
  const fail = (err: Error): void => {
    socket.destroy(err);
  };
  const onData = (chunk: Buffer): void => {
    try {
      decoder.push(chunk);
    } catch (err) {
      fail(err as Error);
    }
  };
  socket.on('data', onData);
  decoder.onError = fail;
  const detach = (): void => {
    socket.off('data', onData);
    if (decoder.source?.detach === detach) {
      decoder.source = undefined;
      decoder.onError = undefined;
    }
  };
  decoder.source = { socket, detach };
  return detach;
}
