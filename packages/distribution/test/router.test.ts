import {
  Call,
  callServer,
  Cast,
  castServer,
  CallExitError,
  GenServer,
  isDownMessage,
  isExitMessage,
  NotCopyableError,
  type DownMessage,
  type ExitMessage,
  type Pid,
} from '@grove/core';
import { spawnLinkRemote, spawnMonitorRemote, spawnRemote, SpawnError } from '@grove/distribution';
import { memNode, stopAll, waitFor } from './router_helpers';

class Counter extends GenServer<{ call: 'add' | 'get'; cast: 'bump' }> {
  n = 0;
  override init(start: number | undefined) {
    this.n = start ?? 0;
  }
  @Call() add(by: number): number {
    return (this.n += by);
  }
  @Call() get(): number {
    return this.n;
  }
  @Cast() bump(by: number): void {
    this.n += by;
  }
}

afterEach(stopAll);

describe('the remote router over in-memory channels', () => {
  it('delivers sends to a remote pid and to [name, node] in order, connecting on first send', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const got: unknown[] = [];
    const sink = b.node.spawnLoop((m) => void got.push(m), { name: 'sink' });
    await a.node.run((ctx) => {
      for (let i = 0; i < 100; i++) ctx.send(i % 2 === 0 ? sink : ['sink', b.name], i);
    });
    await waitFor(() => got.length === 100, '100 messages');
    expect(got).toEqual([...Array(100).keys()]);
    expect(a.nodes()).toEqual([b.name]);
    expect(b.nodes()).toEqual([a.name]);
  });

  it('delivers what a remote process sent before it died ahead of its DOWN and EXIT', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    b.registerSpawnable('burst', async (ctx, to: Pid) => {
      await ctx.receive((m) => m === 'go');
      for (let i = 0; i < 100; i++) ctx.send(to, i);
      ctx.exit('done');
    });
    const seen = await a.node.run(async (ctx) => {
      ctx.trapExit(true);
      const [pid, ref] = await spawnMonitorRemote(ctx, b.name, 'burst', [ctx.self]);
      ctx.link(pid);
      ctx.send(pid, 'go');
      const out: unknown[] = [];
      for (let i = 0; i < 102; i++) {
        const m = await ctx.receive();
        out.push(isDownMessage(m, ref) ? 'DOWN' : isExitMessage(m) ? 'EXIT' : m);
      }
      return out;
    });
    expect(seen.slice(0, 100)).toEqual([...Array(100).keys()]);
    expect(seen.slice(100).sort()).toEqual(['DOWN', 'EXIT']);
  });

  it('refuses an unsendable message at the sender, even while connecting', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const pid = b.node.spawnLoop(() => {});
    const err = await a.node.run((ctx) => ctx.send(pid, { f: () => 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotCopyableError);
  });

  it('calls and casts a GenServer on another node', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    await Counter.start(b.node, 5, { name: 'counter' });
    const reply = await a.node.run(async (ctx) => {
      const c = Counter.client(ctx, ['counter', b.name]);
      c.cast.bump(10);
      return c.call.add(1);
    });
    expect(reply).toBe(16);
    expect(castServer).toBeDefined();
  });

  it('fails a call to an unknown remote name with noproc', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const err = await callServer(a.node, ['nobody', b.name], 'hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallExitError);
    expect((err as CallExitError).reason).toBe('noproc');
  });

  it('fails a call to an unreachable node with { nodedown: node }', async () => {
    const a = await memNode('a');
    const err = await callServer(a.node, ['x', 'ghost@127.0.0.1'], 'hi').catch((e: unknown) => e);
    expect((err as CallExitError).reason).toEqual({ nodedown: 'ghost@127.0.0.1' });
  });

  it('propagates a remote crash through a link to a trapping process', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const victim = b.node.spawn(async (ctx) => {
      await ctx.receive((m) => m === 'die');
      throw new Error('boom');
    });
    const msg = await a.node.run(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(victim);
      ctx.send(victim, 'die');
      return ctx.receive(isExitMessage);
    });
    expect(msg.from.equals(victim)).toBe(true);
    expect((msg.reason as Error).message).toBe('boom');
  });

  it('kills a non-trapping remote process linked to a local one that crashes', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const remote = b.node.spawn((ctx) => ctx.receive());
    const watcher = b.node.run((ctx) => {
      ctx.monitor(remote);
      return ctx.receive(isDownMessage);
    });
    await a.node
      .run(async (ctx) => {
        ctx.link(remote);
        throw new Error('local crash');
      })
      .catch(() => undefined);
    const down = await watcher;
    expect((down.reason as Error).message).toBe('local crash');
  });

  it('monitors remote pids and names: DOWN with the exit reason, noproc for the unknown', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const target = b.node.spawn(async (ctx) => {
      ctx.register('worker');
      await ctx.receive((m) => m === 'stop');
      ctx.exit('finished');
    });
    await waitFor(() => b.node.whereis('worker') !== undefined, 'registration');
    const [byPid, byName, unknown] = await a.node.run(async (ctx) => {
      const r1 = ctx.monitor(target);
      const r2 = ctx.monitor(['worker', b.name]);
      const r3 = ctx.monitor(['nobody', b.name]);
      const d3 = await ctx.receive((m): m is DownMessage => isDownMessage(m, r3));
      ctx.send(target, 'stop');
      const d1 = await ctx.receive((m): m is DownMessage => isDownMessage(m, r1));
      const d2 = await ctx.receive((m): m is DownMessage => isDownMessage(m, r2));
      return [d1, d2, d3];
    });
    expect(byPid.reason).toBe('finished');
    expect(byName.reason).toBe('finished');
    expect(byName.pid).toEqual(['worker', b.name]);
    expect(unknown.reason).toBe('noproc');
  });

  it('demonitor stops the DOWN and unlink stops the exit', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const target = b.node.spawn((ctx) => ctx.receive());
    const got = await a.node.run(async (ctx) => {
      const ref = ctx.monitor(target);
      ctx.link(target);
      ctx.demonitor(ref);
      ctx.unlink(target);
      ctx.exit(target, 'kill');
      const probe = ctx.monitor(target);
      const first = await ctx.receive();
      return [isDownMessage(first, probe), (first as DownMessage).reason];
    });
    // Only the probe's DOWN arrives (and the caller survived the kill): the first monitor and the link were removed.
    expect(got[0]).toBe(true);
    expect(['killed', 'noproc']).toContain(got[1]);
  });

  it('gives links EXIT noconnection and monitors DOWN noconnection when the connection is lost', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const remote = b.node.spawn((ctx) => ctx.receive());
    const pending = a.node.run(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(remote);
      ctx.monitor(remote);
      ctx.send(ctx.self, 'linked');
      const exit = await ctx.receive(isExitMessage);
      const down = await ctx.receive(isDownMessage);
      return [exit.reason, down.reason];
    });
    await waitFor(() => b.node.processInfo(remote)?.links.length === 1, 'the link on b');
    expect(a.disconnect(b.name)).toBe(true);
    expect(await pending).toEqual(['noconnection', 'noconnection']);
    // The remote end lost its link too.
    await waitFor(() => !b.node.isAlive(remote) || b.node.processInfo(remote)?.links.length === 0, 'b to drop the link');
  });

  it('spawns by registered name: spawn, spawn_link and spawn_monitor', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    b.registerSpawnable('echo', async (ctx, tag: string) => {
      const m = (await ctx.receive()) as { from: Pid; v: unknown };
      ctx.send(m.from, [tag, m.v]);
      ctx.exit(tag === 'crash' ? 'crashed' : 'normal');
    });
    const out = await a.node.run(async (ctx) => {
      ctx.trapExit(true);
      const p1 = await spawnRemote(ctx, b.name, 'echo', ['plain']);
      ctx.send(p1, { from: ctx.self, v: 1 });
      const r1 = await ctx.receive();
      const p2 = await spawnLinkRemote(ctx, b.name, 'echo', ['crash']);
      ctx.send(p2, { from: ctx.self, v: 2 });
      const r2 = await ctx.receive(Array.isArray);
      const e2 = await ctx.receive(isExitMessage);
      const [p3, ref3] = await spawnMonitorRemote(ctx, b.name, 'echo', ['mon']);
      ctx.send(p3, { from: ctx.self, v: 3 });
      const r3 = await ctx.receive(Array.isArray);
      const d3 = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref3));
      return { p1: p1.node, r1, r2, e2: [e2.from.equals(p2), e2.reason], r3, d3: d3.reason };
    });
    expect(out).toEqual({ p1: b.name, r1: ['plain', 1], r2: ['crash', 2], e2: [true, 'crashed'], r3: ['mon', 3], d3: 'normal' });
  });

  it('spawns a registered GenServer class and calls it', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    b.registerSpawnable('counter', Counter);
    const pid = await a.spawn(b.name, 'counter', [41]);
    expect(pid.node).toBe(b.name);
    expect(await Counter.client(a.node, pid).call.add(1)).toBe(42);
  });

  it('rejects a spawn of an unknown name with a clear error at the caller', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const err = await a.spawn(b.name, 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnError);
    expect((err as SpawnError).reason).toBe('unknown_spawnable');
    expect((err as Error).message).toContain('nope');
  });

  it('refuses a spawn of a name once it is unregistered', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    b.registerSpawnable('counter', Counter);
    expect((await a.spawn(b.name, 'counter', [1])).node).toBe(b.name);
    expect(b.unregisterSpawnable('counter')).toBe(true);
    expect(b.unregisterSpawnable('counter')).toBe(false);
    const err = await a.spawn(b.name, 'counter', [1]).catch((e: unknown) => e);
    expect((err as SpawnError).reason).toBe('unknown_spawnable');
  });

  it('spawns on its own node through the same table, linked and monitored locally', async () => {
    const a = await memNode('a');
    a.registerSpawnable('quit', (ctx, why: string) => ctx.exit(why));
    a.registerSpawnable('counter', Counter);
    const [exit, down, counted] = await a.node.run(async (ctx) => {
      ctx.trapExit(true);
      const p1 = await spawnLinkRemote(ctx, a.name, 'quit', ['linked']);
      const e = await ctx.receive(isExitMessage);
      const [, ref] = await spawnMonitorRemote(ctx, a.name, 'quit', ['monitored']);
      const d = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      const c = await spawnRemote(ctx, a.name, 'counter', [1]);
      return [[e.from.equals(p1), e.reason], d.reason, await Counter.client(ctx, c).call.add(1)];
    });
    expect([exit, down, counted]).toEqual([[true, 'linked'], 'monitored', 2]);
    expect((await a.spawn(a.name, 'nope').catch((e: unknown) => e)) as SpawnError).toMatchObject({ reason: 'unknown_spawnable' });
  });

  it('rejects a spawn on an unreachable node with noconnection', async () => {
    const a = await memNode('a');
    const err = await a.spawn('ghost@127.0.0.1', 'x').catch((e: unknown) => e);
    expect((err as SpawnError).reason).toBe('noconnection');
  });

  it('answers a remote exit/2 and a link to a dead remote pid with noproc', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const dead = b.node.spawn(() => undefined);
    await waitFor(() => !b.node.isAlive(dead), 'the process to end');
    const target = b.node.spawn((ctx) => ctx.receive());
    const [exit, down] = await a.node.run(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(dead);
      const e = await ctx.receive(isExitMessage);
      const ref = ctx.monitor(target);
      ctx.exit(target, 'because');
      const d = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      return [e as ExitMessage, d];
    });
    expect(exit.reason).toBe('noproc');
    expect(down.reason).toBe('because');
  });
});
