/**
 * Sockets that connect and say nothing: what a half-open flood or a careless client
 * does to a listener. For tests of a node's or a port mapper's limits.
 */
import * as net from 'node:net';

/**
 * Opens `n` TCP connections to `port` on `host` (default 127.0.0.1) that send
 * nothing; resolves once each one has connected or been closed. The caller destroys them.
 */
export async function openIdleSockets(port: number, n: number, host = '127.0.0.1'): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect({ host, port });
    s.on('error', () => undefined); // a reset or a refusal ends in `close`
    sockets.push(s);
  }
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
    if (s.destroyed) return resolve();
    s.once('connect', () => resolve());
    s.once('close', () => resolve());
  })));
  return sockets;
}
