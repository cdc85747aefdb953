/**
 * GenStateMachine semantics, OTP's gen_statem rules one by one: the order of
 * inserted, retried and queued events, state enter calls, the three kinds of
 * timeouts, stop and crash, init's results, deferred replies, async callbacks,
 * and clear errors for a bad class or a bad return.
 */
import {
  BadArgError,
  callServer,
  CallExitError,
  castServer,
  GenServer,
  GenStateMachine,
  ManualClock,
  StartError,
  State,
  stopSupervisor,
  Supervisor,
  supervisor,
  type ChildSpec,
  type From,
  type Pid,
  type StatemEvent,
  type StateResult,
} from '@grove/core';
import { captureLogs, downReason, node, useNode, waitFor } from './helpers';

/** Logs every event it gets as `state:type:content` and obeys commands cast to it. */
class Recorder extends GenStateMachine<string> {
  static override readonly callbackMode = 'handleEventFunction';
  static override readonly stateEnter = true;
  readonly log: string[] = [];
  private held: From | null = null;

  override init(start?: string) {
    return this.nextState(start ?? 'a', this.nextEvent('internal', 'boot'));
  }

  override handleEvent(ev: StatemEvent<string>, state: string): StateResult<string> {
    const c = ev.content;
    if (ev.type !== 'call') this.log.push(`${state}:${ev.type}${ev.type === 'genericTimeout' ? `(${ev.name})` : ''}:${String(c)}`);
    if (ev.type === 'enter') return state === 'r' && this.log.filter((l) => l.startsWith('r:enter')).length < 2 ? this.repeatState() : undefined;
    if (ev.type === 'call') {
      if (c === 'log') return this.keepState(this.replyTo(ev.from, this.log));
      if (c === 'hold') {
        this.held = ev.from;
        return;
      }
      if (c === 'quit') return this.stopWith('normal', this.replyTo(ev.from, 'bye'));
    }
    if (ev.type === 'cast' && Array.isArray(c)) {
      const [cmd, arg] = c as [string, unknown];
      if (cmd === 'postpone') return this.keepState(this.postpone());
      if (cmd === 'go') return this.nextState(arg as string, this.nextEvent('internal', 'x'), this.nextEvent('info', 'y'), this.stateTimeout(0, 'st0'));
      if (cmd === 'stay') return this.nextState(state);
      if (cmd === 'generic') return this.keepState(this.genericTimeout('g', arg as number, 'gen'), this.stateTimeout(arg as number, 'st'));
      if (cmd === 'cancel') return this.keepState(this.genericTimeout('g', 'infinity'));
      if (cmd === 'release') this.reply(this.held!, arg);
      if (cmd === 'crash') throw new Error('recorder crashed');
      if (cmd === 'async') return Promise.resolve().then(() => this.nextState(arg as string));
    }
  }
}

const logOf = (from: Parameters<typeof callServer>[0], pid: Pid) => callServer(from, pid, 'log') as Promise<string[]>;

