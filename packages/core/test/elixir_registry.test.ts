/**
 * Elixir's Registry (src/registry/): unique and duplicate keys, lookup, match,
 * select, dispatch, via names, cleanup on exit, listeners. The node's local names
 * are tested in registry.test.ts.
 */
import {
  BadArgError,
  Call,
  GenServer,
  Registry,
  isExitMessage,
  startSupervisor,
  whichChildren,
  type Pid,
  type ProcessContext,
  type RegistryRegisterEvent,
  type RegistryUnregisterEvent,
} from '@grove/core';
import { downReason, node, useNode, waitFor } from './helpers';

useNode();

/** Spawns a process that registers `key` with `value` in `registry`, then idles until `stop`. */
function registered(registry: string, key: unknown, value: unknown): Promise<Pid> {
  return node.run(async (ctx) => {
    const parent = ctx.self;
    const pid = ctx.spawn(async (c) => {
      const r = Registry.register(c, registry, key, value);
      c.send(parent, ['registered', r]);
      await c.receive((m) => m === 'stop');
    });
    const [, r] = await ctx.receive((m): m is [string, unknown] => Array.isArray(m) && m[0] === 'registered');
    expect(r).toBe('ok');
    return pid;
  });
}

describe('Registry with unique keys', () => {
  it('registers a key once and tells the second process who holds it', async () => {
    await Registry.start(node, { name: 'names', keys: 'unique' });
    const a = await registered('names', 'room:1', { size: 3 });
    await node.run(async (ctx) => {
      expect(Registry.register(ctx, 'names', 'room:1', {})).toEqual({ alreadyRegistered: a });
      expect(Registry.register(ctx, 'names', ['room', 2], 'mine')).toBe('ok');
      expect(Registry.register(ctx, 'names', ['room', 2], 'again')).toEqual({ alreadyRegistered: ctx.self });
      expect(Registry.lookup(ctx, 'names', ['room', 2])).toEqual([{ key: ['room', 2], pid: ctx.self, value: 'mine' }]);
      expect(Registry.updateValue(ctx, 'names', ['room', 2], 'changed')).toBe(true);
      expect(Registry.updateValue(ctx, 'names', 'room:1', 'not mine')).toBe(false);
      expect(Registry.lookup(ctx, 'names', ['room', 2])[0]!.value).toBe('changed');
      Registry.unregister(ctx, 'names', ['room', 2]);
      expect(Registry.lookup(ctx, 'names', ['room', 2])).toEqual([]);
    });
    expect(Registry.lookup(node, 'names', 'room:1')).toEqual([{ key: 'room:1', pid: a, value: { size: 3 } }]);
    expect(Registry.keys(node, 'names', a)).toEqual(['room:1']);
  });

  it('forgets the entries of a process when it exits, whatever the reason', async () => {
    const reg = await Registry.start(node, { name: 'names', keys: 'unique' });
    const a = await registered('names', 'a', 1);
    const b = await registered('names', 'b', 2);
    node.send(a, 'stop');
    node.exit(b, 'kill');
    await waitFor(() => Registry.count(node, 'names') === 0, 'the registry to forget a and b');
    expect(Registry.lookup(node, 'names', 'a')).toEqual([]);
    expect(node.processInfo(reg)?.links).toEqual([]);
  });

  it('names a GenServer through via, and frees the name when it stops', async () => {
    class Room extends GenServer<{ call: 'hello' }> {
      @Call() hello(): string {
        return 'hi';
      }
    }
    await Registry.start(node, { name: 'rooms', keys: 'unique' });
    const name = Registry.via(node, 'rooms', 'room:7', { topic: 'tea' });
    const pid = (await Room.start(node, undefined, { name })).pid; // the plain pid, to compare with toEqual
    expect(node.whereis(name)).toEqual(pid);
    expect(Registry.lookup(node, 'rooms', 'room:7')).toEqual([{ key: 'room:7', pid, value: { topic: 'tea' } }]);
    expect(await Room.client(node, name).call.hello()).toBe('hi');
    await expect(Room.start(node, undefined, { name })).rejects.toMatchObject({ reason: { alreadyStarted: pid } });
    node.exit(pid, 'kill');
    await waitFor(() => node.whereis(name) === undefined, 'the via name to be freed');
    const again = await Room.start(node, undefined, { name });
    expect(node.whereis(name)).toEqual(again.pid);
  });

  it('gives the unique key of a process that just died to the next one, before the EXIT reaches the registry', async () => {
    await Registry.start(node, { name: 'names', keys: 'unique' });
    const holder = await registered('names', 'k', 1);
    let heir: ProcessContext | undefined;
    const heirPid = node.spawn(async (ctx) => {
      heir = ctx;
      await ctx.receive((m) => m === 'stop');
    });
    await waitFor(() => heir !== undefined, 'the heir to run');
    let result: unknown;
    // Called as the holder dies, before the registry has run to handle its EXIT.
    const off = node.onExit((pid) => {
      if (pid.equals(holder)) result = Registry.register(heir!, 'names', 'k', 2);
    });
    node.exit(holder, 'kill');
    await waitFor(() => result !== undefined, 'the holder to die');
    off();
    expect(result).toBe('ok');
    expect(Registry.lookup(node, 'names', 'k')).toEqual([{ key: 'k', pid: heirPid, value: 2 }]);
  });

  it('lets a supervisor restart a child under the same via name at once', async () => {
    class Worker extends GenServer<{ call: 'crash' }> {
      @Call() crash(): never {
        throw new Error('boom');
      }
    }
    await Registry.start(node, { name: 'workers', keys: 'unique' });
    const name = Registry.via(node, 'workers', 'w1');
    const sup = await startSupervisor(node, { flags: { intensity: 5 }, children: [Worker.childSpec(undefined, { name })] });
    const first = node.whereis(name)!;
    await expect(Worker.client(node, name).call.crash()).rejects.toThrow();
    await waitFor(() => node.whereis(name) !== undefined && !node.whereis(name)!.equals(first), 'the worker to be restarted');
    const [child] = await whichChildren(node, sup);
    expect(child!.pid).toEqual(node.whereis(name));
    expect(Registry.lookup(node, 'workers', 'w1').map((e) => e.pid)).toEqual([child!.pid]);
  });

  it('refuses via names on a duplicate registry and bad arguments at the boundary', async () => {
    await Registry.start(node, { name: 'subs', keys: 'duplicate' });
    class Idle extends GenServer {}
    await expect(Idle.start(node, undefined, { name: Registry.via(node, 'subs', 'x') })).rejects.toThrow(/via names need a unique registry/);
    expect(() => Registry.lookup(node, 'nope', 'x')).toThrow(BadArgError);
    expect(() => Registry.register(node as unknown as ProcessContext, 'subs', 'x', 1)).toThrow(/registering process's context/);
    await expect(Registry.start(node, { name: 'bad', keys: 'many' as 'unique' })).rejects.toThrow(/keys must be/);
    await expect(node.run(async (ctx) => Registry.register(ctx, 'subs', () => 1, 1))).rejects.toThrow(/a key must be a term/);
  });
});

describe('Registry with duplicate keys', () => {
  it('keeps every registration and matches, selects and dispatches over them', async () => {
    await Registry.start(node, { name: 'topics', keys: 'duplicate' });
    const a = await registered('topics', 'news', { lang: 'en' });
    const b = await registered('topics', 'news', { lang: 'fr' });
    const c = await registered('topics', 'sport', { lang: 'en' });
    expect(Registry.lookup(node, 'topics', 'news').map((e) => e.pid)).toEqual([a, b]);
    expect(Registry.match<{ lang: string }>(node, 'topics', 'news', (v) => v.lang === 'fr').map((e) => e.pid)).toEqual([b]);
    expect(Registry.select<{ lang: string }>(node, 'topics', (e) => e.value.lang === 'en').map((e) => e.pid)).toEqual([a, c]);
    expect(Registry.count(node, 'topics')).toBe(3);

    await node.run(async (ctx) => {
      const got: Pid[] = [];
      Registry.dispatch(ctx, 'topics', 'news', (entries) => {
        for (const e of entries) got.push(e.pid);
      });
      expect(got).toEqual([a, b]);
      Registry.dispatch(ctx, 'topics', 'nobody', () => {
        throw new Error('not called for a key nobody registered');
      });
    });
  });

  it('lets one process register a key several times and unregister them all at once', async () => {
    await Registry.start(node, { name: 'topics', keys: 'duplicate' });
    await node.run(async (ctx) => {
      Registry.register(ctx, 'topics', 'k', 1);
      Registry.register(ctx, 'topics', 'k', 2);
      Registry.register(ctx, 'topics', 'other', 3);
      expect(Registry.lookup(ctx, 'topics', 'k').map((e) => e.value)).toEqual([1, 2]);
      Registry.unregister(ctx, 'topics', 'k');
      expect(Registry.keys(ctx, 'topics', ctx.self)).toEqual(['other']);
    });
  });
});

describe('Registry as a process', () => {
  it('tells listeners of registrations and unregistrations', async () => {
    const events: unknown[] = [];
    node.spawnLoop((m) => void events.push(m), { name: 'listener' });
    await Registry.start(node, { name: 'names', keys: 'unique', listeners: ['listener'] });
    await node.run(async (ctx) => {
      Registry.register(ctx, 'names', 'k', 'v');
      Registry.unregister(ctx, 'names', 'k');
      await waitFor(() => events.length === 2, 'two events');
      expect(events).toEqual([
        { type: 'register', registry: 'names', key: 'k', pid: ctx.self, value: 'v' } satisfies RegistryRegisterEvent,
        { type: 'unregister', registry: 'names', key: 'k', pid: ctx.self } satisfies RegistryUnregisterEvent,
      ]);
    });
  });

  it('runs under a supervisor, and its registered processes are linked to it', async () => {
    const sup = await startSupervisor(node, { children: [Registry.childSpec({ name: 'names', keys: 'unique' })] });
    const [child] = await whichChildren(node, sup);
    expect(child!.id).toBe('names');
    await node.run(async (ctx) => {
      ctx.trapExit(true);
      Registry.register(ctx, 'names', 'me', null);
      ctx.exit(child!.pid as Pid, 'kill');
      const exit = await ctx.receive(isExitMessage);
      expect(exit).toMatchObject({ from: child!.pid, reason: 'killed' });
    });
    await waitFor(() => node.whereis('names') !== undefined && !node.whereis('names')!.equals(child!.pid as Pid), 'the registry to restart');
    expect(Registry.count(node, 'names')).toBe(0);
  });

  it('is refused once it has stopped', async () => {
    const reg = await Registry.start(node, { name: 'names', keys: 'unique' });
    await node.run(async (ctx) => {
      const down = downReason(ctx, reg); // monitored before the kill: after it, OTP too says noproc
      ctx.exit(reg, 'kill');
      expect(await down).toBe('killed');
    });
    expect(() => Registry.lookup(node, 'names', 'x')).toThrow(/no registry named "names"/);
  });
});
