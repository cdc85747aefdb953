/**
 * Busy waiting after writes (`busyWaitUs`, BEAM's `+sbwt`): after a node writes to a
 * peer, the event loop keeps polling for a while instead of sleeping, then stops; 0
 * (or `GROVE_BUSY_WAIT_US=0`) turns it off; bad values are refused at start.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BadArgError } from '@grove/core';
import { startDistributed, type DistNode } from '@grove/distribution';
import { ANSWER_WINDOW_MS, busyWaitStats } from '@grove/distribution/internal';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';
import { waitFor } from './support/wait';

afterEach(stopTcpNodes);

/** An echo process registered as `echo` on `d`: `[from, x]` gets `x` back. */
function echo(d: DistNode): void {
  const pid = d.node.spawnLoop((m: unknown, ctx) => {
    const [from, x] = m as [never, unknown];
    ctx.send(from, x);
  });
  d.node.register('echo', pid);
}

/** `n` sequential round trips from `a` to `echo` on `b`; resolves with the replies. */
function roundTrips(a: DistNode, b: DistNode, n: number): Promise<unknown[]> {
  return a.node.run(async (ctx) => {
    const got: unknown[] = [];
    for (let i = 0; i < n; i++) {
      ctx.send(['echo', b.name], [ctx.self, i]);
      got.push(await ctx.receive((m) => m === i, 10_000));
    }
    return got;
  });
}

const idle = (): Promise<void> => waitFor(() => !busyWaitStats().spinning, 'busy waiting to end');

