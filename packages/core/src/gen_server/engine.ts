/**
 * The GenServer loop (OTP `gen_server.erl`'s `loop`, `try_dispatch` and
 * `handle_common_reply`): with start.ts (init) and terminate.ts (terminate and the
 * crash report), the only code that calls a GenServer's methods.
 *
 * Hot path: a message is one `instanceof`, one map lookup, one method call. A
 * handler that returns synchronously is finished synchronously (no promise, no
 * closure); one that returns a promise suspends the process until it settles, and
 * its result is taken in the microtask that resumes the process. The engine's
 * bookkeeping lives in one `ServerState` per process (one class for every server,
 * so its property accesses stay monomorphic however many GenServer subclasses a
 * program has); the instance points at it.
 *
 * What every server gets alike is here: `stopServer`'s request and the parent's
 * EXIT end it through terminate; a call no handler takes is answered with an
 * UnknownCallError; a cast or an info no handler takes is logged and dropped.
 * Besides the messages of gen.ts, the engine and the client exchange two system
 * messages: the stop request, and the answer to a call no handler takes.
 *
 * Off the hot path, behind one flag (`slow`): a continue init asked for, an idle
 * timeout (`timeoutAfter`), and `sys` (sys/system.ts: a suspended server's waiting
 * messages, debug events). `sys` requests themselves are calls no handler takes.
 */
import { UnknownCallError } from '../errors';
import { canAnswer, dropUnanswerable, ErrorReply, GenCall, GenCast, reply, type From } from '../gen';
import { isExitMessage, type ExitReason } from '../runtime/exit';
import type { Pid } from '../runtime/pid';
import { DirectWait, type Process } from '../runtime/process';
import type { ViaName } from '../runtime/registry';
import { markSystemMessage } from '../runtime/mailbox_bound';
import { registerClass } from '../runtime/term';
import type { DispatchTable, HandlerFn, RouteCache } from './decorators';
import { NO_REPLY, ServerAction, type GenServer } from './gen_server';
import { kindOf } from './start';
import { crash, terminateServer } from './terminate';
import { debugIn, debugOut, debugState, handleSystem, SysRequest, type SysData } from '../sys/system';

/** @internal the instance's link to its {@link ServerState}, keyed by a symbol so it never clashes with user fields. */
export const kState: unique symbol = Symbol('grove.gen_server.state');

/** No pending continue. */
const NONE: unique symbol = Symbol('grove.gen_server.none');

/** @internal what the engine keeps per server process. */
export class ServerState {
  /** The process; set when it starts running init. */
  ctx: Process = null as unknown as Process;
  /** The instance; set by GenServer's constructor (null until then). */
  s: GenServer<any> = null as unknown as GenServer<any>;
  /** The From of the call being handled, else null. */
  from: From | null = null;
  /** A continue requested by init and not yet run, else NONE. */
  cont: unknown = NONE;
  /** `sys`'s data while the server is suspended or debugged, else null. */
  sys: SysData | null = null;
  /** The idle timeout armed by `timeoutAfter`, else null. */
  idle: IdleTick | null = null;
  /** True while `cont`, `sys` or `idle` is set: the one check a message pays for all. */
  slow = false;
  /** Where the calls it handles are timed to (see call_timing.ts), else null. */
  timer: ((ms: number) => void) | null = null;

  constructor(
    readonly table: DispatchTable,
    /** Whose exit signal ends the server through terminate (OTP's Parent): a linked starter, else the server itself (set when init starts). */
    public parent: Pid | null,
    /** The registered name, for reports. */
    readonly name: string | ViaName | undefined,
  ) {}
}

/**
 * @internal the one answer to a call no handler takes: it is logged, and the caller
 * gets an UnknownCallError while the server goes on (OTP crashes the server).
 */
export function unknownCall(st: ServerState, request: unknown, from: From): UnknownCallReply {
  kindOf(st.s.constructor).unexpected(st.s, 'call', request, from);
  return new UnknownCallReply(request, st.ctx.pid);
}

/** @internal a cast or info no handler takes: logged and dropped. */
export function unexpected(st: ServerState, kind: 'cast' | 'info', msg: unknown): void {
  kindOf(st.s.constructor).unexpected(st.s, kind, msg, null);
}

