/**
 * Spawn options checked at the boundary leave nothing behind when refused.
 */
import { BadArgError, Node } from '@grove/core';

describe('spawn options', () => {
  let node: Node;
  beforeEach(() => {
    node = new Node();
  });
  afterEach(() => node.halt());

  it('refuses link outside a process without registering the name it was given', () => {
    expect(() => node.spawn(async () => undefined, { name: 'worker', link: true })).toThrow(BadArgError);
    expect(node.whereis('worker')).toBeUndefined();
    expect(node.processCount).toBe(0);
    const pid = node.spawnLoop(() => undefined, { name: 'worker' });
    expect(node.whereis('worker')).toBe(pid);
  });
});
