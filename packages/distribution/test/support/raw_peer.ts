/**
 * A hand-driven handshake peer for protocol tests: it sends and reads raw
 * handshake messages, so tests can misbehave on purpose (garbage, early frames,
 * wrong order) and check the other side's refusal.
 */
import type * as net from 'node:net';
import { FrameDecoder, decodeHandshake, encodeFrame, encodeHandshake, type HandshakeMsg } from '@grove/distribution/internal';

export class RawPeer {
  private readonly queue: Buffer[] = [];
  private waiting: ((f: Buffer) => void) | null = null;
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    const decoder = new FrameDecoder((f) => {
      if (this.waiting !== null) {
        const w = this.waiting;
        this.waiting = null;
        w(Buffer.from(f));
      } else this.queue.push(Buffer.from(f));
    });
    socket.on('data', (c: Buffer) => decoder.push(c));
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  /** Writes messages (and raw frames) in one socket write. */
  send(...msgs: Array<HandshakeMsg | Buffer>): void {
    this.socket.write(Buffer.concat(msgs.map((m) => encodeFrame(Buffer.isBuffer(m) ? m : encodeHandshake(m)))));
  }

  /** The next frame, decoded as a handshake message. */
  async next(): Promise<HandshakeMsg> {
    const frame = this.queue.shift() ?? (await new Promise<Buffer>((r) => (this.waiting = r)));
    return decodeHandshake(frame);
  }
}
