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

export class PortStream extends Duplex {
  private ended = false;

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

  override _read(): void {
    // Messages are pushed as they come; the port has no flow control of its own.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.post(chunk);
    done();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    if (chunks.length === 1) this.post(chunks[0]!.chunk);
    else this.post(Buffer.concat(chunks.map((c) => c.chunk)));
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.port.postMessage(END);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.port.off('message', this.onMessage);
    this.port.close();
    done(err);
  }

  private post(chunk: Buffer): void {
    // One copy of just these bytes (the writer may reuse its buffer, and cloning a view
    // would clone all of the buffer behind it), then moved to the other thread.
    const bytes = new Uint8Array(chunk);
    this.port.postMessage(bytes, [bytes.buffer]);
  }

  private readonly onMessage = (data: unknown): void => {
    if (data === END) {
      this.endRead();
      return;
    }
    if (data instanceof Uint8Array) this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else this.destroy(new Error('a thread link received something other than bytes'));
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
