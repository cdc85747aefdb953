import { BadArgError, callServer, GenCall, ManualClock, Node, NoProcError, reply, UnknownCallError, type From, type Pid } from '@grove/core';
import { BadRequestError, DistNodeError, GLOBAL_NAME_SERVER, globalOf } from '@grove/distribution';
import { cluster, exitReason, forgedCall, idle, memNode, stopAll, tables, waitFor } from './global_helpers';

afterEach(stopAll);

describe('global names on a connected cluster', () => {
  it('registers a name once and finds it on every node', async () => {
    const [a, b, c] = await cluster(3);
    const pid = idle(b.node);
    expect(await globalOf(a).registerName('db', pid)).toBe(true);
    for (const d of [a, b, c]) expect(globalOf(d).whereisName('db')?.key).toBe(pid.key);
    expect(globalOf(c).registeredNames()).toEqual(['db']);
  });

  it('resolves a registration only once every connected node has the name, however long one takes to answer', async () => {
    const clock = new ManualClock();
    const a = await memNode('a', { nodeOptions: { clock } }); // the smaller name: a runs the pair's sync
    const z = await memNode('z');
    // z's name server grants locks and syncs at once, but holds its answer to a register.
    z.node.unregister(GLOBAL_NAME_SERVER);
    let held: From | null = null;
    z.node.spawnLoop(
      (m) => {
        if (!(m instanceof GenCall)) return;
        const type = (m.request as { type?: unknown }).type;
        if (type === 'global.register') held = m.from;
        else reply(z.node, m.from, type === 'global.nodes' ? [] : type === 'global.names' ? [] : type === 'global.set_lock' ? true : 'ok');
      },
      { name: GLOBAL_NAME_SERVER },
    );
    expect(await a.connect(z.name)).toBe(true);
    await globalOf(a).sync();
    let resolved = false;
    const registration = globalOf(a).registerName('slow', idle(a.node)).then((r) => ((resolved = true), r));
    await waitFor(() => held !== null, 'z to be asked to register the name');
    // Long past any request timeout: the registrar still waits for z (OTP's multi_call, infinity).
    clock.advance(60_000);
    expect(await z.ping(a.name)).toBe('pong');
    expect(await a.ping(z.name)).toBe('pong');
    expect(resolved).toBe(false);
    reply(z.node, held!, 'ok');
    expect(await registration).toBe(true);
  });

  it('releases a lock request that timed out, so a late grant does not hold the lock forever', async () => {
    const clock = new ManualClock();
    const a = await memNode('a', { nodeOptions: { clock } });
    const z = await memNode('z');
    // z's name server answers everything at once but a set_lock of resource 'slow'.
    z.node.unregister(GLOBAL_NAME_SERVER);
    const seen: string[] = [];
    z.node.spawnLoop(
      (m) => {
        if (!(m instanceof GenCall)) return void seen.push((m as { type?: string }).type ?? '?');
        const r = m.request as { type?: unknown; resource?: unknown };
        if (r.type === 'global.set_lock' && r.resource === 'slow') return void seen.push('set_lock slow');
        reply(z.node, m.from, r.type === 'global.nodes' || r.type === 'global.names' ? [] : r.type === 'global.set_lock' ? true : 'ok');
      },
      { name: GLOBAL_NAME_SERVER },
    );
    expect(await a.connect(z.name)).toBe(true);
    await globalOf(a).sync();
    const attempt = globalOf(a).setLock(['slow', 'me'], [z.name], 0);
    await waitFor(() => seen.includes('set_lock slow'), 'z to be asked for the lock');
    clock.advance(60_000);
    expect(await attempt).toBe(false);
    await waitFor(() => seen.lastIndexOf('global.del_lock') > seen.indexOf('set_lock slow'), 'a release after the request');
  });

  it('refuses a name that is taken, on any node', async () => {
    const [a, b] = await cluster(2);
    const p1 = idle(a.node);
    const p2 = idle(b.node);
    expect(await globalOf(a).registerName('db', p1)).toBe(true);
    expect(await globalOf(b).registerName('db', p2)).toBe(false);
    expect(await globalOf(a).registerName('db', p1)).toBe(false);
    expect(globalOf(b).whereisName('db')?.key).toBe(p1.key);
  });

  it('refuses a second name for a process with register, as OTP, but re-register gives it one', async () => {
    const [a, b] = await cluster(2);
    const p = idle(a.node);
    expect(await globalOf(a).registerName('one', p)).toBe(true);
    expect(await globalOf(b).registerName('two', p)).toBe(false);
    expect(await globalOf(a).registerName('two', p)).toBe(false);
    expect(globalOf(b).registeredNames()).toEqual(['one']);
    await globalOf(b).reRegisterName('two', p);
    expect(globalOf(a).registeredNames().sort()).toEqual(['one', 'two']);
    // Once its names are gone, the process may take a name again.
    await globalOf(a).unregisterName('one');
    await globalOf(a).unregisterName('two');
    expect(await globalOf(b).registerName('three', p)).toBe(true);
  });

  it('re-registers a name to another pid everywhere', async () => {
    const [a, b] = await cluster(2);
    const p1 = idle(a.node);
    const p2 = idle(b.node);
    await globalOf(a).registerName('db', p1);
    await globalOf(b).reRegisterName('db', p2);
    expect(globalOf(a).whereisName('db')?.key).toBe(p2.key);
    expect(globalOf(b).whereisName('db')?.key).toBe(p2.key);
  });

  it('unregisters a name everywhere, and does nothing for an unknown one', async () => {
    const [a, b] = await cluster(2);
    await globalOf(a).registerName('db', idle(a.node));
    await globalOf(b).unregisterName('db');
    expect(globalOf(a).whereisName('db')).toBeUndefined();
    expect(globalOf(b).whereisName('db')).toBeUndefined();
    await globalOf(a).unregisterName('never');
    expect(await globalOf(b).registerName('db', idle(b.node))).toBe(true);
  });

  it('sends to a global name from any node, and refuses an unknown name with noproc', async () => {
    const [a, b] = await cluster(2);
    const got = a.node.run(async (ctx) => {
      await globalOf(a).registerName('inbox', ctx.self);
      ctx.send(ctx.self, 'registered');
      await ctx.receive((m) => m === 'registered');
      return ctx.receive((m) => (m as { hello?: unknown }).hello !== undefined);
    });
    await waitFor(() => globalOf(b).whereisName('inbox') !== undefined, 'inbox to be known on b');
    expect(globalOf(b).send('inbox', { hello: 'from b' }).key).toBe(globalOf(a).whereisName('inbox')?.key);
    expect(await got).toEqual({ hello: 'from b' });
    expect(() => globalOf(b).send('nobody', 1)).toThrow(NoProcError);
  });

  it('accepts tuple-like names: arrays and plain objects compared as terms', async () => {
    const [a, b] = await cluster(2);
    const p = idle(a.node);
    expect(await globalOf(a).registerName(['session', 42], p)).toBe(true);
    const q = idle(a.node);
    expect(await globalOf(a).registerName({ kind: 'cache', shard: 1 }, q)).toBe(true);
    expect(globalOf(b).whereisName(['session', 42])?.key).toBe(p.key);
    expect(globalOf(b).whereisName({ shard: 1, kind: 'cache' })?.key).toBe(q.key);
    expect(globalOf(b).whereisName(['session', 43])).toBeUndefined();
    expect(await globalOf(b).registerName(['session', 42], idle(b.node))).toBe(false);
  });

  it('shows names registered before two nodes met once they sync', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const pa = idle(a.node);
    const pb = idle(b.node);
    await globalOf(a).registerName('left', pa);
    await globalOf(b).registerName('right', pb);
    expect(await a.connect(b.name)).toBe(true);
    await globalOf(a).sync();
    await globalOf(b).sync();
    expect(globalOf(a).whereisName('right')?.key).toBe(pb.key);
    expect(globalOf(b).whereisName('left')?.key).toBe(pa.key);
  });

  it('keeps a hidden node out of global: its names stay local, and it sees none of the cluster', async () => {
    const [a] = await cluster(1);
    const h = await memNode('h', { hidden: true });
    await globalOf(a).registerName('shared', idle(a.node));
    expect(await h.connect(a.name)).toBe(true);
    await globalOf(h).sync();
    await globalOf(a).sync();
    expect(globalOf(h).whereisName('shared')).toBeUndefined();
    expect(await globalOf(h).registerName('shared', idle(h.node))).toBe(true);
    expect(globalOf(a).whereisName('shared')?.node).toBe(a.name);
  });

  it('spreads a sync to nodes the peer knows: a-b then a-c gives every name on every node', async () => {
    const [a, b] = await cluster(2);
    const c = await memNode('c');
    await globalOf(a).registerName('from_a', idle(a.node));
    await globalOf(c).registerName('from_c', idle(c.node));
    await c.connect(a.name);
    await waitFor(() => c.nodes().length === 2 && b.nodes().length === 2, 'the mesh');
    await Promise.all([a, b, c].map((d) => globalOf(d).sync()));
    const t = tables([a, b, c]);
    expect(t[0]).toHaveLength(2);
    expect(t[1]).toEqual(t[0]);
    expect(t[2]).toEqual(t[0]);
  });
});

