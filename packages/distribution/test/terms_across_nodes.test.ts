/**
 * Terms as another node receives them, over real TCP: what a peer's bytes may not do
 * to a decoded value (give it a prototype), and what the decoder's caches may not do
 * to it (merge the entries of a Set or Map).
 */
import { Pid, registerClass } from '@grove/core';
import type { DistNode } from '@grove/distribution';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';

afterEach(stopTcpNodes);

class Point {
  constructor(readonly x: number, readonly y: number) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
registerClass(Point, { name: 'test.across.Point' });

/** Sends `msg` from `from` to a fresh process on `to` and resolves with what that process received. */
async function across(from: DistNode, to: DistNode, msg: unknown): Promise<unknown> {
  return to.node.run(async (ctx) => {
    from.node.send(ctx.self, msg);
    return ctx.receive();
  });
}

describe('terms another node receives', () => {
  it('never take a prototype from the data, in a plain object or a registered class', async () => {
    const [a, b] = [await tcpNode('a'), await tcpNode('b')];
    const evil = { hacked: true, norm: 'not a method' };
    const point = new Point(3, 4);
    Object.defineProperty(point, '__proto__', { value: evil, enumerable: true, writable: true, configurable: true });
    const plain = JSON.parse('{"__proto__": {"hacked": true}, "constructor": {"prototype": {"hacked": true}}}') as object;
    const [p, o] = (await across(a, b, [point, plain])) as [Point & { hacked?: unknown }, Record<string, unknown>];
    expect(p).toBeInstanceOf(Point);
    expect(Object.getPrototypeOf(p)).toBe(Point.prototype);
    expect(p.norm()).toBe(5);
    expect(p.hacked).toBeUndefined();
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__', 'constructor']);
    expect(o['hacked']).toBeUndefined();
    expect(({} as Record<string, unknown>)['hacked']).toBeUndefined();
  });

  it('keep every entry of a Set or Map whose keys are equal pids, message after message', async () => {
    const [a, b] = [await tcpNode('a'), await tcpNode('b')];
    const equalPids = (): Pid[] => [new Pid(a.name, 5, 0, 1), new Pid(a.name, 5, 0, 1), new Pid(a.name, 69, 0, 1), new Pid(b.name, 5, 0, b.node.creation), new Pid(b.name, 5, 0, b.node.creation)];
    for (let i = 0; i < 3; i++) {
      const got = (await across(a, b, [new Set(equalPids()), new Map(equalPids().map((p, j) => [p, j]))])) as [Set<Pid>, Map<Pid, number>];
      expect(got[0].size).toBe(5);
      expect([...got[1].values()]).toEqual([0, 1, 2, 3, 4]);
      expect([...got[1].keys()].map(String)).toEqual(equalPids().map(String));
    }
  });
});
