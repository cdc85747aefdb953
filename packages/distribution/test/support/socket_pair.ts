import type * as net from 'node:net';
import { connect, listen, type Listener, type SocketTlsOptions } from '@grove/distribution/internal';

/** Connected sockets on 127.0.0.1, and a cleanup that closes them all. */
export class SocketPairs {
  private readonly sockets: net.Socket[] = [];
  private readonly listeners: Listener[] = [];

  /** A client socket and the server socket it is connected to. */
  async pair(tls?: { server: SocketTlsOptions; client: SocketTlsOptions }): Promise<[client: net.Socket, server: net.Socket]> {
    let resolve!: (s: net.Socket) => void;
    const accepted = new Promise<net.Socket>((r) => (resolve = r));
    const listener = await listen(tls ? { tls: tls.server } : {}, (s) => {
      this.sockets.push(s);
      resolve(s);
    });
    this.listeners.push(listener);
    const client = await connect({ host: '127.0.0.1', port: listener.port, ...(tls ? { tls: tls.client } : {}) });
    this.sockets.push(client);
    return [client, await accepted];
  }

  /** Remembers a socket to destroy at cleanup. */
  track(socket: net.Socket): void {
    this.sockets.push(socket);
  }

  async cleanup(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.length = 0;
    for (const l of this.listeners) await l.close({ destroyConnections: true });
    this.listeners.length = 0;
  }
}
