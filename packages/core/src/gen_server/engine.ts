/**
 * The only code that calls a GenServer's methods (OTP `gen_server.erl`'s loop,
 * `try_dispatch` and `handle_common_reply`).
 *
 * Hot path: a message is one `instanceof`, one map lookup, one method call. A
 * handler that returns synchronously is finished synchronously (no promise, no
 * closure); one that returns a promise suspends the process until it settles. The
 * engine's bookkeeping lives in one `ServerState` per process (one class for every
 * server, so its property accesses stay monomorphic however many GenServer
 * subclasses a program has); the instance points at it.
 *
 * Ending, in one place: every user throw, every stop, every parent EXIT goes
 * through `terminateServer`, which runs `terminate(reason)`, sends a pending stop reply,
 * writes one crash report for an abnormal reason (and marks the process
 * `reported`, so the runtime writes none), then throws a `ServerExit` that the
 * runtime turns into the process's exit.
 *
 * Besides the messages of gen.ts, the engine and the client exchange two system
 * messages: the stop request of `stopServer`, and the answer to a call no handler
 * takes.
 */
import { describe, UnknownCallError } from '../errors';
import { ErrorReply, GenCall, GenCast, reply, type From } from '../gen';
import { getLogger, logEnabled } from '../logger';
import { isCleanExit, isExitMessage, type ExitReason } from '../runtime/exit';
import type { Pid } from '../runtime/pid';
import { ProcessExit, type Process } from '../runtime/process';
import type { ViaName } from '../runtime/registry';
import { registerClass } from '../runtime/term';
import type { DispatchTable, HandlerFn } from './decorators';
import { NO_REPLY, ServerAction, type GenServer } from './gen_server';

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

  constructor(
    readonly table: DispatchTable,
    readonly parent: Pid,
    /** The registered name, for reports. */
    readonly name: string | ViaName | undefined,
  ) {}
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
registerClass(UnknownCallReply, {
  name: 'grove.$gen_server_unknown_call',
  toTerm: (r) => [r.request, r.server],
  fromTerm: (t) => new UnknownCallReply((t as [unknown, Pid])[0], (t as [unknown, Pid])[1]),
});

/** Delivered to a server whose init asked for a continue, so it runs even with an empty mailbox. */
const CONTINUE_TICK = Object.freeze({ continueTick: true });

/** Thrown to end the process once terminate ran; never caught by the engine again. */
class ServerExit extends ProcessExit {}

const log = getLogger('gen_server');

type Result = void | Promise<void>;

/** @internal true for a promise (or any thenable) a callback returned. */
export function isThenable(r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function';
}

/** @internal The message handler of a GenServer process. */
export function dispatch(st: ServerState, msg: unknown): Result {
  if (st.cont !== NONE) return pendingContinue(st, msg);
  if (msg instanceof GenCall) return handleCall(st, msg);
  if (msg instanceof GenCast) return handleCast(st, msg);
  return handleInfo(st, msg);
}

function routeOf(map: Map<string, HandlerFn>, req: unknown): HandlerFn | undefined {
  if (typeof req === 'string') return map.get(req);
  if (Array.isArray(req) && typeof req[0] === 'string') return map.get(req[0]);
  return undefined;
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
  const fn = routeOf(st.table.calls, req);
  if (fn === undefined && req instanceof SystemStop) return terminateServer(st, msg, req.reason, from, true, 'ok');
  st.from = from;
  let r: unknown;
  try {
    r = fn !== undefined ? invoke(st, fn, req) : st.s.handleCall(req, from);
  } catch (e) {
    st.from = null;
    return crash(st, msg, e);
  }
  if (isThenable(r)) {
    return Promise.resolve(r).then(
      (v) => {
        st.from = null;
        return settle(st, msg, v, from);
      },
      (e: unknown) => {
        st.from = null;
        return crash(st, msg, e);
      },
    );
  }
  st.from = null;
  if (r === NO_REPLY) return;
  if (r instanceof ServerAction) return act(st, msg, r, from);
  reply(st.ctx.node, from, r);
}

