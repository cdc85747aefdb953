/**
 * OTP's classic gen_statem example, the code lock (OTP Design Principles,
 * "gen_statem Behaviour"), in its full form: state functions with state enter
 * calls, an event timeout that forgets half-entered codes, a state timeout that
 * relocks, buttons postponed while open, and a call answered in every state.
 */
import {
  GenStateMachine,
  ManualClock,
  State,
  stopServer,
  stopSupervisor,
  Supervisor,
  supervisor,
  whichChildren,
  type ChildSpec,
  type Pid,
  type ProcessContext,
  type StateFunctions,
  type StatemEvent,
  type StateResult,
} from '@grove/core';
import { node, useNode } from './helpers';

type LockState = 'locked' | 'open';
interface LockProtocol {
  call: { codeLength(): number };
  cast: { button(digit: number): void };
}
type LockEvent = StatemEvent<LockState, LockProtocol>;

class CodeLock extends GenStateMachine<LockState, LockProtocol> implements StateFunctions<LockState, LockProtocol> {
  static override readonly stateEnter = true;
  private code: number[] = [];
  private buttons: number[] = [];
  private observer!: Pid;

  override init([code, observer]: [number[], Pid]) {
    this.code = code;
    this.observer = observer;
    return 'locked' as const;
  }

  @State() locked(ev: LockEvent) {
    switch (ev.type) {
      case 'enter':
        this.ctx.send(this.observer, 'locked'); // do_lock()
        this.buttons = [];
        return;
      case 'timeout':
        this.buttons = [];
        this.ctx.send(this.observer, 'forgot');
        return;
      case 'cast': {
        const [, digit] = ev.content;
        this.buttons = [...(this.buttons.length < this.code.length ? this.buttons : this.buttons.slice(1)), digit];
        this.ctx.send(this.observer, ['pressed', digit]);
        if (this.buttons.join() === this.code.join()) return this.nextState('open');
        return this.keepState(this.eventTimeout(30_000, 'button'));
      }
      default:
        return this.common(ev);
    }
  }

  @State() open(ev: LockEvent) {
    switch (ev.type) {
      case 'enter':
        this.ctx.send(this.observer, 'open'); // do_unlock()
        return this.keepState(this.stateTimeout(10_000, 'lock'));
      case 'stateTimeout':
        return this.nextState('locked');
      case 'cast':
        return this.keepState(this.postpone());
      default:
        return this.common(ev);
    }
  }

  private common(ev: LockEvent): StateResult<LockState> {
    if (ev.type === 'call' && ev.content === 'codeLength') return this.keepState(this.replyTo(ev.from, this.code.length));
  }
}

const next = (ctx: ProcessContext): Promise<unknown> => ctx.receive();

