import { callServer, isDownMessage, isExitMessage, ManualClock, Pid, type DownMessage } from '@grove/core';
import { isNodeMessage, monitorNodes, type NodeDownMessage } from '@grove/distribution';
import { memNode, stopAll, waitFor } from './router_helpers';

afterEach(stopAll);

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('a connection', () => {
  it('answers a link and a monitor to an unreachable node with noconnection', async () => {
    const a = await memNode('a');
    const ghost = `ghost_${process.pid}@127.0.0.1`;
    const [exit, down] = await a.node.run(async (ctx) => {
      ctx.trapExit(true);
      const far = new Pid(ghost, 1, 0, 1);
      ctx.link(far);
      const ref = ctx.monitor(far);
      const e = await ctx.receive(isExitMessage);
      const d = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      return [e.reason, d.reason];
    });
    expect([exit, down]).toEqual(['noconnection', 'noconnection']);
    expect(a.nodes('connected')).toEqual([]);
  });

  it('keeps an idle connection up with ticks', async () => {
    const clock = new ManualClock();
    const [a, b] = [await memNode('a', { netTickTimeMs: 400, nodeOptions: { clock } }), await memNode('b', { netTickTimeMs: 400, nodeOptions: { clock } })];
    expect(await a.connect(b.name)).toBe(true);
    for (let i = 0; i < 20; i++) {
      clock.advance(100);
      await turn();
      await turn();
    }
    expect(a.nodes()).toEqual([b.name]);
    expect(b.nodes()).toEqual([a.name]);
  });

  it('closes a connection that received nothing for the net tick time: nodedown net_tick_timeout, DOWN noconnection', async () => {
    const clock = new ManualClock();
    // b keeps real time with a long tick: it stays silent while a's clock runs.
    const [a, b] = [await memNode('a', { netTickTimeMs: 400, nodeOptions: { clock } }), await memNode('b', { netTickTimeMs: 3_600_000 })];
    const remote = b.node.spawn((ctx) => ctx.receive());
    const result = a.node.run(async (ctx) => {
      monitorNodes(ctx);
      const ref = ctx.monitor(remote);
      await callServer(ctx, ['net_kernel', b.name], { type: 'is_auth' }, 'infinity');
      ctx.send(ctx.self, 'armed');
      await ctx.receive((m) => m === 'armed');
      const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      const nodedown = (await ctx.receive((m) => isNodeMessage(m) && m.type === 'nodedown')) as NodeDownMessage;
      return [down.reason, nodedown.reason];
    });
    await waitFor(() => a.nodes().length === 1, 'a to connect');
    for (let i = 0; i < 40 && a.nodes().length > 0; i++) {
      clock.advance(100);
      await turn();
    }
    expect(await result).toEqual(['noconnection', 'net_tick_timeout']);
    await waitFor(() => b.nodes().length === 0, 'b to see the connection close');
  });

  it('fails a pending remote call with { nodedown: node } when the connection is lost', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const silent = b.node.spawnLoop(() => {}, { name: 'silent' });
    const pending = callServer(a.node, silent, 'hello', 'infinity').catch((e: unknown) => e);
    await waitFor(() => b.nodes().length === 1, 'the connection');
    await turn();
    b.disconnect(a.name);
    expect(((await pending) as { reason?: unknown }).reason).toEqual({ nodedown: b.name });
  });

  it('lets a process that trapped exits survive a lost link, and a non-trapping one die of noconnection', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const remote = b.node.spawn((ctx) => ctx.receive());
    const victim = a.node.spawn(async (ctx) => {
      ctx.link(remote);
      await ctx.receive();
    });
    const reason = a.node.run(async (ctx) => {
      const ref = ctx.monitor(victim);
      return (await ctx.receive((m): m is DownMessage => isDownMessage(m, ref))).reason;
    });
    await waitFor(() => b.node.processInfo(remote)?.links.length === 1, 'the link to reach b');
    a.disconnect(b.name);
    expect(await reason).toBe('noconnection');
    // b's side of the link heard noconnection too, so the remote process (not trapping) died.
    await waitFor(() => !b.node.isAlive(remote), 'the remote process to die');
  });
});
