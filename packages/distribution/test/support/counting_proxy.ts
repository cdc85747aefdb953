/**
 * A TCP forwarder on 127.0.0.1 that counts the connections made through it: put in
 * front of a port mapper, it counts a node's lookups, that is the connections the
 * node tries to open (every dial starts with one).
 */
import * as net from 'node:net';

export interface CountingProxy {
  readonly port: number;
  /** Connections forwarded so far. */
  readonly count: number;
  /**
   * Resolves once every connection opened before the call has been accepted (a probe
   * connection goes through the same accept queue, in order, and is not counted).
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function countingProxy(targetPort: number): Promise<CountingProxy> {
  let count = 0;
  /** Probe ports the client knows and the server has not seen yet. */
  const probes = new Map<number, () => void>();
  /** Connections forwarded, by the client's port (a probe may be seen before its client knows its port). */
  const byPort = new Map<number, net.Socket>();
  const open = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    open.add(s);
    s.once('close', () => open.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = net.createServer((socket) => {
    track(socket);
    const probe = probes.get(socket.remotePort!);
    if (probe !== undefined) {
      probes.delete(socket.remotePort!);
      socket.destroy();
      probe();
      return;
    }
    count++;
    const from = socket.remotePort!;
    byPort.set(from, socket);
    socket.once('close', () => byPort.get(from) === socket && byPort.delete(from));
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    track(upstream);
    upstream.once('close', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get count() {
      return count;
    },
    settled: () =>
      new Promise<void>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port });
        track(s);
        s.once('error', reject);
        s.once('connect', () => {
          const seen = byPort.get(s.localPort!);
          if (seen === undefined) {
            probes.set(s.localPort!, resolve);
            return;
          }
          // The server took the probe for a lookup: uncount it.
          count--;
          seen.destroy();
          s.destroy();
          resolve();
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
