/**
 * Terms as another node receives them, over real TCP: what a peer's bytes may not do
 * to a decoded value (give it a prototype), and what the decoder's caches may not do
 * to it (merge the entries of a Set or Map).
 */
import { Pid } from '@grove/core';
import type { DistNode } from '@grove/distribution';
import { stopTcpNodes, tcpNode } from './support/tcp_nodes';

afterEach(stopTcpNodes);

/** Sends `msg` from `from` to a fresh process on `to` and resolves with what that process received. */
async function across(from: DistNode, to: DistNode, msg: unknown): Promise<unknown> {
  return to.node.run(async (ctx) => {
    from.node.send(ctx.self, msg);
    return ctx.receive();
  });
}

describe('terms another node receives', () => {
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