function handleCast(st: ServerState, msg: GenCast): Result {
  const req = msg.request;
  const fn = routeOf(st.table.casts, req);
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
  if (msg === CONTINUE_TICK) return;
  if (isExitMessage(msg) && msg.from.equals(st.parent)) {
    // The parent (a supervisor, or whoever started us) ends us: terminate, as OTP does when trapping exits.
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
  if (isThenable(r)) {
    return Promise.resolve(r).then(
      (v) => settle(st, msg, v, null),
      (e: unknown) => crash(st, msg, e),
    );
  }
  return settle(st, msg, r, null);
}

/** What a settled callback result means; `from` is the caller when it was a call. */
function settle(st: ServerState, msg: unknown, r: unknown, from: From | null): Result {
  if (r instanceof ServerAction) return act(st, msg, r, from);
  if (from !== null && r !== NO_REPLY) reply(st.ctx.node, from, r);
}

function act(st: ServerState, msg: unknown, a: ServerAction<unknown>, from: From | null): Result {
  if (a.kind === 'stop') return terminateServer(st, msg, a.value, from, a.hasReply, a.reply);
  if (from !== null && a.hasReply) reply(st.ctx.node, from, a.reply);
  return runContinue(st, msg, a.value);
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
  const r = runContinue(st, msg, arg);
  if (msg === CONTINUE_TICK) return r;
  if (isThenable(r)) return Promise.resolve(r).then(() => dispatch(st, msg));
  return dispatch(st, msg);
}

/** @internal after init returned a continue: remember it and make sure the process runs. */
export function scheduleContinue(st: ServerState, arg: unknown): void {
  st.cont = arg;
  st.ctx.deliver(CONTINUE_TICK);
}

/** The exit reason for a throw out of a callback (`ctx.exit(reason)` throws a ProcessExit). */
export function reasonOf(e: unknown): ExitReason {
  return e instanceof ProcessExit ? e.reason : e;
}

function crash(st: ServerState, msg: unknown, e: unknown): Result {
  if (e instanceof ServerExit) throw e;
  return terminateServer(st, msg, reasonOf(e), null, false, undefined);
}

/** Runs terminate, sends the stop reply if any, reports, and ends the process. */
function terminateServer(st: ServerState, msg: unknown, reason: ExitReason, from: From | null, hasReply: boolean, value: unknown): Result {
  const done = (why: ExitReason): never => {
    if (from !== null && hasReply) reply(st.ctx.node, from, value);
    return exitWith(st, msg, why);
  };
  let r: unknown;
  try {
    r = st.s.terminate(reason);
  } catch (e) {
    return done(reasonOf(e));
  }
  if (isThenable(r)) {
    return Promise.resolve(r).then(
      () => done(reason),
      (e: unknown) => done(reasonOf(e)),
    );
  }
  done(reason);
}

function exitWith(st: ServerState, msg: unknown, reason: ExitReason): never {
  const p = st.ctx;
  if (!isCleanExit(reason)) crashReport(st, msg, reason);
  p.reported = true;
  throw new ServerExit(reason);
}

/** @internal one structured report for a GenServer that ends abnormally (OTP's error_info). */
export function crashReport(st: ServerState, msg: unknown, reason: ExitReason): void {
  if (!logEnabled('error')) return;
  const p = st.ctx;
  log.error('GenServer terminating', {
    server: nameOf(st.name) ?? p.pid.toString(),
    pid: p.pid.toString(),
    module: st.s.constructor.name,
    lastMessage: describeMessage(msg),
    state: safely(() => describe(st.s.formatState())),
    reason: describe(reason),
    stack: reason instanceof Error ? reason.stack : undefined,
  });
}

function nameOf(name: string | ViaName | undefined): string | undefined {
  return name === undefined ? undefined : typeof name === 'string' ? name : `{via, ${describe(name.name)}}`;
}

function describeMessage(msg: unknown): string {
  if (msg instanceof GenCall) return `call ${show(msg.request)} from ${msg.from.pid}`;
  if (msg instanceof GenCast) return `cast ${show(msg.request)}`;
  return msg === undefined ? 'none (init)' : show(msg);
}

/** Requests are often `[name, ...args]`: show the brackets. */
function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.map(describe).join(', ')}]` : describe(v);
}

function safely(f: () => string): string {
  try {
    return f();
  } catch (e) {
    return `<formatState failed: ${describe(e)}>`;
  }
}
