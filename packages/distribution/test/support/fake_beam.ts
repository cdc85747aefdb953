/**
 * A fake BEAM node for the tests of the Erlang side of a Grove node: it speaks
 * Erlang's handshake and frames over a raw socket, writes what a test tells it (even
 * what a real one never would) and keeps the frames the Grove node sends.
 */
import * as net from 'node:net';
import { Pid } from '@grove/core';
import { binaryToTerm, termToBinary, isTuple, type Tuple } from '@grove/distribution';
import { initiateErlangHandshake } from '@grove/distribution/internal';
import { TCP_COOKIE } from './tcp_nodes';

const COOKIE = TCP_COOKIE;
let seq = 0;

/** A fake BEAM node connected to `target` (a Grove node): it writes frames and reads the Grove node's. */
export class FakeBeam {
  readonly frames: Buffer[] = [];
  private buf = Buffer.alloc(0);
  private constructor(readonly name: string, readonly socket: net.Socket) {}

  static async connect(target: { name: string; address: { port: number } }, cookie = COOKIE): Promise<FakeBeam> {
    const name = `fake${++seq}_${process.pid}@127.0.0.1`;
    const socket = net.connect(target.address.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const hs = await initiateErlangHandshake(socket, { name, creation: 7, cookie: () => cookie, hidden: false, timeoutMs: 5000, peer: target.name });
    const f = new FakeBeam(name, socket);
    socket.on('data', (d: Buffer) => f.onData(d));
    if (hs.rest.length > 0) f.onData(hs.rest);
    socket.resume();
    return f;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) return;
      if (len > 0) this.frames.push(this.buf.subarray(4, 4 + len));
      this.buf = this.buf.subarray(4 + len);
    }
  }

  /** Writes one frame as it is. */
  raw(body: Buffer): void {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(body.length);
    this.socket.write(Buffer.concat([h, body]));
  }

  /** Writes a pass-through message: `'p'`, the control term, the payload term. */
  send(control: unknown, payload?: unknown): void {
    this.raw(Buffer.concat([Buffer.from([112]), termToBinary(control), ...(payload === undefined ? [] : [termToBinary(payload)])]));
  }

  /** The control terms the Grove node sent. */
  controls(): Tuple[] {
    return this.frames.map((f) => FakeBeam.split(f).control);
  }

  /** A frame's control term and its payload (undefined without one). */
  static split(frame: Buffer): { control: Tuple; payload: unknown } {
    const bytes = frame.subarray(1);
    // The control term ends where the payload's 131 starts: decode the control alone by trying lengths.
    for (let end = 2; end <= bytes.length; end++) {
      let t: unknown;
      try {
        t = binaryToTerm(bytes.subarray(0, end));
      } catch {
        continue; // not yet whole
      }
      if (!isTuple(t)) continue;
      return { control: t, payload: end === bytes.length ? undefined : binaryToTerm(bytes.subarray(end)) };
    }
    throw new Error('no control term');
  }

  pid(id = 1): Pid {
    return new Pid(this.name, id, 0, 7);
  }
}