/** The request `stopServer` sends: terminate with `reason`, reply `'ok'`, exit (OTP `proc_lib:stop`). @internal */
export class SystemStop {
  constructor(readonly reason: ExitReason) {}
}

/** What a server replies to a call no handler takes; the client turns it into an UnknownCallError. @internal */
export class UnknownCallReply extends ErrorReply {
  constructor(
    readonly request: unknown,
    readonly server: Pid,
  ) {
    super();
  }

  toError(): Error {
    return new UnknownCallError(this.server, this.request);
  }
}

registerClass(SystemStop, { name: 'grove.$gen_server_stop' });
// A stop request (OTP's system message) and the engine's ticks are never dropped by a bounded mailbox.
markSystemMessage(SystemStop);
registerClass(UnknownCallReply, {
  name: 'grove.$gen_server_unknown_call',
  toTerm: (r) => [r.request, r.server],
  fromTerm: (t) => new UnknownCallReply((t as [unknown, Pid])[0], (t as [unknown, Pid])[1]),
});

/** A message the engine sends itself; never a callback's. */
class EngineTick {}
markSystemMessage(EngineTick);

/** Delivered to a server whose init asked for a continue, so it runs even with an empty mailbox. */
const CONTINUE_TICK = Object.freeze(new EngineTick());

/** An idle timeout's message: one per arming, delivered by the clock (no copy), so a stale one is told apart. @internal */
export class IdleTick extends EngineTick {
  timer: unknown = null;
}

/** @internal what the engine hands the process: done, or a {@link Pending} callback the process waits for. */
export type Result = void | PromiseLike<void>;

/** @internal true for a promise (or any thenable) a callback returned. */
export function isThenable(r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function';
}

/** @internal The message handler of a GenServer process. */
export function dispatch(st: ServerState, msg: unknown): Result {
  if (st.slow) return slowDispatch(st, msg);
  if (msg instanceof GenCall) return handleCall(st, msg);
  if (msg instanceof GenCast) return handleCast(st, msg);
  return handleInfo(st, msg);
}

function routeOf(routes: RouteCache, req: unknown): HandlerFn | undefined {
  const name = typeof req === 'string' ? req : Array.isArray(req) ? (req[0] as unknown) : undefined;
  return name === routes.key ? routes.fn : lookUp(routes, name);
}

/** routeOf when the name is not the last one looked up (kept small, so that routeOf is inlined). */
function lookUp(routes: RouteCache, name: unknown): HandlerFn | undefined {
  if (typeof name !== 'string') return undefined;
  const fn = routes.map.get(name);
  routes.key = name;
  routes.fn = fn;
  return fn;
}

/** Calls `fn` with the request's arguments (`[name, ...args]` or `name`). */
function invoke(st: ServerState, fn: HandlerFn, req: unknown): unknown {
  if (typeof req === 'string') return fn.call(st.s);
  const a = req as unknown[];
  switch (a.length) {
    case 1:
      return fn.call(st.s);
    case 2:
      return fn.call(st.s, a[1]);
    case 3:
      return fn.call(st.s, a[1], a[2]);
    default:
      return fn.apply(st.s, a.slice(1));
  }
}

function handleCall(st: ServerState, msg: GenCall): Result {
  const req = msg.request;
  const from = msg.from;
  if (!canAnswer(from)) return dropUnanswerable(st.ctx.self, msg);
  const fn = routeOf(st.table.callRoutes, req);
  if (fn === undefined) {
    if (req instanceof SystemStop) return terminateServer(st, msg, req.reason, from, true, 'ok');
    if (req instanceof SysRequest) return system(st, msg, req);
  }
  st.from = from;
  const timer = st.timer;
  const t0 = timer === null ? 0 : performance.now();
  let r: unknown;
  try {
    r = fn !== undefined ? invoke(st, fn, req) : st.s.handleCall(req, from);
  } catch (e) {
    st.from = null;
    if (timer !== null) timer(performance.now() - t0);
    return crash(st, msg, e);
  }
  if (isThenable(r)) return new Pending(st, msg, timer === null ? r : timed(r, timer, t0), from);
  if (timer !== null) timer(performance.now() - t0);
  st.from = null;
  if (r === NO_REPLY) return;
  if (r instanceof ServerAction) return act(st, msg, r, from);
  replyOut(st, from, r);
}