describe('names leave with their process or node', () => {
  it('removes a name on every node when its process exits', async () => {
    const [a, b] = await cluster(2);
    const p = idle(b.node);
    await globalOf(a).registerName('worker', p);
    const dead = exitReason(b.node, p);
    b.node.send(p, 'stop');
    expect(await dead).toBe('normal');
    await waitFor(() => globalOf(a).whereisName('worker') === undefined && globalOf(b).whereisName('worker') === undefined, 'the name to go');
    expect(globalOf(a).registeredNames()).toEqual([]);
    expect(await globalOf(a).registerName('worker', idle(a.node))).toBe(true);
  });

  it('removes a name whose process was killed, so a restart can take it at once', async () => {
    const [a] = await cluster(2);
    const p = idle(a.node);
    await globalOf(a).registerName('svc', p);
    // Monitor, then kill, from one process: a monitor that arrives after the kill would get noproc (as in OTP).
    const dead = a.node.run(async (ctx) => {
      ctx.monitor(p);
      ctx.exit(p, 'kill');
      return ((await ctx.receive((m) => (m as { type?: unknown }).type === 'DOWN')) as { reason: unknown }).reason;
    });
    expect(await dead).toBe('killed');
    // The global server may not have seen its DOWN yet: a dead local holder holds no name all the same.
    expect(await globalOf(a).registerName('svc', idle(a.node))).toBe(true);
  });

  it("removes a node's names from the others when it goes down", async () => {
    const [a, b, c] = await cluster(3);
    await globalOf(b).registerName('on_b', idle(b.node));
    await globalOf(a).registerName('on_a', idle(a.node));
    await b.stop();
    await waitFor(() => globalOf(a).whereisName('on_b') === undefined && globalOf(c).whereisName('on_b') === undefined, 'on_b to go');
    expect(globalOf(c).registeredNames()).toEqual(['on_a']);
  });

  it('rejects a registration still under way when its own node stops', async () => {
    const [a] = await cluster(2);
    const pending = globalOf(a).registerName('late', idle(a.node));
    await a.stop();
    await expect(pending).rejects.toThrow(/has exited/);
  });

  it('removes the names of a disconnected node, and registers it again after reconnect', async () => {
    const [a, b] = await cluster(2);
    const pb = idle(b.node);
    await globalOf(b).registerName('on_b', pb);
    a.disconnect(b.name);
    await waitFor(() => globalOf(a).whereisName('on_b') === undefined, 'on_b to leave a');
    expect(globalOf(b).whereisName('on_b')?.key).toBe(pb.key);
    await a.connect(b.name);
    await globalOf(a).sync();
    expect(globalOf(a).whereisName('on_b')?.key).toBe(pb.key);
  });
});

