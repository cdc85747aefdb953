import {
  AlreadyRegisteredError,
  BadArgError,
  isDownMessage,
  NoProcError,
  TIMEOUT,
  type DownMessage,
} from '@grove/core';
import { node, useNode, waitForever } from './helpers';

describe('the local registry', () => {
  useNode();

  it('routes sends to a registered name', async () => {
    const got = await node.run(async (ctx) => {
      const test = ctx.self;
      ctx.spawn(
        async (e) => {
          const m = await e.receive();
          e.send(test, { echo: m });
        },
        { name: 'echo' },
      );
      ctx.send('echo', 'hi');
      return ctx.receive();
    });
    expect(got).toEqual({ echo: 'hi' });
  });

  it('releases a name when its process exits, so it can be registered again right away', async () => {
    const got = await node.run(async (ctx) => {
      const first = ctx.spawn(waitForever, { name: 'svc' });
      const ref = ctx.monitor(first);
      ctx.send('svc', 'stop');
      await ctx.receive((m) => isDownMessage(m, ref));
      const afterExit = node.whereis('svc');
      const second = ctx.spawn(waitForever, { name: 'svc' });
      return { afterExit, second, now: node.whereis('svc'), names: node.registered() };
    });
    expect(got.afterExit).toBeUndefined();
    expect(got.now).toEqual(got.second);
    expect(got.names).toEqual(['svc']);
  });

  it('releases the name before monitors hear of the exit', async () => {
    const whereAtDown = await node.run(async (ctx) => {
      const target = ctx.spawn(waitForever, { name: 'quick' });
      const ref = ctx.monitor(target);
      ctx.exit(target, 'kill');
      await ctx.receive((m) => isDownMessage(m, ref));
      ctx.register('quick');
      return [node.whereis('quick'), ctx.self];
    });
    expect(whereAtDown[0]).toEqual(whereAtDown[1]);
  });

  it('refuses a name that another process holds, naming the holder', async () => {
    const err = await node.run(async (ctx) => {
      const holder = ctx.spawn(waitForever, { name: 'taken' });
      const other = ctx.spawn(waitForever);
      try {
        node.register('taken', other);
      } catch (e) {
        return { e, holder };
      }
      return { e: null, holder };
    });
    expect(err.e).toBeInstanceOf(AlreadyRegisteredError);
    expect(err.e).toMatchObject({ code: 'already_registered', holder: err.holder });
    expect((err.e as Error).message).toContain('"taken"');
    expect((err.e as Error).message).toContain(String(err.holder));
  });

  it('refuses a second name for a process that already has one', async () => {
    const err = await node.run(async (ctx) => {
      ctx.register('first_name');
      try {
        ctx.register('second_name');
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(AlreadyRegisteredError);
    expect((err as Error).message).toContain('"second_name"');
    expect((err as Error).message).toContain('"first_name"');
    expect(node.registered()).not.toContain('second_name');
  });

  it('refuses to register a dead pid with NoProcError', async () => {
    const err = await node.run(async (ctx) => {
      const [dead, ref] = ctx.spawnMonitor(() => undefined);
      await ctx.receive((m) => isDownMessage(m, ref));
      try {
        node.register('ghost', dead);
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(NoProcError);
    expect(err).toMatchObject({ code: 'noproc' });
    expect(node.whereis('ghost')).toBeUndefined();
  });

  it.each([
    ['an empty string', ''],
    ['a name longer than 255 characters', 'n'.repeat(256)],
    ['a number', 42],
    ['undefined', undefined],
  ])('refuses %s as a name with BadArgError', async (_label, name) => {
    const err = await node.run(async (ctx) => {
      try {
        ctx.register(name as string);
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(BadArgError);
    expect((err as Error).message).toMatch(/invalid name/);
  });

  it('refuses an invalid name given to spawn before the process exists', () => {
    const before = node.processCount;
    expect(() => node.spawn(waitForever, { name: '' })).toThrow(BadArgError);
    expect(node.processCount).toBe(before);
  });

  it('makes a send to an unknown name throw NoProcError, naming it', async () => {
    const err = await node.run(async (ctx) => {
      try {
        ctx.send('no_such_name', 'hello');
      } catch (e) {
        return e;
      }
      return null;
    });
    expect(err).toBeInstanceOf(NoProcError);
    expect((err as Error).message).toContain('no_such_name');
    expect(() => node.send('no_such_name', 'hello')).toThrow(NoProcError);
  });

  it('drops a send to a dead pid silently', async () => {
    const got = await node.run(async (ctx) => {
      const [dead, ref] = ctx.spawnMonitor(() => undefined);
      await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      ctx.send(dead, 'into the void');
      node.send(dead, 'again');
      return ctx.receive(undefined, 0);
    });
    expect(got).toBe(TIMEOUT);
  });

  it('unregisters a name, after which sends to it fail', async () => {
    await node.run(async (ctx) => {
      ctx.register('temp');
      expect(node.unregister('temp')).toBe(true);
      expect(node.unregister('temp')).toBe(false);
      expect(() => ctx.send('temp', 'x')).toThrow(NoProcError);
    });
  });

  it('drops a send to [unknownName, thisNode] silently, as a send to another node (OTP {Name, Node})', async () => {
    const got = await node.run(async (ctx) => {
      ctx.send(['no_such_name', node.name], 'dropped');
      node.send(['no_such_name', node.name], 'dropped too');
      ctx.send(['no_such_name', 'elsewhere@nohost'], 'dropped as well');
      return ctx.receive(undefined, 0);
    });
    expect(got).toBe(TIMEOUT);
    // A bare local name still throws: that form says "here", and the sender hears it is not.
    expect(() => node.send('no_such_name', 'hello')).toThrow(NoProcError);
  });

  it('accepts [name, node] for this node like a plain name', async () => {
    const got = await node.run(async (ctx) => {
      ctx.register('local_pair');
      ctx.send(['local_pair', node.name], 'via pair');
      return ctx.receive();
    });
    expect(got).toBe('via pair');
  });
});
