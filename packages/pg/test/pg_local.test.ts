import { call, CallExitError, castServer, isAlreadyStarted, isDownMessage, Node, Pid, registerClass, stopServer, TIMEOUT } from '@grove/core';
import * as pg from '@grove/pg';
import { idle, keys } from './helpers';

let n = 0;
const scopeName = (): string => `pg_local_${++n}`;

describe('pg on one node', () => {
  let node: Node;
  let scope: string;
  beforeEach(async () => {
    node = new Node();
    scope = scopeName();
    await pg.start(node, scope);
  });
  afterEach(() => node.halt());

  describe('join, leave, members', () => {
    it('shows a joined process in getMembers, getLocalMembers and whichGroups', async () => {
      const a = node.spawn(idle);
      await pg.join(node, scope, 'room', a);
      expect(pg.getMembers(node, scope, 'room')).toEqual([a]);
      expect(pg.getLocalMembers(node, scope, 'room')).toEqual([a]);
      expect(pg.whichGroups(node, scope)).toEqual(['room']);
      expect(pg.whichLocalGroups(node, scope)).toEqual(['room']);
    });

    it('treats a group nobody joined as empty', () => {
      expect(pg.getMembers(node, scope, 'nobody')).toEqual([]);
      expect(pg.getLocalMembers(node, scope, 'nobody')).toEqual([]);
      expect(pg.whichGroups(node, scope)).toEqual([]);
    });

    it('counts a pid that joined twice twice, and removes one membership per leave', async () => {
      const a = node.spawn(idle);
      await pg.join(node, scope, 'room', a);
      await pg.join(node, scope, 'room', a);
      expect(pg.getMembers(node, scope, 'room')).toEqual([a, a]);
      expect(await pg.leave(node, scope, 'room', a)).toBe('ok');
      expect(pg.getMembers(node, scope, 'room')).toEqual([a]);
      expect(await pg.leave(node, scope, 'room', a)).toBe('ok');
      expect(pg.getMembers(node, scope, 'room')).toEqual([]);
      expect(pg.whichGroups(node, scope)).toEqual([]);
      expect(await pg.leave(node, scope, 'room', a)).toBe('not_joined');
    });

    it('joins and leaves many pids at once, a pid listed twice counting twice', async () => {
      const [a, b, c] = [node.spawn(idle), node.spawn(idle), node.spawn(idle)];
      await pg.join(node, scope, 'pool', [a, b, b, c]);
      expect(keys(pg.getMembers(node, scope, 'pool'))).toEqual(keys([a, b, b, c]));
      expect(await pg.leave(node, scope, 'pool', [b, c])).toBe('ok');
      expect(keys(pg.getMembers(node, scope, 'pool'))).toEqual(keys([a, b]));
    });

    it('answers not_joined to a leave only when none of the pids was a member', async () => {
      const [a, b] = [node.spawn(idle), node.spawn(idle)];
      await pg.join(node, scope, 'g', a);
      expect(await pg.leave(node, scope, 'g', [b])).toBe('not_joined');
      expect(await pg.leave(node, scope, 'other', [a])).toBe('not_joined');
      expect(await pg.leave(node, scope, 'g', [b, a])).toBe('ok');
    });

    it('keeps groups apart, and lists a process in each group it joined', async () => {
      const [a, b] = [node.spawn(idle), node.spawn(idle)];
      await pg.join(node, scope, 'x', [a, b]);
      await pg.join(node, scope, 'y', a);
      expect(keys(pg.getMembers(node, scope, 'x'))).toEqual(keys([a, b]));
      expect(pg.getMembers(node, scope, 'y')).toEqual([a]);
      expect(new Set(pg.whichGroups(node, scope))).toEqual(new Set(['x', 'y']));
    });

    it('keys groups by term: structurally equal groups are the same group', async () => {
      const a = node.spawn(idle);
      await pg.join(node, scope, { room: 7, tags: new Set(['a', 'b']) }, a);
      expect(pg.getMembers(node, scope, { tags: new Set(['b', 'a']), room: 7 })).toEqual([a]);
      expect(pg.getMembers(node, scope, { room: 7 })).toEqual([]);
      expect(pg.whichGroups(node, scope)).toEqual([{ room: 7, tags: new Set(['a', 'b']) }]);
      await pg.join(node, scope, ['room', 1n], a);
      expect(pg.getMembers(node, scope, ['room', 1n])).toEqual([a]);
      expect(pg.getMembers(node, scope, ['room', 1])).toEqual([]);
    });

    it('accepts instances of registered classes as groups', async () => {
      class Room {
        constructor(readonly id: number) {}
      }
      registerClass(Room, { name: 'pg_test.Room' });
      const a = node.spawn(idle);
      await pg.join(node, scope, new Room(3), a);
      expect(pg.getMembers(node, scope, new Room(3))).toEqual([a]);
      expect(pg.getMembers(node, scope, new Room(4))).toEqual([]);
    });

    it('returns the same frozen array to repeated reads of a group that did not change', async () => {
      const a = node.spawn(idle);
      await pg.join(node, scope, 'room', a);
      const first = pg.getMembers(node, scope, 'room');
      expect(pg.getMembers(node, scope, 'room')).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
    });

    it('serves the default scope through the functions without a scope argument', async () => {
      const other = new Node();
      try {
        await pg.start(other);
        const a = other.spawn(idle);
        await pg.join(other, 'room', a);
        expect(pg.getMembers(other, 'room')).toEqual([a]);
        expect(pg.getMembers(other, pg.DEFAULT_SCOPE, 'room')).toEqual([a]);
        expect(pg.getLocalMembers(other, 'room')).toEqual([a]);
        expect(pg.whichGroups(other)).toEqual(['room']);
        expect(await pg.leave(other, 'room', a)).toBe('ok');
      } finally {
        other.halt();
      }
    });

    it('can be used from inside a process as well as from the node', async () => {
      const members = await node.run(async (ctx) => {
        await pg.join(ctx, scope, 'self', ctx.self);
        return pg.getMembers(ctx, scope, 'self');
      });
      expect(members).toHaveLength(1);
    });
  });

  describe('members that exit', () => {
    it('removes a member that exits from every group, as many times as it joined', async () => {
      const left = await node.run(async (ctx) => {
        const a = ctx.spawn(idle);
        const b = ctx.spawn(idle);
        await pg.join(ctx, scope, 'x', [a, a, b]);
        await pg.join(ctx, scope, 'y', a);
        const { ref } = await pg.monitorScope(ctx, scope);
        ctx.send(a, 'stop');
        const events = [await ctx.receive((m) => pg.isGroupEvent(m, ref)), await ctx.receive((m) => pg.isGroupEvent(m, ref))];
        return { events, a, b };
      });
      const byGroup = new Map(left.events.map((e) => [e.group, e]));
      expect(byGroup.get('x')).toMatchObject({ event: 'leave', pids: [left.a, left.a] });
      expect(byGroup.get('y')).toMatchObject({ event: 'leave', pids: [left.a] });
      expect(pg.getMembers(node, scope, 'x')).toEqual([left.b]);
      expect(pg.whichGroups(node, scope)).toEqual(['x']);
    });

    it('drops a pid that was already dead when it joined', async () => {
      const got = await node.run(async (ctx) => {
        const [dead, ref] = ctx.spawnMonitor(() => undefined);
        await ctx.receive((m) => isDownMessage(m, ref));
        const mon = await pg.monitor(ctx, scope, 'g');
        await pg.join(ctx, scope, 'g', dead);
        return [await ctx.receive((m) => pg.isGroupEvent(m, mon.ref)), await ctx.receive((m) => pg.isGroupEvent(m, mon.ref))];
      });
      expect(got.map((e) => e.event)).toEqual(['join', 'leave']);
      expect(pg.getMembers(node, scope, 'g')).toEqual([]);
    });

    it('forgets a member that left every group: its later exit sends no event', async () => {
      const events = await node.run(async (ctx) => {
        const a = ctx.spawn(idle);
        const b = ctx.spawn(idle);
        await pg.join(ctx, scope, 'g', [a, b]);
        await pg.leave(ctx, scope, 'g', a);
        const { ref } = await pg.monitorScope(ctx, scope);
        const ra = ctx.monitor(a);
        ctx.send(a, 'stop');
        await ctx.receive((m) => isDownMessage(m, ra));
        ctx.send(b, 'stop');
        const first = await ctx.receive((m) => pg.isGroupEvent(m, ref));
        return { first, b };
      });
      expect(events.first).toMatchObject({ event: 'leave', group: 'g', pids: [events.b] });
    });
  });

  describe('monitors', () => {
    it('gives monitorScope the current groups, then every join and leave', async () => {
      const a = node.spawn(idle);
      await pg.join(node, scope, 'before', a);
      const got = await node.run(async (ctx) => {
        const snap = await pg.monitorScope(ctx, scope);
        await pg.join(ctx, scope, 'after', [a, a]);
        await pg.leave(ctx, scope, 'before', a);
        const e1 = await ctx.receive((m) => pg.isGroupEvent(m, snap.ref));
        const e2 = await ctx.receive((m) => pg.isGroupEvent(m, snap.ref));
        return { groups: snap.groups, e1, e2, ref: snap.ref };
      });
      expect(got.groups).toEqual(new Map([['before', [a]]]));
      expect(got.e1).toEqual({ type: 'pg', ref: got.ref, event: 'join', group: 'after', pids: [a, a] });
      expect(got.e2).toEqual({ type: 'pg', ref: got.ref, event: 'leave', group: 'before', pids: [a] });
    });

    it('gives a group monitor the members, then the events of that group only', async () => {
      const a = node.spawn(idle);
      await pg.join(node, scope, 'mine', a);
      const got = await node.run(async (ctx) => {
        const snap = await pg.monitor(ctx, scope, 'mine');
        await pg.join(ctx, scope, 'other', a);
        await pg.leave(ctx, scope, 'mine', a);
        const e = await ctx.receive((m) => pg.isGroupEvent(m, snap.ref));
        const more = await ctx.receive((m) => pg.isGroupEvent(m), 0);
        return { members: snap.members, e, more };
      });
      expect(got.members).toEqual([a]);
      expect(got.e).toMatchObject({ event: 'leave', group: 'mine', pids: [a] });
      expect(got.more).toBe(TIMEOUT);
    });

    it('stops events on demonitor and flushes those already queued; a second demonitor is false', async () => {
      const got = await node.run(async (ctx) => {
        const a = ctx.spawn(idle);
        const { ref } = await pg.monitorScope(ctx, scope);
        await pg.join(ctx, scope, 'g', a);
        const queued = ctx.mailboxLength;
        const first = await pg.demonitor(ctx, scope, ref);
        const flushed = ctx.mailboxLength;
        await pg.leave(ctx, scope, 'g', a);
        const second = await pg.demonitor(ctx, scope, ref);
        return { queued, first, flushed, after: ctx.mailboxLength, second };
      });
      expect(got).toEqual({ queued: 1, first: 'ok', flushed: 0, after: 0, second: false });
    });

    it('forgets a watcher that exits', async () => {
      const scopePid = node.whereis(scope)!;
      const watchersBefore = node.processInfo(scopePid)!.monitors.length;
      await node.run(async (ctx) => {
        await pg.monitorScope(ctx, scope);
        await pg.monitor(ctx, scope, 'g');
      });
      await node.run(async (ctx) => {
        const a = ctx.spawn(idle);
        await pg.join(ctx, scope, 'g', a); // handled after the watcher's DOWNs
        await pg.leave(ctx, scope, 'g', a);
      });
      expect(node.processInfo(scopePid)!.monitors.length).toBe(watchersBefore);
    });
  });

  describe('bad input', () => {
    it('refuses to join or leave a process of another node (nolocal)', async () => {
      const remote = new Pid('elsewhere@host', 1, 0, 1);
      await expect(pg.join(node, scope, 'g', remote)).rejects.toBeInstanceOf(pg.NotLocalError);
      await expect(pg.join(node, scope, 'g', [node.spawn(idle), remote])).rejects.toMatchObject({ code: 'nolocal' });
      await expect(pg.leave(node, scope, 'g', remote)).rejects.toMatchObject({ code: 'nolocal' });
      expect(pg.whichGroups(node, scope)).toEqual([]);
    });

    it('refuses something that is not a pid, or not a list of pids', async () => {
      await expect(pg.join(node, scope, 'g', ['nope'] as never)).rejects.toMatchObject({ code: 'nolocal' });
      await expect(pg.join(node, scope, 'g', 'nope' as never)).rejects.toMatchObject({ code: 'badarg' });
    });

    it('refuses a group that cannot cross the wire, naming the bad part', async () => {
      const a = node.spawn(idle);
      await expect(pg.join(node, scope, { f: () => 1 }, a)).rejects.toMatchObject({ code: 'invalid_group', path: '$.f' });
      expect(() => pg.getMembers(node, scope, Symbol('s'))).toThrow(pg.InvalidGroupError);
      class Secret {}
      expect(() => pg.getMembers(node, scope, [new Secret()])).toThrow(/unregistered class Secret/);
    });

    it('refuses monitor calls from outside a process, and a demonitor without a ref', async () => {
      await expect(pg.monitorScope(node as never, scope)).rejects.toMatchObject({ code: 'badarg' });
      await expect(pg.monitor(node as never, scope, 'g')).rejects.toMatchObject({ code: 'badarg' });
      const err = await node.run(async (ctx) => pg.demonitor(ctx, scope, 'not a ref' as never).catch((e: unknown) => e));
      expect(err).toMatchObject({ code: 'badarg' });
    });

    it('refuses a caller that is neither a process context nor a node', async () => {
      await expect(pg.join({} as never, scope, 'g', [])).rejects.toMatchObject({ code: 'badarg' });
      expect(() => pg.getMembers(null as never, 'g')).toThrow(/caller/);
      await expect(pg.start(42 as never, 'x')).rejects.toMatchObject({ code: 'badarg' });
    });

    it('refuses a call with the wrong number of arguments', async () => {
      await expect((pg.join as (...a: unknown[]) => Promise<void>)(node, 'g')).rejects.toMatchObject({ code: 'badarg' });
    });

    it('refuses a scope name that is not a non-empty string', async () => {
      await expect(pg.start(node, '')).rejects.toMatchObject({ code: 'badarg' });
      expect(() => pg.getMembers(node, 42 as never, 'g')).toThrow(/scope/);
    });

    it('rejects a second scope of the same name on a node', async () => {
      const err = await pg.start(node, scope).catch((e: unknown) => e);
      expect(isAlreadyStarted(err)).toBe(true);
    });

    it('fails a join to a scope that is not running with noproc, and reads it as empty', async () => {
      const a = node.spawn(idle);
      await expect(pg.join(node, 'not_started', 'g', a)).rejects.toMatchObject({ reason: 'noproc' });
      expect(pg.getMembers(node, 'not_started', 'g')).toEqual([]);
      expect(pg.whichGroups(node, 'not_started')).toEqual([]);
    });

    it('crashes the scope with a badarg reason on a garbage message, as OTP does', async () => {
      const down = await node.run(async (ctx) => {
        const ref = ctx.monitor(scope);
        ctx.send(scope, { garbage: true });
        return await ctx.receive((m) => isDownMessage(m, ref));
      });
      expect(down.reason).toBeInstanceOf(pg.UnexpectedMessageError);
      expect(down.reason).toMatchObject({ code: 'badarg', scope, received: { garbage: true } });
    });

    it('crashes the scope on a malformed peer message', async () => {
      const down = await node.run(async (ctx) => {
        const ref = ctx.monitor(scope);
        ctx.send(scope, { type: 'pg_join', peer: 'not a pid', group: 'g', pids: [] });
        return await ctx.receive((m) => isDownMessage(m, ref));
      });
      expect(down.reason).toMatchObject({ code: 'badarg' });
    });

    it('crashes the scope on an unknown call; the caller sees the reason', async () => {
      const err = await node.run(async (ctx) => {
        try {
          await call(ctx as Parameters<typeof call>[0], scope, ['frobnicate'], 1000);
          return null;
        } catch (e) {
          return e;
        }
      });
      expect(err).toBeInstanceOf(CallExitError);
      expect((err as CallExitError).reason).toMatchObject({ code: 'badarg' });
    });

    it('crashes the scope on a known call with a missing argument, or with another node\'s pid', async () => {
      const remote = new Pid('elsewhere@host', 1, 0, 1);
      for (const request of [['join', 'g'], ['leave', 'g', [remote]], ['demonitor', 'not a ref']]) {
        const s = scopeName();
        await pg.start(node, s);
        const err = await node.run(async (ctx) => call(ctx as Parameters<typeof call>[0], s, request, 1000).catch((e: unknown) => e));
        expect((err as CallExitError).reason).toMatchObject({ code: 'badarg', scope: s, received: request });
      }
    });

    it('crashes the scope on a cast, as OTP does', async () => {
      const down = await node.run(async (ctx) => {
        const ref = ctx.monitor(scope);
        castServer(ctx, scope, ['join', 'g', []]);
        return await ctx.receive((m) => isDownMessage(m, ref));
      });
      expect(down.reason).toMatchObject({ code: 'badarg', scope, received: ['join', 'g', []] });
    });

    it('drops the table with the scope: reads are empty once it has exited', async () => {
      const a = node.spawn(idle);
      await pg.join(node, scope, 'g', a);
      await node.run(async (ctx) => {
        const ref = ctx.monitor(scope);
        ctx.exit(node.whereis(scope)!, 'kill');
        await ctx.receive((m) => isDownMessage(m, ref));
      });
      expect(pg.getMembers(node, scope, 'g')).toEqual([]);
      expect(pg.whichGroups(node, scope)).toEqual([]);
    });

    it('ignores a join or leave from a peer it does not know', async () => {
      const stranger = new Pid('stranger@host', 9, 0, 1);
      node.send(scope, { type: 'pg_join', peer: stranger, group: 'g', pids: [new Pid('stranger@host', 10, 0, 1)] });
      node.send(scope, { type: 'pg_leave', peer: stranger, pids: [], groups: ['g'] });
      const a = node.spawn(idle);
      await pg.join(node, scope, 'g', a); // handled after both
      expect(pg.getMembers(node, scope, 'g')).toEqual([a]);
    });
  });

  describe('the scope is a GenServer', () => {
    it('stops with stopServer, and its table goes with it', async () => {
      const pid = node.whereis(scope)!;
      const a = node.spawn(idle);
      await pg.join(node, scope, 'g', a);
      const down = await node.run(async (ctx) => {
        const ref = ctx.monitor(pid);
        await stopServer(ctx, scope);
        return await ctx.receive((m) => isDownMessage(m, ref));
      });
      expect(down.reason).toBe('normal');
      expect(node.whereis(scope)).toBeUndefined();
      expect(pg.getMembers(node, scope, 'g')).toEqual([]);
    });

    it('shows as a gen_server to introspection, under its scope name', () => {
      expect(node.processInfo(node.whereis(scope)!)).toMatchObject({ name: scope, behaviour: 'gen_server' });
    });
  });
});