/** `r`, reporting to `timer` when it settles. */
function timed(r: PromiseLike<unknown>, timer: (ms: number) => void, t0: number): PromiseLike<unknown> {
  return Promise.resolve(r).then(
    (v) => {
      timer(performance.now() - t0);
      return v;
    },
    (e: unknown) => {
      timer(performance.now() - t0);
      throw e;
    },
  );
}

/** @internal A server's replies (the engine's and `this.reply`'s): a debugged server's are recorded. */
export function replyOut(st: ServerState, from: From, r: unknown): void {
  if (st.sys !== null) debugOut(st, st.sys, from, r);
  reply(st.ctx.node, from, r);
}

function handleCast(st: ServerState, msg: GenCast): Result {
  const req = msg.request;
  const fn = routeOf(st.table.castRoutes, req);
  let r: unknown;
  try {
    r = fn !== undefined ? invoke(st, fn, req) : st.s.handleCast(req);
  } catch (e) {
    return crash(st, msg, e);
  }
  if (r === undefined) return;
  return outcome(st, msg, r);
}

function handleInfo(st: ServerState, msg: unknown): Result {
  if (msg instanceof EngineTick) return; // a continue's tick, or an idle timeout that no longer counts
  if (isExitMessage(msg) && msg.from.equals(st.parent)) {
    // The parent (a supervisor, or whoever started us linked) ends us: terminate, as OTP does when trapping exits.
    return terminateServer(st, msg, msg.reason, null, false, undefined);
  }
  const t = st.table;
  let fn: HandlerFn | undefined;
  const key = typeof msg === 'string' ? msg : Array.isArray(msg) ? msg[0] : typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
  if (typeof key === 'string') fn = t.infoTags.get(key);
  if (fn === undefined) {
    const preds = t.infoPredicates;
    for (let i = 0; i < preds.length; i++) {
      let hit: boolean;
      try {
        hit = preds[i]!.test(msg);
      } catch (e) {
        return crash(st, msg, e);
      }
      if (hit) {
        fn = preds[i]!.fn;
        break;
      }
    }
  }
  let r: unknown;
  try {
    r = fn !== undefined ? fn.call(st.s, msg) : st.s.handleInfo(msg);
  } catch (e) {
    return crash(st, msg, e);
  }
  if (r === undefined) return;
  return outcome(st, msg, r);
}

/** A non-call callback's result: ignored unless it is an action (or a promise of one). */
function outcome(st: ServerState, msg: unknown, r: unknown): Result {
  if (r instanceof Park) {
    r.st = st;
    r.msg = msg;
    return r;
  }
  if (isThenable(r)) return new Pending(st, msg, r, null);
  return settle(st, msg, r, null);
}

/**
 * @internal what a non-call callback returns to keep its server waiting, without a
 * promise, for an outcome that comes by callback (a supervisor restarting a child
 * waits for the child's start ack): the server takes no message until `done(value)`
 * (then `value` is taken as the callback's result, as a promise's would be) or
 * `failed(error)` (the callback crashed). Returned by the callback itself, the
 * process waits on it directly (see `DirectWait`); awaited anywhere else, it acts as
 * a promise of the value.
 */
export class Park extends DirectWait {
  /** The server and the message whose callback returned it, once the engine took it. */
  st: ServerState | null = null;
  msg: unknown = undefined;
  /** 0 waiting, 1 done, 2 failed. */
  private state = 0;
  private x: unknown = undefined;
  private proc: Process | null = null;
  private listener: ((ok: boolean, x: unknown) => void) | null = null;

  done(value: unknown): void {
    this.end(1, value);
  }

  failed(error: unknown): void {
    this.end(2, error);
  }

  waitedBy(proc: Process): void {
    if (this.state === 0) this.proc = proc;
    else this.wake(proc);
  }

  then<A = void, B = never>(resume?: ((value: void) => A | PromiseLike<A>) | null, fail?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    const st = this.st;
    const p = new Promise<unknown>((res, rej) => {
      const go = (ok: boolean, x: unknown): void => {
        if (st === null) {
          if (ok) res(x);
          else rej(x);
          return;
        }
        try {
          res(afterPending(st, this.msg, null, ok, x, resume, fail));
        } catch (e) {
          rej(e);
        }
      };
      if (this.state !== 0) go(this.state === 1, this.x);
      else this.listener = go;
    });
    return (st === null ? p.then(resume as (v: unknown) => A, fail) : p) as PromiseLike<A | B>;
  }

