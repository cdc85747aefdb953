/**
 * global over real TCP connections: three nodes in this OS process on ephemeral
 * ports, with a private port mapper. Registration races, a partition that heals,
 * names that leave with their node, and a GenServer named globally.
 */
import { Call, GenServer, type Pid } from '@grove/core';
import { globalOf, type DistNode, type ResolveFn } from '@grove/distribution';
import { cleanup, mesh, privateEpmd, tcpNode, waitFor } from './support/nodes';

afterEach(cleanup);

async function three(): Promise<DistNode[]> {
  const epmd = await privateEpmd();
  const all = [await tcpNode('ga', epmd), await tcpNode('gb', epmd), await tcpNode('gc', epmd)];
  await mesh(all);
  return all;
}

function idle(d: DistNode): Pid {
  return d.node.spawn(async (ctx) => {
    await ctx.receive((m) => m === 'stop');
  });
}

class Greeter extends GenServer<{ call: 'hello' }> {
  @Call() hello(who: string): string {
    return `hello ${who}`;
  }
}

describe('global over TCP', () => {
  it('lets exactly one of three nodes win each round of a registration race', async () => {
    const all = await three();
    for (let round = 0; round < 25; round++) {
      const wins = await Promise.all(all.map((d) => globalOf(d).registerName(['tcp_race', round], idle(d))));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const holder = globalOf(all[0]!).whereisName(['tcp_race', round])!.key;
      for (const d of all) expect(globalOf(d).whereisName(['tcp_race', round])?.key).toBe(holder);
    }
  });

  it('keeps one name after a partition in which both sides registered it, and the resolver ran', async () => {
    const [a, b, c] = (await three()) as [DistNode, DistNode, DistNode];
    // Partition {a} | {b, c}: a has nobody, b and c keep each other.
    a.disconnect(b.name);
    a.disconnect(c.name);
    await waitFor(() => a.nodes().length === 0 && b.nodes().length === 1 && c.nodes().length === 1, 'the partition');
    let ran = 0;
    const resolve: ResolveFn = (_name, p1, p2, node) => {
      ran++;
      const [keep, lose] = p1.node === c.name ? [p1, p2] : [p2, p1];
      node.exit(lose, 'lost_the_name');
      return keep;
    };
    const pa = idle(a);
    const pc = idle(c);
    expect(await globalOf(a).registerName('primary', pa, resolve)).toBe(true);
    expect(await globalOf(c).registerName('primary', pc, resolve)).toBe(true);
    expect(await a.connect(b.name)).toBe(true);
    await mesh([a, b, c]);
    expect(ran).toBeGreaterThanOrEqual(1);
    for (const d of [a, b, c]) expect(globalOf(d).whereisName('primary')?.key).toBe(pc.key);
    await waitFor(() => !a.node.isAlive(pa), 'the loser to exit');
  });

  it("drops a stopped node's names on the others", async () => {
    const [a, b, c] = (await three()) as [DistNode, DistNode, DistNode];
    await globalOf(b).registerName('on_b', idle(b));
    expect(globalOf(c).whereisName('on_b')).toBeDefined();
    await b.stop();
    await waitFor(() => globalOf(a).whereisName('on_b') === undefined && globalOf(c).whereisName('on_b') === undefined, 'on_b to leave');
  });

  it('reaches a globally named GenServer from every node', async () => {
    const [a, b, c] = (await three()) as [DistNode, DistNode, DistNode];
    await Greeter.start(b.node, undefined, { name: globalOf(b).via('greeter') });
    expect(await Greeter.client(a.node, globalOf(a).via('greeter')).call.hello('a')).toBe('hello a');
    expect(await Greeter.client(c.node, globalOf(c).via('greeter')).call.hello('c')).toBe('hello c');
  });
});