describe('busy waiting after a write', () => {
  it('keeps the event loop polling after remote round trips, then stops by itself', async () => {
    const a = await tcpNode('bw_a', { busyWaitUs: 2000 });
    const b = await tcpNode('bw_b', { busyWaitUs: 2000 });
    echo(b);
    await roundTrips(a, b, 5); // connected, warm
    await idle();
    const before = busyWaitStats();
    expect(await roundTrips(a, b, 50)).toEqual([...Array(50).keys()]);
    // On a machine short of cores polling backs off for a while (test below): go on
    // until it has polled.
    await waitFor(async () => {
      const now = busyWaitStats();
      if (now.waits > before.waits && now.turns > before.turns) return true;
      await roundTrips(a, b, 10);
      return false;
    }, 'polling after round trips', 20_000);
    await idle();
    // Nothing written since: no wait starts, no turn is spent.
    const settled = busyWaitStats();
    await new Promise((r) => setTimeout(r, 20));
    expect(busyWaitStats()).toEqual(settled);
  });

  it('does not poll at all with busyWaitUs: 0, and messages flow as before', async () => {
    const a = await tcpNode('bw_off_a', { busyWaitUs: 0 });
    const b = await tcpNode('bw_off_b', { busyWaitUs: 0 });
    echo(b);
    await roundTrips(a, b, 5);
    await idle();
    const before = busyWaitStats();
    expect(await roundTrips(a, b, 100)).toEqual([...Array(100).keys()]);
    expect(busyWaitStats().waits).toBe(before.waits);
    expect(busyWaitStats().turns).toBe(before.turns);
  });

  it('takes its default from GROVE_BUSY_WAIT_US when the option is absent', async () => {
    const saved = process.env.GROVE_BUSY_WAIT_US;
    process.env.GROVE_BUSY_WAIT_US = '0';
    try {
      const a = await tcpNode('bw_env_a');
      const b = await tcpNode('bw_env_b');
      echo(b);
      await roundTrips(a, b, 5);
      await idle();
      const before = busyWaitStats();
      await roundTrips(a, b, 50);
      expect(busyWaitStats().waits).toBe(before.waits);
    } finally {
      if (saved === undefined) delete process.env.GROVE_BUSY_WAIT_US;
      else process.env.GROVE_BUSY_WAIT_US = saved;
    }
  });

  it('does not poll after writes to a peer that has said nothing for a while (a one-way stream)', async () => {
    const a = await tcpNode('bw_oneway_a', { busyWaitUs: 2000 });
    const b = await tcpNode('bw_oneway_b', { busyWaitUs: 2000 });
    echo(b);
    let received = 0;
    b.node.register('sink', b.node.spawnLoop(() => void received++));
    await roundTrips(a, b, 3);
    const heard = (): number => a.connectionInfo(b.name)!.messagesIn;
    // A spell in which `a` hears nothing from `b` (the connection's start-up traffic, a
    // tick, may still come: then try again): longer than the window, then 200 sends.
    for (let attempt = 0; ; attempt++) {
      const inBefore = heard();
      await new Promise((r) => setTimeout(r, 3 * ANSWER_WINDOW_MS));
      await idle();
      const before = busyWaitStats();
      await a.node.run(async (ctx) => {
        for (let i = 0; i < 200; i++) {
          ctx.send(['sink', b.name], i);
          if (i % 20 === 19) await ctx.yield();
        }
      });
      await waitFor(() => received >= 200 * (attempt + 1), 'the sink to count the sends');
      if (heard() !== inBefore && attempt < 5) continue;
      expect(heard()).toBe(inBefore);
      expect(busyWaitStats().waits).toBe(before.waits);
      break;
    }
    // Once the peer answers again, writes to it poll again.
    const before = busyWaitStats();
    await waitFor(async () => {
      await roundTrips(a, b, 10);
      return busyWaitStats().waits > before.waits;
    }, 'polling after round trips', 20_000);
    await idle();
  });

  it('keeps timers and other I/O running while it polls', async () => {
    // A long wait (100 ms) on the client: a timer set right after a write fires, and
    // further round trips complete, while it runs.
    const a = await tcpNode('bw_long_a', { busyWaitUs: 100_000 });
    const b = await tcpNode('bw_long_b', { busyWaitUs: 0 });
    echo(b);
    await roundTrips(a, b, 3);
    const fired = await a.node.run(async (ctx) => {
      ctx.send(['echo', b.name], [ctx.self, 'x']);
      await ctx.receive((m) => m === 'x', 10_000);
      return new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 1));
    });
    expect(fired).toBe(true);
    expect(await roundTrips(a, b, 10)).toHaveLength(10);
    await idle();
  });

  const schedstat = process.platform === 'linux' && existsSync('/proc/thread-self/schedstat');
  (schedstat ? it : it.skip)('stops polling for a while when the thread waits for a core (more busy processes than cores)', async () => {
    const a = await tcpNode('bw_busy_a', { busyWaitUs: 100_000 });
    const b = await tcpNode('bw_busy_b', { busyWaitUs: 0 });
    echo(b);
    await roundTrips(a, b, 3);
    const before = busyWaitStats().backoffs;
    // One busy loop more than there are cores, beside this process's own polling.
    const loops = Array.from({ length: availableParallelism() + 1 }, () =>
      spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
    );
    try {
      await waitFor(async () => {
        await roundTrips(a, b, 1);
        return busyWaitStats().backoffs > before;
      }, 'polling to back off', 20_000);
    } finally {
      for (const p of loops) p.kill('SIGKILL');
    }
    await idle();
  });

  it.each([
    [-1, 'busyWaitUs must be a number of microseconds from 0 to 100000, got -1'],
    [Number.NaN, 'got NaN'],
    [100_001, 'got 100001'],
    ['200', 'got 200'],
  ])('refuses busyWaitUs %p with a BadArgError', async (value, message) => {
    const start = startDistributed({ name: `bw_bad_${process.pid}@127.0.0.1`, cookie: 'c', transport: 'memory', busyWaitUs: value as number });
    await expect(start).rejects.toThrow(BadArgError);
    await expect(start).rejects.toThrow(message);
  });

  it('refuses a GROVE_BUSY_WAIT_US that is not a number of microseconds', async () => {
    const saved = process.env.GROVE_BUSY_WAIT_US;
    process.env.GROVE_BUSY_WAIT_US = 'fast';
    try {
      await expect(startDistributed({ name: `bw_env_bad_${process.pid}@127.0.0.1`, cookie: 'c', transport: 'memory' })).rejects.toThrow(
        'GROVE_BUSY_WAIT_US must be a number of microseconds from 0 to 100000, got "fast"',
      );
    } finally {
      if (saved === undefined) delete process.env.GROVE_BUSY_WAIT_US;
      else process.env.GROVE_BUSY_WAIT_US = saved;
    }
  });
});
