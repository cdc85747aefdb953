/**
 * Every process has an AbortSignal (`ctx.signal`, `this.signal` in a GenServer) that
 * aborts when it dies, with its exit reason: code that awaits a timer or I/O with it
 * stops when the process is killed instead of running on after its death.
 */
import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cast, GenServer, startSupervisor, stopServer, type Pid, type ProcessContext } from '@grove/core';
import { downReason, node, useNode, waitFor } from './helpers';

/** A worker that, cast `work`, waits for the emitter's `go` with its signal and then records a side effect. */
class Worker extends GenServer<{ cast: 'work' }> {
  static effects: string[] = [];
  static go = new EventEmitter();
  private id = '';
  override init(args: { observer: Pid; id: () => string }): void {
    this.id = args.id();
    this.ctx.send(args.observer, { started: this.self, id: this.id });
  }
  @Cast() async work(observer: Pid): Promise<void> {
    this.ctx.send(observer, { waiting: this.id });
    await once(Worker.go, 'go', { signal: this.signal });
    Worker.effects.push(`${this.id} after the await`);
    this.ctx.send(observer, { done: this.id });
  }
}

const isStarted = (m: unknown): m is { started: Pid; id: string } => typeof m === 'object' && m !== null && 'started' in m;
const isWaiting = (m: unknown): m is { waiting: string } => typeof m === 'object' && m !== null && 'waiting' in m;
const isDone = (m: unknown): m is { done: string } => typeof m === 'object' && m !== null && 'done' in m;

describe('the AbortSignal of a process', () => {
  useNode();

  it.each([
    ['killed', (ctx: ProcessContext, pid: Pid) => ctx.exit(pid, 'kill'), 'killed'],
    ['sent an exit signal', (ctx: ProcessContext, pid: Pid) => ctx.exit(pid, { shutdown: 'bye' }), { shutdown: 'bye' }],
    ['ending normally', (ctx: ProcessContext, pid: Pid) => ctx.send(pid, 'return'), 'normal'],
  ])('aborts when the process dies (%s), with the exit reason as signal.reason', async (_label, end, reason) => {
    let signal: AbortSignal | undefined;
    const got = await node.run(async (ctx) => {
      const pid = ctx.spawn(async (c) => {
        signal = c.signal;
        await c.receive((m) => m === 'return');
      });
      await waitFor(() => signal !== undefined, 'the process to take its signal');
      const alive = signal!.aborted;
      end(ctx, pid);
      await downReason(ctx, pid);
      return { alive, aborted: signal!.aborted, reason: signal!.reason as unknown };
    });
    expect(got).toEqual({ alive: false, aborted: true, reason });
  });

  it('stops a killed body that awaits timers/promises setTimeout with it, at once', async () => {
    const seen: string[] = [];
    await node.run(async (ctx) => {
      const pid = ctx.spawn(async (c) => {
        try {
          await sleep(60_000, undefined, { signal: c.signal });
          seen.push('timer fired');
        } catch (e) {
          seen.push((e as Error).name);
        }
      });
      await waitFor(() => node.processInfo(pid)?.status === 'waiting', 'the body to await its timer');
      ctx.exit(pid, 'kill');
    });
    await waitFor(() => seen.length > 0, 'the timer to be aborted');
    expect(seen).toEqual(['AbortError']);
  });

  it('is already aborted when read after the process died', async () => {
    let kept: ProcessContext | undefined;
    const pid = node.spawn((c) => {
      kept = c;
      c.exit('gone');
    });
    await waitFor(() => !node.isAlive(pid), 'the process to end');
    expect({ aborted: kept!.signal.aborted, reason: kept!.signal.reason as unknown }).toEqual({ aborted: true, reason: 'gone' });
  });

  it("aborts a GenServer's this.signal when it stops, after terminate ran", async () => {
    class Holder extends GenServer {
      static seen: unknown[] = [];
      static signal: AbortSignal | null = null;
      override init(): void {
        Holder.signal = this.signal;
      }
      override terminate(): void {
        Holder.seen.push(this.signal.aborted);
      }
    }
    await node.run(async (ctx) => {
      const pid = (await Holder.start(ctx)) as Pid;
      await stopServer(ctx, pid, 'shutdown');
    });
    expect({ inTerminate: Holder.seen, after: Holder.signal!.aborted, reason: Holder.signal!.reason as unknown }).toEqual({
      inTerminate: [false],
      after: true,
      reason: 'shutdown',
    });
  });

  it('keeps a killed worker that awaits I/O with this.signal from running on after its replacement started', async () => {
    Worker.effects = [];
    let n = 0;
    const got = await node.run(async (ctx) => {
      await startSupervisor(ctx, { children: [Worker.childSpec({ observer: ctx.self, id: () => `w${++n}` }, { id: 'w' })] });
      const first = await ctx.receive(isStarted);
      Worker.client(ctx, first.started).cast.work(ctx.self);
      await ctx.receive(isWaiting);
      ctx.exit(first.started, 'kill');
      const second = await ctx.receive(isStarted);
      Worker.client(ctx, second.started).cast.work(ctx.self);
      await ctx.receive(isWaiting);
      // Both wait for `go` now, w1 first: had its wait not been aborted, it would run on before w2.
      Worker.go.emit('go');
      return { second: second.id, done: (await ctx.receive(isDone)).done };
    });
    expect({ ...got, effects: Worker.effects }).toEqual({ second: 'w2', done: 'w2', effects: ['w2 after the await'] });
  });
});
