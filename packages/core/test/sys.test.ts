/**
 * `sys` (src/sys/): debugging a live server, the same for every behaviour on GenServer.
 */
import { Agent, BadArgError, Call, Cast, callServer, castServer, GenServer, GenStateMachine, Info, Pid, State, startSupervisor, stopServer, sys, type StatemEvent, type StateResult } from '@grove/core';
import { captureLogs, downReason, node, useNode } from './helpers';

useNode();

class Account extends GenServer<{ call: 'balance' | 'deposit' | 'later'; cast: 'add' }> {
  balance_ = 0;
  password = 'hunter2';

  @Call() balance(): number {
    return this.balance_;
  }

  @Call() deposit(n: number): number {
    this.balance_ += n;
    return this.balance_;
  }

  @Cast() add(n: number): void {
    this.balance_ += n;
  }

  @Call() later() {
    this.reply(this.from, 'later');
    return this.noReply();
  }

  @Info((m) => typeof m === 'number') tick(n: number): void {
    this.balance_ += n;
  }

  override formatState(): unknown {
    return { balance_: this.balance_, password: '***' };
  }
}

class Light extends GenStateMachine<'on' | 'off'> {
  flips = 0;
  override init() {
    return 'off' as const;
  }
  @State() off(ev: StatemEvent<'on' | 'off'>): StateResult<'on' | 'off'> {
    this.flips++;
    if (ev.type === 'call') return this.nextState('on', this.replyTo(ev.from, 'on'));
  }
  @State() on(ev: StatemEvent<'on' | 'off'>): StateResult<'on' | 'off'> {
    this.flips++;
    if (ev.type === 'call') return this.nextState('off', this.replyTo(ev.from, 'off'));
  }
}

async function account(): Promise<Pid> {
  return (await Account.start(node)) as Pid;
}

