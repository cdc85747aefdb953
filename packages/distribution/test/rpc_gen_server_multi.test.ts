/**
 * multiCall and abcast: GenServers registered under one local name on many nodes
 * (OTP gen_server:multi_call / abcast).
 */
import { Call, Cast, GenServer, type Pid } from '@grove/core';
import { abcast, multiCall, type DistNode } from '@grove/distribution';
import { cluster, stopAll } from './global_helpers';

afterEach(stopAll);

class Store extends GenServer {
  private readonly data = new Map<string, number>();
  @Call() get(key: string): number | null {
    return this.data.get(key) ?? null;
  }
  @Cast() put(key: string, value: number): void {
    this.data.set(key, value);
  }
  @Call() size(): number {
    return this.data.size;
  }
  @Call() hang(): Promise<never> {
    return new Promise(() => undefined);
  }
}

async function stores(nodes: readonly DistNode[]): Promise<Pid[]> {
  return Promise.all(nodes.map((d) => Store.start(d.node, undefined, { name: 'store' }) as Promise<Pid>));
}

describe('multiCall and abcast', () => {
  it('casts to every node with abcast, then reads every node with multiCall', async () => {
    const nodes = await cluster(3);
    await stores(nodes);
    const [a] = nodes as [DistNode];
    expect(abcast(a, 'store', ['put', 'k', 7])).toBe('abcast');
    // Casts and calls from one sender to one server stay in order: the reads see the writes.
    const r = await multiCall<number | null>(a, 'store', ['get', 'k']);
    expect(r.badNodes).toEqual([]);
    expect(r.replies.map(([n]) => n).sort()).toEqual(nodes.map((d) => d.name).sort());
    expect(r.replies.every(([, v]) => v === 7)).toBe(true);
  });

  it('reports nodes without the server, unreachable nodes and silent servers as bad nodes', async () => {
    const [a, b, c] = await cluster(3);
    await stores([a, b]);
    const r1 = await multiCall(a, [a.name, b.name, c.name, 'ghost@127.0.0.1'], 'store', 'size');
    expect(r1.replies).toEqual([
      [a.name, 0],
      [b.name, 0],
    ]);
    expect(r1.badNodes).toEqual([c.name, 'ghost@127.0.0.1']);
    const r2 = await multiCall(a, [a.name], 'store', 'no_such_call');
    expect(r2.badNodes).toEqual([a.name]);
    const r3 = await multiCall(a, [a.name, b.name], 'store', 'hang', 30);
    expect(r3.replies).toEqual([]);
    expect(r3.badNodes).toEqual([a.name, b.name]);
  });

  it('casts only to the nodes named', async () => {
    const [a, b, c] = await cluster(3);
    await stores([a, b, c]);
    abcast(a.node, [b.name], 'store', ['put', 'only', 1]);
    const r = await multiCall<number>(a.node, [a.name, b.name, c.name], 'store', 'size');
    expect(r.replies).toEqual([
      [a.name, 0],
      [b.name, 1],
      [c.name, 0],
    ]);
  });

  it('refuses bad nodes, names and timeouts', async () => {
    const [a] = await cluster(1);
    await expect(multiCall(a, ['nonode'], 'store', 'size')).rejects.toThrow(/nodes must be an array of node names/);
    await expect(multiCall(a, [a.name], '', 'size')).rejects.toThrow(/name must be/);
    await expect(multiCall(a, [a.name], 'store', 'size', -5)).rejects.toThrow(/timeoutMs/);
    expect(() => abcast(a, 42 as never, 'x')).toThrow(/name must be/);
    await expect(multiCall({} as never, 'store', 'size')).rejects.toThrow(/expected a process context/);
  });
});
