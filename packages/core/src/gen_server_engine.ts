/**
 * The only code that calls a GenServer's methods (OTP `gen_server.erl`'s loop,
 * `try_dispatch` and `handle_common_reply`).
 *
 * Hot path: a message is one `instanceof`, one map lookup, one method call. A
 * handler that returns synchronously is finished synchronously (no promise, no
 * closure); one that returns a promise suspends the process until it settles.
 *
 * Ending, in one place: every user throw, every stop, every parent EXIT goes
 * through `terminateServer`, which runs `terminate(reason)`, sends a pending stop reply,
 * writes one crash report for an abnormal reason (and marks the process
 * `reported`, so the runtime writes none), then throws a `ServerExit` that the
 * runtime turns into the process's exit.
 */
import type { ProcessContext } from './context';
import { describe } from './errors';
import { isCleanExit, isExitMessage, type ExitReason } from './exit';
import { GenCall, GenCast, reply, type From } from './gen';
import type { DispatchTable, HandlerFn } from './gen_server_decorators';
import type { GenServer } from './gen_server';
import { getLogger, logEnabled } from './logger';
import type { Pid } from './pid';
import { ProcessExit, type Process } from './process';
import type { ViaName } from './registry';
import { registerClass } from './term';

/** @internal fields every GenServer instance carries, keyed by symbols so they never clash with the user's. */
export const kCtx: unique symbol = Symbol('grove.gen_server.ctx');
/** @internal */
export const kTable: unique symbol = Symbol('grove.gen_server.table');
/** @internal the From of the call being handled, else null. */
export const kFrom: unique symbol = Symbol('grove.gen_server.from');
/** @internal */
export const kParent: unique symbol = Symbol('grove.gen_server.parent');
/** @internal the registered name, for reports. */
export const kName: unique symbol = Symbol('grove.gen_server.name');
/** @internal a continue requested by init and not yet run, else NONE. */
export const kContinue: unique symbol = Symbol('grove.gen_server.continue');

/** @internal no pending continue. */
export const NONE: unique symbol = Symbol('grove.gen_server.none');

/** Type of {@link NO_REPLY} (an object brand: unlike a unique symbol, it survives return type inference). */
export interface NoReply {
  readonly '~noReply': true;
}
/** Returned by a call handler that will reply later with `reply(from, value)`. */
export const NO_REPLY: NoReply = Object.freeze({ '~noReply': true } as const);

/** Type of {@link IGNORE}. */
export interface Ignore {
  readonly '~ignore': true;
}
/** Returned by `init` to not start the server: `start` resolves with `'ignore'`. */
export const IGNORE: Ignore = Object.freeze({ '~ignore': true } as const);

/**
 * What a callback may return instead of a plain result: stop the server (with or
 * without a reply to the current call), or run `handleContinue(arg)` before the
 * next message (with or without a reply). `R` is the reply's type.
 */
export class ServerAction<R = never> {
  /** @internal */
  constructor(
    readonly kind: 'stop' | 'continue',
    /** The stop reason, or the continue argument. */
    readonly value: unknown,
    readonly hasReply: boolean,
    readonly reply: R | undefined,
  ) {}
}

/** The request `stopServer` sends: terminate with `reason`, reply `'ok'`, exit (OTP `proc_lib:stop`). @internal */
export class SystemStop {
  constructor(readonly reason: ExitReason) {}
}

/** What a server replies to a call no handler takes; the client turns it into an UnknownCallError. @internal */
export class UnknownCallReply {
  constructor(
    readonly request: unknown,
    readonly server: Pid,
  ) {}
}

registerClass(SystemStop, { name: 'grove.$gen_server_stop' });
registerClass(UnknownCallReply, { name: 'grove.$gen_server_unknown_call' });

/** Delivered to a server whose init asked for a continue, so it runs even with an empty mailbox. */
const CONTINUE_TICK = Object.freeze({ continueTick: true });

/** Thrown to end the process once terminate ran; never caught by the engine again. */
class ServerExit extends ProcessExit {}

const log = getLogger('gen_server');

type Result = void | Promise<void>;

function isThenable(r: unknown): r is PromiseLike<unknown> {
  return r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function';
}

/** @internal The message handler of a GenServer process. */
export function dispatch(s: GenServer, msg: unknown): Result {
  if (s[kContinue] !== NONE) return pendingContinue(s, msg);
  if (msg instanceof GenCall) return handleCall(s, msg);
  if (msg instanceof GenCast) return handleCast(s, msg);
  return handleInfo(s, msg);
}

function routeOf(map: Map<string, HandlerFn>, req: unknown): HandlerFn | undefined {
  if (typeof req === 'string') return map.get(req);
  if (Array.isArray(req) && typeof req[0] === 'string') return map.get(req[0]);
  return undefined;
}

/** Calls `fn` with the request's arguments (`[name, ...args]` or `name`). */
function invoke(s: GenServer, fn: HandlerFn, req: unknown): unknown {
  if (typeof req === 'string') return fn.call(s);
  const a = req as unknown[];
  switch (a.length) {
    case 1:
      return fn.call(s);
    case 2:
      return fn.call(s, a[1]);
    case 3:
      return fn.call(s, a[1], a[2]);
    default:
      return fn.apply(s, a.slice(1));
  }
}

