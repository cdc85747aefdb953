/** Pid.key: equal for equal pids, different when any part differs (large ids and serials too). */
import { Node, Pid } from '@grove/core';

describe('Pid.key', () => {
  it('is the same for equal pids and differs when the node, creation, id or serial does', () => {
    const big = 2 ** 40 + 5;
    const a = new Pid('a@h', big, 0, 7);
    expect(new Pid('a@h', big, 0, 7).key).toBe(a.key);
    const others = [new Pid('b@h', big, 0, 7), new Pid('a@h', big, 0, 8), new Pid('a@h', big + 1, 0, 7), new Pid('a@h', big, 1, 7), new Pid('a@h', 5, 0, 7)];
    const keys = new Set([a.key, ...others.map((p) => p.key)]);
    expect(keys.size).toBe(others.length + 1);
    const edges = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, -1].map((id) => new Pid('a@h', id, 0, 7).key);
    expect(new Set(edges).size).toBe(edges.length);
  });

  it('tells apart the pids of processes spawned on two nodes in turn', () => {
    const n1 = new Node({ name: 'one@h', creation: 1 });
    const n2 = new Node({ name: 'two@h', creation: 1 });
    const pids: Pid[] = [];
    for (let i = 0; i < 4; i++) pids.push(n1.spawnLoop(() => undefined), n2.spawnLoop(() => undefined));
    expect(new Set(pids.map((p) => p.key)).size).toBe(pids.length);
    for (const p of pids) expect(new Pid(p.node, p.id, p.serial, p.creation).key).toBe(p.key);
    n1.halt();
    n2.halt();
  });
});
