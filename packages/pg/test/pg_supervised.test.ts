import { isDownMessage, Node, startSupervisor, whichChildren } from '@grove/core';
import * as pg from '@grove/pg';
import { idle, waitFor } from './helpers';

describe('pg scopes under a supervisor', () => {
  let node: Node;
  beforeEach(() => {
    node = new Node();
  });
  afterEach(() => node.halt());

  it('runs the default scope and a named scope as supervised workers', async () => {
    const sup = await startSupervisor(node, { children: [pg.childSpec(), pg.childSpec('chat')] });
    const children = await whichChildren(node, sup);
    expect(children.map((c) => c.id)).toEqual(['pg:pg', 'pg:chat']);
    const a = node.spawn(idle);
    await pg.join(node, 'room', a);
    await pg.join(node, 'chat', 'room', a);
    expect(pg.getMembers(node, 'room')).toEqual([a]);
    expect(pg.getMembers(node, 'chat', 'room')).toEqual([a]);
  });

  it('restarts a scope that a garbage message crashed, with an empty local membership (as OTP)', async () => {
    await startSupervisor(node, { children: [pg.childSpec('restarts')] });
    const a = node.spawn(idle);
    await pg.join(node, 'restarts', 'g', a);
    const before = node.whereis('restarts')!;
    await node.run(async (ctx) => {
      const ref = ctx.monitor(before);
      ctx.send('restarts', 'garbage');
      await ctx.receive((m) => isDownMessage(m, ref));
    });
    await waitFor(() => node.whereis('restarts') !== undefined, 'the scope to restart');
    expect(node.whereis('restarts')!.equals(before)).toBe(false);
    expect(pg.getMembers(node, 'restarts', 'g')).toEqual([]);
    await pg.join(node, 'restarts', 'g', a);
    expect(pg.getMembers(node, 'restarts', 'g')).toEqual([a]);
  });

  it('takes its id from the options', () => {
    expect(pg.childSpec('s', { id: 'groups' })).toMatchObject({ id: 'groups', restart: 'permanent', type: 'worker' });
  });
});
