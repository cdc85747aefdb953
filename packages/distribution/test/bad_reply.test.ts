/**
 * Any term can be sent as a `$gen_call`, so a call's reply address (`From`: a pid and a
 * tag) is data a sender chooses. Over real TCP: a server asked to reply with a tag no
 * varint carries (Infinity, -1, 1.5, NaN...) or to something that is not a pid drops
 * that reply and goes on; the node the reply was addressed to keeps its connection,
 * and with it every link and monitor that crosses it.
 */
import { callServer, GenCall, GenServer, isDownMessage, isExitMessage, NotCopyableError, Pid, type From } from '@grove/core';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';

afterEach(stopTcpNodes);

class Echo extends GenServer {
  override handleCall(): unknown {
    return 'pong';
  }
}

const BAD_TAGS: unknown[] = [Infinity, -Infinity, -1, 1.5, NaN, 2 ** 53, '7', null];

describe('a call whose reply address cannot be answered', () => {
  it('is dropped; the server goes on and the node it names keeps its connection, links and monitors', async () => {
    const [a, c, p] = [await tcpNode('a'), await tcpNode('c'), await tcpNode('p')];
    await Echo.start(a.node, undefined, { name: 'echo' });
    await Echo.start(c.node, undefined, { name: 'echo' });
    // An innocent third node c: one of its processes is linked to and monitored from a.
    const victim = c.node.spawn(async (ctx) => void (await ctx.receive((m) => m === 'stop')));
    const seen: unknown[] = [];
    const watcher = a.node.spawn(async (ctx) => {
      ctx.trapExit(true);
      ctx.link(victim);
      ctx.monitor(victim);
      for (;;) seen.push(await ctx.receive((m) => isExitMessage(m) || isDownMessage(m)));
    });
    expect(await callServer(a.node, ['echo', c.name], 'ping')).toBe('pong');
    expect(c.node.processInfo(victim)!.links).toEqual([watcher]);
    expect(await p.connect(a.name)).toBe(true);

    for (const tag of BAD_TAGS) {
      const forged = (pid: unknown): GenCall => new GenCall({ pid, tag } as unknown as From, 'ping');
      a.node.send('echo', forged(victim)); // crafted by a local process
      p.node.send(['echo', a.name], forged(victim)); // sent by a peer
    }
    for (const pid of ['victim', { node: c.name, id: 1 }, { node: { toString: 'x' } }]) {
      a.node.send('echo', new GenCall({ pid, tag: 1 } as unknown as From, 'ping'));
    }
    // A pid made by hand that the wire cannot carry fails its local sender (messages are copied under jest).
    expect(() => a.node.send('echo', new GenCall({ pid: new Pid(c.name, -1, 0, 1), tag: 1 }, 'ping'))).toThrow(NotCopyableError);

    // Each sender's calls after the forged ones: the server has handled them all and is alive.
    expect(await callServer(p.node, ['echo', a.name], 'ping')).toBe('pong');
    expect(await callServer(a.node, 'echo', 'ping')).toBe('pong');
    // A call to c goes out behind whatever a wrote to c: answered, so c decoded all of it on the same connection.
    expect(await callServer(a.node, ['echo', c.name], 'ping')).toBe('pong');
    expect(a.nodes()).toContain(c.name);
    expect(seen).toEqual([]);
    expect(a.node.processInfo(watcher)!.links).toEqual([victim]);
    expect(c.node.processInfo(victim)!.links).toEqual([watcher]);
  });

  it('refuses a send to a pid made by hand with fields the wire cannot carry, at the sender, and the connection stays up', async () => {
    const [a, c] = [await tcpNode('a'), await tcpNode('c')];
    await Echo.start(c.node, undefined, { name: 'echo' });
    expect(await callServer(a.node, ['echo', c.name], 'ping')).toBe('pong');
    for (const id of [Infinity, -1, 1.5, NaN]) {
      expect(() => a.node.send(new Pid(c.name, id, 0, c.node.creation), 'hi')).toThrow(NotCopyableError);
    }
    expect(() => a.node.send(new Pid(c.name, 1, 0, 2 ** 32), 'hi')).toThrow(/a pid whose fields cannot cross the wire/);
    expect(await callServer(a.node, ['echo', c.name], 'ping')).toBe('pong');
    expect(a.nodes()).toEqual([c.name]);
  });
});
