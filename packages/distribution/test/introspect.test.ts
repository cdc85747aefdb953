/**
 * The introspection service every distributed node runs (grove_introspect), asked
 * from another node: the node at a glance, its process table, one process, its
 * supervision trees with restarts, global names, pg's scopes; bad requests refused.
 */
import {
  Application,
  BadArgError,
  Cast,
  GenServer,
  startApplication,
  startLinkSupervisor,
  startSupervisor,
  sys,
  whichChildren,
  type Pid,
  type ProcessContext,
} from '@grove/core';
import { BadRequestError, globalOf, introspect, INTROSPECT, type TreeNode } from '@grove/distribution';
import * as pg from '@grove/pg';
import { memNode, stopAll, waitFor } from './router_helpers';
import { cleanup, privateEpmd, tcpNode } from '../../../test/support/nodes';

afterEach(stopAll);

class Counter extends GenServer<{ cast: 'bump' }> {
  n = 0;
  secret = 'visible state';
  @Cast('bump')
  bump(): void {
    this.n++;
  }
}

class Shop extends Application {
  start(ctx: ProcessContext): Promise<Pid> {
    return startLinkSupervisor(ctx, {
      flags: { intensity: 10 },
      children: [
        Counter.childSpec(undefined, { id: 'till', name: 'till' }),
        { id: 'back', type: 'supervisor', start: (p) => startLinkSupervisor(p, { children: [Counter.childSpec(undefined, { id: 'stock' })] }) },
      ],
    });
  }
}

