import {
  BadArgError,
  Call,
  GenServer,
  isAlreadyStarted,
  isDownMessage,
  isExitMessage,
  ManualClock,
  Node,
  StartError,
  startLinkSupervisor,
  startSupervisor,
  TIMEOUT,
  type DownMessage,
  type ExitReason,
  type Pid,
  type ProcessContext,
  type ViaRegistry,
} from '@grove/core';
import { node, useNode, waitFor } from './helpers';

class Echo extends GenServer<{ call: 'whoAmI' }> {
  seenSelf: Pid | null = null;
  override init(seed: { notify: Pid } | undefined) {
    this.seenSelf = this.self;
    if (seed !== undefined) this.ctx.send(seed.notify, { initIn: this.self });
  }
  @Call() whoAmI(): Pid | null {
    return this.seenSelf;
  }
}

class StopsInInit extends GenServer {
  override init(reason: unknown) {
    return this.stopWith(reason);
  }
}

class IgnoresInit extends GenServer {
  override init() {
    return this.ignore();
  }
}

class ThrowsInInit extends GenServer {
  override init(): void {
    throw new Error('bad config');
  }
}

class SlowInit extends GenServer {
  override async init(notify: Pid): Promise<void> {
    this.ctx.send(notify, { initStarted: this.self });
    await this.ctx.receive((m) => m === 'never');
  }
}

class AsyncInit extends GenServer<{ call: 'isReady' }> {
  ready = false;
  override async init(): Promise<void> {
    await Promise.resolve();
    this.ready = true;
  }
  @Call() isReady(): boolean {
    return this.ready;
  }
}

/** A via registry on a Map that forgets a name when its holder exits. */
export function mapRegistry(node: Node): ViaRegistry & { names: Map<unknown, Pid> } {
  const names = new Map<unknown, Pid>();
  node.onExit((pid) => {
    for (const [k, v] of names) if (v.equals(pid)) names.delete(k);
  });
  return {
    names,
    registerName(name, pid) {
      if (names.has(name)) return false;
      names.set(name, pid);
      return true;
    },
    unregisterName(name) {
      names.delete(name);
    },
    whereisName: (name) => names.get(name),
  };
}

