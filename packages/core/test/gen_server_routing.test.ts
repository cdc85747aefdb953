import {
  BadArgError,
  Call,
  callServer,
  Cast,
  castServer,
  clientOf,
  GenServer,
  Info,
  isDownMessage,
  Node,
  UnknownCallError,
  type DownMessage,
  type ExitMessage,
  type Handlers,
  type Pid,
} from '@grove/core';
import { captureLogs, downReason, node, useNode } from './helpers';

interface Tick {
  type: 'tick';
  n: number;
}

class Counter extends GenServer<{ call: 'add' | 'get' | 'sum3' | 'sum4' | 'slowDouble' | 'seen'; cast: 'reset' | 'trapExits' | 'bump' | 'slowBump' }> {
  count = 0;
  log: unknown[] = [];
  override init(start: number) {
    this.count = start;
  }
  @Call() add(n: number): number {
    return (this.count += n);
  }
  @Call() get(): number {
    return this.count;
  }
  @Call() sum3(a: number, b: number, c: number): number {
    return a + b + c;
  }
  @Call() sum4(a: number, b: number, c: number, d: number): number {
    return a + b + c + d;
  }
  @Call() async slowDouble(n: number): Promise<number> {
    await Promise.resolve();
    return n * 2;
  }
  @Call() seen(): unknown[] {
    return this.log;
  }
  @Cast() reset(): void {
    this.count = 0;
  }
  @Cast() trapExits(): void {
    this.ctx.trapExit(true);
  }
  @Cast() bump(by: number): void {
    this.count += by;
  }
  @Cast() async slowBump(by: number): Promise<void> {
    await Promise.resolve();
    this.count += by;
  }
  @Info() tick(msg: Tick): void {
    this.log.push(['tick', msg.n]);
  }
  @Info('ping') onPing(msg: unknown): void {
    this.log.push(['ping', msg]);
  }
  @Info((m) => typeof m === 'number') onNumber(m: number): void {
    this.log.push(['number', m]);
  }
  @Info('EXIT') onExit(m: ExitMessage): void {
    this.log.push(['exit', m.reason]);
  }
}

class Renamed extends GenServer<{ call: 'ping'; cast: 'poke' }> {
  @Call('$ping') ping(): string {
    return 'pong';
  }
  @Cast('$poke') poke(): void {}
}

class Fallbacks extends GenServer<{ call: 'got_' }> {
  got: unknown[] = [];
  @Call() got_(): unknown[] {
    return this.got;
  }
  override handleCall(request: unknown): unknown {
    if (request === 'raw') return 'raw reply';
    return super.handleCall(request, this.from);
  }
  override handleCast(request: unknown): void {
    this.got.push({ cast: request });
  }
  override handleInfo(msg: unknown): void {
    this.got.push({ info: msg });
  }
}

class Base extends GenServer<{ call: 'hello' | 'kind' }> {
  @Call() hello(): string {
    return 'base';
  }
  @Call() kind(): string {
    return 'base';
  }
}

class Derived extends Base {
  declare readonly '~protocol'?: { call: 'hello' | 'kind' | 'extra' };
  override kind(): string {
    return 'derived';
  }
  @Call() extra(): number {
    return 42;
  }
}

interface KvProtocol {
  call: { get(key: string): string | undefined; put(key: string, value: string): 'ok' };
  cast: { clear(): void };
}

class Kv extends GenServer<KvProtocol> {
  private data = new Map<string, string>();
  @Call() get(key: string): string | undefined {
    return this.data.get(key);
  }
  @Call() put(key: string, value: string): 'ok' {
    this.data.set(key, value);
    return 'ok';
  }
  @Cast() clear(): void {
    this.data.clear();
  }
}

/** A decorator applied by hand, as TypeScript's emitted code (or plain JavaScript) does: no compile-time check. */
function byHand(decorator: unknown): (...args: unknown[]) => void {
  return decorator as (...args: unknown[]) => void;
}

