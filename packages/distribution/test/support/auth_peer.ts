/**
 * An authenticated peer driven by hand: it passes the real handshake with a node's
 * cookie, then sends and reads raw frames, so tests can play a hostile or a slow
 * peer (crafted frames, a socket that stops reading).
 */
import type * as net from 'node:net';
import { isNodeMessage, monitorNodes, parseNodeName, portPlease, type DistNode, type NodeDownMessage } from '@grove/distribution';
import { connect, ControlDecoder, ControlEncoder, encodeFrame, FrameDecoder, initiateHandshake, readFrames, type ControlMessage } from '@grove/distribution/internal';

let seq = 0;

export class AuthPeer {
  /** Control messages received, decoded, in order (once `decodeInput` is on). */
  readonly received: ControlMessage[] = [];
  readonly enc = new ControlEncoder({ maxBytes: 1 << 30, budget: false });
  private readonly dec: ControlDecoder;

  private constructor(
    readonly name: string,
    readonly socket: net.Socket,
    readonly frames: FrameDecoder,
  ) {
    this.dec = new ControlDecoder({ localNode: name, localCreation: 1 });
    frames.onFrame = (f) => {
      if (f.length > 0) this.dec.decode(f, (m) => this.received.push(m));
    };
    socket.on('error', () => undefined);
  }

  /** Connects to `node` as `<prefix><n>_<os pid>@127.0.0.1`, through the handshake. */
  static async connect(node: DistNode, epmdPort: number, cookie: string, prefix = 'raw'): Promise<AuthPeer> {
    const name = `${prefix}${++seq}_${process.pid}@127.0.0.1`;
    const info = await portPlease(parseNodeName(node.name).alive, { port: epmdPort });
    const socket = await connect({ host: '127.0.0.1', port: info!.port });
    const hs = await initiateHandshake(socket, { name, creation: 1, cookie, peer: node.name });
    const peer = new AuthPeer(name, hs.socket as net.Socket, hs.decoder);
    readFrames(hs.socket, hs.decoder);
    hs.decoder.resume();
    return peer;
  }

  /** Sends the batch built in {@link enc} as one frame (or `body` as it is). */
  sendFrame(body: Buffer = this.enc.take()): void {
    this.socket.write(encodeFrame(body));
  }

  /** Resolves when the node closed the connection. */
  closed(): Promise<void> {
    if (this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The next nodedown `node` sees (monitoring starts now). */
export function nextNodedown(node: DistNode): Promise<NodeDownMessage> {
  return node.node.run(async (c) => {
    monitorNodes(c);
    return c.receive((m): m is NodeDownMessage => isNodeMessage(m) && m.type === 'nodedown');
  });
}