describe('GenServer start', () => {
  useNode();

  it('runs init in the new process before start resolves', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await Echo.start(ctx, { notify: ctx.self });
      // init's message is already in our mailbox: init ran before start resolved.
      const first = await ctx.receive(undefined, 0);
      return { pid, first, seen: await Echo.client(ctx, pid).call.whoAmI() };
    });
    expect(got.first).toEqual({ initIn: got.pid });
    expect(got.seen).toEqual(got.pid);
  });

  it('waits for an async init', async () => {
    const ready = await node.run(async (ctx) => {
      const pid = await AsyncInit.start(ctx);
      return AsyncInit.client(ctx, pid).call.isReady();
    });
    expect(ready).toBe(true);
  });

  it('starts from outside any process, with the node as caller', async () => {
    const pid = await Echo.start(node);
    await expect(Echo.client(node, pid).call.whoAmI()).resolves.toEqual(pid);
  });

  it('fails with StartError carrying the reason when init stops, and frees the name', async () => {
    const err = await StopsInInit.start(node, 'no_db', { name: 'db' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBe('no_db');
    expect(node.whereis('db')).toBeUndefined();
    const pid = await Echo.start(node, undefined, { name: 'db' });
    expect(node.whereis('db')).toEqual(pid);
  });

  it("resolves 'ignore' when init ignores, the process gone and the name free", async () => {
    const exits: unknown[] = [];
    node.onExit((_pid, reason) => exits.push(reason));
    await expect(IgnoresInit.start(node, undefined, { name: 'ign' })).resolves.toBe('ignore');
    expect(node.whereis('ign')).toBeUndefined();
    expect(exits).toEqual(['normal']);
  });

  it('fails with the thrown error when init throws', async () => {
    const err = await ThrowsInInit.start(node).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBeInstanceOf(Error);
    expect(((err as StartError).reason as Error).message).toBe('bad config');
  });

  it('kills the child and fails with timeout when init takes longer than timeoutMs', async () => {
    const clock = new ManualClock();
    const n = new Node({ clock });
    try {
      const got = await n.run(async (ctx) => {
        const starting = SlowInit.start(ctx, ctx.self, { timeoutMs: 1000, name: 'slow' }).catch((e: unknown) => e);
        const { initStarted } = (await ctx.receive()) as { initStarted: Pid };
        const ref = ctx.monitor(initStarted);
        clock.advance(1000);
        const err = await starting;
        const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
        return { err, reason: down.reason, name: n.whereis('slow') };
      });
      expect(got.err).toBeInstanceOf(StartError);
      expect((got.err as StartError).reason).toBe('timeout');
      expect(got.reason).toBe('killed');
      expect(got.name).toBeUndefined();
    } finally {
      n.halt();
    }
  });

  it('fails with alreadyStarted when the name is taken', async () => {
    const first = await Echo.start(node, undefined, { name: 'one' });
    const err = await Echo.start(node, undefined, { name: 'one' }).catch((e: unknown) => e);
    expect(isAlreadyStarted(err)).toBe(true);
    expect((err as StartError & { reason: { alreadyStarted: Pid } }).reason.alreadyStarted).toEqual(first);
  });

  // OTP gen:start: init_ack({error, {already_started, Pid}}), then the new process exits normal.
  describe('startLink with a name already taken', () => {
    /** The pids the node saw exit, with their reasons. */
    function exitsOf(n: Node): Map<string, ExitReason> {
      const exits = new Map<string, ExitReason>();
      n.onExit((pid, reason) => exits.set(pid.toString(), reason));
      return exits;
    }

    for (const trap of [false, true]) {
      it(`fails with alreadyStarted and nothing else for a ${trap ? '' : 'non-'}trapping caller, the new process ending normal`, async () => {
        const first = await Echo.start(node, undefined, { name: 'taken' });
        const exits = exitsOf(node);
        const got = await node.run(async (ctx) => {
          ctx.trapExit(trap);
          const err = await Echo.startLink(ctx, undefined, { name: 'taken' }).catch((e: unknown) => e);
          // The refused process is gone once the node saw it exit; its signals have reached us by our next run.
          await waitFor(() => exits.size === 1, 'the refused process to exit');
          await Echo.client(ctx, first).call.whoAmI();
          return { err, stray: await ctx.receive(isExitMessage, 0), links: node.processInfo(ctx.self)!.links, refused: [...exits.values()] };
        });
        expect(isAlreadyStarted(got.err)).toBe(true);
        expect((got.err as StartError & { reason: { alreadyStarted: Pid } }).reason.alreadyStarted).toEqual(first);
        expect(got.stray).toBe(TIMEOUT);
        expect(got.links).toEqual([]);
        expect(got.refused).toEqual(['normal']);
        expect(node.whereis('taken')).toEqual(first);
      });
    }

    it('holds for startLinkSupervisor with a name too', async () => {
      const first = await startSupervisor(node, { children: [] }, { name: 'sup' });
      const exits = exitsOf(node);
      const got = await node.run(async (ctx) => {
        const err = await startLinkSupervisor(ctx, { children: [] }, { name: 'sup' }).catch((e: unknown) => e);
        await waitFor(() => exits.size === 1, 'the refused supervisor to exit');
        return { err, stray: await ctx.receive(undefined, 0), refused: [...exits.values()] };
      });
      expect(isAlreadyStarted(got.err)).toBe(true);
      expect((got.err as StartError & { reason: { alreadyStarted: Pid } }).reason.alreadyStarted).toEqual(first);
      expect(got.stray).toBe(TIMEOUT);
      expect(got.refused).toEqual(['normal']);
    });

    it('holds for a via name', async () => {
      const via = mapRegistry(node);
      const first = await Echo.start(node, undefined, { name: { via, name: 'v' } });
      const exits = exitsOf(node);
      const got = await node.run(async (ctx) => {
        ctx.trapExit(true);
        const err = await Echo.startLink(ctx, undefined, { name: { via, name: 'v' } }).catch((e: unknown) => e);
        await waitFor(() => exits.size === 1, 'the refused process to exit');
        return { err, stray: await ctx.receive(undefined, 0), refused: [...exits.values()] };
      });
      expect((got.err as StartError & { reason: { alreadyStarted: Pid } }).reason.alreadyStarted).toEqual(first);
      expect(got.stray).toBe(TIMEOUT);
      expect(got.refused).toEqual(['normal']);
      expect(via.whereisName('v')).toEqual(first);
    });
  });

  it('registers through a via registry, and frees the via name when init stops', async () => {
    const via = mapRegistry(node);
    const pid = await Echo.start(node, undefined, { name: { via, name: 'echo-1' } });
    expect(via.whereisName('echo-1')).toEqual(pid);
    await expect(Echo.client(node, { via, name: 'echo-1' }).call.whoAmI()).resolves.toEqual(pid);
    const dup = await Echo.start(node, undefined, { name: { via, name: 'echo-1' } }).catch((e: unknown) => e);
    expect(isAlreadyStarted(dup)).toBe(true);

    await expect(StopsInInit.start(node, 'nope', { name: { via, name: 'stopper' } })).rejects.toBeInstanceOf(StartError);
    expect(via.names.has('stopper')).toBe(false);
  });

  it('links with startLink: the server dies with its parent', async () => {
    const reason = await node.run(async (ctx) => {
      const test = ctx.self;
      const parent = ctx.spawn(async (p: ProcessContext) => {
        const pid = await Echo.startLink(p, undefined);
        p.send(test, pid);
        await p.receive((m) => m === 'die');
        p.exit('boom');
      });
      const server = (await ctx.receive()) as Pid;
      const ref = ctx.monitor(server);
      ctx.send(parent, 'die');
      const down = await ctx.receive((m): m is DownMessage => isDownMessage(m, ref));
      return down.reason;
    });
    expect(reason).toBe('boom');
  });

  it('refuses bad arguments at the boundary', async () => {
    await expect(Echo.start({} as unknown as Node)).rejects.toBeInstanceOf(BadArgError);
    await expect(Echo.start({ self: node.spawn(() => undefined) } as unknown as Node)).rejects.toThrow(/start of Echo: expected a Node or a process context/);
    await expect(Echo.start(node, undefined, { name: '' })).rejects.toBeInstanceOf(BadArgError);
    await expect(Echo.start(node, undefined, 5 as never)).rejects.toBeInstanceOf(BadArgError);
    expect(() => new Echo()).toThrow(BadArgError);
  });

  it('refuses a class with two handlers for one call name', async () => {
    class Twice extends GenServer {
      @Call('x') a(): number {
        return 1;
      }
      @Call('x') b(): number {
        return 2;
      }
    }
    await expect(Twice.start(node)).rejects.toThrow(/second @Call handler for "x"/);
  });

  it('builds a child spec that a supervisor starts linked', async () => {
    const spec = Echo.childSpec(undefined, { id: 'echo', restart: 'transient', name: 'echo-child' });
    expect(spec).toMatchObject({ id: 'echo', restart: 'transient', shutdown: 5000, type: 'worker' });
    const got = await node.run(async (ctx) => {
      const pid = (await spec.start(ctx)) as Pid;
      return { pid, linked: node.processInfo(ctx.self)?.links ?? [], named: node.whereis('echo-child') };
    });
    expect(got.linked).toContainEqual(got.pid);
    expect(got.named).toEqual(got.pid);
    expect(Echo.childSpec().id).toBe('Echo');
  });
});