  private end(state: 1 | 2, x: unknown): void {
    if (this.state !== 0) return;
    this.state = state;
    this.x = x;
    const proc = this.proc;
    if (proc !== null) {
      this.proc = null;
      this.wake(proc);
    } else if (this.listener !== null) {
      const go = this.listener;
      this.listener = null;
      go(state === 1, x);
    }
  }

  /** The callback's result taken (an action, or its crash), then `proc` goes back to its mailbox. */
  private wake(proc: Process): void {
    const st = this.st!;
    let r: Result;
    try {
      r = this.state === 1 ? settle(st, this.msg, this.x, null) : crash(st, this.msg, this.x);
    } catch (e) {
      proc.wakeFailed(e);
      return;
    }
    if (r === undefined) proc.wake(false);
    else r.then(() => proc.wake(false), (e: unknown) => proc.wakeFailed(e));
  }
}

/**
 * A callback returned a promise: the process waits for it (it calls `then` once,
 * as on any promise a handler returns), and when it settles its result is taken
 * like a synchronous one (a reply, an action, a crash) in the same microtask that
 * resumes the process. So waiting costs no promise beyond the one the process
 * would make anyway (a supervisor's restart goes through here).
 */
class Pending implements PromiseLike<void> {
  constructor(
    private readonly st: ServerState,
    private readonly msg: unknown,
    private readonly r: PromiseLike<unknown>,
    /** The caller, when the callback handled a call. */
    private readonly from: From | null,
  ) {}

  then<A = void, B = never>(resume?: ((value: void) => A | PromiseLike<A>) | null, fail?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    return Promise.resolve(this.r).then(
      (v) => this.next(resume, fail, true, v),
      (e: unknown) => this.next(resume, fail, false, e),
    ) as PromiseLike<A | B>;
  }

  private next(resume: ((value: void) => unknown) | null | undefined, fail: ((reason: unknown) => unknown) | null | undefined, ok: boolean, x: unknown): unknown {
    return afterPending(this.st, this.msg, this.from, ok, x, resume, fail);
  }
}

/** A callback's promise settled with `x` (`ok`) or failed with it: its result is taken, then `resume` (or `fail`) runs. */
function afterPending(
  st: ServerState,
  msg: unknown,
  from: From | null,
  ok: boolean,
  x: unknown,
  resume: ((value: void) => unknown) | null | undefined,
  fail: ((reason: unknown) => unknown) | null | undefined,
): unknown {
  st.from = null;
  let r: Result;
  try {
    r = ok ? settle(st, msg, x, from) : crash(st, msg, x);
  } catch (e) {
    if (fail == null) throw e;
    return fail(e);
  }
  if (r !== undefined) return r.then(resume, fail);
  return resume == null ? undefined : resume();
}

/** What a settled callback result means; `from` is the caller when it was a call. */
function settle(st: ServerState, msg: unknown, r: unknown, from: From | null): Result {
  if (r instanceof ServerAction) return act(st, msg, r, from);
  if (from !== null && r !== NO_REPLY) replyOut(st, from, r);
}

function act(st: ServerState, msg: unknown, a: ServerAction<unknown>, from: From | null): Result {
  if (a.kind === 'stop') return terminateServer(st, msg, a.value, from, a.hasReply, a.reply);
  if (from !== null && a.hasReply) replyOut(st, from, a.reply);
  if (a.kind === 'continue') return runContinue(st, msg, a.value);
  if (a.kind === 'timeout') armIdle(st, a.value as number);
  else hibernate(st);
}

/** @internal init returned `timeoutAfter` or `hibernate`. */
export function afterInit(st: ServerState, a: ServerAction<unknown>): void {
  if (a.kind === 'timeout') armIdle(st, a.value as number);
  else if (a.kind === 'hibernate') hibernate(st);
}

function armIdle(st: ServerState, ms: number): void {
  const tick = new IdleTick();
  const p = st.ctx;
  tick.timer = p.node.clock.setTimeout(() => p.deliver(tick), ms);
  st.idle = tick;
  st.slow = true;
}