describe('pg scopes and the membership service', () => {
  let node: Node;
  afterEach(() => node.halt());

  it('subscribes to the membership service, asks which nodes are up, and handles nodeup and nodedown', async () => {
    node = new Node();
    const calls: string[] = [];
    const membership: pg.Membership = {
      nodes: () => (calls.push('nodes'), ['other@host']),
      monitorNodes: (pid, on) => void calls.push(`monitorNodes ${String(pid)} ${on}`),
    };
    const scope = scopeName();
    const pid = await pg.start(node, scope, { membership });
    expect(calls).toEqual([`monitorNodes ${String(pid)} true`, 'nodes']);
    node.send(scope, { type: 'nodeup', node: 'third@host', nodeType: 'visible' });
    node.send(scope, { type: 'nodedown', node: 'third@host', nodeType: 'visible', reason: 'connection_closed' });
    const a = node.spawn(idle);
    await pg.join(node, scope, 'g', a); // handled after both node events
    expect(node.isAlive(pid)).toBe(true);
  });

  it('uses the service set for the node with setMembership, and none with membership: null', async () => {
    node = new Node();
    const subscribed: string[] = [];
    pg.setMembership(node, { nodes: () => [], monitorNodes: (pid) => void subscribed.push(pid.key) });
    try {
      const withDefault = await pg.start(node, scopeName());
      await pg.start(node, scopeName(), { membership: null });
      expect(subscribed).toEqual([withDefault.key]);
    } finally {
      pg.setMembership(node, null);
    }
  });
});
