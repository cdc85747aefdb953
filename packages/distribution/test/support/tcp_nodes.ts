/**
 * TCP nodes in this OS process for the tests that need the real wire (the control
 * codec, frames, sockets): one private port mapper on an ephemeral port, nodes with
 * fresh names on 127.0.0.1 port 0, everything stopped by {@link stopTcpNodes}.
 */
import { startDistributed, type DistNode, type DistOptions } from '@grove/distribution';
import { EpmdServer } from '@grove/distribution/internal';

/** The cookie of every node {@link tcpNode} starts. */
export const TCP_COOKIE = `tcp-test-${process.pid}`;
const COOKIE = TCP_COOKIE;
let seq = 0;
let epmd: EpmdServer | null = null;
const running: DistNode[] = [];

/** The port of the private port mapper (started on first use). */
export async function tcpEpmdPort(): Promise<number> {
  epmd ??= await EpmdServer.start({ port: 0, host: '127.0.0.1' });
  return epmd.port;
}

/** A TCP node named `<prefix><n>_<os pid>@127.0.0.1`, stopped by {@link stopTcpNodes}. */
export async function tcpNode(prefix: string, options: Partial<DistOptions> = {}): Promise<DistNode> {
  const d = await startDistributed({ name: `${prefix}${++seq}_${process.pid}@127.0.0.1`, cookie: COOKIE, epmdPort: await tcpEpmdPort(), ...options });
  running.push(d);
  return d;
}

/** Stops every node {@link tcpNode} started, then the port mapper. */
export async function stopTcpNodes(): Promise<void> {
  await Promise.all(running.splice(0).map((d) => d.stop()));
  await epmd?.stop();
  epmd = null;
}
