/**
 * Spawn options checked at the boundary leave nothing behind when refused.
 */
import { BadArgError } from '@grove/core';
import { node, useNode } from './helpers';

describe('spawn options', () => {
  useNode();

  it('refuses link outside a process without registering the name it was given', () => {
    expect(() => node.spawn(async () => undefined, { name: 'worker', link: true })).toThrow(BadArgError);
    expect(node.whereis('worker')).toBeUndefined();
    expect(node.processCount).toBe(0);
    const pid = node.spawnLoop(() => undefined, { name: 'worker' });
    expect(node.whereis('worker')).toBe(pid);
  });
});