function handleCall(s: GenServer, msg: GenCall): Result {
  const req = msg.request;
  const from = msg.from;
  const fn = routeOf(s[kTable].calls, req);
  if (fn === undefined && req instanceof SystemStop) return terminateServer(s, msg, req.reason, from, true, 'ok');
  s[kFrom] = from;
  let r: unknown;
  try {
    r = fn !== undefined ? invoke(s, fn, req) : s.handleCall(req, from);
  } catch (e) {
    s[kFrom] = null;
    return crash(s, msg, e);
  }
  if (isThenable(r)) {
    return Promise.resolve(r).then(
      (v) => {
        s[kFrom] = null;
        return settle(s, msg, v, from);
      },
      (e: unknown) => {
        s[kFrom] = null;
        return crash(s, msg, e);
      },
    );
  }
  s[kFrom] = null;
  if (r === NO_REPLY) return;
  if (r instanceof ServerAction) return act(s, msg, r, from);
  reply(s[kCtx].node, from, r);
}

function handleCast(s: GenServer, msg: GenCast): Result {
  const req = msg.request;
  const fn = routeOf(s[kTable].casts, req);
  let r: unknown;
  try {
    r = fn !== undefined ? invoke(s, fn, req) : s.handleCast(req);
  } catch (e) {
    return crash(s, msg, e);
  }
  if (r === undefined) return;
  return outcome(s, msg, r);
}

function handleInfo(s: GenServer, msg: unknown): Result {
  if (msg === CONTINUE_TICK) return;
  if (isExitMessage(msg) && msg.from.equals(s[kParent])) {
    // The parent (a supervisor, or whoever started us) ends us: terminate, as OTP does when trapping exits.
    return terminateServer(s, msg, msg.reason, null, false, undefined);
  }
  const t = s[kTable];
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
        return crash(s, msg, e);
      }
      if (hit) {
        fn = preds[i]!.fn;
        break;
      }
    }
  }
  let r: unknown;
  try {
    r = fn !== undefined ? fn.call(s, msg) : s.handleInfo(msg);
  } catch (e) {
    return crash(s, msg, e);
  }
  if (r === undefined) return;
  return outcome(s, msg, r);
}

/** A non-call callback's result: ignored unless it is an action (or a promise of one). */
function outcome(s: GenServer, msg: unknown, r: unknown): Result {
  if (isThenable(r)) {
    return Promise.resolve(r).then(
      (v) => settle(s, msg, v, null),
      (e: unknown) => crash(s, msg, e),
    );
  }
  return settle(s, msg, r, null);
}

/** What a settled callback result means; `from` is the caller when it was a call. */
function settle(s: GenServer, msg: unknown, r: unknown, from: From | null): Result {
  if (r instanceof ServerAction) return act(s, msg, r, from);
  if (from !== null && r !== NO_REPLY) reply(s[kCtx].node, from, r);
}

function act(s: GenServer, msg: unknown, a: ServerAction<unknown>, from: From | null): Result {
  if (a.kind === 'stop') return terminateServer(s, msg, a.value, from, a.hasReply, a.reply);
  if (from !== null && a.hasReply) reply(s[kCtx].node, from, a.reply);
  return runContinue(s, msg, a.value);
}

function runContinue(s: GenServer, msg: unknown, arg: unknown): Result {
  let r: unknown;
  try {
    r = s.handleContinue(arg);
  } catch (e) {
    return crash(s, msg, e);
  }
  return r === undefined ? undefined : outcome(s, msg, r);
}

/** Init asked for a continue: run it first, then the message that woke us (unless it was our own tick). */
function pendingContinue(s: GenServer, msg: unknown): Result {
  const arg = s[kContinue];
  s[kContinue] = NONE;
  const r = runContinue(s, msg, arg);
  if (msg === CONTINUE_TICK) return r;
  if (isThenable(r)) return Promise.resolve(r).then(() => dispatch(s, msg));
  return dispatch(s, msg);
}

/** @internal after init returned a continue: remember it and make sure the process runs. */
export function scheduleContinue(s: GenServer, arg: unknown): void {
  s[kContinue] = arg;
  (s[kCtx] as Process).deliver(CONTINUE_TICK);
}

/** The exit reason for a throw out of a callback (`ctx.exit(reason)` throws a ProcessExit). */
export function reasonOf(e: unknown): ExitReason {
  return e instanceof ProcessExit ? e.reason : e;
}

function crash(s: GenServer, msg: unknown, e: unknown): Result {
  if (e instanceof ServerExit) throw e;
  return terminateServer(s, msg, reasonOf(e), null, false, undefined);
}

/** Runs terminate, sends the stop reply if any, reports, and ends the process. */
function terminateServer(s: GenServer, msg: unknown, reason: ExitReason, from: From | null, hasReply: boolean, value: unknown): Result {
  const done = (why: ExitReason): never => {
    if (from !== null && hasReply) reply(s[kCtx].node, from, value);
    return exitWith(s, msg, why);
  };
  let r: unknown;
  try {
    r = s.terminate(reason);
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

function exitWith(s: GenServer, msg: unknown, reason: ExitReason): never {
  const p = s[kCtx] as Process;
  if (!isCleanExit(reason)) crashReport(s, msg, reason);
  p.reported = true;
  throw new ServerExit(reason);
}

/** @internal one structured report for a GenServer that ends abnormally (OTP's error_info). */
export function crashReport(s: GenServer, msg: unknown, reason: ExitReason): void {
  if (!logEnabled('error')) return;
  const p = s[kCtx] as Process;
  log.error('GenServer terminating', {
    server: nameOf(s[kName]) ?? p.pid.toString(),
    pid: p.pid.toString(),
    module: s.constructor.name,
    lastMessage: describeMessage(msg),
    state: safely(() => describe(s.formatState())),
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

/** @internal fields of a fresh instance. */
export interface EngineFields {
  [kCtx]: ProcessContext;
  [kTable]: DispatchTable;
  [kFrom]: From | null;
  [kParent]: Pid;
  [kName]: string | ViaName | undefined;
  [kContinue]: unknown;
}