/** Whatever waits the next message: no messages, no debug data, a mailbox buffer to drop. */
function hibernate(st: ServerState): void {
  const p = st.ctx;
  if (p.mailbox !== null && p.mailbox.length === 0) p.mailbox = null;
  if (st.sys !== null && st.sys.idle() && st.sys.deferred.length === 0) {
    st.sys = null;
    st.slow = st.cont !== NONE || st.idle !== null;
  }
}

/** The first message after `timeoutAfter`: the timeout itself (as the info `'timeout'`), or one that cancels it. */
function idleOver(st: ServerState, msg: unknown): unknown {
  const tick = st.idle!;
  st.idle = null;
  st.slow = st.cont !== NONE || st.sys !== null;
  if (msg === tick) return 'timeout';
  st.ctx.node.clock.clearTimeout(tick.timer);
  return msg;
}

function runContinue(st: ServerState, msg: unknown, arg: unknown): Result {
  let r: unknown;
  try {
    r = st.s.handleContinue(arg);
  } catch (e) {
    return crash(st, msg, e);
  }
  return r === undefined ? undefined : outcome(st, msg, r);
}

/** Init asked for a continue: run it first, then the message that woke us (unless it was our own tick). */
function pendingContinue(st: ServerState, msg: unknown): Result {
  const arg = st.cont;
  st.cont = NONE;
  st.slow = st.sys !== null || st.idle !== null;
  const r = runContinue(st, msg, arg);
  if (msg === CONTINUE_TICK) return r;
  if (isThenable(r)) return Promise.resolve(r).then(() => dispatch(st, msg));
  return dispatch(st, msg);
}

/** @internal after init returned a continue: remember it and make sure the process runs. */
export function scheduleContinue(st: ServerState, arg: unknown): void {
  st.cont = arg;
  st.slow = true;
  st.ctx.deliver(CONTINUE_TICK);
}

/** A pending continue, or a suspended or debugged server (`sys`): off the hot path. */
function slowDispatch(st: ServerState, msg: unknown): Result {
  if (st.cont !== NONE) return pendingContinue(st, msg);
  if (msg instanceof GenCall && msg.request instanceof SysRequest) return system(st, msg, msg.request); // leaves an idle timeout armed
  const sys = st.sys;
  if (sys !== null) {
    if (sys.suspended) {
      // Suspended: only system requests, and the parent's EXIT (OTP's sys loop), are taken; the rest wait for resume.
      if (!(isExitMessage(msg) && msg.from.equals(st.parent))) {
        if (msg !== CONTINUE_TICK) sys.deferred.push(msg);
        return;
      }
    }
  }
  if (st.idle !== null) {
    if (msg instanceof IdleTick && msg !== st.idle) return; // a stale one
    msg = idleOver(st, msg);
  }
  if (sys === null || !sys.debugging()) return fastDispatch(st, msg);
  debugIn(st, sys, msg);
  const r = fastDispatch(st, msg);
  if (isThenable(r)) return Promise.resolve(r).then(() => afterDebug(st));
  afterDebug(st);
}

function afterDebug(st: ServerState): void {
  if (st.sys !== null && st.sys.debugging()) debugState(st, st.sys);
}

function fastDispatch(st: ServerState, msg: unknown): Result {
  if (msg instanceof GenCall) return handleCall(st, msg);
  if (msg instanceof GenCast) return handleCast(st, msg);
  return handleInfo(st, msg);
}

/** A system request: answered here; a resume then handles what waited, in order. */
function system(st: ServerState, msg: GenCall, req: SysRequest): Result {
  const resumed = handleSystem(st, msg, req);
  st.slow = st.cont !== NONE || st.sys !== null || st.idle !== null;
  if (resumed !== undefined && resumed.length > 0) return dispatchAll(st, resumed, 0);
}

function dispatchAll(st: ServerState, msgs: unknown[], i: number): Result {
  for (; i < msgs.length; i++) {
    const r = dispatch(st, msgs[i]);
    if (isThenable(r)) {
      const next = i + 1;
      return Promise.resolve(r).then(() => dispatchAll(st, msgs, next));
    }
  }
}
