/**
 * Sender back-pressure per connection (issue 13 item 9, OTP's `dist_buf_busy_limit`):
 * past `distBufBusyLimit` bytes waiting for a slow peer the connection is busy and the
 * processes sending on it are held until it drains; senders that cannot be held (the
 * node itself) are capped by `maxSendQueueBytes`. The slow peer is an authenticated raw
 * peer whose socket stops reading.
 */
import { getLogger, Pid } from '@grove/core';
import type { DistNode } from '@grove/distribution';
import { AuthPeer } from './support/auth_peer';
import { stopTcpNodes, tcpEpmdPort, tcpNode, TCP_COOKIE } from './support/tcp_nodes';
import { waitFor } from './support/wait';

const KiB = 1024;
const peers: AuthPeer[] = [];
const timers: NodeJS.Timeout[] = [];

afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const p of peers.splice(0)) p.close();
  jest.restoreAllMocks();
  await stopTcpNodes();
});

/** A node with a small busy limit and a raw peer connected to it that has stopped reading. */
async function slowPeer(options: Parameters<typeof tcpNode>[1]): Promise<{ node: DistNode; peer: AuthPeer; target: Pid }> {
  const node = await tcpNode('busy', options);
  const peer = await AuthPeer.connect(node, await tcpEpmdPort(), TCP_COOKIE);
  peers.push(peer);
  await waitFor(() => node.connectionInfo(peer.name)?.state === 'up', 'the raw peer to be connected');
  peer.socket.pause();
  return { node, peer, target: new Pid(peer.name, 7, 0, 1) };
}

/** Samples the connection's pending bytes on every event-loop turn; `stop` ends it and returns the largest seen. */
function sampler(node: DistNode, peer: string): { turns: () => number; stop: () => number } {
  let max = 0;
  let turns = 0;
  const timer = setInterval(() => {
    turns++;
    max = Math.max(max, node.connectionInfo(peer)?.pendingBytes ?? 0);
  }, 0);
  timers.push(timer);
  return {
    turns: () => turns,
    stop: () => {
      clearInterval(timer);
      return max;
    },
  };
}

/** The indexes of the sends `peer` received for `target`, in order. */
function indexes(peer: AuthPeer): number[] {
  return peer.received.filter((m) => m.type === 'send').map((m) => (m as { msg: [number, unknown] }).msg[0]);
}

describe('a busy connection', () => {
  it('holds a process that sends to a slow peer (at its next yield) until the peer reads again; nothing is lost, order holds', async () => {
    const { node, peer, target } = await slowPeer({ distBufBusyLimit: 256 * KiB });
    const N = 30_000;
    const payload = 'x'.repeat(2 * KiB); // 60 MB in all, far more than the kernel's socket buffers
    let sent = 0;
    const watch = sampler(node, peer.name);
    node.node.spawn(async (ctx) => {
      for (let i = 0; i < N; i++) {
        ctx.send(target, [i, payload]);
        sent++;
        if (i % 100 === 99) await ctx.yield();
      }
    });
    await waitFor(() => node.connectionInfo(peer.name)!.busy, 'the connection to become busy');
    const from = watch.turns();
    await waitFor(() => watch.turns() >= from + 200, '200 more event-loop turns');
    // Held: it stopped short, and what waits to be sent stayed near the busy limit.
    expect(sent).toBeLessThan(N);
    expect(node.connectionInfo(peer.name)!.busy).toBe(true);
    peer.socket.resume();
    await waitFor(() => indexes(peer).length === N, 'every message at the peer', 60_000);
    const maxPending = watch.stop();
    expect(indexes(peer)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(maxPending).toBeLessThan(2 * 1024 * KiB); // busy limit + one slice of sends + a batch
    expect(node.connectionInfo(peer.name)).toMatchObject({ busy: false, droppedMessages: 0 });
    expect(node.connectionInfo(peer.name)!.busyCount).toBeGreaterThan(0);
  });

  it('holds a handler process: it takes no next message until the connection drains', async () => {
    const { node, peer, target } = await slowPeer({ distBufBusyLimit: 256 * KiB });
    const N = 1000;
    const chunk = Buffer.alloc(64 * KiB, 1); // 64 MB in all
    const relay = node.node.spawnLoop((i: unknown, ctx) => ctx.send(target, [i, chunk]));
    for (let i = 0; i < N; i++) node.node.send(relay, i);
    const watch = sampler(node, peer.name);
    await waitFor(() => node.connectionInfo(peer.name)!.busy, 'the connection to become busy');
    const from = watch.turns();
    await waitFor(() => watch.turns() >= from + 200, '200 more event-loop turns');
    expect(node.node.processInfo(relay)?.mailboxLength).toBeGreaterThan(0);
    peer.socket.resume();
    await waitFor(() => indexes(peer).length === N, 'every message at the peer', 60_000);
    expect(watch.stop()).toBeLessThan(2 * 1024 * KiB);
    expect(indexes(peer)).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('drops what the node itself sends past maxSendQueueBytes, counts it and warns once a busy period; the rest arrives in order', async () => {
    const { node, peer, target } = await slowPeer({ distBufBusyLimit: 256 * KiB, maxSendQueueBytes: 1024 * KiB });
    const warn = jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    const N = 2000;
    const chunk = Buffer.alloc(64 * KiB, 1); // 128 MB offered
    const watch = sampler(node, peer.name);
    for (let i = 0; i < N; i++) {
      node.node.send(target, [i, chunk]);
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const info = node.connectionInfo(peer.name)!;
    expect(info.droppedMessages).toBeGreaterThan(0);
    expect(watch.stop()).toBeLessThan(2 * 1024 * KiB);
    peer.socket.resume();
    const kept = N - info.droppedMessages;
    await waitFor(() => indexes(peer).length === kept, 'the messages kept at the peer', 60_000);
    const got = indexes(peer);
    expect(got.every((x, i) => i === 0 || x > got[i - 1]!)).toBe(true);
    await waitFor(() => !node.connectionInfo(peer.name)!.busy, 'the connection to drain');
    // One warning when a busy period starts dropping, one with the count when it ends.
    const lines = warn.mock.calls.map((c) => String(c[0]));
    const starts = lines.filter((l) => l === `connection to ${peer.name}: over 1048576 bytes waiting to be sent (maxSendQueueBytes; the peer reads too slowly); dropping messages until it drains`);
    const counts = lines.map((l) => /: (\d+) messages were dropped while over maxSendQueueBytes$/.exec(l)).filter((m) => m !== null);
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.length).toBeLessThanOrEqual(node.connectionInfo(peer.name)!.busyCount);
    expect(counts).toHaveLength(starts.length);
    expect(counts.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(info.droppedMessages);
  });

  it('reports a connection to a node it is not connected to as undefined', async () => {
    const a = await tcpNode('info');
    expect(a.connectionInfo('nobody@127.0.0.1')).toBeUndefined();
  });
});