describe('overlapping partitions', () => {
  it('disconnects a peer that does not remove its connection when asked, from its own side', async () => {
    const a = await memNode('a');
    const c = await memNode('c');
    // z's name server answers syncs and ignores every message (a peer without the feature;
    // the real one, unregistered, runs on and would still report that z lost a: not with the setting off).
    const z = await memNode('z', { preventOverlappingPartitions: false });
    z.node.unregister(GLOBAL_NAME_SERVER);
    const ignored: unknown[] = [];
    z.node.spawnLoop(
      (m) => {
        if (!(m instanceof GenCall)) return void ignored.push((m as { type?: unknown }).type);
        const type = (m.request as { type?: unknown }).type;
        reply(z.node, m.from, type === 'global.nodes' || type === 'global.names' ? [] : type === 'global.set_lock' ? true : 'ok');
      },
      { name: GLOBAL_NAME_SERVER },
    );
    expect(await a.connect(z.name)).toBe(true);
    expect(await a.connect(c.name)).toBe(true);
    await waitFor(() => c.nodes().length === 2, 'c to see a and z');
    a.disconnect(z.name);
    // a tells c it lost z; c asks z to remove their connection; z does not; after the grace, c does.
    await waitFor(() => ignored.includes('global.remove_connection'), 'c to ask z to remove their connection');
    expect(c.nodes().sort()).toEqual([a.name, z.name].sort());
    await waitFor(() => !c.nodes().includes(z.name), 'c to disconnect z itself, after a grace of 2 s');
    expect(c.nodes()).toEqual([a.name]);
  });
});

