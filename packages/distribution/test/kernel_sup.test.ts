/**
 * The kernel supervisor: the system processes of a distributed node run under it, in
 * order, and a supervisor that gives up (its children keep dying) stops the node, as
 * OTP's kernel would halt it.
 */
import { whichChildren } from '@grove/core';
import { GLOBAL_NAME_SERVER, INTROSPECT, isNodeMessage, monitorNodes, NET_KERNEL, REX, rpc } from '@grove/distribution';
import { memNode, stopAll, waitFor } from './router_helpers';

afterEach(stopAll);

describe('the kernel supervisor', () => {
  it('runs net_kernel, global_name_server, rex and grove_introspect, in that order', async () => {
    const a = await memNode('a');
    const children = await whichChildren(a.node, 'kernel_sup');
    expect(children.map((c) => c.id)).toEqual([NET_KERNEL, GLOBAL_NAME_SERVER, REX, INTROSPECT]);
    expect(children.map((c) => String(c.pid))).toEqual([NET_KERNEL, GLOBAL_NAME_SERVER, REX, INTROSPECT].map((n) => String(a.node.whereis(n))));
  });

  it('stops the node when rex keeps dying past the restart intensity; its peers see it go', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    rpc.expose(b, 'm', { one: () => 1 });
    expect(await rpc.call(a, b.name, 'm', 'one')).toBe(1);
    const down = a.node.run(async (ctx) => {
      monitorNodes(ctx);
      ctx.send(ctx.self, 'subscribed');
      await ctx.receive((m) => m === 'subscribed');
      return ctx.receive(isNodeMessage);
    });
    for (let i = 0; i <= 10; i++) {
      const pid = b.node.whereis(REX);
      if (pid === undefined) break;
      b.node.exit(pid, 'kill');
      await waitFor(() => !b.node.isAlive(pid) && (b.node.whereis(REX) !== undefined || b.node.whereis('kernel_sup') === undefined), 'rex to come back or the supervisor to give up');
    }
    expect(await down).toMatchObject({ type: 'nodedown', node: b.name });
    await waitFor(() => b.node.whereis('kernel_sup') === undefined && a.nodes().length === 0, 'b to stop');
    expect(await a.ping(b.name)).toBe('pang');
  });
});