describe('the code lock (OTP gen_statem example)', () => {
  let clock: ManualClock;
  useNode(() => ({ clock: (clock = new ManualClock()) }));

  it('opens on the right code and locks again when the state timeout passes', async () => {
    const seen = await node.run(async (ctx) => {
      const lock = CodeLock.client(ctx, await CodeLock.start(ctx, [[1, 2, 3], ctx.self]));
      const out: unknown[] = [await next(ctx)];
      for (const d of [1, 2, 3]) lock.cast.button(d);
      for (let i = 0; i < 4; i++) out.push(await next(ctx));
      clock.advance(9_999);
      expect(ctx.mailboxLength).toBe(0);
      clock.advance(1);
      out.push(await next(ctx));
      return out;
    });
    expect(seen).toEqual(['locked', ['pressed', 1], ['pressed', 2], ['pressed', 3], 'open', 'locked']);
  });

  it('stays locked on a wrong code, keeping only the last digits', async () => {
    const seen = await node.run(async (ctx) => {
      const lock = CodeLock.client(ctx, await CodeLock.start(ctx, [[1, 2, 3], ctx.self]));
      await next(ctx);
      for (const d of [9, 1, 2, 4, 1, 2, 3]) lock.cast.button(d);
      const out: unknown[] = [];
      for (let i = 0; i < 8; i++) out.push(await next(ctx));
      return out;
    });
    expect(seen.filter((m) => typeof m === 'string')).toEqual(['open']);
    expect(seen[7]).toBe('open');
  });

  it('forgets a half-entered code after the event timeout, and a new event cancels that timeout', async () => {
    const seen = await node.run(async (ctx) => {
      const lock = CodeLock.client(ctx, await CodeLock.start(ctx, [[1, 2, 3], ctx.self]));
      await next(ctx);
      lock.cast.button(1);
      await next(ctx);
      clock.advance(20_000);
      lock.cast.button(2); // restarts the 30 s
      await next(ctx);
      clock.advance(20_000);
      expect(ctx.mailboxLength).toBe(0);
      clock.advance(10_000);
      const forgot = await next(ctx);
      lock.cast.button(3); // 1, 2 were forgotten: 3 alone does not open
      await next(ctx);
      expect(await lock.call.codeLength()).toBe(3);
      return [forgot, ctx.mailboxLength];
    });
    expect(seen).toEqual(['forgot', 0]);
  });

  it('postpones buttons pressed while open and handles them once locked again', async () => {
    const seen = await node.run(async (ctx) => {
      const lock = CodeLock.client(ctx, await CodeLock.start(ctx, [[1, 2, 3], ctx.self]));
      await next(ctx);
      for (const d of [1, 2, 3]) lock.cast.button(d);
      for (let i = 0; i < 4; i++) await next(ctx);
      for (const d of [1, 2]) lock.cast.button(d); // postponed: the lock is open
      expect(await lock.call.codeLength()).toBe(3); // calls are answered while open
      expect(ctx.mailboxLength).toBe(0);
      clock.advance(10_000);
      const out: unknown[] = [];
      for (let i = 0; i < 3; i++) out.push(await next(ctx)); // locked (enter first), then the retried 1, 2
      lock.cast.button(3);
      out.push(await next(ctx), await next(ctx));
      return out;
    });
    expect(seen).toEqual(['locked', ['pressed', 1], ['pressed', 2], ['pressed', 3], 'open']);
  });

  it('answers codeLength through the typed client in both states and stops on request', async () => {
    const reason = await node.run(async (ctx) => {
      const pid = await CodeLock.start(ctx, [[4, 2], ctx.self], { name: 'code_lock' });
      const lock = CodeLock.client(ctx, 'code_lock');
      await next(ctx);
      const lengths = [await lock.call.codeLength()];
      lock.cast.button(4);
      lock.cast.button(2);
      lengths.push(await lock.call.codeLength());
      const ref = ctx.monitor(pid);
      await stopServer(ctx, 'code_lock');
      const down = (await ctx.receive((m) => typeof m === 'object' && m !== null && (m as { ref?: unknown }).ref === ref)) as { reason: unknown };
      return { lengths, reason: down.reason };
    });
    expect(reason).toEqual({ lengths: [2, 2], reason: 'normal' });
  });

  it('runs under a supervisor, which restarts it locked after it is killed', async () => {
    @supervisor({ strategy: 'one_for_one' })
    class Locks extends Supervisor<Pid> {
      children(observer: Pid): ChildSpec[] {
        return [CodeLock.childSpec([[1], observer], { id: 'lock', name: 'lock' })];
      }
    }
    const seen = await node.run(async (ctx) => {
      const sup = await Locks.start(ctx, ctx.self);
      const out = [await next(ctx)];
      CodeLock.client(ctx, 'lock').cast.button(1);
      out.push(await next(ctx), await next(ctx));
      const [child] = await whichChildren(ctx, sup);
      ctx.exit(child!.pid as Pid, 'kill');
      out.push(await next(ctx)); // the new one starts locked
      out.push(await CodeLock.client(ctx, 'lock').call.codeLength());
      await stopSupervisor(ctx, sup);
      return out;
    });
    expect(seen).toEqual(['locked', ['pressed', 1], 'open', 'locked', 1]);
  });
});