describe('GenServer routing', () => {
  useNode();

  it('routes calls to decorated methods and replies with their return value', async () => {
    const got = await node.run(async (ctx) => {
      const c = Counter.client(ctx, await Counter.start(ctx, 10));
      return [await c.call.add(5), await c.call.get(), await c.call.sum3(1, 2, 3), await c.call.sum4(1, 2, 3, 4), await c.call.slowDouble(21)];
    });
    expect(got).toEqual([15, 15, 6, 10, 42]);
  });

  it('routes casts in order, sync and async alike', async () => {
    const got = await node.run(async (ctx) => {
      const c = Counter.client(ctx, await Counter.start(ctx, 0));
      c.cast.bump(1);
      c.cast.slowBump(10);
      c.cast.bump(100);
      const afterBumps = await c.call.get();
      c.cast.reset();
      return [afterBumps, await c.call.get()];
    });
    expect(got).toEqual([111, 0]);
  });

  it('routes infos by tag, array head, type field and predicate', async () => {
    const log = await node.run(async (ctx) => {
      const pid = await Counter.start(ctx, 0);
      ctx.send(pid, { type: 'tick', n: 1 });
      ctx.send(pid, 'ping');
      ctx.send(pid, ['ping', 2]);
      ctx.send(pid, 7);
      return Counter.client(ctx, pid).call.seen();
    });
    expect(log).toEqual([['tick', 1], ['ping', 'ping'], ['ping', ['ping', 2]], ['number', 7]]);
  });

  it('routes EXIT messages from processes other than the parent to the EXIT handler', async () => {
    const log = await node.run(async (ctx) => {
      const pid = await Counter.start(ctx, 0);
      const c = Counter.client(ctx, pid);
      c.cast.trapExits();
      const other = ctx.spawn(async (o) => {
        o.link(pid);
        await o.receive((m) => m === 'go');
        o.exit('boom');
      });
      ctx.send(other, 'go');
      await downReason(ctx, other);
      await c.call.get(); // by now the EXIT message is queued ahead of the next call
      return c.call.seen();
    });
    expect(log).toEqual([['exit', 'boom']]);
  });

  it('uses the wire names given to the decorators', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await Renamed.start(ctx);
      const c = Renamed.client(ctx, pid);
      c.cast.poke();
      return [await c.call.ping(), await callServer(ctx, pid, '$ping')];
    });
    expect(got).toEqual(['pong', 'pong']);
  });

  it('gives the caller an UnknownCallError for a call no handler takes, and keeps serving', async () => {
    const logs = captureLogs();
    try {
      const got = await node.run(async (ctx) => {
        const pid = await Counter.start(ctx, 3);
        const err = await callServer(ctx, pid, ['nope', 1]).catch((e: unknown) => e);
        const err2 = await callServer(ctx, pid, { not: 'routable' }).catch((e: unknown) => e);
        return { err, err2, still: await Counter.client(ctx, pid).call.get(), alive: node.isAlive(pid) };
      });
      expect(got.err).toBeInstanceOf(UnknownCallError);
      expect((got.err as UnknownCallError).request).toEqual(['nope', 1]);
      expect(got.err2).toBeInstanceOf(UnknownCallError);
      expect(got.still).toBe(3);
      expect(got.alive).toBe(true);
      expect(logs.records.filter((r) => r.level === 'WARN' && r.logger === 'gen_server')).toHaveLength(2);
    } finally {
      logs.restore();
    }
  });

  it('logs an unexpected info or cast at warn and drops it', async () => {
    const logs = captureLogs();
    try {
      const count = await node.run(async (ctx) => {
        const pid = await Counter.start(ctx, 1);
        ctx.send(pid, { unexpected: true });
        castServer(ctx, pid, ['unknownCast']);
        return Counter.client(ctx, pid).call.get();
      });
      expect(count).toBe(1);
      const warns = logs.records.filter((r) => r.level === 'WARN');
      expect(warns.map((w) => w.message)).toEqual(['GenServer got an unexpected message', 'GenServer got a cast no handler takes']);
      expect(warns[0]!.data['msg']).toEqual({ unexpected: true });
    } finally {
      logs.restore();
    }
  });

  it('sends what no decorator takes to handleCall, handleCast and handleInfo overrides', async () => {
    const got = await node.run(async (ctx) => {
      const pid = await Fallbacks.start(ctx);
      castServer(ctx, pid, { free: 'form' });
      ctx.send(pid, 'hello');
      const raw = await callServer(ctx, pid, 'raw');
      const unknown = await callServer(ctx, pid, 'other').catch((e: unknown) => e);
      return { raw, unknown, got: await Fallbacks.client(ctx, pid).call.got_() };
    });
    expect(got.raw).toBe('raw reply');
    expect(got.unknown).toBeInstanceOf(UnknownCallError);
    expect(got.got).toEqual([{ cast: { free: 'form' } }, { info: 'hello' }]);
  });

  it('sends a client method with no arguments as its bare name, and with arguments as [name, ...args]', async () => {
    interface Shapes {
      cast: { none(): void; one(a: number): void; two(a: number, b: number): void; three(a: number, b: number, c: number): void };
    }
    const got = await node.run(async (ctx) => {
      const pid = await Fallbacks.start(ctx);
      const c = clientOf<Shapes>(ctx, pid);
      c.cast.none();
      c.cast.one(1);
      c.cast.two(1, 2);
      c.cast.three(1, 2, 3);
      return Fallbacks.client(ctx, pid).call.got_();
    });
    expect(got).toEqual([{ cast: 'none' }, { cast: ['one', 1] }, { cast: ['two', 1, 2] }, { cast: ['three', 1, 2, 3] }]);
  });

  it("inherits a base class's handlers and runs a subclass's override", async () => {
    const got = await node.run(async (ctx) => {
      const c = Derived.client(ctx, await Derived.start(ctx));
      return [await c.call.hello(), await c.call.kind(), await c.call.extra()];
    });
    expect(got).toEqual(['base', 'derived', 42]);
  });

  it('routes methods decorated as standard (TC39) decorators, as TypeScript emits them without experimentalDecorators', async () => {
    class Std extends GenServer<{ call: 'ping'; cast: 'hey' }> {
      ping(): string {
        return 'pong';
      }
      hey(): void {}
    }
    const initializers: ((this: unknown) => void)[] = [];
    const ctx = (name: string) => ({ kind: 'method', name, static: false, private: false, addInitializer: (f: (this: unknown) => void) => initializers.push(f), metadata: {} });
    byHand(Call())(Std.prototype.ping, ctx('ping'));
    byHand(Cast())(Std.prototype.hey, ctx('hey'));
    expect(() => byHand(Call())(() => 1, { ...ctx('f'), kind: 'field' })).toThrow(BadArgError);
    expect(() => byHand(Call())(() => 1, { ...ctx('s'), static: true })).toThrow(BadArgError);
    const pid = await Std.start(node);
    const c = Std.client(node, pid);
    c.cast.hey();
    await expect(c.call.ping()).resolves.toBe('pong');
    // A standard decorator checks its class when an instance is first constructed.
    for (const init of initializers) expect(() => init.call({})).toThrow(/@Call routes messages to the methods of a GenServer subclass, and Object \(method ping\) is not one|@Cast routes/);
  });

  it('talks to a server through a client built from a declared protocol only', async () => {
    const got = await node.run(async (ctx) => {
      await Kv.start(ctx, undefined, { name: 'kv' });
      const kv = clientOf<KvProtocol>(ctx, 'kv');
      const put = await kv.call.put('a', '1');
      const a = await kv.call.get('a');
      kv.cast.clear();
      return [put, a, await kv.call.get('a')];
    });
    expect(got).toEqual(['ok', '1', undefined]);
  });

  it('calls and casts from outside any process through the node', async () => {
    const pid = await Counter.start(node, 1);
    castServer(node, pid, ['bump', 1]);
    await expect(callServer(node, pid, 'get')).resolves.toBe(2);
    const c = Counter.client(node, pid);
    await expect(c.call.add(3)).resolves.toBe(5);
  });

  it('refuses decorators put where they cannot route', () => {
    class Plain extends GenServer {
      m(): void {}
    }
    const proto = Plain.prototype;
    const desc = Object.getOwnPropertyDescriptor(proto, 'm');
    expect(() => byHand(Call(''))(proto, 'm', desc)).toThrow(/needs a non-empty string name/);
    expect(() => byHand(Call())(proto, Symbol('s'), desc)).toThrow(/needs a non-empty string name/);
    expect(() => byHand(Cast())(Plain, 'm', desc)).toThrow(/static/);
    expect(() => byHand(Call())(proto, 'field', undefined)).toThrow(/not one/);
    expect(() => byHand(Info())(proto, 'getter', { get: () => 1 })).toThrow(/not one/);
    expect(() => Info(5 as unknown as string)).toThrow(BadArgError);
  });

  it('refuses @Call, @Cast and @Info on a class that is not a GenServer, when the class is defined', () => {
    // What TypeScript emits for `class NotAServer { @Call() add() {} }` (a compile error
    // too), applied by hand: the decorator runs as the class is defined, and throws.
    class NotAServer {
      add(): number {
        return 1;
      }
    }
    const desc = Object.getOwnPropertyDescriptor(NotAServer.prototype, 'add');
    for (const decorator of [Call(), Cast(), Info()]) {
      expect(() => byHand(decorator)(NotAServer.prototype, 'add', desc)).toThrow(BadArgError);
    }
    expect(() => byHand(Call())(NotAServer.prototype, 'add', desc)).toThrow('@Call routes messages to the methods of a GenServer subclass, and NotAServer (method add) is not one');
  });

  it("answers a declared message whose handler lacks its decorator with a clear error, never a TypeError", async () => {
    class Forgetful extends GenServer<KvProtocol> implements Handlers<KvProtocol> {
      get(key: string): string | undefined {
        return key; // no @Call(): the compiler cannot see that
      }
      @Call() put(): 'ok' {
        return 'ok';
      }
      @Cast() clear(): void {}
    }
    const pid = await Forgetful.start(node);
    const kv = Forgetful.client(node, pid);
    const err = await kv.call.get('a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadArgError);
    expect((err as Error).message).toBe('Forgetful.get has no @Call() decorator, so Forgetful routes no call to it: decorate it, or remove it from the declared protocol');
    await expect(kv.call.put('a', 'b')).resolves.toBe('ok');
    // The same mistake seen from a client that only has the protocol: the server answers.
    await expect(clientOf<KvProtocol>(node, pid).call.get('a')).rejects.toBeInstanceOf(UnknownCallError);
  });

  it('answers a message sent on the wrong side from plain JavaScript with a clear error, never a TypeError', async () => {
    const c = Counter.client(node, await Counter.start(node, 1)) as unknown as { call: Record<string, () => Promise<unknown>>; cast: Record<string, (n: number) => void> };
    expect(() => c.cast['add']!(1)).toThrow('Counter.add is a @Call handler: call it (client.call.add)');
    await expect(c.call['reset']!()).rejects.toThrow('Counter.reset is a @Cast handler: cast it (client.cast.reset)');
    await expect(c.call['tick']!()).rejects.toThrow('Counter.tick has no @Call() decorator');
    await expect(c.call['get']!()).resolves.toBe(1); // the routed ones still work
  });

  it("throws when a handler reads 'from' outside a call, and crashes a server that continues without handleContinue", async () => {
    class Misuse extends GenServer<{ call: 'peek'; cast: 'readFrom' | 'goOn' }> {
      @Call() peek(): string {
        return 'ok';
      }
      @Cast() readFrom(): void {
        void this.from;
      }
      @Cast() goOn() {
        return this.continueWith('x');
      }
    }
    const logs = captureLogs();
    try {
      const got = await node.run(async (ctx) => {
        const a = await Misuse.start(ctx);
        const ra = downReason(ctx, a);
        Misuse.client(ctx, a).cast.readFrom();
        const reasonA = await ra;
        const b = await Misuse.start(ctx);
        const rb = downReason(ctx, b);
        Misuse.client(ctx, b).cast.goOn();
        return [reasonA, await rb];
      });
      expect(got[0]).toBeInstanceOf(BadArgError);
      expect((got[0] as Error).message).toMatch(/only available while a call/);
      expect((got[1] as Error).message).toMatch(/has no handleContinue/);
    } finally {
      logs.restore();
    }
  });

  it('crashes a server whose @Info predicate throws, with that error, after terminate', async () => {
    class Picky extends GenServer {
      private observer!: Pid;
      override init(observer: Pid): void {
        this.observer = observer;
      }
      @Info((m) => (m as { deep: { field: unknown } }).deep.field === 1) onDeep(): void {}
      override terminate(reason: unknown): void {
        this.ctx.send(this.observer, { terminated: reason instanceof Error ? reason.message : reason });
      }
    }
    const logs = captureLogs();
    try {
      const got = await node.run(async (ctx) => {
        const pid = await Picky.start(ctx, ctx.self);
        const ref = ctx.monitor(pid);
        ctx.send(pid, { shallow: true });
        const terminated = ((await ctx.receive((m) => typeof m === 'object' && m !== null && 'terminated' in m)) as { terminated: unknown }).terminated;
        return { terminated, reason: ((await ctx.receive((m) => isDownMessage(m, ref))) as DownMessage).reason };
      });
      expect(got.reason).toBeInstanceOf(TypeError);
      expect(got.terminated).toBe((got.reason as Error).message);
      expect(logs.records.filter((r) => r.level === 'ERROR')).toHaveLength(1);
    } finally {
      logs.restore();
    }
  });

  it('keeps its routes to itself: no global Reflect metadata API, no design-time type metadata', () => {
    // Routes live in a WeakMap; importing @grove/core installs no polyfill on the global Reflect.
    expect('defineMetadata' in Reflect).toBe(false);
    expect('getMetadata' in Reflect).toBe(false);
    // And TypeScript emits no design:* metadata for decorated handlers (emitDecoratorMetadata is off).
    const recorded: unknown[] = [];
    const spy = Reflect as unknown as { metadata?: (key: unknown, value: unknown) => (t: unknown, k?: unknown) => void };
    spy.metadata = (key) => {
      recorded.push(key);
      return () => undefined;
    };
    try {
      class Typed extends GenServer {
        @Call() echo(n: number, p: Pid): [number, Pid] {
          return [n, p];
        }
      }
      expect(Typed.name).toBe('Typed');
    } finally {
      delete spy.metadata;
    }
    expect(recorded).toEqual([]);
  });

  it('refuses a bad caller, server or timeout at the boundary', async () => {
    const pid = await Counter.start(node, 1);
    await expect(callServer({} as unknown as Node, pid, 'get')).rejects.toBeInstanceOf(BadArgError);
    await expect(callServer(node, pid, 'get', -1)).rejects.toBeInstanceOf(BadArgError);
    expect(() => Counter.client(node, 42 as unknown as Pid)).toThrow(BadArgError);
    expect(() => Counter.client(node, pid, { timeoutMs: Number.NaN })).toThrow(BadArgError);
    expect(() => castServer(null as unknown as Node, pid, 'x')).toThrow(BadArgError);
  });
});