describe('sys', () => {
  it('gets and replaces a GenServer state (its fields), and getStatus shows formatState', async () => {
    const pid = await account();
    await callServer(node, pid, ['deposit', 5]);
    expect(await sys.getState(node, pid)).toEqual({ balance_: 5, password: 'hunter2' });
    expect(await sys.replaceState(node, pid, (s: { balance_: number }) => ({ ...s, balance_: s.balance_ * 10 }))).toEqual({ balance_: 50, password: 'hunter2' });
    expect(await callServer(node, pid, 'balance')).toBe(50);
    const status = await sys.getStatus(node, pid);
    expect(status).toMatchObject({ pid, module: 'Account', status: 'running', state: { balance_: 50, password: '***' }, debug: { trace: false, log: false, statistics: false } });
    await stopServer(node, pid);
  });

  it('fails a replaceState whose function throws, and the server and its state stay', async () => {
    const pid = await account();
    await expect(
      sys.replaceState(node, pid, () => {
        throw new Error('no');
      }),
    ).rejects.toThrow(BadArgError);
    await expect(sys.replaceState(node, pid, () => 7 as never)).rejects.toThrow(/must return an object/);
    expect(await callServer(node, pid, 'balance')).toBe(0);
    await stopServer(node, pid);
  });

  it('suspends: messages wait (calls too) until resume, then run in order', async () => {
    const pid = await account();
    expect(await sys.suspend(node, pid)).toBe('ok');
    castServer(node, pid, ['add', 1]);
    node.send(pid, 2);
    const deposit = callServer(node, pid, ['deposit', 3]);
    expect((await sys.getStatus(node, pid)).status).toBe('suspended');
    expect(await sys.getState(node, pid)).toMatchObject({ balance_: 0 });
    expect(await sys.resume(node, pid)).toBe('ok');
    expect(await deposit).toBe(6);
    expect((await sys.getStatus(node, pid)).status).toBe('running');
    await stopServer(node, pid);
  });

  it('a suspended server handles stopServer (a call) only once resumed', async () => {
    const pid = await account();
    await sys.suspend(node, pid);
    const stopped = stopServer(node, pid);
    await sys.resume(node, pid);
    await stopped;
    expect(node.isAlive(pid)).toBe(false);
  });

  it("a suspended server still ends through terminate on its parent's EXIT", async () => {
    const ended: unknown[] = [];
    class Trapper extends GenServer {
      override init(): void {
        this.ctx.trapExit(true);
      }
      override terminate(reason: unknown): void {
        ended.push(reason);
      }
    }
    const parent = node.spawn(async (ctx) => {
      const pid = (await Trapper.startLink(ctx)) as Pid;
      ctx.send(ctx.self, pid);
      await ctx.receive((m) => m === 'go');
      throw new Error('parent down');
    });
    const pid = await node.run(async (ctx) => {
      while (!node.processInfo(parent)?.links.length) await ctx.yield();
      return node.processInfo(parent)!.links[0]!;
    });
    await sys.suspend(node, pid);
    const reason = node.run((ctx) => downReason(ctx, pid));
    node.send(parent, 'go');
    expect(await reason).toMatchObject({ message: 'parent down' });
    expect(ended).toEqual([expect.objectContaining({ message: 'parent down' })]);
  });

  it('logs events in, replies out and states, keeping the last N', async () => {
    const pid = await account();
    expect(await sys.log(node, pid, 4)).toBe('ok');
    castServer(node, pid, ['add', 1]);
    await callServer(node, pid, ['deposit', 2]);
    const events = await sys.getLog(node, pid);
    expect(events).toEqual([
      { type: 'state', state: { balance_: 1, password: '***' } },
      { type: 'in', kind: 'call', msg: ['deposit', 2], from: expect.any(Pid) },
      { type: 'out', reply: 3, to: expect.anything() },
      { type: 'state', state: { balance_: 3, password: '***' } },
    ]);
    expect((await sys.getStatus(node, pid)).debug.log).toBe(4);
    expect(await sys.log(node, pid, false)).toHaveLength(4);
    expect(await sys.getLog(node, pid)).toEqual([]);
    await expect(sys.log(node, pid, 0)).rejects.toThrow(RangeError);
    await stopServer(node, pid);
  });

  it('traces events to the sys logger', async () => {
    const logs = captureLogs(['sys']);
    const { setLogLevel } = await import('@grove/core');
    setLogLevel('info');
    try {
      const pid = await account();
      await sys.trace(node, pid, true);
      await callServer(node, pid, ['deposit', 4]);
      await sys.trace(node, pid, false);
      await callServer(node, pid, ['deposit', 4]);
      const lines = logs.records.map((r) => r.message);
      expect(lines.filter((l) => l.includes("type: 'in', kind: 'call', msg: [ 'deposit', 4 ]"))).toHaveLength(1);
      expect(lines.some((l) => l.includes('out'))).toBe(true);
      await stopServer(node, pid);
    } finally {
      logs.restore();
    }
  });

  it('counts messages in and out with statistics', async () => {
    const pid = await account();
    expect(await sys.getStatistics(node, pid)).toBe(false);
    await sys.statistics(node, pid, true);
    castServer(node, pid, ['add', 1]);
    await callServer(node, pid, 'balance');
    expect(await callServer(node, pid, 'later')).toBe('later');
    expect(await sys.getStatistics(node, pid)).toMatchObject({ messagesIn: 3, messagesOut: 2 });
    await sys.statistics(node, pid, false);
    expect(await sys.getStatistics(node, pid)).toBe(false);
    await stopServer(node, pid);
  });

  it('works on a GenStateMachine ({ state, data }), an Agent and a Supervisor', async () => {
    const light = (await Light.start(node)) as Pid;
    expect(await sys.getState(node, light)).toEqual({ state: 'off', data: { flips: 0 } });
    await sys.replaceState(node, light, (s: { state: string; data: { flips: number } }) => ({ state: 'on', data: { flips: 10 } }));
    await sys.log(node, light, 5);
    expect(await callServer(node, light, 'flip')).toBe('off');
    expect(await sys.getState(node, light)).toEqual({ state: 'off', data: { flips: 11 } });
    expect((await sys.getLog(node, light)).map((e) => e.type)).toEqual(['in', 'out', 'state']);
    await stopServer(node, light);

    const agent = await Agent.start(node, () => 41);
    expect(await sys.getState(node, agent)).toBe(41);
    await sys.replaceState(node, agent, (n: number) => n + 1);
    expect(await Agent.get(node, agent, (n: number) => n)).toBe(42);
    await Agent.stop(node, agent);

    const sup = (await startSupervisor(node, { children: [] })) as Pid;
    expect((await sys.getStatus(node, sup)).status).toBe('running');
    await sys.suspend(node, sup);
    await sys.resume(node, sup);
    await stopServer(node, sup);
  });

  it('fails like a call for a server that is gone', async () => {
    const pid = await account();
    await stopServer(node, pid);
    await expect(sys.getState(node, pid)).rejects.toThrow();
  });
});