describe('global bad input', () => {
  it('refuses names that are not terms it can compare', async () => {
    const [a] = await cluster(1);
    const g = globalOf(a);
    const p = idle(a.node);
    await expect(g.registerName(() => 1, p)).rejects.toThrow(BadArgError);
    await expect(g.registerName(new Map(), p)).rejects.toThrow(/not a valid global name/);
    await expect(g.registerName(Symbol('x'), p)).rejects.toThrow(BadArgError);
    expect(() => g.whereisName(new Date())).toThrow(BadArgError);
    expect(() => g.via(new Set())).toThrow(BadArgError);
  });

  it('refuses a cyclic name and names the bad part of a tuple', async () => {
    const [a] = await cluster(1);
    const g = globalOf(a);
    const cyclic: unknown[] = ['loop'];
    cyclic.push(cyclic);
    expect(() => g.whereisName(cyclic)).toThrow(/cyclic structure/);
    expect(() => g.whereisName(['session', new Map()])).toThrow(/at \$\[1\]\): an instance of Map cannot be a global name/);
    expect(g.whereisName(['session', { user: 1n, pid: idle(a.node) }])).toBeUndefined();
  });

  it('refuses a pid that is not a pid and a resolve that is not a function', async () => {
    const [a] = await cluster(1);
    const g = globalOf(a);
    await expect(g.registerName('x', 'pid' as unknown as Pid)).rejects.toThrow(/expected a pid/);
    await expect(g.reRegisterName('x', 42 as unknown as Pid)).rejects.toThrow(/expected a pid/);
    await expect(g.registerName('x', idle(a.node), 'random' as never)).rejects.toThrow(/resolve must be a function/);
  });

  it('refuses a node that is not distributed, and a caller that is not one', () => {
    expect(() => globalOf(new Node())).toThrow(DistNodeError);
    expect(() => globalOf({} as never)).toThrow(BadArgError);
  });

  it('refuses malformed requests from a peer with BadRequestError, changing nothing, and never dies of one', async () => {
    const [a, b] = await cluster(2);
    const server: [string, string] = [GLOBAL_NAME_SERVER, a.name];
    const pid = a.node.whereis(GLOBAL_NAME_SERVER)!;
    expect(await globalOf(a).registerName('kept', idle(a.node))).toBe(true);
    const requests: Array<[unknown, RegExp]> = [
      [{ type: 'global.apply', ops: 5 }, /apply needs an array of operations, got 5/],
      // Checked in full first: the good insert before the bad one is not applied either.
      [{ type: 'global.apply', ops: [{ op: 'insert', rec: { name: 'half', pid: idle(b.node), method: 'x' } }, { op: 'insert', rec: { name: 'x', pid: 'not a pid' } }] }, /a name record needs a pid/],
      [{ type: 'global.apply', ops: [{ op: 'drop', name: 'kept' }] }, /an insert or a delete/],
      [{ type: 'global.register', rec: null, force: false }, /a name record must be an object, got null/],
      [{ type: 'global.register', rec: { name: new Map(), pid: idle(b.node), method: 'm' }, force: false }, /not a valid global name/],
      [{ type: 'global.unregister', name: 'kept', pid: 'kept' }, /a pid or null/],
      [{ type: 'global.set_lock', resource: { toString: 'x' }, requester: 'r' }, /set_lock needs a string resource/],
      [{ type: 'global.resolve', name: 'kept', pid1: 1, pid2: 2 }, /two pids/],
    ];
    for (const [request, detail] of requests) {
      const e = await callServer(b.node, server, request, 5000).then(() => null, (err: unknown) => err as BadRequestError);
      expect(e).toBeInstanceOf(BadRequestError);
      expect(e!.message).toMatch(detail);
    }
    await expect(callServer(b.node, server, { type: 'nope' })).rejects.toThrow(UnknownCallError);
    // Messages: dropped. Calls with no caller to answer: dropped.
    const partitionNews = [
      { type: 'global.lost_connection', node: 5, lost: b.name, creation: 1, opId: 1 },
      { type: 'global.lost_connection', node: 'carol@127.0.0.1', lost: 'not a node', creation: 1, opId: 1 },
      { type: 'global.lost_connection', node: 'carol@127.0.0.1', lost: b.name, creation: 'one', opId: 1 },
      { type: 'global.lost_connection', node: 'carol@host', lost: b.name, creation: 1, opId: 1 }, // a short name among long ones
      { type: 'global.remove_connection', node: ['x'] },
      { type: 'global.remove_connection', node: 'stranger@127.0.0.1' }, // well-formed, but not connected: nothing to do
      { type: 'global.remove_grace', node: b.name }, // b was never asked: stays
    ];
    for (const msg of ['garbage', { type: 'global.del_lock', resource: 1 }, { type: 'DOWN' }, { type: 'global.synced' }, { type: 'global.rejoin', node: 5 }, ...partitionNews]) b.node.send(server, msg);
    for (const from of ['nobody', { pid: 'nope', tag: 1 }, { pid: idle(b.node), tag: NaN }]) b.node.send(server, forgedCall(b.node, from, { type: 'global.names' }));
    expect(await globalOf(b).registerName('still_works', idle(b.node))).toBe(true);
    expect(globalOf(a).whereisName('still_works')).toBeDefined();
    expect(globalOf(a).whereisName('half')).toBeUndefined();
    expect(globalOf(a).whereisName('kept')).toBeDefined();
    expect(a.node.whereis(GLOBAL_NAME_SERVER)).toBe(pid);
    expect(a.nodes()).toEqual([b.name]);
  });

  it('drops a forged call that names no caller to answer, and keeps serving', async () => {
    const [a] = await cluster(1, { nodeOptions: { checkMessages: false } });
    // A peer may write a `grove.$gen_call` class term whose caller is not a pid; this is what it decodes to.
    const forged = forgedCall(a.node, 'nobody', { type: 'global.names' });
    expect(forged).toBeInstanceOf(GenCall);
    a.node.send(GLOBAL_NAME_SERVER, forged);
    expect(await globalOf(a).registerName('still_works', idle(a.node))).toBe(true);
    expect(globalOf(a).whereisName('still_works')).toBeDefined();
    expect(a.node.whereis(GLOBAL_NAME_SERVER)).toBeDefined();
  });

  it('comes back when killed (the kernel supervisor restarts it) and gets the names back from its peers', async () => {
    const [a, b] = await cluster(2);
    const holder = idle(a.node);
    expect(await globalOf(a).registerName('db', holder)).toBe(true);
    const via = globalOf(b);
    const first = b.node.whereis(GLOBAL_NAME_SERVER)!;
    b.node.exit(first, 'kill');
    await waitFor(() => b.node.whereis(GLOBAL_NAME_SERVER) !== undefined && !b.node.whereis(GLOBAL_NAME_SERVER)!.equals(first), 'the name server to be restarted');
    await via.sync();
    expect(via.whereisName('db')?.equals(holder)).toBe(true);
    expect(await via.registerName('db', idle(b.node))).toBe(false);
    expect(await via.registerName('other', idle(b.node))).toBe(true);
    expect(globalOf(a).whereisName('other')).toBeDefined();
    // The restarted server watches the names it got back: the holder's exit removes it.
    a.node.exit(holder, 'kill');
    await waitFor(() => via.whereisName('db') === undefined && globalOf(a).whereisName('db') === undefined, 'the name to leave with its holder');
  });

  it('refuses bad lock ids, nodes and retries', async () => {
    const [a] = await cluster(1);
    const g = globalOf(a);
    expect(() => g.setLock('x' as never)).toThrow(/\[resource, requester\]/);
    expect(() => g.setLock(['r', 'q'], 'a@b' as never)).toThrow(/nodes must be an array/);
    expect(() => g.setLock(['r', 'q'], undefined, -1)).toThrow(/retries/);
  });
});
