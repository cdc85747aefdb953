/**
 * A byte stream over a `MessagePort`: what a node connection between two threads of one
 * OS process runs on, in place of a socket. The handshake, the frame writer and the
 * channel run on it unchanged, so a connection between threads is authenticated,
 * framed and ordered as a TCP one is, without a system call or the port mapper.
 *
 * Each write is one `postMessage` of its bytes (the frame writer already batches a
 * turn's frames into one write): one copy, then moved to the other thread. The stream ends when either side closes its port or
 * its thread exits (Node closes a dead thread's ports): the channel then goes down,
 * as on a socket's close.
 *
 * @internal
 */
import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';

const END = 'end';
/** Bytes sent and not yet acknowledged by the reader, past which writes wait (the stream's "socket buffer"). */
const IN_FLIGHT_LIMIT = 4 * 1024 * 1024;
/** The reader acknowledges in steps of at least this much (well under the limit, so a waiting writer always hears). */
const ACK_STEP = 256 * 1024;

export class PortStream extends Duplex {
  private ended = false;
  /** Bytes posted to the other side that its reader has not taken yet. */
  private inFlight = 0;
  /** As a socket's: bytes received and sent so far. */
  bytesRead = 0;
  bytesWritten = 0;
  /** Bytes received and handed to this side's reader, not yet acknowledged. */
  private unacked = 0;
  /** A write waiting for the other side to take what is in flight. */
  private waiting: (() => void) | null = null;

  constructor(private readonly port: MessagePort) {
    super({ allowHalfOpen: false });
    port.on('message', this.onMessage);
    port.once('close', this.onClose);
    port.start();
  }

  /** Where the peer is, for logs (a socket's `remoteAddress`). */
  get remoteAddress(): string {
    return 'thread';
  }

  get remotePort(): number {
    return 0;
  }

  /** As a socket's: there is no Nagle delay between threads. */
  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  setTimeout(): this {
    return this;
  }

  /**
   * The reader wants more: acknowledge what it took, so that the writer on the other
   * side may send more. A MessagePort has no flow control of its own; this is the
   * stream's (a TCP socket's window, in effect), so a slow reader makes the writer's
   * connection busy instead of queueing without bound in the port.
   */
  override _read(): void {
    if (this.unacked >= ACK_STEP) {
      this.port.postMessage(this.unacked);
      this.unacked = 0;
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.post(chunk);
    this.proceed(done);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    if (chunks.length === 1) this.post(chunks[0]!.chunk);
    else this.post(Buffer.concat(chunks.map((c) => c.chunk)));
    this.proceed(done);
  }

  /** Completes a write at once, or once the other side has taken enough of what is in flight. */
  private proceed(done: () => void): void {
    if (this.inFlight <= IN_FLIGHT_LIMIT) done();
    else this.waiting = done;
  }

  override _final(done: (err?: Error | null) => void): void {
    this.port.postMessage(END);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.waiting = null;
    this.port.off('message', this.onMessage);
    this.port.close();
    done(err);
  }

  private post(chunk: Buffer): void {
    // One copy of just these bytes (the writer may reuse its buffer, and cloning a view
    // would clone all of the buffer behind it), then moved to the other thread.
    const bytes = new Uint8Array(chunk);
    this.inFlight += bytes.byteLength;
    this.bytesWritten += bytes.byteLength;
    this.port.postMessage(bytes, [bytes.buffer]);
  }

  private readonly onMessage = (data: unknown): void => {
    if (typeof data === 'number') {
      // The other side's reader took `data` bytes.
      this.inFlight -= data;
      const waiting = this.waiting;
      if (waiting !== null && this.inFlight <= IN_FLIGHT_LIMIT) {
        this.waiting = null;
        waiting();
      }
      return;
    }
    if (data === END) {
      this.endRead();
      return;
    }
    if (!(data instanceof Uint8Array)) {
      this.destroy(new Error('a thread link received something other than bytes'));
      return;
    }
    this.unacked += data.byteLength;
    this.bytesRead += data.byteLength;
    // A reader that keeps up is acknowledged now; one that is behind, when it asks for more (_read).
    if (this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) this._read();
  };

  private readonly onClose = (): void => {
    this.endRead();
    if (!this.destroyed) this.destroy();
  };

  private endRead(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
  }
}
