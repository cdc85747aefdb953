/**
 * Messages larger than a frame cross in fragments (issue 13 item 8, issue 15: OTP's
 * DFLAG_FRAGMENTS): order per sender holds, other senders are not starved, and a peer
 * over the receiver's message limit is disconnected while the node lives on.
 */
import { getLogger, NotCopyableError, type Pid } from '@grove/core';
import { nextNodedown } from './support/auth_peer';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { waitFor } from './support/wait';

afterEach(async () => {
  jest.restoreAllMocks();
  await stopTcpNodes();
});

const MiB = 1024 * 1024;

/** A process on `node` that forwards every message to `to` as `[from-tag, msg summary]`. */
function summary(m: unknown): unknown {
  if (Array.isArray(m) && Buffer.isBuffer(m[1])) {
    const b = m[1];
    return [m[0], b.length, b[0], b[b.length - 1], b.readUInt32LE(b.length >> 1)];
  }
  return m;
}

describe('a message larger than a frame', () => {
  it('crosses between two TCP nodes in fragments (80 MiB), in order per sender, and other senders overtake it', async () => {
    const a = await tcpNode('big_a');
    const b = await tcpNode('big_b');
    const got: unknown[] = [];
    const sink = b.node.spawnLoop((m: unknown) => void got.push(summary(m)));
    b.node.register('big_sink', sink);
    await a.connect(b.name);

    const big = Buffer.alloc(80 * MiB, 7);
    big[0] = 1;
    big[big.length - 1] = 2;
    big.writeUInt32LE(0xfeedbeef, big.length >> 1);
    const dest: [string, string] = ['big_sink', b.name];
    await a.node.run(async (ctx) => {
      const other = ctx.spawn(async (c) => {
        await c.receive();
        c.send(dest, 'other sender');
      });
      ctx.send(dest, 'before');
      ctx.send(dest, ['big', big]);
      ctx.send(dest, 'after');
      ctx.send(other, 'go');
    });
    await waitFor(() => got.length === 4, 'the four messages', 60_000);
    expect(got.indexOf('other sender')).toBeLessThan(got.indexOf('after'));
    expect(got.filter((m) => m !== 'other sender')).toEqual(['before', ['big', 80 * MiB, 1, 2, 0xfeedbeef], 'after']);
    expect(got.indexOf('other sender')).toBeLessThan(2); // not behind the 80 MiB
    // 'after' queued behind the big one (same sender), so it went as a fragment too.
    expect(a.connectionInfo(b.name)).toMatchObject({ state: 'up', fragmentedOut: 2, droppedMessages: 0 });
    expect(b.connectionInfo(a.name)).toMatchObject({ fragmentedIn: 2, reassemblyBytes: 0 });
  });

  it('refuses limits that are not positive integers, or a message limit under the frame limit', async () => {
    await expect(tcpNode('bad', { maxMessageBytes: 0 })).rejects.toThrow(/maxMessageBytes must be a positive integer, got 0/);
    await expect(tcpNode('bad', { distBufBusyLimit: 1.5 })).rejects.toThrow(/distBufBusyLimit must be a positive integer, got 1.5/);
    await expect(tcpNode('bad', { maxFrameBytes: 2 * MiB, maxMessageBytes: MiB })).rejects.toThrow(/maxMessageBytes \(1048576\) must be at least maxFrameBytes \(2097152\)/);
  });

  it('is refused at its sender when over the sender\'s maxMessageBytes', async () => {
    const a = await tcpNode('limit_a', { maxMessageBytes: 2 * MiB });
    const b = await tcpNode('limit_b');
    await a.connect(b.name);
    const sink = b.node.spawnLoop(() => undefined);
    await a.node.run(async (ctx) => {
      expect(() => ctx.send(sink, Buffer.alloc(3 * MiB))).toThrow(NotCopyableError);
      ctx.send(sink, Buffer.alloc(MiB + 1)); // fits: goes in fragments
    });
    await waitFor(() => (b.connectionInfo(a.name)?.fragmentedIn ?? 0) === 1, 'the message under the limit');
  });

  it('from a peer over the receiver\'s maxMessageBytes closes that connection (message_too_large); the node lives on', async () => {
    const a = await tcpNode('flood_a');
    const b = await tcpNode('flood_b', { maxMessageBytes: 2 * MiB });
    const warn = jest.spyOn(getLogger('dist'), 'warn').mockImplementation(() => undefined);
    await a.connect(b.name);
    const got: unknown[] = [];
    const sink = b.node.spawnLoop((m: unknown) => void got.push(m));
    const down = nextNodedown(b);
    await a.node.run(async (ctx) => ctx.send(sink, Buffer.alloc(3 * MiB)));
    await expect(down).resolves.toMatchObject({ node: a.name, reason: 'message_too_large' });
    expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/a message of \d+ bytes is over the maximum message size of 2097152 bytes/);
    expect(got).toEqual([]);
    // Both nodes carry on: a new connection works.
    await expect(a.ping(b.name)).resolves.toBe('pong');
    await a.node.run(async (ctx) => ctx.send(sink, 'small'));
    await waitFor(() => got.length === 1, 'a message on the new connection');
  });

  it('keeps the event loop turning while it is received (the receiver decodes one frame at a time)', async () => {
    const a = await tcpNode('turns_a');
    const b = await tcpNode('turns_b');
    await a.connect(b.name);
    let turns = 0;
    let duringReceive = 0;
    const counter = setInterval(() => {
      turns++;
      if ((b.connectionInfo(a.name)?.reassemblyBytes ?? 0) > 0) duringReceive++;
    }, 0);
    try {
      const done = new Promise<number>((resolve) => {
        b.node.register('turns_sink', b.node.spawnLoop((m: unknown) => resolve((m as Buffer).length)));
      });
      await a.node.run(async (ctx) => ctx.send(['turns_sink', b.name], Buffer.alloc(32 * MiB)));
      await expect(done).resolves.toBe(32 * MiB);
    } finally {
      clearInterval(counter);
    }
    expect(turns).toBeGreaterThan(0);
    expect(duringReceive).toBeGreaterThan(0);
  });

  it('of many small terms is decoded a slice at a time: the event loop turns while it is decoded', async () => {
    const a = await tcpNode('slices_a');
    const b = await tcpNode('slices_b');
    await a.connect(b.name);
    // 90,000 entries of the container kinds the walk descends into, ~1.6 MiB.
    const items = Array.from({ length: 30_000 }, (_, i) => ({ i, s: `item ${i}` }));
    const msg = {
      items,
      map: new Map(items.map((x) => [x.i, [x.s, x.i]])),
      set: new Set(items.map((x) => x.s)),
      sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
      nested: [[[{ deep: [new Error('inside')] }]]],
    };
    let decodingTurns = 0;
    const counter = setInterval(() => {
      const info = b.connectionInfo(a.name);
      // The last fragment is in (counted) and the message is not delivered yet: it is being decoded.
      if (info !== undefined && info.fragmentedIn === 1 && info.reassemblyBytes > 0) decodingTurns++;
    }, 0);
    let got: typeof msg | undefined;
    try {
      const done = new Promise<void>((resolve) => {
        b.node.register('slices_sink', b.node.spawnLoop((m: unknown) => {
          got = m as typeof msg;
          resolve();
        }));
      });
      await a.node.run(async (ctx) => ctx.send(['slices_sink', b.name], msg));
      await done;
    } finally {
      clearInterval(counter);
    }
    expect(decodingTurns).toBeGreaterThan(0);
    expect(got!.items).toHaveLength(items.length);
    expect(got!.items.every((x, i) => x.i === i && x.s === `item ${i}`)).toBe(true);
    expect([...got!.map].every(([k, v], i) => k === i && v[0] === `item ${i}` && v[1] === i)).toBe(true);
    expect([...got!.set].every((x, i) => x === `item ${i}`)).toBe(true);
    expect([got!.map.size, got!.set.size]).toEqual([items.length, items.length]);
    expect(1 in got!.sparse).toBe(false);
    expect(got!.sparse).toHaveLength(3);
    const inner = (got!.nested[0]![0]![0] as { deep: Error[] }).deep[0]!;
    expect(inner).toBeInstanceOf(Error);
    expect(inner.message).toBe('inside');
  });

  it('goes to a pid too, and a call reply of 8 MiB comes back whole', async () => {
    const a = await tcpNode('reply_a');
    const b = await tcpNode('reply_b');
    const server = b.node.spawnLoop((m: unknown, ctx) => {
      const [from, n] = m as [Pid, number];
      ctx.send(from, Buffer.alloc(n, 9));
    });
    const reply = await a.node.run(async (ctx) => {
      ctx.send(server, [ctx.self, 8 * MiB]);
      return ctx.receive();
    });
    expect((reply as Buffer).length).toBe(8 * MiB);
    expect((reply as Buffer)[8 * MiB - 1]).toBe(9);
  });
});