describe('GenStateMachine events', () => {
  useNode();

  it('runs the initial enter call, then init\'s inserted event, before any message', async () => {
    const pid = await Recorder.start(node);
    castServer(node, pid, 'hello');
    expect(await logOf(node, pid)).toEqual(['a:enter:a', 'a:internal:boot', 'a:cast:hello']);
  });

  it('on a state change runs the enter call, then inserted events, then retried postponed ones, then zero timeouts, then the mailbox', async () => {
    const pid = await Recorder.start(node);
    castServer(node, pid, ['postpone', 1]);
    castServer(node, pid, ['go', 'b']);
    castServer(node, pid, 'later');
    const log = await logOf(node, pid);
    expect(log.slice(2)).toEqual(['a:cast:postpone,1', 'a:cast:go,b', 'b:enter:a', 'b:internal:x', 'b:info:y', 'b:cast:postpone,1', 'b:stateTimeout:st0', 'b:cast:later']);
  });

  it('keeps postponed events while the state stays the same, structurally equal or not', async () => {
    const pid = await Recorder.start(node);
    castServer(node, pid, ['postpone', 1]);
    castServer(node, pid, ['stay', null]);
    castServer(node, pid, 'after');
    expect((await logOf(node, pid)).slice(2)).toEqual(['a:cast:postpone,1', 'a:cast:stay,', 'a:cast:after']);
  });

  it('calls the enter callback again on repeatState, with the state itself as the old state', async () => {
    const pid = await Recorder.start(node);
    castServer(node, pid, ['go', 'r']);
    expect((await logOf(node, pid)).filter((l) => l.includes('enter'))).toEqual(['a:enter:a', 'r:enter:a', 'r:enter:r']);
  });

  it('replies later to a call it kept (deferred reply)', async () => {
    const pid = await Recorder.start(node);
    const pending = callServer(node, pid, 'hold');
    castServer(node, pid, ['release', 42]);
    expect(await pending).toBe(42);
  });

  it('waits for an async callback before the next event', async () => {
    const pid = await Recorder.start(node);
    castServer(node, pid, ['async', 'c']);
    castServer(node, pid, 'next');
    expect((await logOf(node, pid)).slice(-2)).toEqual(['c:enter:a', 'c:cast:next']);
  });

  it('replies, runs terminate, and exits with the reason on stopWith', async () => {
    const reason = await node.run(async (ctx) => {
      const pid = await Recorder.start(ctx);
      const down = downReason(ctx, pid);
      expect(await callServer(ctx, pid, 'quit')).toBe('bye');
      return down;
    });
    expect(reason).toBe('normal');
  });

  it('exits with the error and writes one crash report when a callback throws', async () => {
    const logs = captureLogs(['gen_server']);
    try {
      const reason = await node.run(async (ctx) => {
        const pid = await Recorder.start(ctx);
        const ref = downReason(ctx, pid);
        castServer(ctx, pid, ['crash', null]);
        return ref;
      });
      expect((reason as Error).message).toBe('recorder crashed');
      expect(logs.records.filter((r) => r.level === 'ERROR' || r.level === 'error')).toHaveLength(1);
      expect(JSON.stringify(logs.records[0]!.data)).toContain('Recorder');
    } finally {
      logs.restore();
    }
  });
});

describe('GenStateMachine timeouts', () => {
  let clock: ManualClock;
  useNode(() => ({ clock: (clock = new ManualClock()) }));

  it('keeps generic timeouts across state changes, cancels the state timeout, and cancels a generic one set to infinity', async () => {
    const pid = await Recorder.start(node);
    castServer(node, pid, ['generic', 100]);
    castServer(node, pid, ['go', 'b']);
    await logOf(node, pid);
    clock.advance(100);
    const log = await logOf(node, pid);
    expect(log.filter((l) => l.includes('Timeout'))).toEqual(['b:stateTimeout:st0', 'b:genericTimeout(g):gen']);
    castServer(node, pid, ['generic', 50]);
    castServer(node, pid, ['cancel', null]);
    await logOf(node, pid);
    clock.advance(50);
    expect((await logOf(node, pid)).filter((l) => l.includes('Timeout'))).toEqual(['b:stateTimeout:st0', 'b:genericTimeout(g):gen', 'b:stateTimeout:st']);
  });

  it('restarts a generic timeout set again, firing once', async () => {
    const pid = await Recorder.start(node);
    castServer(node, pid, ['generic', 100]);
    await logOf(node, pid);
    clock.advance(60);
    castServer(node, pid, ['generic', 100]);
    await logOf(node, pid);
    clock.advance(60);
    expect((await logOf(node, pid)).filter((l) => l.includes('genericTimeout'))).toEqual([]);
    clock.advance(40);
    expect((await logOf(node, pid)).filter((l) => l.includes('genericTimeout'))).toEqual(['a:genericTimeout(g):gen']);
  });
});

class Door extends GenStateMachine<'open' | 'shut'> {
  static override readonly stateEnter = true;
  override init(how: 'ignore' | 'stop' | 'none' | 'open' | 'badEnter') {
    if (how === 'ignore') return this.ignore();
    if (how === 'stop') return this.stopWith('no door');
    if (how === 'none') return undefined as never;
    return how === 'badEnter' ? ('shut' as const) : ('open' as const);
  }
  @State() open(ev: StatemEvent<'open' | 'shut'>): StateResult<'open' | 'shut'> {
    if (ev.type === 'call') return this.keepState(this.replyTo(ev.from, 'open'));
    if (ev.type === 'cast') return this.nextState('shut');
  }
  @State() shut(ev: StatemEvent<'open' | 'shut'>): StateResult<'open' | 'shut'> {
    if (ev.type === 'enter') return this.nextState('open'); // not allowed in an enter call
  }
}

class Stateless extends GenStateMachine {
  override init() {
    return 'nowhere';
  }
  @State() somewhere() {}
}