function find(t: TreeNode, id: string): TreeNode | undefined {
  if (t.id === id) return t;
  for (const c of t.children ?? []) {
    const hit = find(c, id);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

describe('bytes per connection', () => {
  afterEach(cleanup);

  it('are the socket\'s counts, over TCP', async () => {
    const epmd = await privateEpmd();
    const [a, b] = await Promise.all([tcpNode('a', epmd), tcpNode('b', epmd)]);
    expect(await a.connect(b.name)).toBe(true);
    await a.node.run(async (ctx) => {
      ctx.send(['nobody_here', b.name], 'x'.repeat(10_000));
      await waitFor(() => (b.connectionInfo(a.name)?.bytesIn ?? 0) > 10_000, 'b to read the 10 kB message');
    });
    const s = await introspect(a, b.name, 'node');
    const toA = s.connections.find((x) => x.peer === a.name)!;
    expect(toA.bytesIn).toBeGreaterThan(10_000);
    expect(toA.bytesOut).toBeGreaterThan(0);
    expect(a.connectionInfo(b.name)?.bytesOut).toBeGreaterThan(10_000);
  });
});

describe('grove_introspect, asked from another node', () => {
  it('tells a node at a glance: processes, memory, connections, nodes seen going down', async () => {
    const [a, b, c] = [await memNode('a'), await memNode('b'), await memNode('c')];
    expect(await b.connect(a.name)).toBe(true);
    expect(await b.connect(c.name)).toBe(true);
    await c.stop();
    await waitFor(() => !b.nodes().includes(c.name), 'b to see c go');
    const before = b.node.processCount;
    const s = await introspect(a, b.name, 'node');
    expect(s.name).toBe(b.name);
    // The worker that answers is one of them.
    expect(s.processCount).toBe(before + 1);
    expect(s.memory.rss).toBeGreaterThan(0);
    expect(s.uptimeMs).toBeGreaterThanOrEqual(0);
    const toA = s.connections.find((x) => x.peer === a.name)!;
    expect(toA.messagesIn).toBeGreaterThan(0);
    // Nodes over the memory transport move terms, not bytes.
    expect([toA.bytesIn, toA.bytesOut]).toEqual([0, 0]);
    expect(toA.messagesOut).toBeGreaterThan(0);
    expect(s.nodesDown).toEqual([expect.objectContaining({ node: c.name })]);
  });

  it('lists the process table, sorted and cut, with messages handled', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const ref = await Counter.start(b.node, undefined, { name: 'busy' });
    for (let i = 0; i < 7; i++) ref.cast.bump();
    await waitFor(() => b.node.processInfo(ref.pid)!.messagesHandled === 7, 'the casts to be handled');
    const all = await introspect(a, b.name, 'processes');
    expect(all.length).toBeGreaterThan(4);
    expect(all.find((r) => r.name === 'busy')).toMatchObject({ behaviour: 'gen_server', messagesHandled: 7, mailboxLength: 0 });
    const top = await introspect(a, b.name, 'processes', { sort: 'messages', limit: 1 });
    expect(top.map((r) => r.name)).toEqual(['busy']);
  });

  it('shows one process in detail, its state read through sys', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const ref = await Counter.start(b.node);
    ref.cast.bump();
    const d = (await introspect(a, b.name, 'process', { pid: ref.pid }))!;
    expect(d.module).toBe('Counter');
    expect(d.state).toContain('visible state');
    expect(d.messagesHandled).toBeGreaterThanOrEqual(1);
    const gone = b.node.spawn(() => undefined);
    await waitFor(() => !b.node.isAlive(gone), 'the process to end');
    expect(await introspect(a, b.name, 'process', { pid: gone })).toBeUndefined();
  });

  it('draws the applications’ supervision trees with restart counts, kernel included', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    await startApplication(b.node, Shop);
    const stock = (await introspect(a, b.name, 'applications')).find((t) => t.name === 'Shop')!;
    const pid = find(stock.tree, 'stock')!.pid as Pid;
    b.node.exit(pid, 'kill');
    await waitFor(() => !b.node.isAlive(pid), 'the child to die');
    const apps = await introspect(a, b.name, 'applications');
    expect(apps.map((t) => t.name)).toEqual(['kernel', 'Shop']);
    // A tree a program started without an application is listed too, once, from its top.
    const loose = await startSupervisor(b.node, { children: [{ id: 'inner', type: 'supervisor', start: (p) => startLinkSupervisor(p, { children: [Counter.childSpec(undefined, { id: 'leaf' })] }) }] }, { name: 'loose' });
    const withLoose = await introspect(a, b.name, 'applications');
    expect(withLoose.map((t) => [t.name, t.type])).toEqual([['kernel', 'permanent'], ['Shop', 'temporary'], ['loose', 'supervisor']]);
    expect(String(withLoose[2]!.tree.pid)).toBe(String(loose));
    expect(find(withLoose[2]!.tree, 'leaf')).toMatchObject({ type: 'worker', restarts: 0 });
    expect(find(apps[0]!.tree, INTROSPECT)).toMatchObject({ type: 'worker', restarts: 0 });
    const shop = apps[1]!.tree;
    expect(find(shop, 'till')).toMatchObject({ name: 'till', restarts: 0 });
    expect(find(shop, 'back')).toMatchObject({ type: 'supervisor', restarts: 0, supervisorRestarts: 1 });
    expect(find(shop, 'stock')!.restarts).toBe(1);
    expect(String(find(shop, 'stock')!.pid)).toBe(String((await whichChildren(b.node, find(shop, 'back')!.pid as Pid))[0]!.pid));
    const s = await introspect(a, b.name, 'node');
    expect(s.crashes).toBe(1);
    expect(s.lastCrashes).toEqual([expect.objectContaining({ pid, reason: expect.stringContaining('kill') })]);
  });

  it('lists global names and pg scopes with their members', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const ref = await Counter.start(b.node);
    expect(await globalOf(b).registerName('the-counter', ref.pid)).toBe(true);
    await pg.start(b.node, 'observed');
    await pg.join(b.node, 'observed', 'workers', ref.pid);
    expect((await introspect(a, b.name, 'global')).map((g) => [g.name, String(g.pid)])).toEqual([['the-counter', String(ref.pid)]]);
    const scopes = (await introspect(a, b.name, 'sources'))['pg'] as { scope: string; groups: { group: unknown; members: Pid[] }[] }[];
    expect(scopes.map((s) => [s.scope, s.groups.map((g) => [g.group, g.members.map(String)])])).toEqual([['observed', [['workers', [String(ref.pid)]]]]]);
  });

  it('traces a server on demand: its last messages, bounded in count and time', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    const ref = await Counter.start(b.node);
    expect(await introspect(a, b.name, 'trace', { pid: ref.pid, op: 'get' })).toMatchObject({ tracing: false, events: [] });
    const started = (await introspect(a, b.name, 'trace', { pid: ref.pid, op: 'start', limit: 3 }))!;
    expect(started).toMatchObject({ tracing: true, limit: 3, events: [] });
    expect(started.until! - Date.now()).toBeGreaterThan(20_000); // 30 s by default
    for (let i = 0; i < 5; i++) ref.cast.bump();
    await sys.getState(b.node, ref.pid); // behind the casts: they are handled
    const got = (await introspect(a, b.name, 'trace', { pid: ref.pid, op: 'get' }))!;
    expect(got.tracing).toBe(true);
    expect(got.events).toHaveLength(3); // the last 3 only
    expect(got.events.filter((e) => e.type === 'in')).toContainEqual({ type: 'in', kind: 'cast', term: expect.stringContaining('bump') });
    const stopped = (await introspect(a, b.name, 'trace', { pid: ref.pid, op: 'stop' }))!;
    expect(stopped).toMatchObject({ tracing: false, until: undefined });
    expect(stopped.events).toEqual(got.events);
    ref.cast.bump();
    // Ended, the trace keeps what it held; the server logs no more.
    expect((await introspect(a, b.name, 'trace', { pid: ref.pid, op: 'get' }))!.events).toEqual(got.events);

    // A trace ends by itself after durationMs, and keeps its events.
    await introspect(a, b.name, 'trace', { pid: ref.pid, op: 'start', durationMs: 200 });
    ref.cast.bump();
    await waitFor(async () => (await introspect(a, b.name, 'trace', { pid: ref.pid, op: 'get' }))!.tracing === false, 'the trace to end');
    const ended = (await introspect(a, b.name, 'trace', { pid: ref.pid, op: 'get' }))!;
    expect(ended.events.some((e) => e.type === 'in' && e.term.includes('bump'))).toBe(true);

    // Only servers: a plain process has no sys to ask; a process not there is undefined.
    const plain = b.node.spawn((ctx) => ctx.receive(() => true));
    await expect(introspect(a, b.name, 'trace', { pid: plain, op: 'start' })).rejects.toThrow(/not a behaviour: only servers/);
    b.node.exit(plain, 'kill');
    await waitFor(() => !b.node.isAlive(plain), 'the process to end');
    expect(await introspect(a, b.name, 'trace', { pid: plain, op: 'start' })).toBeUndefined();
    await expect(introspect(a, b.name, 'trace', { pid: ref.pid, op: 'watch' as 'get' })).rejects.toThrow(/op must be start, get or stop/);
    await expect(introspect(a, b.name, 'trace', { pid: ref.pid, op: 'start', limit: 1000 })).rejects.toThrow(/limit must be an integer from 1 to 100/);
    await expect(introspect(a, b.name, 'trace', { pid: ref.pid, op: 'start', durationMs: 60_000 })).rejects.toThrow(/durationMs must be an integer from 1 to 30000/);
    await expect(introspect(a, b.name, 'trace', { op: 'get' })).rejects.toThrow(/trace: expected a pid/);
  });

  it('refuses a malformed request with a clear error and goes on serving', async () => {
    const [a, b] = [await memNode('a'), await memNode('b')];
    await expect(introspect(a, b.name, 'processes', { sort: 'size' as 'mailbox' })).rejects.toThrow(BadRequestError);
    await expect(introspect(a, b.name, 'processes', { limit: -1 })).rejects.toThrow(/limit must be an integer/);
    await expect(introspect(a, b.name, 'process', { pid: 'me' as unknown as Pid })).rejects.toThrow(/expected a pid/);
    await expect(introspect(a, b.name, 'everything' as 'node')).rejects.toThrow(/not an introspection request/);
    expect((await introspect(a, b.name, 'node')).name).toBe(b.name);
    expect(() => introspect({} as never, b.name, 'node')).toThrow(BadArgError);
  });
});