describe('GenStateMachine start and errors', () => {
  useNode();

  it("resolves 'ignore', or rejects with init's reason, as init says", async () => {
    expect(await Door.start(node, 'ignore')).toBe('ignore');
    await expect(Door.start(node, 'stop')).rejects.toMatchObject({ reason: 'no door' });
    await expect(Door.start(node, 'none')).rejects.toBeInstanceOf(StartError);
    expect(await callServer(node, await Door.start(node, 'open'), 'state')).toBe('open');
  });

  it('crashes a machine whose enter call changes the state, with a clear error', async () => {
    const logs = captureLogs(['gen_server']);
    try {
      const reason = await node.run(async (ctx) => {
        const pid = (await Door.start(ctx, 'open')) as Pid;
        const down = downReason(ctx, pid);
        castServer(ctx, pid, 'shut');
        return down;
      });
      expect(reason).toBeInstanceOf(BadArgError);
      expect((reason as Error).message).toMatch(/enter call may not change the state/);
    } finally {
      logs.restore();
    }
  });

  it('crashes on an event in a state that has no @State() function, naming the state', async () => {
    const logs = captureLogs(['gen_server']);
    try {
      const pid = await Stateless.start(node);
      await expect(callServer(node, pid, 'anything')).rejects.toBeInstanceOf(CallExitError);
      expect(JSON.stringify(logs.records.map((r) => r.data))).toContain('no @State() function for state nowhere');
    } finally {
      logs.restore();
    }
  });

  it('refuses new, a class that is no machine, and a stateFunctions machine without states', async () => {
    expect(() => new (Door as unknown as new () => Door)()).toThrow(/start it with Door.start/);
    class Empty extends GenStateMachine {
      override init() {
        return 'a';
      }
    }
    await expect(Empty.start(node)).rejects.toThrow(/no @State\(\) method/);
    await expect((GenStateMachine.start as (this: unknown, n: unknown) => Promise<unknown>).call(Object, node)).rejects.toBeInstanceOf(BadArgError);
  });

  it('refuses @State() on a class that is not a GenStateMachine when the class is defined', () => {
    class Server extends GenServer {
      red(): void {}
    }
    const decorate = State() as unknown as (t: object, k: string, d: PropertyDescriptor) => void;
    expect(() => decorate(Server.prototype, 'red', Object.getOwnPropertyDescriptor(Server.prototype, 'red')!)).toThrow(/@State routes messages to the methods of a GenStateMachine subclass/);
  });

  it('refuses a bad timeout at the boundary', async () => {
    class Bad extends GenStateMachine {
      override init() {
        return 'a';
      }
      @State() a() {
        return this.keepState(this.stateTimeout(-1));
      }
    }
    const logs = captureLogs(['gen_server']);
    try {
      const pid = await Bad.start(node);
      await expect(callServer(node, pid, 'x')).rejects.toMatchObject({ reason: expect.any(BadArgError) });
    } finally {
      logs.restore();
    }
  });
});

/** Traps exits and says how it ended; its init is async. */
class Tidy extends GenStateMachine<'idle'> {
  static override readonly stateEnter = true;
  static readonly ended: unknown[] = [];
  override async init() {
    this.ctx.trapExit(true);
    await Promise.resolve();
    return 'idle' as const;
  }
  @State() async idle(ev: StatemEvent<'idle'>): Promise<StateResult<'idle'>> {
    if (ev.type === 'call') return this.keepState(this.replyTo(ev.from, this.state));
  }
  override terminate(reason: unknown): void {
    Tidy.ended.push([reason, this.state]);
  }
}

describe('GenStateMachine under a supervisor', () => {
  useNode();

  it("runs terminate with the supervisor's shutdown when trapping exits, and a child spec restarts it", async () => {
    @supervisor({ strategy: 'one_for_one' })
    class Sup extends Supervisor {
      children(): ChildSpec[] {
        return [Tidy.childSpec(undefined, { id: 'tidy', name: 'tidy' })];
      }
    }
    const sup = await Sup.start(node);
    const first = node.whereis('tidy')!;
    expect(await callServer(node, 'tidy', 'state')).toBe('idle');
    const down = node.run((ctx) => downReason(ctx, first));
    node.run(async (ctx) => ctx.exit(first, 'kill'));
    expect(await down).toBe('killed');
    await waitFor(() => node.whereis('tidy') !== undefined && !node.whereis('tidy')!.equals(first), 'the restart');
    expect(await callServer(node, 'tidy', 'state')).toBe('idle');
    await stopSupervisor(node, sup);
    expect(Tidy.ended).toEqual([['shutdown', 'idle']]);
  });
});
